#!/usr/bin/env bash
# A local AWS for the README's quick start (samples/QuickStart), running until Ctrl+C or SIGTERM. No AWS account needed.
#
# It starts moto (an AWS emulator: S3, STS, IAM) with IAM enforced through tests/peers/moto-with-aws-rules.py, on
# 127.0.0.1:5123 (chosen to stay clear of moto's own 5000, which macOS's AirPlay receiver takes, and LocalStack's 4566).
# When that port is taken, it says so and starts moto on a free port instead: the settings it prints carry the port.
# Then it sets up what the quick start's values name, as a customer and an operator would on AWS, and prints the
# policies: the bucket `mybucket`; the role arn:aws:iam::123456789012:role/SegmentS3Upload (moto's account id), which
# trusts only the service's identity, only with the external id `a-long-random-string`, and may only put objects under
# mybucket/path/prefix/segment-logs/; and the service's identity, an IAM user that may only assume that role.
# Last, it prints the lines to paste in another terminal (the service's keys and the endpoint) and how to stop it.
# Stopping it (Ctrl+C, or SIGTERM to its PID) stops moto and deletes its files: the account is gone.
#
# Usage: bash samples/local-aws.sh [--port N]   (N = 0: any free port)
# MOTO_PYTHON names the Python that has moto (default python3; moto is installed with pip where it is missing).
# RAWDATA_LOCALPEERS_DLL names a built localpeers.dll to use instead of building tests/RawDataDestination.LocalPeers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

port=5123
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown argument '$1'; usage: bash samples/local-aws.sh [--port N]" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ] && kill -0 "$moto_pid" 2>/dev/null; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    echo "== Stopped moto (PID $moto_pid); the local account is gone."
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python="${MOTO_PYTHON:-python3}"
if ! "$python" -c 'import moto.server' 2>/dev/null; then
  echo "== Installing moto (pip install \"moto[server]\")"
  "$python" -m pip install --quiet "moto[server]"
fi

if [ -n "${RAWDATA_LOCALPEERS_DLL:-}" ]; then
  localpeers_dll="$RAWDATA_LOCALPEERS_DLL"
else
  echo "== Building localpeers (the account setup)"
  dotnet build tests/RawDataDestination.LocalPeers -c Release -o "$work/localpeers" -v minimal -nologo -clp:NoSummary
  localpeers_dll="$work/localpeers/localpeers.dll"
fi

# Starts moto on $1 (0: a free port) and sets url; returns 2 when the port is taken.
start_moto() {
  : > "$work/moto.out"
  INITIAL_NO_AUTH_ACTION_COUNT=3 PYTHONUNBUFFERED=1 "$python" tests/peers/moto-with-aws-rules.py --host 127.0.0.1 --port "$1" \
    > "$work/moto.out" 2> "$work/moto.log" &
  moto_pid=$!
  for _ in $(seq 1 300); do
    url=$(sed -n 's/^listening on //p' "$work/moto.out")
    [ -n "$url" ] && return 0
    if ! kill -0 "$moto_pid" 2>/dev/null; then
      wait "$moto_pid" 2>/dev/null || true
      moto_pid=""
      grep -q 'Address already in use' "$work/moto.log" && return 2
      echo "moto did not start:" >&2; cat "$work/moto.log" >&2; exit 1
    fi
    sleep 0.2
  done
  echo "moto did not say it was listening within 60 s:" >&2; cat "$work/moto.log" >&2; exit 1
}

echo "== Starting moto with IAM enforced (after the 3 requests that create the account's administrator)"
status=0
start_moto "$port" || status=$?
if [ "$status" -eq 2 ]; then
  echo "   Port $port is taken (another local-aws.sh, or another program); using a free port instead."
  start_moto 0
fi
echo "   AWS (moto): $url, PID $moto_pid"

echo "== Setting up the account as the customer and the operator would"
dotnet "$localpeers_dll" setup-account --endpoint "$url" --bucket mybucket --prefix path/prefix \
  --role-name SegmentS3Upload --external-id a-long-random-string --env-file "$work/account.env"
# shellcheck disable=SC1091
. "$work/account.env"

env_file="$work/quick-start.env"
cat > "$env_file" <<EOF
export AWS_ACCESS_KEY_ID='$SERVICE_ACCESS_KEY_ID' AWS_SECRET_ACCESS_KEY='$SERVICE_SECRET_ACCESS_KEY' RAWDATA_ENDPOINT_URL='$url'
unset AWS_SESSION_TOKEN
EOF

cat <<EOF

== The local AWS is ready at $url (moto, PID $moto_pid), with the quick start's settings:
   Region us-west-2, Bucket mybucket/path/prefix, RoleArn $ROLE_ARN,
   ExternalId a-long-random-string (samples/QuickStart/Program.cs has them as the README shows them).

In another terminal, at the repository's root, paste these lines (the service's identity, which may only assume the
role, and the local endpoint; the unset keeps a session token of yours from being sent with these keys):

$(cat "$env_file")
dotnet run --project samples/QuickStart

(or: . $env_file)
To stop the local AWS: Ctrl+C here, or kill -TERM $$. It stops moto and deletes the account and $env_file.
EOF

# Wait for a signal (the traps above exit, and the EXIT trap stops moto), or for moto to end by itself.
status=0
wait "$moto_pid" || status=$?
echo "moto (PID $moto_pid) ended by itself (exit $status):" >&2
tail -20 "$work/moto.log" >&2
moto_pid=""
exit 1

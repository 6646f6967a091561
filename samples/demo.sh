#!/usr/bin/env bash
# The demo, end to end, with no AWS account. It starts moto (an AWS emulator: S3, STS, IAM) with IAM enforced, sets up
# what a customer sets up on AWS (a bucket; a role that trusts only the service's identity, only with the external id,
# and may only put objects under the prefix) and prints those policies, checks the setup with `rawdata verify`, ships
# generated events with `rawdata ship` through the role, lists the objects written and reads one back, and stops what
# it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

python="${MOTO_PYTHON:-python3}"
if ! "$python" -c 'import moto.server' 2>/dev/null; then
  echo "== Installing moto (pip install \"moto[server]\")"
  "$python" -m pip install --quiet "moto[server]"
fi

echo "== Building rawdata and localpeers (a failed build stops the demo; warnings are shown)"
dotnet build samples/rawdata -c Release -o "$work/rawdata" -v minimal -nologo -clp:NoSummary
dotnet build tests/RawDataDestination.LocalPeers -c Release -o "$work/localpeers" -v minimal -nologo -clp:NoSummary
# `rawdata` as the README uses it; `dotnet tool install` (README) gives the same command on the PATH.
rawdata() { dotnet "$work/rawdata/rawdata.dll" "$@"; }
localpeers() { dotnet "$work/localpeers/localpeers.dll" "$@"; }

bucket=demo-bucket
prefix=demo/prefix
external_id=demo-external-id-42

echo "== Starting moto with IAM enforced (after the 3 requests that create the account's administrator)"
INITIAL_NO_AUTH_ACTION_COUNT=3 "$python" tests/peers/moto-with-aws-rules.py --host 127.0.0.1 --port 0 \
  > "$work/moto.out" 2> "$work/moto.log" &
pids+=($!)
for _ in $(seq 1 150); do
  grep -q '^listening on ' "$work/moto.out" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/moto.log"; exit 1; }
  sleep 0.2
done
url=$(sed -n 's/^listening on //p' "$work/moto.out")
[ -n "$url" ] || { echo "moto did not start:"; cat "$work/moto.log"; exit 1; }
echo "AWS (moto): $url"

echo "== Setting up the account as the customer and the operator would"
localpeers setup-account --endpoint "$url" --bucket "$bucket" --prefix "$prefix" --role-name SegmentS3Upload \
  --external-id "$external_id" --env-file "$work/account.env"
# shellcheck disable=SC1091
. "$work/account.env"

# The host's own (base) credentials: the service's identity. They may assume the role, and nothing else; only the
# role's temporary credentials may write to the bucket.
export AWS_ACCESS_KEY_ID="$SERVICE_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$SERVICE_SECRET_ACCESS_KEY"
unset AWS_SESSION_TOKEN AWS_PROFILE
destination=(--region us-east-1 --bucket "$bucket/$prefix" --role-arn "$ROLE_ARN" --external-id "$external_id"
  --endpoint-url "$url" --sts-endpoint-url "$url")

echo "== Checking the setup as a customer would: rawdata verify"
rawdata verify "${destination[@]}"

echo "== Shipping 5000 generated events and one bad line as source 'demo-source'"
echo "   (receivedAt spread over the last 48 hours: up to three UTC day folders, today's included)"
rawdata generate --count 5000 --days 2 --seed 7 --output "$work/events.ndjson"
printf 'not json\n' >> "$work/events.ndjson"
rawdata ship "${destination[@]}" --source-id demo-source --input "$work/events.ndjson" --max-batch-bytes 1048576

# Read back as the account's administrator: the role itself may not list or read.
admin=(--endpoint "$url" --bucket "$bucket" --access-key-id "$ADMIN_ACCESS_KEY_ID" --secret-access-key "$ADMIN_SECRET_ACCESS_KEY")
echo "== Objects in s3://$bucket (listed by the account's administrator: the role may not list)"
localpeers list "${admin[@]}" | tee "$work/keys.txt"
first_key=$(grep -m1 '/segment-logs/demo-source/' "$work/keys.txt" | cut -f1)
echo "== First lines of $first_key"
localpeers cat "${admin[@]}" --key "$first_key" --lines 3
echo "== Done; stopping moto"

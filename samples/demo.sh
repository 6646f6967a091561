#!/usr/bin/env bash
# The demo, end to end, with no AWS account: installs and starts a local S3 (s3rver) and the loopback STS, ships a
# generated set of events with `rawdata` through an assumed role, lists the objects written, reads one back, and
# stops what it started.
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

echo "== Installing the local S3 server and building rawdata (a failed build stops the demo; warnings are shown)"
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
dotnet build samples/rawdata -c Release -o "$work/rawdata" -v minimal -nologo -clp:NoSummary
dotnet build tests/RawDataDestination.LocalPeers -c Release -o "$work/localpeers" -v minimal -nologo -clp:NoSummary
# `rawdata` as the README uses it; `dotnet tool install` (README) gives the same command on the PATH.
rawdata() { dotnet "$work/rawdata/rawdata.dll" "$@"; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'; }

bucket=demo-bucket
role_arn=arn:aws:iam::123456789012:role/SegmentS3Upload
external_id=demo-external-id-42

echo "== Starting s3rver and the loopback STS"
s3_port=$(free_port)
mkdir -p "$work/s3"
node --openssl-legacy-provider tests/peers/node_modules/s3rver/bin/s3rver.js \
  -d "$work/s3" -a 127.0.0.1 -p "$s3_port" --silent --configure-bucket "$bucket" &
pids+=($!)
dotnet "$work/localpeers/localpeers.dll" sts --port 0 --role-arn "$role_arn" --external-id "$external_id" > "$work/sts.log" &
pids+=($!)
for _ in $(seq 1 150); do
  grep -q 'listening on' "$work/sts.log" 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  sleep 0.2
done
sts_url=$(grep -oE 'http://[0-9.]+:[0-9]+/?' "$work/sts.log" | head -n1)
s3_url="http://127.0.0.1:$s3_port"
echo "S3:  $s3_url   STS: $sts_url"

# The host's own (base) credentials: they may call STS but are not accepted by S3; only the assumed role's are.
export AWS_ACCESS_KEY_ID=DEMOBASEKEY AWS_SECRET_ACCESS_KEY=demo-base-secret
unset AWS_SESSION_TOKEN AWS_PROFILE

echo "== Shipping 5000 generated events and one bad line as source 'demo-source'"
echo "   (receivedAt spread over the last 48 hours: up to three UTC day folders, today's included)"
rawdata generate --count 5000 --days 2 --seed 7 --output "$work/events.ndjson"
printf 'not json\n' >> "$work/events.ndjson"
rawdata ship --region us-east-1 --bucket "$bucket/demo/prefix" \
  --role-arn "$role_arn" --external-id "$external_id" --source-id demo-source \
  --input "$work/events.ndjson" --endpoint-url "$s3_url" --sts-endpoint-url "$sts_url" --max-batch-bytes 1048576

echo "== Objects in s3://$bucket"
dotnet "$work/localpeers/localpeers.dll" list --endpoint "$s3_url" --bucket "$bucket" | tee "$work/keys.txt"
first_key=$(head -n1 "$work/keys.txt" | cut -f1)
echo "== First lines of $first_key"
dotnet "$work/localpeers/localpeers.dll" cat --endpoint "$s3_url" --bucket "$bucket" --key "$first_key" --lines 3
echo "== Done; stopping the local S3 and STS"

#!/usr/bin/env bash
# Whole-process comparison on one generated file: `rawdata ship` (start-up included, to the local s3rver through the
# loopback STS) against `gzip -1`, `gzip -6` and `pigz -p 2` of the same file, and the library in-process (sequential
# BatchBuffer.AppendAsync, consumer discards). Each command runs RUNS times (default 3); the table shows the best wall
# time (the machine may be shared: the best run is the least disturbed), MB/s of the input file, and the peak RSS.
#   EVENTS=200000 RUNS=3 bash benchmarks/compare-ship.sh
# Installs Debian's pigz with apt-get if it is missing. Starts nothing it does not stop.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
events="${EVENTS:-200000}"
runs="${RUNS:-3}"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v pigz > /dev/null; then
  echo "== Installing pigz (Debian package)"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -q pigz > /dev/null 2>&1 \
    || { $sudo_ apt-get update -q > /dev/null && $sudo_ apt-get install -y -q pigz > /dev/null; } \
    || echo "pigz could not be installed: its rows are left out"
fi

echo "== Building rawdata, the local peers and the benchmarks (Release)"
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
# rawdata as a batch tool is best deployed published ReadyToRun (README "Performance"): its start-up then compiles little.
dotnet publish samples/rawdata -c Release -r "$(dotnet --info | awk '/RID:/ { print $2; exit }')" --self-contained false \
  -p:PublishReadyToRun=true -o "$work/rawdata" -v quiet -nologo | grep -E ' error ' || true
dotnet build tests/RawDataDestination.LocalPeers -c Release -o "$work/localpeers" -v quiet -nologo | grep -E ' error ' || true
dotnet build benchmarks/RawDataDestination.Benchmarks -c Release -o "$work/bench" -v quiet -nologo | grep -E ' error ' || true

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'; }
bucket=compare-bucket
role_arn=arn:aws:iam::123456789012:role/SegmentS3Upload
external_id=compare-external-id-42
s3_port=$(free_port)
mkdir -p "$work/s3"
node --openssl-legacy-provider tests/peers/node_modules/s3rver/bin/s3rver.js \
  -d "$work/s3" -a 127.0.0.1 -p "$s3_port" --silent --configure-bucket "$bucket" &
pids+=($!)
dotnet "$work/localpeers/localpeers.dll" sts --port 0 --role-arn "$role_arn" --external-id "$external_id" > "$work/sts.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  grep -q 'listening on' "$work/sts.log" 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  sleep 0.2
done
sts_url=$(grep -m1 -oE 'http://[0-9.]+:[0-9]+/?' "$work/sts.log" | head -n1)
s3_url="http://127.0.0.1:$s3_port"
export AWS_ACCESS_KEY_ID=COMPAREBASEKEY AWS_SECRET_ACCESS_KEY=compare-base-secret
unset AWS_SESSION_TOKEN AWS_PROFILE

file="$work/events.ndjson"
dotnet "$work/rawdata/rawdata.dll" generate --count "$events" --seed 7 > "$file"
bytes=$(stat -c %s "$file")
echo "== $events events, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MB; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs"

# measure KEY NAME COMMAND...: runs the command $runs times under /usr/bin/time; prints one table row from the best run,
# and keeps its seconds in seconds[KEY] and its stdout in $work/KEY.out (for the in-process MB/s the harness prints).
declare -A seconds
measure() {
  local key="$1" name="$2"; shift 2
  local best="" best_rss=""
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || { echo "$name failed:"; tail -5 "$work/err"; return 1; }
    read -r run_seconds rss < "$work/time"
    if [ -z "$best" ] || awk -v a="$run_seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best="$run_seconds"; best_rss="$rss"; cp "$work/out" "$work/$key.out"
    fi
  done
  seconds[$key]="$best"
  awk -v n="$name" -v s="$best" -v b="$bytes" -v r="$best_rss" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.0f MB |\n", n, s, (b / 1048576) / (s > 0 ? s : 0.01), r / 1024 }'
}

# ratio A B: how many times faster A ran than B (B's seconds over A's).
ratio() { awk -v a="${seconds[$1]}" -v b="${seconds[$2]}" 'BEGIN { printf "%.2f", b / a }'; }

echo
echo "| command (whole process) | seconds | MB/s of the file | peak RSS |"
echo "|---|---:|---:|---:|"
measure gzip1 'gzip -1' sh -c "gzip -1 -c '$file' > /dev/null"
measure gzip6 'gzip -6' sh -c "gzip -6 -c '$file' > /dev/null"
if command -v pigz > /dev/null; then
  measure pigz6 'pigz -p 2 (level 6)' sh -c "pigz -p 2 -6 -c '$file' > /dev/null"
  measure pigz1 'pigz -p 2 -1' sh -c "pigz -p 2 -1 -c '$file' > /dev/null"
fi
measure ship 'rawdata ship (to s3rver, STS and start-up included)' dotnet "$work/rawdata/rawdata.dll" ship --region us-east-1 --bucket "$bucket/compare" \
  --role-arn "$role_arn" --external-id "$external_id" --source-id compare --input "$file" \
  --endpoint-url "$s3_url" --sts-endpoint-url "$sts_url"
# The harness runs with the runtime settings rawdata's runtimeconfig has (rawdata.csproj), so both start alike.
jit_settings=(env DOTNET_TieredPGO=0 DOTNET_TC_QuickJitForLoops=0)
measure inproc1 'in-process BatchBuffer, 1 thread' "${jit_settings[@]}" dotnet "$work/bench/RawDataDestination.Benchmarks.dll" --append-file "$file" --threads 1
measure inproc2 'in-process BatchBuffer, CompressionThreads = 2' "${jit_settings[@]}" dotnet "$work/bench/RawDataDestination.Benchmarks.dll" --append-file "$file" --threads 2

# The in-process harness also times its appends alone (file already in memory, no start-up): the stricter baseline.
inside=$(grep -oE '= [0-9]+ MB/s' "$work/inproc1.out" | grep -oE '[0-9]+')
ship_mbs=$(awk -v s="${seconds[ship]}" -v b="$bytes" 'BEGIN { printf "%.0f", (b / 1048576) / s }')
echo
echo "| ratio (same run) | value | goal |"
echo "|---|---:|---:|"
echo "| ship ÷ gzip -6 | $(ratio ship gzip6)× | ≥ 2× |"
echo "| ship ÷ in-process BatchBuffer, 1 thread, whole process | $(ratio ship inproc1)× | ≥ 0.9× |"
echo "| ship ÷ in-process BatchBuffer, 1 thread, appends alone ($inside MB/s) | $(awk -v s="$ship_mbs" -v i="$inside" 'BEGIN { printf "%.2f", s / i }')× | ≥ 0.9× |"
echo "| in-process, CompressionThreads = 2 ÷ 1 | $(ratio inproc2 inproc1)× | |"

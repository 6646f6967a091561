#!/usr/bin/env bash
# Runs every test: installs the pinned local S3 server (s3rver) from tests/peers, then the unit and integration tests.
# The tests start and stop their own S3 and STS peers on loopback.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test RawDataDestination.sln -c Release --blame-hang-timeout 5m --blame-hang-dump-type none 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line for CI: "N passed, N failed".
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"

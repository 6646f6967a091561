#!/usr/bin/env bash
# Runs every test, unit and integration. It starts no server itself: the integration tests start and stop their own
# peers by PID, on free loopback ports. What they need, this script makes sure is installed:
# - moto (an AWS emulator: S3, STS, IAM, KMS), the AWS of the integration tests, run with IAM enforced through
#   tests/peers/moto-with-aws-rules.py (the `moto_server` command's package, for python3 or $MOTO_PYTHON);
#   installed with `pip install "moto[server]"` where it is missing;
# - s3rver (pinned in tests/peers, installed with npm ci), for the tests of the peers that benchmarks/compare-ship.sh uses.
# Prints each test as it finishes, then each failed test again with its message, and ends with one line for CI:
# "N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "Running every test: about 5 minutes on 2 cores (build included), one line per test as it finishes."

python="${MOTO_PYTHON:-python3}"
if ! "$python" -c 'import moto.server' 2>/dev/null; then
  echo "moto is missing for $python: pip install \"moto[server]\""
  "$python" -m pip install --quiet "moto[server]"
fi
echo "moto $("$python" -c 'import moto; print(moto.__version__)') ($python)"
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test RawDataDestination.sln -c Release --logger "console;verbosity=normal" \
  --blame-hang-timeout 5m --blame-hang-dump-type none 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line for CI: "N passed, N failed", from each test run's summary ("Passed: N", and "Failed: N" when
# any failed; the lines of single tests have no colon).
passed=$({ grep -oE '^ *Passed: +[0-9]+' "$log" || true; } | awk '{s+=$2} END {print s+0}')
failed=$({ grep -oE '^ *Failed: +[0-9]+' "$log" || true; } | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
# Each failed test again, with its message and the top of its stack (at most 40 lines each), just above the closing
# line: CI keeps only the end of the output, and a failure among 1,400 passes is otherwise out of sight.
if [ "$failed" -gt 0 ]; then
  echo "Failed tests, again:"
  awk '/^ +Failed [^:]/ {on=1; n=0} /^ +(Passed|Skipped) / {on=0} /^Test Run |^Total tests:/ {on=0}
       on && n < 40 {print; n++}' "$log"
fi
echo "$passed passed, $failed failed"
exit "$status"

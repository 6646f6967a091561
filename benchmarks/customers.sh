#!/usr/bin/env bash
# Issue 18's figures, measured in one run on this machine (benchmarks, not timed tests):
# 1. --customers: healthy customers' delivery time with K of N customers broken (failing at once, never answering until
#    cancelled, silent until a 10 s response timeout), without and with a spool, against a control with none broken, in
#    one process; N = 54 (50 + 4) and 500 (460 + 40). The whole run takes about 5 minutes (the 10,000 destinations'
#    idle timeout is a minute of it).
# 2. --destinations: memory for 10,000 customers' destinations, used once each, and after the idle timeout disposed them.
#   bash benchmarks/customers.sh            # CUSTOMER_SIZES=50+4,460+40 TENANTS=10000 IDLE_SECONDS=60
# Writes everything to benchmarks/results/customers.md; prints it too; then writes the README's figures from the results.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out=benchmarks/results/customers.md
mkdir -p benchmarks/results
dotnet build -c Release benchmarks/RawDataDestination.Benchmarks > /dev/null
run() { dotnet run -c Release --no-build --project benchmarks/RawDataDestination.Benchmarks -- "$@"; }
{
  echo "# Issue 18 figures: many customers in one process, one run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load average at start $(cut -d' ' -f1-3 /proc/loadavg); $(dotnet --version) SDK; \`bash benchmarks/customers.sh\`"
  echo
  echo "## Healthy customers with K of N broken (--customers)"
  echo
  run --customers --sizes "${CUSTOMER_SIZES:-50+4,460+40}" 2>&1
  echo
  echo "load average after --customers $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## ${TENANTS:-10000} customers' destinations, then idle (--destinations)"
  echo
  run --destinations --tenants "${TENANTS:-10000}" --idle "${IDLE_SECONDS:-60}" 2>&1
  echo
  echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
# The README's Performance section states these figures (and figures.sh's): carry the new results into it.
bash benchmarks/readme-figures.sh

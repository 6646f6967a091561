#!/usr/bin/env bash
# Issue 9's figures, measured in one run on this machine: the whole-process comparison (compare-ship.sh: rawdata ship
# against gzip -1, gzip -6, pigz -p 2 and the library in-process), many sources (1 to 10,000, one process per row, with
# the chart), and the cost of each pass against compress-only (CPU time, then wall time with one and two threads).
#   bash benchmarks/figures.sh            # EVENTS=500000 (a 200 MB file), RUNS=3, SOURCES_MB=116
# Writes everything to benchmarks/results/figures.md (and many-sources.md/.svg); prints it too. Then issue 18's figures
# (many customers, some broken; 10,000 customers' destinations): benchmarks/customers.sh, into results/customers.md, which
# ends by writing the README's figures from benchmarks/results (benchmarks/readme-figures.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out=benchmarks/results/figures.md
mkdir -p benchmarks/results
{
  echo "# Issue 9 figures, one run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load average at start $(cut -d' ' -f1-3 /proc/loadavg); $(dotnet --version) SDK"
  echo
  echo "## Whole process (benchmarks/compare-ship.sh)"
  EVENTS="${EVENTS:-500000}" RUNS="${RUNS:-3}" bash benchmarks/compare-ship.sh 2>&1 | grep -E '^(\||==|$)' | grep -v '^== Installing\|^== Building'
  echo
  echo "## Many sources (--sources)"
  echo
  dotnet run -c Release --project benchmarks/RawDataDestination.Benchmarks -- --sources --mb "${SOURCES_MB:-116}" --out benchmarks/results 2>&1 | grep -E '^(\||corpus|peak)'
  echo
  echo "## Passes (--passes)"
  echo
  dotnet run -c Release --project benchmarks/RawDataDestination.Benchmarks -- --passes 2>&1 | grep -E '^\||^$'
  echo
  echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
bash benchmarks/customers.sh

#!/usr/bin/env bash
# The README's measured figures come from benchmarks/results and from nowhere else. Each block of README.md between
#   <!-- results:NAME -->   and   <!-- /results:NAME -->
# is written by this script from the results files (figures.md from benchmarks/figures.sh, customers.md from
# benchmarks/customers.sh, levels.md with its provenance); the prose around the blocks states no measured figure of its own.
#   bash benchmarks/readme-figures.sh           # rewrites the blocks in README.md (run it after figures.sh or customers.sh)
#   bash benchmarks/readme-figures.sh --check   # writes nothing; exits 1 and shows the difference when README.md is stale
# ReadmeFiguresTests runs the check with the tests, so a hand edit inside a block, or new results not carried over,
# fail the suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results=benchmarks/results
figures="$results/figures.md"
customers="$results/customers.md"
readme="${README:-README.md}"

levels="$results/levels.md"

# section FILE HEADING: the lines of FILE under "## HEADING" (up to the next "## ").
section() {
  awk -v h="## $2" 'index($0, h) == 1 { on = 1; next } /^## / { on = 0 } on' "$1"
}

# cell: from a Markdown table on stdin, the cell in column COL (from 1) of the first row whose first cell starts with ROW,
# as a plain number (commas and the × sign removed). Fails when there is none.
cell() {
  awk -F'|' -v row="$1" -v col="$2" '
    { first = $2; gsub(/^ +| +$/, "", first) }
    index(first, row) == 1 { v = $(col + 1); gsub(/[ ,×]/, "", v); print v; found = 1; exit }
    END { if (!found) { print "no row \"" row "\"" > "/dev/stderr"; exit 1 } }'
}

# verdict VALUE OP LIMIT: yes or no.
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; print ok ? "yes" : "no" }'; }

# A run's first line after its title: date, cores, load average and SDK.
run_line() { awk 'NR > 1 && NF { print; exit }' "$1"; }

whole=$(section "$figures" "Whole process")
sources=$(section "$figures" "Many sources")
passes=$(section "$figures" "Passes")
level_table=$(grep -E '^\|' "$levels")
kofn=$(section "$customers" "Healthy customers with K of N broken")
destinations=$(awk '/^## [0-9]+ customers. destinations/ { on = 1; next } /^## / { on = 0 } on' "$customers")

block_run() {
  echo "Measured by \`bash benchmarks/figures.sh\` on this project's shared machine, $(run_line "$figures")."
  echo "The tables of the passes, many sources and whole processes are copied from \`benchmarks/results/figures.md\` by"
  echo "\`benchmarks/readme-figures.sh\`; each ratio compares rows of the same run."
}

block_goals() {
  local five_throughput five_memory ship_gzip ship_whole ship_appends enc_cpu enc_wall threads
  five_throughput=$(cell "5,000" 4 <<< "$sources")
  five_memory=$(cell "5,000" 10 <<< "$sources")
  ship_gzip=$(cell "ship ÷ gzip -6" 2 <<< "$whole")
  ship_whole=$(cell "ship ÷ in-process BatchBuffer, 1 thread, whole process" 2 <<< "$whole")
  ship_appends=$(cell "ship ÷ in-process BatchBuffer, 1 thread, appends alone" 2 <<< "$whole")
  enc_cpu=$(cell "GzipNdjsonEncoder.AppendAsync" 3 <<< "$passes")
  enc_wall=$(cell "GzipNdjsonEncoder, 1 thread" 3 <<< "$passes")
  threads=$(grep -oE 'encoder [0-9.]+×' <<< "$passes" | grep -oE '[0-9.]+')
  echo "| goal (issue 9) | measured in | met |"
  echo "|---|---|:---:|"
  echo "| 5,000 sources (20,000 open batches) at ≥ 0.7× one source's throughput | [many sources](#memory-per-open-batch-lines-first-a-compressor-only-for-large-batches): row 5,000, \"vs 1 source\" | $(verdict "$five_throughput" ">=" 0.7) |"
  echo "| working set growth ≤ 2× the NDJSON held open, 5,000 sources | the same row, \"÷ NDJSON held open\" | $(verdict "$five_memory" "<=" 2) |"
  echo "| \`rawdata ship\`, whole process, ≥ 0.9× the in-process \`BatchBuffer\` on the same file | [whole process](#whole-process-rawdata-ship-against-gzip-and-pigz): the ratios \"ship ÷ in-process BatchBuffer\", whole process / appends alone | $(verdict "$ship_whole" ">=" 0.9) / $(verdict "$ship_appends" ">=" 0.9) |"
  echo "| \`rawdata ship\` ≥ 2× \`gzip -6\` on the same file | the ratio \"ship ÷ gzip -6\" | $(verdict "$ship_gzip" ">=" 2) |"
  echo "| encoder ≥ 0.6× compress-only, \`Fastest\`, 1 thread | [passes](#what-an-event-costs-one-pass): \`GzipNdjsonEncoder\`, \"÷ compress-only\", CPU time / wall time | $(verdict "$enc_cpu" ">=" 0.6) / $(verdict "$enc_wall" ">=" 0.6) |"
  echo "| two compression threads ≥ 1.8× one | the last row of the wall-time passes: encoder | $(verdict "$threads" ">=" 1.8) |"
  echo "| 0 bytes allocated per event on the append path, steady state | \`BatchBufferAllocationTests\` (a test, so it holds on every run) | yes |"
}

block_passes() { grep -E '^\||^$' <<< "$passes" | sed '/./,$!d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }

block_sources() {
  echo "From \`--sources\` in the same run: $(grep -E '^corpus' <<< "$sources" | sed 's/^corpus: //')."
  echo "Each source's events are spread over its days, one open batch per source and day (\`MaxOpenBatches\` is raised"
  echo "where a row needs more than its default), appended round-robin; the consumer discards. Peak: $(grep -E '^peak' <<< "$sources" | sed 's/^peak: //')."
  echo
  grep -E '^\|' <<< "$sources"
}

block_whole() {
  local head events mb
  head=$(grep -E '^== ' <<< "$whole" | sed 's/^== //')
  events=$(awk '{ print $1 }' <<< "$head")
  mb=$(awk '{ print $3 }' <<< "$head" | tr -d ';')
  echo "From \`compare-ship.sh\` in the same run (\`EVENTS=$events\`): a file of $(awk -v n="$events" 'BEGIN { s = n; while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }') events made by \`rawdata generate\`,"
  echo "$mb MB ($(awk -v m="$mb" -v e="$events" 'BEGIN { printf "%.0f", m * 1048576 / e }') bytes an event); MB/s divides that file's size; ${head#*; }."
  echo
  grep -E '^\||^$' <<< "$whole" | sed '/./,$!d'
}

block_customers() {
  echo "Measured by \`bash benchmarks/customers.sh\`, $(run_line "$customers" | sed 's/; `bash benchmarks\/customers.sh`//'); copied from"
  echo "\`benchmarks/results/customers.md\` by \`benchmarks/readme-figures.sh\`."
  echo
  echo "**Healthy customers with K of N broken** (\`--customers\`): $(grep -m1 -vE '^\||^$|^load' <<< "$kofn")."
  echo
  grep -E '^\|' <<< "$kofn"
  echo
  grep -vE '^\||^$|^load' <<< "$kofn" | sed -n '2,$p' | sed 's/$/./'
  echo
  echo "**10,000 customers' destinations, then idle** (\`--destinations\`): $(grep -m1 -vE '^\||^$|^load' <<< "$destinations")."
  echo
  grep -E '^\|' <<< "$destinations"
}

block_levels() {
  echo "Our encoder at each level, from \`benchmarks/results/levels.md\`: two BenchmarkDotNet runs of"
  echo "\`CompressionLevelBenchmarks\` (32 MB corpus, one thread; the file says when, at which commit and under what load):"
  echo
  echo "$level_table"
}

block_on_paper() {
  local event enc1 enc2 ratio_fastest ratio_optimal
  ratio_fastest=$(cell "Fastest" 3 <<< "$level_table")
  ratio_optimal=$(cell "Optimal" 3 <<< "$level_table")
  event=$(grep -oE '[0-9]+ bytes per event' <<< "$sources" | grep -oE '^[0-9]+')
  enc1=$(cell "GzipNdjsonEncoder, 1 thread" 2 <<< "$passes")
  enc2=$(cell "ParallelGzipNdjsonEncoder, 2 threads" 2 <<< "$passes")
  awk -v ev="$event" -v e1="$enc1" -v e2="$enc2" -v rf="$ratio_fastest" -v ro="$ratio_optimal" '
    function ceil(x) { return x == int(x) ? x : int(x) + 1 }
    function commas(n,   s) { s = sprintf("%.0f", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    BEGIN {
      mib = 1048576
      in_mb = ev * 1e6 / mib                      # MB/s (2^20) of NDJSON at 1,000,000 events/s
      gbit_in = ev * 1e6 * 8 / 1e9
      cores = in_mb / e1
      hosts_full = in_mb / e2
      hosts = ceil(hosts_full / 0.5)
      cores_plan = ceil(cores / 0.5)
      nics = ceil(gbit_in / 5)
      out_mb = in_mb / rf
      gbit_out = out_mb * mib * 8 / 1e9
      puts = in_mb / 100
      smallest_kb = in_mb / 3500 * 1024
      larger = 100 * 1024 / smallest_kb
      tb = 1e9 * ev / 1e12
      puts_per_billion = 1e9 * ev / (100 * mib)
      storage_gb = 1e9 * ev / rf / 1e9
      per_day = 86.4
      printf "The inputs, each with its source:\n\n"
      printf "| figure | source |\n|---|---|\n"
      printf "| event size, as sent | the corpus line of [many sources](#memory-per-open-batch-lines-first-a-compressor-only-for-large-batches) |\n"
      printf "| encoder throughput, 1 thread, per core (MB = 2^20 bytes of compact NDJSON) | [passes](#what-an-event-costs-one-pass), wall time: `GzipNdjsonEncoder`, 1 thread |\n"
      printf "| encoder throughput, 2 threads, per 2-core host | the same table: `ParallelGzipNdjsonEncoder`, 2 threads |\n"
      printf "| gzip ratio, `Fastest` (`Optimal` for the last line), applied to the input as sent, which overstates the compressed size a little | [Levels](#levels) |\n"
      printf "| batch size: 100 MB of NDJSON | `BatchBufferOptions.MaxBatchBytes` default (100 × 2^20 bytes) |\n"
      printf "| S3 request limit: at least 3,500 PUT/COPY/POST/DELETE per second per partitioned prefix | AWS, *Best practices design patterns: optimizing Amazon S3 performance* (S3 User Guide) |\n"
      printf "| S3 prices, S3 Standard, US East (N. Virginia): PUT $0.005 per 1,000 requests; storage $0.023 per GB-month (first 50 TB); data transfer in $0 | AWS, *Amazon S3 pricing* (aws.amazon.com/s3/pricing): long-standing list prices; check the page before budgeting |\n\n"
      printf "The arithmetic:\n\n"
      printf "- **Input:** 1,000,000 events/s × %d bytes = %d MB/s (10^6) ≈ **%.0f MB/s** (2^20) ≈ %.1f Gbit/s.\n", ev, ev, in_mb, gbit_in
      printf "- **Cores:** %.0f ÷ %d = **%.1f cores** of encoding at 100%%. With 2-core hosts running 2 compression threads,\n", in_mb, e1, cores
      printf "  %.0f ÷ %d = %.1f hosts at 100%%. The benchmark leaves out receiving the events (HTTP or Kafka), TLS, and the PUTs, so\n", in_mb, e2, hosts_full
      printf "  plan for 50%% CPU: **%d two-core hosts** (or %d cores however packaged). The network: %.1f Gbit/s in, with a 10 Gbit/s\n", hosts, cores_plan, gbit_in
      printf "  NIC kept under half its rate, takes at least %d hosts. With Kafka, give the topic at least as many partitions as\n", nics
      printf "  workers, with room to add workers later.\n"
      printf "- **Output:** %.0f ÷ %.2f ≈ %.0f MB/s compressed ≈ %.1f Gbit/s to S3.\n", in_mb, rf, out_mb, gbit_out
      printf "- **S3 request rate:** %.0f MB/s ÷ 100 MB per batch ≈ **%.0f PUT/s** for the whole bucket, %.1f%% of a single prefix%ss\n", in_mb, puts, puts / 3500 * 100, "\047"
      printf "  3,500 PUT/s. Every source and day is a prefix of its own (`segment-logs/{source}/{day}/`), which only adds headroom.\n"
      printf "  One prefix would be saturated only if objects shrank below %.0f MB/s ÷ 3,500 ≈ %.0f KB each, and full batches are\n", in_mb, smallest_kb
      printf "  about %.0f times larger. Small objects come from hourly seals of small sources, and those add few requests.\n", larger
      printf "- **Cost per billion events:** 10^9 × %d bytes = %.2f TB of NDJSON.\n", ev, tb
      printf "  - Requests: %.2f TB ÷ 100 MB ≈ %s PUTs × $0.005 / 1,000 ≈ **$%.3f**.\n", tb, commas(puts_per_billion), puts_per_billion * 0.005 / 1000
      printf "  - Storage: %.2f TB ÷ %.2f ≈ %.0f GB × $0.023 ≈ **$%.2f per month** for as long as it is kept.\n", tb, rf, storage_gb, storage_gb * 0.023
      printf "  - Data transfer into S3 is free.\n"
      printf "  - At 1 million events/s (%.1f billion a day), that is ≈ $%.2f a day of PUTs and ≈ %.1f TB more storage a day, or\n", per_day, per_day * puts_per_billion * 0.005 / 1000, per_day * storage_gb / 1000
      printf "    ≈ $%.0f per month for each day kept, at the first-tier rate (larger volumes are billed a little less per GB).\n\n", per_day * storage_gb * 0.023
      printf "Storage, not requests, is the cost that grows, and the compression level moves it: `Optimal` stores %.0f%% less\n", (1 - rf / ro) * 100
      printf "than `Fastest`, at the throughput [Levels](#levels) gives each.\n"
    }'
}

generate() {
  case "$1" in
    run) block_run ;;
    goals) block_goals ;;
    passes) block_passes ;;
    sources) block_sources ;;
    whole-process) block_whole ;;
    customers) block_customers ;;
    levels) block_levels ;;
    on-paper) block_on_paper ;;
    *) echo "README.md has a block <!-- results:$1 --> that $0 does not know" >&2; exit 1 ;;
  esac
}

# Rewrite every block; the README's other lines pass through unchanged.
written="$(mktemp)"
trap 'rm -f "$written"' EXIT
{
  inside=""
  while IFS= read -r line || [ -n "$line" ]; do
    if [ -n "$inside" ]; then
      if [ "$line" = "<!-- /results:$inside -->" ]; then
        printf '%s\n' "$line"
        inside=""
      fi
      continue
    fi
    printf '%s\n' "$line"
    if [[ "$line" =~ ^'<!-- results:'([a-z-]+)' -->'$ ]]; then
      inside="${BASH_REMATCH[1]}"
      generate "$inside"
    fi
  done < "$readme"
  if [ -n "$inside" ]; then
    echo "README.md: <!-- results:$inside --> has no <!-- /results:$inside -->" >&2
    exit 1
  fi
} > "$written"

if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$readme" "$written" > /dev/null; then
    echo "README.md's figures differ from benchmarks/results: run 'bash benchmarks/readme-figures.sh' (never edit inside a <!-- results:... --> block)." >&2
    diff -u "$readme" "$written" >&2 || true
    exit 1
  fi
  exit 0
fi
cp "$written" "$readme"

#!/usr/bin/env bash
# Measures kam at the issues' scale on `kam gen` data, on SQLite and on MariaDB,
# with the real binary under /usr/bin/time -v (wall time and peak RSS).
# Prints one markdown table row per figure; docs/BENCHMARKS.md quotes them.
#
#   scripts/bench.sh ingest    # 1,000,000-row revenue CSV and 200,000-row revenue .xlsx
#   scripts/bench.sh jobs      # 200,000 customers x 12 months: grade, splits for one month
#   scripts/bench.sh all
#
# MariaDB: KAM_BENCH_MYSQL (default root@tcp(127.0.0.1:3306)) gets a kam_bench database, dropped first.
set -euo pipefail
cd "$(dirname "$0")/.."
KAM="$PWD/bin/kam"
OUT="${BENCH_OUT:-$PWD/bench-out}"
MYSQL_SERVER="${KAM_BENCH_MYSQL:-root@tcp(127.0.0.1:3306)}"
END="${BENCH_END:-2026-10}"
STORES="${BENCH_STORES:-sqlite mariadb}"
mkdir -p "$OUT"
[ -x "$KAM" ] || go build -o "$KAM" ./cmd/kam

# fresh_store NAME STORE: an empty working folder (and database) with a config pointing at it.
fresh_store() {
  local dir="$OUT/$1-$2"
  rm -rf "$dir"; mkdir -p "$dir/var/inbox"
  if [ "$2" = mariadb ]; then
    mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS kam_bench; CREATE DATABASE kam_bench CHARACTER SET utf8mb4"
    printf 'db:\n  dsn: "mysql://%s/kam_bench"\nlog:\n  format: json\n' "$MYSQL_SERVER" > "$dir/kam.yaml"
  else
    printf 'log:\n  format: json\n' > "$dir/kam.yaml"
  fi
  echo "$dir"
}

# div A B: A / B as a float (B may be an expression such as "5000 / 1000").
div() { awk "BEGIN { print $1 / ($2) }"; }

# timed DIR LABEL CMD...: runs a kam command in DIR under /usr/bin/time; sets SECS and RSS_MB.
timed() {
  local dir="$1" label="$2"; shift 2
  (cd "$dir" && /usr/bin/time -v "$@" > "$label.out" 2> "$label.err") || { tail -20 "$dir/$label.err" >&2; return 1; }
  SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$dir/$label.err")
  RSS_MB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$dir/$label.err")
}

bench_ingest() { # NAME STORE CUSTOMERS GENFLAGS...
  local name="$1" store="$2" customers="$3"; shift 3
  local dir; dir=$(fresh_store "$name" "$store")
  local gen="$OUT/gen-$name"
  if [ ! -d "$gen" ]; then
    "$KAM" gen --out "$gen" --customers "$customers" --months 1 --end "$END" --seed 1 "$@" > /dev/null
  fi
  cp "$gen"/* "$dir/var/inbox/"
  mkdir -p "$dir/hold" && mv "$dir"/var/inbox/revenue_* "$dir/hold/"
  (cd "$dir" && "$KAM" --config kam.yaml ingest > /dev/null 2>&1)      # reference data first
  mv "$dir"/hold/* "$dir/var/inbox/" && sleep 2.1                        # past the quiet period
  timed "$dir" ingest "$KAM" --config kam.yaml ingest
  local rows; rows=$(grep -o '"rows":[0-9]*' "$dir/ingest.err" | head -1 | cut -d: -f2)
  local file_rate; file_rate=$(grep -o '"rows_per_s":[0-9.]*' "$dir/ingest.err" | head -1 | cut -d: -f2)
  printf '| %s | %s | %s | %.1f s | %.0f | %.0f | %s MB |\n' "$name" "$store" "$rows" "$SECS" \
    "$file_rate" "$(div "$rows" "$SECS")" "$RSS_MB"
}

bench_jobs() { # STORE
  local store="$1" dir; dir=$(fresh_store jobs "$store")
  local gen="$OUT/gen-jobs"
  if [ ! -d "$gen" ]; then
    "$KAM" gen --out "$gen" --customers 200000 --months 12 --end "$END" --seed 1 > /dev/null
  fi
  cp "$gen"/* "$dir/var/inbox/" && sleep 2.1
  timed "$dir" load "$KAM" --config kam.yaml ingest
  local rows; rows=$(grep -o '"kind":"revenue","outcome":"loaded","rows":[0-9]*' "$dir/load.err" | awk -F: '{s+=$NF} END {print s}')
  printf '| load 200k x 12 | %s | %s revenue rows | %.1f s | %.0f rows/s | %s MB |\n' "$store" "$rows" "$SECS" "$(div "$rows" "$SECS")" "$RSS_MB"
  local quarter; quarter=$(date -d "${END}-01" +%Y)Q$(( ($(date -d "${END}-01" +%-m) - 1) / 3 + 1 ))
  [ "$(( $(date -d "${END}-01" +%-m) % 3 ))" = 0 ] || quarter=$(date -d "${END}-01 -3 months" +%Y)Q$(( ($(date -d "${END}-01 -3 months" +%-m) - 1) / 3 + 1 ))
  for job in "grade --period $quarter" "splits --period $END"; do
    local label; label=$(echo "$job" | cut -d' ' -f1)
    # shellcheck disable=SC2086
    timed "$dir" "$label" "$KAM" --config kam.yaml run $job
    printf '| %s | %s | %s | %.1f s | | %s MB |\n' "run $job" "$store" "$(head -1 "$dir/$label.out")" "$SECS" "$RSS_MB"
  done
}

what="${1:-all}"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(go version | cut -d' ' -f3), end month $END"
if [ "$what" = ingest ] || [ "$what" = all ]; then
  echo "| file | store | rows | kam ingest wall | rows/s (file) | rows/s (whole run) | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  for s in $STORES; do bench_ingest revenue-csv-1M "$s" "${BENCH_CSV_CUSTOMERS:-129000}"; done
  for s in $STORES; do bench_ingest revenue-xlsx-200k "$s" "${BENCH_XLSX_CUSTOMERS:-25800}" --revenue-xlsx; done
fi
if [ "$what" = jobs ] || [ "$what" = all ]; then
  echo "| step | store | result | wall | throughput | peak RSS |"
  echo "|---|---|---|---|---|---|"
  for s in $STORES; do bench_jobs "$s"; done
fi

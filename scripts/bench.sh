#!/usr/bin/env bash
# Measures kam at the issues' scale on `kam gen` data, on SQLite and on MariaDB,
# with the real binary under /usr/bin/time -v (wall time and peak RSS).
# Prints one markdown table row per figure; docs/BENCHMARKS.md quotes them.
#
#   scripts/bench.sh ingest    # 1,000,000-row revenue CSV and 200,000-row revenue .xlsx
#   scripts/bench.sh jobs      # 200,000 customers x 12 months: grade, splits for one month
#   scripts/bench.sh all
#   scripts/bench.sh compare   # make bench: kam against sqlite3 .import, LOAD DATA LOCAL and pandas,
#                              # at BENCH_SCALES (default "1 2 4") x 50,000 customers x 12 months
#   scripts/bench.sh tree      # issue 28: sqlite3 .import into today's revenue table, without its second
#                              # index, and into one B-tree keyed (month, customer_id, …)
#
# MariaDB: KAM_BENCH_MYSQL (default root@tcp(127.0.0.1:3306)) gets a kam_bench database, dropped first;
# compare uses the mysql client as root on 127.0.0.1:3306 (KAM_BENCH_MYSQL_ARGS to change that).
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


# ---- compare: kam against the databases' own loaders and pandas, side by side in one run ----

read -r -a MYSQL_ARGS <<< "${KAM_BENCH_MYSQL_ARGS:--uroot -h127.0.0.1 -P3306}"
SCALES="${BENCH_SCALES:-1 2 4}"
BASE_CUSTOMERS="${BENCH_BASE_CUSTOMERS:-50000}"

# need_tools: the sqlite3 shell, pandas and an xlsx writer for it, from Debian, installed when missing.
need_tools() {
  local pkgs=()
  command -v sqlite3 > /dev/null || pkgs+=(sqlite3)
  /usr/bin/python3 -c 'import pandas' 2> /dev/null || pkgs+=(python3-pandas)
  /usr/bin/python3 -c 'import xlsxwriter' 2> /dev/null || pkgs+=(python3-xlsxwriter)
  command -v mysql > /dev/null || pkgs+=(mariadb-client)
  [ ${#pkgs[@]} = 0 ] && return 0
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${pkgs[*]}" >&2
  $sudo apt-get install -y "${pkgs[@]}" >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y "${pkgs[@]}" >&2; }
}

# gen_dir X: where kam gen's data for scale X is kept (named by its size, so a changed base is regenerated).
gen_dir() { echo "$OUT/gen-$(( BASE_CUSTOMERS * $1 ))x12-$END"; }
conv_dir() { echo "$OUT/conv-$(( BASE_CUSTOMERS * $1 ))x12-$END"; }

# gen_scale X: kam gen's X x 50,000 customers x 12 months, once (kept in bench-out/ between runs).
gen_scale() {
  local dir; dir=$(gen_dir "$1")
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    "$KAM" gen --out "$dir" --customers $(( BASE_CUSTOMERS * $1 )) --months 12 --end "$END" --seed 1 > /dev/null
    touch "$dir/.complete"
  fi
}

# to_tsv CSV FILEID: a revenue CSV of kam gen's as the revenue table stores it (month yyyymm, amount in fen),
# tab-separated in the table's column order; converted independently of kam, so the sums check both.
to_tsv() {
  local enc=GB18030
  [ "$(head -c3 "$1" | od -An -tx1 | tr -d ' \n')" = efbbbf ] && enc=UTF-8
  iconv -f "$enc" -t UTF-8 "$1" | LC_ALL=C awk -v fid="$2" '
    NR == 1 { next }
    {
      sub(/\r$/, ""); if ($0 == "") next
      n = index($0, ","); cust = substr($0, 1, n - 1); r = substr($0, n + 1)
      n = index(r, ","); mon = substr(r, 1, n - 1); r = substr(r, n + 1)
      n = index(r, ","); line = substr(r, 1, n - 1); r = substr(r, n + 1)
      n = index(r, ","); unit = substr(r, 1, n - 1); amt = substr(r, n + 1)
      m = substr(mon, 6); gsub(/[^0-9]/, "", m)            # 2026-10 or 2026年10月
      gsub(/["]/, "", amt); gsub(/,/, "", amt); gsub(/\302\245/, "", amt); gsub(/\./, "", amt)
      neg = substr(amt, 1, 1) == "-"; if (neg) amt = substr(amt, 2)
      sub(/^0+/, "", amt); if (amt == "") amt = "0"; if (neg) amt = "-" amt
      seq++
      printf "%s%02d\t%s\t%s\t%d\t%s\t%s\t%s\n", substr(mon, 1, 4), m, line, fid, seq, cust, unit, amt
    }'
}

convert_scale() { # X
  local gen dir; gen=$(gen_dir "$1"); dir=$(conv_dir "$1")
  [ -f "$dir/.complete" ] && return 0
  rm -rf "$dir"; mkdir -p "$dir"
  local i=0 f pids=()
  for f in "$gen"/revenue_*.csv; do
    i=$(( i + 1 ))
    to_tsv "$f" "$i" > "$dir/$(basename "$f" .csv).tsv" & pids+=($!)
    if [ ${#pids[@]} -ge "$(nproc)" ]; then wait "${pids[@]}"; pids=(); fi
  done
  [ ${#pids[@]} = 0 ] || wait "${pids[@]}"
  touch "$dir/.complete"
}

# revenue_schema DIALECT: the revenue table and its indexes as kam's migrations create them.
revenue_schema() {
  local m="store/migrations/$1"
  sed -n '/^CREATE TABLE \(IF NOT EXISTS \)\{0,1\}revenue (/,/^)/p' "$m"/*.sql
  grep -h '^CREATE INDEX.* ON revenue ' "$m"/*.sql
}

# mariadb_settle: wait (at most 60 s) for InnoDB to write out the previous stage's dirty pages,
# so each timed MariaDB stage starts from the same quiet server.
# (InnoDB leaves up to about 10% of the pool dirty when idle, so that is the bar.)
mariadb_settle() {
  local i dirty total
  for i in $(seq 60); do
    read -r dirty total < <(mysql "${MYSQL_ARGS[@]}" -N -e "SHOW GLOBAL STATUS WHERE Variable_name IN
      ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')" | awk '{v[$1] = $2}
      END {print v["Innodb_buffer_pool_pages_dirty"] + 0, v["Innodb_buffer_pool_pages_total"] + 0}')
    [ "$dirty" -le $(( total / 10 )) ] && return 0
    sleep 1
  done
}

declare -A R_ROWS R_SECS R_RSS R_NOTE
record() { # KEY ROWS  (after timed)
  R_ROWS[$1]=$2; R_SECS[$1]=$SECS; R_RSS[$1]=$RSS_MB
}

# quarter: the last complete quarter at the end month (the grade job's default period).
quarter_of_end() {
  local y m; y=$(date -d "${END}-01" +%Y); m=$(date -d "${END}-01" +%-m)
  local q=$(( m / 3 ))
  if [ "$q" = 0 ]; then echo "$(( y - 1 ))Q4"; else echo "${y}Q$q"; fi
}

compare_store() { # X STORE
  local x="$1" store="$2" dir; dir=$(fresh_store "compare-x$x" "$store")
  local gen conv k="$store|$x" period; gen=$(gen_dir "$x"); conv=$(conv_dir "$x"); period=$(quarter_of_end)
  echo "  x$x $store: reference data" >&2
  cp "$gen"/*.xlsx "$dir/var/inbox/" && sleep 2.1
  [ "$store" = mariadb ] && mariadb_settle
  timed "$dir" ref "$KAM" --config kam.yaml ingest
  record "$k|ref" "$(grep -o '"outcome":"loaded","rows":[0-9]*' "$dir/ref.err" | awk -F: '{s+=$NF} END {print s}')"

  echo "  x$x $store: kam ingest of the revenue CSVs" >&2
  cp "$gen"/revenue_*.csv "$dir/var/inbox/" && sleep 2.1
  [ "$store" = mariadb ] && mariadb_settle
  timed "$dir" ingest "$KAM" --config kam.yaml ingest
  local rows; rows=$(grep -o '"kind":"revenue","outcome":"loaded","rows":[0-9]*' "$dir/ingest.err" | awk -F: '{s+=$NF} END {print s}')
  record "$k|ingest" "$rows"

  local kam_sum load_sum
  if [ "$store" = sqlite ]; then
    kam_sum=$(sqlite3 "$dir/var/kam.db" "SELECT COUNT(*) || ' ' || SUM(amount) FROM revenue")
    echo "  x$x $store: sqlite3 .import" >&2
    { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
      revenue_schema sqlite
      echo ".mode tabs"
      for f in "$conv"/*.tsv; do echo ".import '$f' revenue"; done
    } > "$dir/import.sql"
    rm -f "$dir/import.db"
    timed "$dir" import sqlite3 "$dir/import.db" ".read $dir/import.sql"
    load_sum=$(sqlite3 "$dir/import.db" "SELECT COUNT(*) || ' ' || SUM(amount) FROM revenue")
    record "$k|import" "${load_sum% *}"
    rm -f "$dir/import.db"*
  else
    kam_sum=$(mysql "${MYSQL_ARGS[@]}" -N kam_bench -e "SELECT CONCAT(COUNT(*), ' ', SUM(amount)) FROM revenue")
    echo "  x$x $store: LOAD DATA LOCAL INFILE" >&2
    mysql "${MYSQL_ARGS[@]}" kam_bench -e "DROP TABLE IF EXISTS revenue_load; CREATE TABLE revenue_load LIKE revenue"
    for f in "$conv"/*.tsv; do
      echo "LOAD DATA LOCAL INFILE '$f' INTO TABLE revenue_load CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' LINES TERMINATED BY '\n' (month, business_line, file_id, seq, customer_id, unit_code, amount);"
    done > "$dir/load.sql"
    mariadb_settle
    timed "$dir" import mysql --local-infile=1 "${MYSQL_ARGS[@]}" kam_bench -e "source $dir/load.sql"
    load_sum=$(mysql "${MYSQL_ARGS[@]}" -N kam_bench -e "SELECT CONCAT(COUNT(*), ' ', SUM(amount)) FROM revenue_load")
    record "$k|import" "${load_sum% *}"
    mysql "${MYSQL_ARGS[@]}" kam_bench -e "DROP TABLE revenue_load"
  fi
  if [ "$kam_sum" = "$load_sum" ]; then R_NOTE[$k|import]="same rows and Σ amount as kam's: ${load_sum#* } fen"
  else R_NOTE[$k|import]="DIFFERENT: kam $kam_sum, loader $load_sum"; echo "row count / sum differ: kam $kam_sum, loader $load_sum" >&2; fi

  echo "  x$x $store: kam run grade $period, twice" >&2
  [ "$store" = mariadb ] && mariadb_settle
  timed "$dir" grade "$KAM" --config kam.yaml run grade --period "$period"
  record "$k|grade" "$(grep -o '分级 [0-9,]* 户' "$dir/grade.out" | head -1 | tr -dc 0-9)"
  R_NOTE[$k|grade]=$(head -1 "$dir/grade.out" | sed 's/^grade [^：]*：//')
  R_ROWS[$k|e2e]=${R_ROWS[$k|grade]}
  R_SECS[$k|e2e]=$(awk "BEGIN { print ${R_SECS[$k|ref]} + ${R_SECS[$k|ingest]} + ${R_SECS[$k|grade]} }")
  R_RSS[$k|e2e]=$(printf '%s\n' "${R_RSS[$k|ref]}" "${R_RSS[$k|ingest]}" "${R_RSS[$k|grade]}" | sort -n | tail -1)
  [ "$store" = mariadb ] && mariadb_settle
  timed "$dir" regrade "$KAM" --config kam.yaml run grade --period "$period"
  record "$k|regrade" "${R_ROWS[$k|grade]}"
}

compare_pandas() { # X
  local x="$1" dir="$OUT/compare-x$1-pandas"
  rm -rf "$dir"; mkdir -p "$dir"
  echo "  x$x pandas" >&2
  timed "$dir" pandas /usr/bin/python3 "$PWD/scripts/bench_pandas.py" "$(gen_dir "$x")" "$(quarter_of_end)" "$dir/grades.xlsx"
  record "pandas|$x|pandas" "$(grep -o 'graded [0-9]*' "$dir/pandas.out" | tr -dc 0-9)"
  R_NOTE[pandas|$x|pandas]=$(head -1 "$dir/pandas.out")
}

ratio() { awk "BEGIN { printf \"%.2f\", $1 / ($2) }"; }
fmt_int() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }

# row STORE X STAGEKEY LABEL RATIO: one line of the table.
row() {
  local k="$1|$2|$3" rows secs rss rate growth=""
  rows=${R_ROWS[$k]:-}; secs=${R_SECS[$k]}; rss=${R_RSS[$k]}
  rate=""; if [ -n "$rows" ] && [ "$3" != grade ] && [ "$3" != regrade ] && [ "$3" != e2e ]; then rate=$(fmt_int "$(awk "BEGIN { printf \"%d\", $rows / $secs }")"); fi
  if [ "$2" != "$FIRST_SCALE" ] && [ -n "${R_SECS[$1|$FIRST_SCALE|$3]:-}" ]; then
    growth="$(ratio "$secs" "${R_SECS[$1|$FIRST_SCALE|$3]}")× (data $(( $2 / FIRST_SCALE ))×)"
  fi
  printf '| %s× | %s | %s | %s | %.1f s | %s | %s MB | %s | %s |\n' "$2" "$1" "$4" "$(fmt_int "${rows:-0}")" "$secs" "$rate" "$rss" "$5" "$growth"
}

bench_compare() {
  need_tools
  FIRST_SCALE=${SCALES%% *}
  local x s
  for x in $SCALES; do
    echo "scale ${x}x: kam gen, conversion for the loaders" >&2
    gen_scale "$x"; convert_scale "$x"
    compare_pandas "$x"
    for s in $STORES; do compare_store "$x" "$s"; done
  done
  echo "| scale | store | stage | rows | wall | rows/s | peak RSS | ratio (same run) | wall growth vs ${FIRST_SCALE}× |"
  echo "|---|---|---|---|---|---|---|---|---|"
  local loader k
  for x in $SCALES; do
    row pandas "$x" pandas "pandas files → grades (\`scripts/bench_pandas.py\`)" "${R_NOTE[pandas|$x|pandas]}"
    for s in $STORES; do
      k="$s|$x"; loader=".import"; [ "$s" = mariadb ] && loader="LOAD DATA"
      row "$s" "$x" ref "kam ingest: units … targets (6 .xlsx)" ""
      row "$s" "$x" ingest "kam ingest: revenue (12 CSV)" \
        "kam/$loader: **$(ratio "${R_SECS[$k|ingest]}" "${R_SECS[$k|import]}")×** the time (speed $(ratio "${R_SECS[$k|import]}" "${R_SECS[$k|ingest]}")×)"
      if [ "$s" = sqlite ]; then row "$s" "$x" import "sqlite3 .import, same rows, same 2 indexes" "${R_NOTE[$k|import]}"
      else row "$s" "$x" import "LOAD DATA LOCAL INFILE, same rows, same 2 indexes" "${R_NOTE[$k|import]}"; fi
      row "$s" "$x" grade "kam run grade $(quarter_of_end)" "${R_NOTE[$k|grade]}"
      row "$s" "$x" e2e "kam files → grades (ingest all + grade)" \
        "kam/pandas: **$(ratio "${R_SECS[$k|e2e]}" "${R_SECS[pandas|$x|pandas]}")×** the time"
      row "$s" "$x" regrade "kam run grade again" \
        "pandas/kam: **$(ratio "${R_SECS[pandas|$x|pandas]}" "${R_SECS[$k|regrade]}")×** faster than pandas from the files"
    done
  done
  targets
}

# verdict VALUE OP LIMIT: "met" or "missed" for VALUE compared with LIMIT.
verdict() { awk "BEGIN { if ($1 $2 $3) print \"met\"; else print \"**missed**\" }"; }

# targets: each of issue 16's targets, at every scale measured, from the figures above.
targets() {
  local x s k v line last=${SCALES##* } st
  echo
  echo "Targets (issue 16), each from the table above:"
  for s in $STORES; do
    if [ "$s" = sqlite ]; then line="- SQLite ingest ≥ 0.8× the speed of sqlite3 .import:"; else line="- MariaDB ingest ≥ 0.9× the speed of LOAD DATA LOCAL:"; fi
    for x in $SCALES; do
      k="$s|$x"; v=$(ratio "${R_SECS[$k|import]}" "${R_SECS[$k|ingest]}")
      line+=" ${x}× $v $(verdict "$v" ">=" "$([ "$s" = sqlite ] && echo 0.8 || echo 0.9)");"
    done
    echo "${line%;}"
  done
  for s in $STORES; do
    line="- $s files → grades workbook ≤ 2× pandas' time:"
    for x in $SCALES; do
      v=$(ratio "${R_SECS[$s|$x|e2e]}" "${R_SECS[pandas|$x|pandas]}"); line+=" ${x}× ${v}× $(verdict "$v" "<=" 2);"
    done
    echo "${line%;}"
    line="- $s repeat grade ≥ 3× faster than pandas from the files:"
    for x in $SCALES; do
      v=$(ratio "${R_SECS[pandas|$x|pandas]}" "${R_SECS[$s|$x|regrade]}"); line+=" ${x}× ${v}× $(verdict "$v" ">=" 3);"
    done
    echo "${line%;}"
  done
  if [ "$last" != "$FIRST_SCALE" ]; then
    local limit; limit=$(awk "BEGIN { print 4.5 * ($last / $FIRST_SCALE) / 4 }")
    for s in $STORES pandas; do
      line="- $s wall time ${FIRST_SCALE}× → ${last}× grows at most ${limit}×:"
      for st in ref ingest import grade e2e regrade pandas; do
        [ -n "${R_SECS[$s|$last|$st]:-}" ] || continue
        v=$(ratio "${R_SECS[$s|$last|$st]}" "${R_SECS[$s|$FIRST_SCALE|$st]}"); line+=" $st ${v}× $(verdict "$v" "<=" "$limit");"
      done
      echo "${line%;}"
    done
  fi
  for s in $STORES; do
    line="- $s every kam stage ≤ 500 MB peak at ${last}×:"
    for st in ref ingest grade regrade; do
      line+=" $st ${R_RSS[$s|$last|$st]} MB $(verdict "${R_RSS[$s|$last|$st]}" "<=" 500);"
    done
    echo "${line%;}"
  done
}

# bench_tree (issue 28): sqlite3 .import of the 1x revenue rows into three revenue tables, alternated
# BENCH_REPEAT (default 3) times: as kam's migrations make it (the primary key and
# revenue_month_customer_amount), the same without its second index, and one B-tree keyed
# (month, customer_id, business_line, file_id, seq), in which a file's rows arrive in key order.
bench_tree() {
  gen_scale 1; convert_scale 1
  local conv dir="$OUT/tree" today table one_tree v f round cpu
  conv=$(conv_dir 1); mkdir -p "$dir"
  today=$(revenue_schema sqlite)
  table=$(sed -n '/^CREATE TABLE/,/^)/p' <<< "$today")
  one_tree=${table/PRIMARY KEY (month, business_line, file_id, seq)/PRIMARY KEY (month, customer_id, business_line, file_id, seq)}
  [ "$one_tree" != "$table" ] || { echo "bench_tree: the revenue key is not the one this measures against" >&2; return 1; }
  echo "| round | schema | wall | CPU (user + sys) | database size | rows, Σ amount (fen) | load average |"
  echo "|---|---|---|---|---|---|---|"
  for round in $(seq "${BENCH_REPEAT:-3}"); do
    for v in today table one_tree; do
      { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"; echo "${!v}"; echo ".mode tabs"
        for f in "$conv"/*.tsv; do echo ".import '$f' revenue"; done; } > "$dir/$v.sql"
      rm -f "$dir/$v.db"*
      timed "$dir" "$v" sqlite3 "$dir/$v.db" ".read $dir/$v.sql"
      cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.1f", s}' "$dir/$v.err")
      echo "| $round | $v | $SECS s | $cpu s | $(( $(stat -c %s "$dir/$v.db") >> 20 )) MiB | $(sqlite3 "$dir/$v.db" "SELECT COUNT(*) || ', ' || SUM(amount) FROM revenue") | $(cut -d' ' -f1 /proc/loadavg) |"
      rm -f "$dir/$v.db"*
    done
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
if [ "$what" = tree ]; then
  bench_tree
fi
if [ "$what" = compare ]; then
  echo "scales: $SCALES x $BASE_CUSTOMERS customers x 12 months (kam gen --end $END --seed 1); stores: $STORES"
  bench_compare
fi

#!/usr/bin/env bash
# What each centre's own workbooks cost (issue 13): every job run twice on the
# same SQLite store of `kam gen --customers N --months 12` — once as generated
# (most units have a mailbox: per-centre workbooks on), once on a copy whose
# units have no mailbox (city-wide workbook only) — under /usr/bin/time -v.
# Prints one markdown row per job: wall and peak RSS both ways, the ratio;
# each job runs BENCH_REPEAT times (default 3) each way, and the medians are shown.
#
#   scripts/bench_units.sh            # 200,000 customers (the bench dataset)
#   BENCH_CUSTOMERS=20000 scripts/bench_units.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KAM="$PWD/bin/kam"
OUT="${BENCH_OUT:-$PWD/bench-out}"
N="${BENCH_CUSTOMERS:-200000}"
END="${BENCH_END:-2026-10}"
REPEAT="${BENCH_REPEAT:-3}"
mkdir -p "$OUT"
go build -o "$KAM" ./cmd/kam
command -v sqlite3 >/dev/null || { apt-get install -y sqlite3 >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null; }; }

with="$OUT/units-on-$N" without="$OUT/units-off-$N"
if [ ! -f "$with/var/kam.db" ]; then
  rm -rf "$with"; mkdir -p "$with/var/inbox"
  printf 'log:\n  format: json\n' > "$with/kam.yaml"
  "$KAM" gen --out "$with/var/inbox" --customers "$N" --months 12 --end "$END" --seed 1 > /dev/null
  sleep 2.1
  (cd "$with" && "$KAM" --config kam.yaml ingest > /dev/null 2>&1)
fi
rm -rf "$without"; mkdir -p "$without/var"
printf 'log:\n  format: json\n' > "$without/kam.yaml"
sqlite3 "$with/var/kam.db" "VACUUM INTO '$without/var/kam.db'"
sqlite3 "$without/var/kam.db" "UPDATE units SET email = ''"
mailboxes=$(sqlite3 "$with/var/kam.db" "SELECT COUNT(*) FROM units WHERE email <> ''")

# timed DIR LABEL CMD...: sets SECS and RSS_MB.
timed() {
  local dir="$1" label="$2"; shift 2
  (cd "$dir" && /usr/bin/time -v "$@" > "$label.out" 2> "$label.err") || { tail -20 "$dir/$label.err" >&2; return 1; }
  SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$dir/$label.err")
  RSS_MB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$dir/$label.err")
}

q=$(date -d "${END}-01 -1 month" +%Y)Q$(( ($(date -d "${END}-01 -1 month" +%-m) - 1) / 3 + 1 ))
m=$(date -d "${END}-01" +%Y-%m)
even=$(date -d "${END}-01 -$(( $(date -d "${END}-01" +%-m) % 2 )) month" +%Y-%m)
asof=$(date -d "${END}-01 +1 month -1 day" +%Y-%m-%d)
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $N customers x 12 months to $END, SQLite, $mailboxes units with a mailbox"
echo "Each job $REPEAT times each way, alternating; walls and ratio are medians, peak RSS the highest."
echo "| job | city only: wall | peak RSS | + per-centre workbooks: wall | peak RSS | unit workbooks | wall ratio | each run's ratio |"
echo "|---|---|---|---|---|---|---|---|"
# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for job in "grade --period $q" "review-gold --period $even" "roster --period $m" "splits --period $m" "tender --as-of $asof"; do
  label=$(echo "$job" | cut -d' ' -f1)
  w0=() w1=() ratios=() r0=0 r1=0
  for _ in $(seq "$REPEAT"); do
    # shellcheck disable=SC2086
    timed "$without" "$label" "$KAM" --config kam.yaml run $job; w0+=("$SECS"); r0=$(( RSS_MB > r0 ? RSS_MB : r0 ))
    # shellcheck disable=SC2086
    timed "$with" "$label" "$KAM" --config kam.yaml run $job; w1+=("$SECS"); r1=$(( RSS_MB > r1 ? RSS_MB : r1 ))
    ratios+=("$(awk "BEGIN {print ${w1[-1]} / ${w0[-1]}}")")
  done
  files=$(grep -o '"unit_files":[0-9]*' "$with/$label.err" | tail -1 | cut -d: -f2)
  printf '| `kam run %s` | %.1f s | %s MB | %.1f s | %s MB | %s | %.2f | %s |\n' "$job" "$(median "${w0[@]}")" "$r0" "$(median "${w1[@]}")" "$r1" \
    "${files:-0}" "$(median "${ratios[@]}")" "$(printf '%.2f ' "${ratios[@]}")"
done

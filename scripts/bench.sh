#!/usr/bin/env bash
# make bench: the performance targets of Shoal, each measured against a
# floor or a peer in the same run.
#  1. Scan: `shoal scan` into SQLite vs `find -printf '%s %T@'` on the same
#     tree of 1,000,000 files in 100,000 partitions, warm caches; peak RSS.
#  2. API: P50/P95/P99 of top tables and table partitions with 1,000,000
#     partition stats in 1,000 tables, 50 clients, on SQLite and PostgreSQL.
# Knobs: BENCH_DIR, BENCH_TABLES, BENCH_PARTITIONS, BENCH_FILES, BENCH_API_DURATION, PG_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-$(pwd)/.bench}
tables=${BENCH_TABLES:-10}
parts=${BENCH_PARTITIONS:-10000}
files=${BENCH_FILES:-10}
api_dur=${BENCH_API_DURATION:-10s}
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
mkdir -p "$dir"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3)"
CGO_ENABLED=0 go build -o "$dir/shoal" ./cmd/shoal
go build -o "$dir/gentree" ./bench/gentree
go build -o "$dir/apibench" ./bench/apibench

tree="$dir/tree-$tables-$parts-$files"
if [ ! -d "$tree" ]; then
  echo "== generating $((tables * parts * files)) files in $((tables * parts)) partitions"
  "$dir/gentree" -dir "$tree.tmp" -tables "$tables" -partitions "$parts" -files "$files"
  mv "$tree.tmp" "$tree"
fi

# Seconds of the fastest of three runs of a command.
best_of_3() {
  local best=""
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    best=$(awk -v a="$best" -v b="$(echo "$e - $s" | bc)" 'BEGIN { if (a == "" || b < a) print b; else print a }')
  done
  echo "$best"
}

echo "== scan: warming caches"
find "$tree" -type f -printf '%s %T@\n' >/dev/null
find_s=$(best_of_3 find "$tree" -type f -printf '%s %T@\n')

scan_once() {
  rm -f "$dir/scan.db" "$dir/scan.db-wal" "$dir/scan.db-shm"
  "$dir/shoal" scan --catalog "warehouse://$tree" --store "sqlite://$dir/scan.db" --output json
}
scan_s=$(best_of_3 scan_once)
rm -f "$dir/scan.db"*
rss_kb=$( { /usr/bin/time -f '%M' "$dir/shoal" scan --catalog "warehouse://$tree" --store "sqlite://$dir/scan.db" --output json >"$dir/scan.json"; } 2>&1 | tail -1)
scanned=$(python3 -c "import json,sys; t=json.load(open('$dir/scan.json'))['totals']; print(t['files'], t['partitions'])")

printf '\n%-28s %10s\n' "scan ($scanned files/partitions)" "seconds"
printf '%-28s %10.2f\n' "find -printf '%s %T@'" "$find_s"
printf '%-28s %10.2f\n' "shoal scan -> SQLite" "$scan_s"
awk -v a="$scan_s" -v b="$find_s" 'BEGIN { printf "%-28s %10.2fx  (target <= 1.5x)\n", "ratio scan/find", a / b }'
awk -v k="$rss_kb" 'BEGIN { printf "%-28s %10.0f MB  (target <= 300 MB)\n", "peak RSS of shoal scan", k / 1024 }'

echo
echo "== API on SQLite (1,000,000 partitions in 1,000 tables)"
rm -f "$dir/api.db"*
"$dir/apibench" -store "sqlite://$dir/api.db" -duration "$api_dur"

echo
echo "== API on PostgreSQL"
schema="shoal_bench_$$"
psql "$pg" -qc "CREATE SCHEMA $schema" >/dev/null
trap 'psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true' EXIT
sep='?'; case "$pg" in *\?*) sep='&';; esac
"$dir/apibench" -store "${pg}${sep}search_path=$schema" -seed-only
# Measure the steady state that autovacuum reaches shortly after a snapshot
# is written (hint bits set, statistics fresh), not the first read of each page.
psql "$pg" -qc "VACUUM ANALYZE $schema.partition_stats"
psql "$pg" -qc "VACUUM ANALYZE $schema.table_stats"
"$dir/apibench" -store "${pg}${sep}search_path=$schema" -reuse -duration "$api_dur"

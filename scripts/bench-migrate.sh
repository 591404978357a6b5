#!/usr/bin/env bash
# make bench-migrate: migrates a PostgreSQL store holding ROWS partition
# rows (default 1,000,000, in 1,000 tables) from the previous schema version
# to the newest, and prints the time against the 5-minute budget and against
# a floor measured on the same rows in the same run (a plain CREATE INDEX of
# the same key, and a sequential scan). The rows are written with COPY into a
# database of their own, dropped at the end. Fails when the migration is
# over budget. Knobs: PG_URL, ROWS.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
ROWS=${ROWS:-1000000}
out=$(mktemp "${TMPDIR:-/tmp}/bench-migrate.XXXXXX")
trap 'rm -f "$out"' EXIT

echo "== migration of a store with $ROWS partition rows (PostgreSQL at ${PG_URL%%@*}@...)"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) CPUs"
if ! SHOAL_TEST_POSTGRES=$PG_URL SHOAL_BENCH_MIGRATE_ROWS=$ROWS \
	go test -count=1 -timeout 60m -run '^TestMigrate_LargeStore$' -v ./store/postgres/ >"$out" 2>&1; then
	cat "$out" >&2
	echo "FAIL: the migration benchmark failed" >&2
	exit 1
fi

# get KEY prints the value the test reported for KEY.
get() {
	sed -n "s/^bench-migrate: $1=//p" "$out"
}
grep -q '^bench-migrate: migrate_seconds=' "$out" || { cat "$out" >&2; echo "FAIL: no figures" >&2; exit 1; }

printf '%-44s %s\n' \
	"partition rows" "$(get rows) ($(($(get partition_stats_bytes) / 1048576)) MiB with indexes)" \
	"schema versions" "$(get from_version) -> $(get to_version)" \
	"fill with COPY" "$(get fill_seconds) s" \
	"earlier migrations (indexes of v1 -> v$(get from_version))" "$(get previous_migrations_seconds) s" \
	"floor: sequential scan" "$(get floor_scan_seconds) s" \
	"floor: plain CREATE INDEX of the same key" "$(get floor_create_index_seconds) s" \
	"migration v$(get from_version) -> v$(get to_version)" "$(get migrate_seconds) s" \
	"  against the budget of $(get budget_seconds) s" "$(get budget_ratio)x" \
	"  against the plain CREATE INDEX" "$(get floor_ratio)x" \
	"name-sorted page of the snapshot, before" "$(get name_page_ms_before) ms" \
	"name-sorted page of the snapshot, after" "$(get name_page_ms_after) ms"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

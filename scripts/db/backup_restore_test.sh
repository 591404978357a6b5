#!/usr/bin/env bash
# Backup and restore of a real PostgreSQL store, end to end:
#  1. builds the shoal binary and creates two fresh databases;
#  2. fills the first through the binary: a demo warehouse, `shoal scan`,
#     then `shoal serve` for a scan through the job queue (River), a policy,
#     and a merge planned and run through the API;
#  3. takes a `pg_dump -Fc` of it and restores it with `pg_restore` into the
#     second database;
#  4. compares, table by table (River's included), the row count and an md5
#     of the rows in order, and the sequences and indexes;
#  5. runs `shoal migrate` on the restored database, which must change
#     nothing, and compares again.
# Any difference fails the script. The databases and files are removed at
# the end. Knobs: PG_URL (a database to connect to for CREATE DATABASE),
# BACKUP_SHOAL_BIN (a shoal binary to use instead of building one), KEEP=1 to keep
# the work directory and databases for a look, TAMPER=1 to change one row
# of the restored database before the comparison (which must then fail).
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
KEEP=${KEEP:-0}
TAMPER=${TAMPER:-0}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

for tool in go psql pg_dump pg_restore curl jq; do
	command -v "$tool" >/dev/null || fail "$tool is required"
done

# db_url NAME prints PG_URL with its database replaced by NAME.
db_url() {
	local base=${PG_URL%%\?*} query=""
	if [[ $PG_URL == *\?* ]]; then
		query="?${PG_URL#*\?}"
	fi
	printf '%s/%s%s\n' "${base%/*}" "$1" "$query"
}

suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
src_db=shoal_bk_src_$suffix
dst_db=shoal_bk_dst_$suffix
src=$(db_url "$src_db")
dst=$(db_url "$dst_db")
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-backup.XXXXXX")
serve_pid=""

cleanup() {
	local rc=$?
	if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2>/dev/null; then
		kill "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
	if [[ $KEEP == 1 ]]; then
		echo "kept $work, $src_db and $dst_db" >&2
	else
		PGOPTIONS='-c client_min_messages=warning' psql -q -X "$PG_URL" \
			-c "DROP DATABASE IF EXISTS $src_db WITH (FORCE)" \
			-c "DROP DATABASE IF EXISTS $dst_db WITH (FORCE)" >/dev/null || rc=1
		rm -rf "$work"
	fi
	if [[ $rc != 0 ]]; then
		echo "backup/restore test FAILED" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

# q URL SQL runs SQL and prints the unaligned, tuples-only result.
q() {
	psql -X -q -v ON_ERROR_STOP=1 -At "$1" -c "$2"
}

shoal=${BACKUP_SHOAL_BIN:-}
if [[ -z $shoal ]]; then
	echo "== building shoal"
	CGO_ENABLED=0 go build -trimpath -o "$work/shoal" ./cmd/shoal
	shoal=$work/shoal
fi
"$shoal" version

echo "== creating $src_db and $dst_db"
q "$PG_URL" "CREATE DATABASE $src_db" >/dev/null
q "$PG_URL" "CREATE DATABASE $dst_db" >/dev/null

echo "== filling $src_db through the binary"
"$shoal" demo --generate-only --dir "$work/demo" >/dev/null
catalog="warehouse://$work/demo"
"$shoal" migrate --store "$src"
"$shoal" scan --catalog "$catalog" --store "$src" --output json >"$work/scan.json"
jq -e '.totals.partitions > 0' "$work/scan.json" >/dev/null || fail "the scan found no partitions"

# A server with its embedded worker, for jobs that go through River.
port=$((20000 + RANDOM % 20000))
token=backup-test-token
api=http://127.0.0.1:$port/api/v1
SHOAL_AUTH_TOKENS="backup:$token" SHOAL_WORKER_ADDR="127.0.0.1:$((port + 1))" \
	"$shoal" serve --store "$src" --catalog "$catalog" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
	kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "shoal serve exited"; }
	sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve.log" >&2; fail "shoal serve is not ready"; }

# call METHOD PATH [JSON] calls the API and prints the response body.
call() {
	local args=(-fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json')
	if [[ $# -gt 2 ]]; then
		args+=(--data "$3")
	fi
	curl "${args[@]}" "$api$2" || { tail -20 "$work/serve.log" >&2; fail "$1 $2 failed"; }
}

# wait_for PATH JQ waits until the JSON at PATH satisfies JQ.
wait_for() {
	for _ in $(seq 300); do
		if call GET "$1" | jq -e "$2" >/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	call GET "$1" >&2
	fail "$1 never satisfied $2"
}

scan_id=$(call POST /scans | jq -r .id)
wait_for "/scans/$scan_id" '.state == "succeeded"'
call PUT /policies/demo '{"enabled": true, "min_age": "0s"}' >/dev/null
# The table with the most small files, and a merge of it.
read -r db tbl < <(call GET "/tables?scan_id=$scan_id&sort=small_files&order=desc&limit=1" |
	jq -r '.items[0] | "\(.database) \(.table)"')
[[ -n $db && $db != null ]] || fail "no table to merge"
job=$(call POST /merges "$(jq -cn --arg d "$db" --arg t "$tbl" '{database: $d, table: $t}')" | jq -r .id)
call POST "/merges/$job/run" >/dev/null
wait_for "/merges/$job" '.state == "succeeded" or .state == "failed" or .state == "cancelled"'
echo "merge job $job of $db.$tbl: $(call GET "/merges/$job" | jq -r .state)"
kill "$serve_pid"
wait "$serve_pid" || true
serve_pid=""

# tables URL prints the tables of the public schema, one a line.
tables() {
	q "$1" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
}

# fingerprint URL prints, per table, its row count and the md5 of its rows
# in order; per sequence, its state; and every index definition.
fingerprint() {
	local t
	for t in $(tables "$1"); do
		printf 'table %s %s\n' "$t" "$(q "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text COLLATE \"C\")), '-') FROM public.\"$t\" r")"
	done
	q "$1" "SELECT 'sequence ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused')
		FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
	q "$1" "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
	q "$1" "SELECT 'invalid ' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid"
}

fingerprint "$src" >"$work/src.txt"
# Every table of the store, and River's queue and job tables, hold rows.
for t in scans table_stats partition_stats policies merge_jobs merge_results audit_log goose_db_version \
	river_job river_migration river_queue; do
	rows=$(awk -v t="$t" '$1 == "table" && $2 == t { print $3 }' "$work/src.txt")
	[[ -n $rows ]] || fail "table $t does not exist in $src_db"
	[[ $rows -gt 0 ]] || fail "table $t of $src_db is empty: the fill did not reach it"
done

echo "== pg_dump -Fc $src_db"
pg_dump -Fc --no-owner -f "$work/store.dump" "$src"
echo "dump: $(wc -c <"$work/store.dump") bytes, $(pg_restore --list "$work/store.dump" | grep -c 'TABLE DATA') tables with data"
echo "== pg_restore into $dst_db"
pg_restore --exit-on-error --no-owner -d "$dst" "$work/store.dump"

compare() { # compare WHAT FILE
	if ! diff -u "$work/src.txt" "$2" >"$work/diff.txt"; then
		cat "$work/diff.txt" >&2
		fail "$1 differs from the source"
	fi
}

if [[ $TAMPER == 1 ]]; then
	q "$dst" "UPDATE partition_stats SET files = files + 1 WHERE id = (SELECT min(id) FROM partition_stats)" >/dev/null
fi
fingerprint "$dst" >"$work/dst.txt"
compare "the restored database" "$work/dst.txt"

echo "== shoal migrate on the restored database (must change nothing)"
out=$("$shoal" migrate --store "$dst")
echo "$out"
grep -q "unchanged" <<<"$out" || fail "shoal migrate changed the schema version of the restored store"
fingerprint "$dst" >"$work/migrated.txt"
compare "the restored database after shoal migrate" "$work/migrated.txt"

tables=$(grep -c '^table ' "$work/src.txt")
rows=$(awk '$1 == "table" { n += $3 } END { print n }' "$work/src.txt")
echo "PASS: $tables tables ($rows rows), their checksums, sequences and indexes match after pg_dump, pg_restore and shoal migrate"

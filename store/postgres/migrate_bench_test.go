package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/storetest"
)

// migrationBudget is the longest a migration of a store with 1,000,000
// partition rows may take.
const migrationBudget = 5 * time.Minute

// TestMigrate_LargeStore measures the migration of a store that holds
// SHOAL_BENCH_MIGRATE_ROWS partition rows (1,000 per table; for example
// 1000000), from the previous schema version to the newest, against
// migrationBudget and against a floor measured on the same rows in the same
// run: a plain CREATE INDEX of the same key (which blocks writers) and a
// sequential scan. It runs only when SHOAL_BENCH_MIGRATE_ROWS is set
// (scripts/bench-migrate.sh, make bench-migrate) and prints its figures on
// lines that start with "bench-migrate:".
func TestMigrate_LargeStore(t *testing.T) {
	env := os.Getenv("SHOAL_BENCH_MIGRATE_ROWS")
	if env == "" {
		t.Skip("set SHOAL_BENCH_MIGRATE_ROWS (e.g. 1000000) to run the migration benchmark")
	}
	rows, err := strconv.Atoi(env)
	if err != nil || rows < 1000 || rows%1000 != 0 {
		t.Fatalf("SHOAL_BENCH_MIGRATE_ROWS=%q: want a multiple of 1000", env)
	}
	ctx := t.Context()
	st := openFresh(t)
	vs := versions(t)
	if len(vs) < 2 {
		t.Skip("only one migration")
	}
	prev := vs[len(vs)-2]
	report := func(key string, value any) {
		fmt.Printf("bench-migrate: %s=%v\n", key, value)
	}
	report("rows", rows)
	report("from_version", prev)
	report("to_version", LatestVersion())

	// The tables of the first version, filled with COPY, then the indexes
	// of the versions up to the previous one.
	migrateTo(t, st, vs[0])
	start := time.Now()
	scanID := fill(ctx, t, st, rows/1000, 1000)
	report("fill_seconds", seconds(time.Since(start)))
	start = time.Now()
	migrateTo(t, st, prev)
	report("previous_migrations_seconds", seconds(time.Since(start)))
	if _, err := st.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		t.Fatal(err)
	}
	report("partition_stats_bytes", tableSize(ctx, t, st))

	// The floor: a sequential scan, and a plain CREATE INDEX of the key
	// the newest migration indexes.
	start = time.Now()
	var n int64
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM partition_stats WHERE spec <> ''`).Scan(&n); err != nil || n != int64(rows) {
		t.Fatalf("count: %d, %v", n, err)
	}
	report("floor_scan_seconds", seconds(time.Since(start)))
	start = time.Now()
	if _, err := st.pool.Exec(ctx, `CREATE INDEX bench_floor ON partition_stats (scan_id, spec, table_id)`); err != nil {
		t.Fatal(err)
	}
	floor := time.Since(start)
	report("floor_create_index_seconds", seconds(floor))
	if _, err := st.pool.Exec(ctx, `DROP INDEX bench_floor`); err != nil {
		t.Fatal(err)
	}

	before := pageTime(ctx, t, st, scanID)
	report("name_page_ms_before", ms(before))
	start = time.Now()
	migrateTo(t, st, LatestVersion())
	took := time.Since(start)
	report("migrate_seconds", seconds(took))
	report("budget_seconds", seconds(migrationBudget))
	report("budget_ratio", fmt.Sprintf("%.4f", took.Seconds()/migrationBudget.Seconds()))
	report("floor_ratio", fmt.Sprintf("%.2f", took.Seconds()/floor.Seconds()))
	after := pageTime(ctx, t, st, scanID)
	report("name_page_ms_after", ms(after))
	if took > migrationBudget*time.Duration(rows)/1_000_000 {
		t.Errorf("migration of %d rows took %v, over the budget of %v per million", rows, took, migrationBudget)
	}
	if got := dumpSchema(t, st); len(got) == 0 {
		t.Error("no schema")
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
func ms(d time.Duration) string      { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// fill writes a succeeded snapshot of tables synthetic tables of perTable
// partitions each with COPY, and returns its scan id.
func fill(ctx context.Context, tb testing.TB, st *Store, tables, perTable int) int64 {
	tb.Helper()
	var scanID int64
	now := time.Now()
	err := st.pool.QueryRow(ctx, `INSERT INTO scans (catalog, state, created_at, started_at, finished_at,
		table_rows, partition_rows) VALUES ('bench', 'succeeded', $1, $1, $1, $2, $3) RETURNING id`,
		now, tables, tables*perTable).Scan(&scanID)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO table_stats (id, scan_id, db, tbl, name, part_rows, partitioned)
		SELECT i, $1, format('db%s', lpad((i % 20)::text, 2, '0')), format('table%s', lpad(i::text, 5, '0')),
			format('db%s.table%s', lpad((i % 20)::text, 2, '0'), lpad(i::text, 5, '0')), $3, true
		FROM generate_series(0, $2 - 1) AS i`, scanID, tables, perTable)
	if err != nil {
		tb.Fatal(err)
	}
	columns := append([]string{"scan_id"}, stageColumns...)
	table, j := 0, 0
	var ps []shoal.PartitionStats
	n, err := st.pool.CopyFrom(ctx, pgx.Identifier{"partition_stats"}, columns, pgx.CopyFromFunc(func() ([]any, error) {
		if j == len(ps) {
			if table == tables {
				return nil, nil
			}
			_, ps = storetest.SyntheticTable(table, perTable)
			table, j = table+1, 0
		}
		j++
		return append([]any{scanID}, partitionRow(int64(table-1), &ps[j-1])...), nil
	}))
	if err != nil || n != int64(tables*perTable) {
		tb.Fatalf("copy: %d rows, %v", n, err)
	}
	return scanID
}

func tableSize(ctx context.Context, tb testing.TB, st *Store) int64 {
	tb.Helper()
	var n int64
	if err := st.pool.QueryRow(ctx, `SELECT pg_total_relation_size('partition_stats')`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// pageTime returns the best of five times of the first page of a
// snapshot's partitions sorted by name.
func pageTime(ctx context.Context, tb testing.TB, st *Store, scanID int64) time.Duration {
	tb.Helper()
	best := time.Hour
	for range 5 {
		start := time.Now()
		ps, _, err := st.ListPartitions(ctx, shoal.PartitionFilter{ScanID: scanID, Sort: shoal.SortName, Limit: 50})
		if err != nil || len(ps) != 50 {
			tb.Fatalf("ListPartitions: %d, %v", len(ps), err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

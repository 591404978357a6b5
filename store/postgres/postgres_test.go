package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/storetest"
)

// testURL returns the database URL of SHOAL_TEST_POSTGRES, or skips the test
// when it is unset, unless SHOAL_REQUIRE_INTEGRATION=1.
func testURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("SHOAL_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("SHOAL_REQUIRE_INTEGRATION") == "1" {
			tb.Fatal("SHOAL_TEST_POSTGRES is not set and SHOAL_REQUIRE_INTEGRATION=1")
		}
		tb.Skip("set SHOAL_TEST_POSTGRES to a database URL to run the PostgreSQL tests, " +
			"e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return u
}

// schemaURL creates a schema of its own for the test, dropped when the test
// ends, and returns the URL of the database with that schema first in the
// search path.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	base := testURL(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "shoal_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse SHOAL_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens and migrates a store in a schema of its own.
func openStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, schemaURL(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() }) // before the schema is dropped
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestStore(t *testing.T) {
	t.Parallel()
	testURL(t)
	storetest.Run(t, func(t *testing.T) shoal.Store { return openStore(t) })
}

func TestStore_Migrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := schemaURL(t)
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	// Open does not migrate.
	var n int
	err = st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'scans'`).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("before Migrate: %d scans tables, %v", n, err)
	}
	for i := range 2 {
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	sc := &shoal.Scan{}
	if err := st.CreateScan(ctx, sc); err != nil {
		t.Fatalf("CreateScan: %v", err)
	}
	// The tables are in the test's schema, and every index is valid.
	err = st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND NOT i.indisvalid`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("%d invalid indexes, %v", n, err)
	}
	err = st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()
		AND tablename = 'partition_stats'`).Scan(&n)
	if err != nil || n < 10 {
		t.Errorf("%d indexes on partition_stats, %v", n, err)
	}
	// Migrating again from another store changes nothing.
	st2, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer st2.Close()
	if err := st2.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if _, err := st2.GetScan(ctx, sc.ID); err != nil {
		t.Errorf("GetScan from the second store: %v", err)
	}
}

func TestOpen_BadURL(t *testing.T) {
	t.Parallel()
	if st, err := postgres.Open(t.Context(), "postgres://%zz"); err == nil {
		st.Close()
		t.Error("Open succeeded")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if st, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		st.Close()
		t.Error("Open of an unreachable server succeeded")
	}
}

// TestLoad measures the latency of the hot queries on a snapshot of
// 1,000,000 partitions in 1,000 tables, with 50 concurrent clients. It runs
// only when SHOAL_LOADTEST is set, and takes a few minutes. With
// SHOAL_LOADTEST_SCHEMA set, it keeps the data in that schema and reuses it
// the next time.
func TestLoad(t *testing.T) {
	if os.Getenv("SHOAL_LOADTEST") == "" {
		t.Skip("set SHOAL_LOADTEST=1 to run the load test")
	}
	var st *postgres.Store
	if schema := os.Getenv("SHOAL_LOADTEST_SCHEMA"); schema != "" {
		ctx := t.Context()
		conn, err := pgx.Connect(ctx, testURL(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		u, _ := url.Parse(testURL(t))
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		if st, err = postgres.Open(ctx, u.String()); err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	} else {
		st = openStore(t)
	}
	storetest.RunLoad(t, st, 1000, 1000, 50, 10*time.Second, 50*time.Millisecond)
}

// BenchmarkSnapshotWriter_WritePartitions writes a snapshot of 100,000
// partitions in batches of 1,000 per iteration.
func BenchmarkSnapshotWriter_WritePartitions(b *testing.B) {
	st := openStore(b)
	ctx := b.Context()
	var (
		ps []shoal.PartitionStats
		ts []shoal.TableStats
	)
	for i := range 100 {
		t, tps := storetest.SyntheticTable(i, 1000)
		ps, ts = append(ps, tps...), append(ts, t)
	}
	for b.Loop() {
		sc := &shoal.Scan{State: shoal.ScanRunning}
		if err := st.CreateScan(ctx, sc); err != nil {
			b.Fatal(err)
		}
		w, err := st.SnapshotWriter(ctx, sc.ID)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(ps); i += 1000 {
			if err := w.WritePartitions(ctx, ps[i:i+1000]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.WriteTables(ctx, ts); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/partition")
}

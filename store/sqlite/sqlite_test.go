package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/sqlite"
	"github.com/shoalhq/shoal/store/storetest"
)

// openStore opens and migrates a store in a temporary directory.
func openStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "shoal.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) shoal.Store { return openStore(t) })
}

func TestStore_Migrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shoal.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	// Open does not migrate.
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'scans'`).Scan(&n); err != nil || n != 0 {
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
	// A second store on the same file sees the scan and migrates nothing.
	st2, err := sqlite.Open(ctx, path)
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

func TestOpen_Pragmas(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := t.Context()
	// Check several connections at once, so that the pool opens more than one.
	conns := make([]interface{ Close() error }, 0, 3)
	for range 3 {
		c, err := st.DB().Conn(ctx)
		if err != nil {
			t.Fatalf("Conn: %v", err)
		}
		conns = append(conns, c)
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "busy_timeout": "10000", "synchronous": "1", "foreign_keys": "1",
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestOpen_BadPath(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ":memory:", "a?b", filepath.Join(t.TempDir(), "missing", "dir", "shoal.db")} {
		if st, err := sqlite.Open(t.Context(), path); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

// benchPartitions returns n partitions in tables of 1,000 partitions.
func benchPartitions(n int) ([]shoal.PartitionStats, []shoal.TableStats) {
	var (
		ps []shoal.PartitionStats
		ts []shoal.TableStats
	)
	for i := 0; len(ps) < n; i++ {
		t, tps := storetest.SyntheticTable(i, min(1000, n-len(ps)))
		ps, ts = append(ps, tps...), append(ts, t)
	}
	return ps, ts
}

// TestLoad measures the latency of the hot queries on a snapshot of
// 1,000,000 partitions in 1,000 tables, with 50 concurrent clients. It runs
// only when SHOAL_LOADTEST is set, and takes a few minutes. With
// SHOAL_LOADTEST_DB set to a path, it keeps the database there and reuses
// it the next time.
func TestLoad(t *testing.T) {
	if os.Getenv("SHOAL_LOADTEST") == "" {
		t.Skip("set SHOAL_LOADTEST=1 to run the load test")
	}
	st := openStore(t)
	if path := os.Getenv("SHOAL_LOADTEST_DB"); path != "" {
		var err error
		if st, err = sqlite.Open(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	storetest.RunLoad(t, st, 1000, 1000, 50, 10*time.Second, 50*time.Millisecond)
}

// BenchmarkSnapshotWriter_WritePartitions writes a snapshot of 100,000
// partitions in batches of 1,000 per iteration.
func BenchmarkSnapshotWriter_WritePartitions(b *testing.B) {
	st := openStore(b)
	ctx := b.Context()
	ps, ts := benchPartitions(100_000)
	cpu := cpuTime()
	for b.Loop() {
		sc := &shoal.Scan{State: shoal.ScanRunning}
		if err := st.CreateScan(ctx, sc); err != nil {
			b.Fatal(err)
		}
		w, err := st.SnapshotWriter(ctx, sc.ID)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(ps); i += benchBatch {
			if err := w.WritePartitions(ctx, ps[i:i+benchBatch]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.WriteTables(ctx, ts); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/partition")
	// The machine may be shared: CPU time tells more than elapsed time.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStore_ListPartitions reads the first page of one table's
// partitions and of the snapshot's top partitions, from a snapshot of
// 100,000 partitions.
func BenchmarkStore_ListPartitions(b *testing.B) {
	st := openStore(b)
	ctx := b.Context()
	ps, ts := benchPartitions(100_000)
	sc := &shoal.Scan{State: shoal.ScanRunning}
	if err := st.CreateScan(ctx, sc); err != nil {
		b.Fatal(err)
	}
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(ps); i += 5000 {
		if err := w.WritePartitions(ctx, ps[i:i+5000]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.WriteTables(ctx, ts); err != nil {
		b.Fatal(err)
	}
	w.Close()
	if _, err := st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: new(shoal.ScanSucceeded)}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		f    shoal.PartitionFilter
	}{
		{"Table/SmallFiles", shoal.PartitionFilter{Database: "db02", Table: "table00042", Sort: shoal.SortSmallFiles, Desc: true}},
		{"Table/AvgSize", shoal.PartitionFilter{Database: "db02", Table: "table00042", Sort: shoal.SortAvgSize}},
		{"Table/Name", shoal.PartitionFilter{Database: "db02", Table: "table00042", Sort: shoal.SortName}},
		{"Snapshot/SmallFiles", shoal.PartitionFilter{Sort: shoal.SortSmallFiles, Desc: true}},
		{"Snapshot/Bytes", shoal.PartitionFilter{Sort: shoal.SortBytes, Desc: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := bc.f
			f.ScanID, f.Limit = sc.ID, 50
			for b.Loop() {
				got, total, err := st.ListPartitions(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != 50 || total == 0 {
					b.Fatalf("%d partitions, total %d", len(got), total)
				}
			}
		})
	}
}

var benchBatch = 1000

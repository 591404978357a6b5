package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

// SyntheticTable returns the statistics of table i of a synthetic warehouse
// and of its n partitions. Metrics vary from partition to partition and
// from table to table, with ties, as in a real warehouse.
func SyntheticTable(i, n int) (shoal.TableStats, []shoal.PartitionStats) {
	r := rand.New(rand.NewPCG(uint64(i), uint64(n))) //nolint:gosec // reproducible test data
	db := fmt.Sprintf("db%02d", i%20)
	tbl := shoal.Table{Database: db, Name: fmt.Sprintf("table%05d", i), Format: shoal.FormatParquet,
		Location: fmt.Sprintf("hdfs://nn:8020/warehouse/%s.db/table%05d", db, i), Owner: "etl",
		PartitionKeys: []string{"dt", "hour"}}
	ts := shoal.NewTableStats(&tbl)
	ps := make([]shoal.PartitionStats, n)
	scale := 1 + r.Int64N(100) // some tables are much worse than others
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for j := range ps {
		p := &ps[j]
		p.Database, p.Table = tbl.Database, tbl.Name
		p.Spec = fmt.Sprintf("dt=%s/hour=%02d", day.AddDate(0, 0, j/24).Format("2006-01-02"), j%24)
		p.Location = tbl.Location + "/" + p.Spec
		p.Format = shoal.FormatParquet
		p.Files = 1 + r.Int64N(scale*10)
		p.Small = r.Int64N(p.Files + 1)
		p.Bytes = p.Small*r.Int64N(shoal.MiB) + (p.Files-p.Small)*(16*shoal.MiB+r.Int64N(256*shoal.MiB))
		p.Histogram[10], p.Histogram[16] = p.Small, p.Files-p.Small
		p.MinSize, p.MaxSize = 1000, 300*shoal.MiB
		p.MedianSize = p.Bytes / p.Files
		p.OldestModTime = day.Add(time.Duration(j) * time.Hour)
		p.NewestModTime = p.OldestModTime.Add(time.Duration(r.Int64N(3600)) * time.Second)
		p.Blocks = p.Files + p.Bytes/(128*shoal.MiB)
		p.NameNodeHeap = shoal.NameNodeObjectBytes * (1 + p.Files + p.Blocks)
		p.FilesAfterMerge = max(1, (p.Bytes+128*shoal.MiB-1)/(128*shoal.MiB))
		p.ReducibleFiles = max(0, p.Files-p.FilesAfterMerge)
		if r.IntN(1000) == 0 {
			p.Error = "list " + p.Location + ": permission denied"
		}
		ts.AddPartition(p)
	}
	return ts, ps
}

// Fill writes a succeeded snapshot of a synthetic warehouse of tables tables
// of perTable partitions each, in batches of batch partitions, and returns
// its scan and how long the writes took.
func Fill(ctx context.Context, st shoal.Store, tables, perTable, batch int) (*shoal.Scan, time.Duration, error) {
	sc := &shoal.Scan{State: shoal.ScanRunning, Catalog: "synthetic", Thresholds: shoal.DefaultThresholds}
	if err := st.CreateScan(ctx, sc); err != nil {
		return nil, 0, err
	}
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = w.Close() }()
	var (
		elapsed time.Duration
		totals  shoal.Totals
		pending []shoal.PartitionStats
	)
	flush := func() error {
		start := time.Now()
		err := w.WritePartitions(ctx, pending)
		elapsed += time.Since(start)
		pending = pending[:0]
		return err
	}
	for i := range tables {
		ts, ps := SyntheticTable(i, perTable)
		for len(ps) > 0 {
			n := min(len(ps), batch-len(pending))
			pending, ps = append(pending, ps[:n]...), ps[n:]
			if len(pending) == batch {
				if err := flush(); err != nil {
					return nil, 0, err
				}
			}
		}
		start := time.Now()
		if err := w.WriteTables(ctx, []shoal.TableStats{ts}); err != nil {
			return nil, 0, err
		}
		elapsed += time.Since(start)
		totals.Add(&ts)
	}
	if err := flush(); err != nil {
		return nil, 0, err
	}
	now := time.Now()
	sc, err = st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: new(shoal.ScanSucceeded), FinishedAt: &now, Totals: &totals})
	return sc, elapsed, err
}

// Latency is the latency distribution of a load run.
type Latency struct {
	Calls              int
	P50, P95, P99, Max time.Duration
}

func (l Latency) String() string {
	return fmt.Sprintf("%d calls, p50 %v, p95 %v, p99 %v, max %v", l.Calls, l.P50, l.P95, l.P99, l.Max)
}

// Measure calls f from clients goroutines at once for d, and returns the
// latency distribution of the calls. Each goroutine passes its own rand.
func Measure(ctx context.Context, clients int, d time.Duration, f func(ctx context.Context, r *rand.Rand) error) (Latency, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	for c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 7)) //nolint:gosec // reproducible test load
			var mine []time.Duration
			for ctx.Err() == nil {
				start := time.Now()
				if err := f(context.WithoutCancel(ctx), r); err != nil {
					mu.Lock()
					first = cmpError(first, err)
					mu.Unlock()
					break
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(all) == 0 {
		return Latency{}, first
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return Latency{Calls: len(all), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: all[len(all)-1]}, first
}

func cmpError(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// RunLoad fills st with a snapshot of tables × perTable partitions, unless
// its latest snapshot is such a synthetic one already, then
// measures "top tables" (ListTables sorted by a random key, 50 rows) and
// "one table's partitions" (ListPartitions of a random table sorted by a
// random key, 50 rows, with the total) from clients concurrent clients for
// d each. It fails when a 95th percentile exceeds p95.
func RunLoad(t *testing.T, st shoal.Store, tables, perTable, clients int, d, p95 time.Duration) {
	ctx := t.Context()
	sc, err := st.LatestSnapshot(ctx, "")
	if err == nil && sc.Catalog == "synthetic" && sc.Totals.Tables == int64(tables) && sc.Totals.Partitions == int64(tables*perTable) {
		t.Logf("reusing snapshot %d", sc.ID)
	} else {
		start := time.Now()
		var writing time.Duration
		sc, writing, err = Fill(ctx, st, tables, perTable, 5000)
		if err != nil {
			t.Fatalf("Fill: %v", err)
		}
		t.Logf("wrote %d partitions in %v (%v in writes, %.1f µs per partition)", tables*perTable,
			time.Since(start).Round(time.Millisecond), writing.Round(time.Millisecond),
			float64(writing.Microseconds())/float64(tables*perTable))
	}

	keys := slices.DeleteFunc(slices.Clone(shoal.SortKeys), func(k shoal.SortKey) bool { return k == shoal.SortPartitions })
	for _, c := range []struct {
		name string
		f    func(ctx context.Context, r *rand.Rand) error
	}{
		{"top tables", func(ctx context.Context, r *rand.Rand) error {
			ts, _, err := st.ListTables(ctx, shoal.TableFilter{ScanID: sc.ID, Sort: shoal.SortKeys[r.IntN(len(shoal.SortKeys))],
				Desc: r.IntN(4) > 0, Limit: 50})
			if err == nil && len(ts) != 50 {
				err = fmt.Errorf("%d tables", len(ts))
			}
			return err
		}},
		{"one table's partitions", func(ctx context.Context, r *rand.Rand) error {
			i := r.IntN(tables)
			ps, total, err := st.ListPartitions(ctx, shoal.PartitionFilter{ScanID: sc.ID, Database: fmt.Sprintf("db%02d", i%20),
				Table: fmt.Sprintf("table%05d", i), Sort: keys[r.IntN(len(keys))], Desc: r.IntN(4) > 0,
				Limit: 50, Offset: 50 * r.IntN(3)})
			if err == nil && (len(ps) != 50 || total != int64(perTable)) {
				err = fmt.Errorf("%d partitions, total %d", len(ps), total)
			}
			return err
		}},
		{"top partitions (most used keys)", func(ctx context.Context, r *rand.Rand) error {
			most := []shoal.SortKey{shoal.SortSmallFiles, shoal.SortFiles, shoal.SortReducibleFiles, shoal.SortBytes}
			ps, _, err := st.ListPartitions(ctx, shoal.PartitionFilter{ScanID: sc.ID, Sort: most[r.IntN(len(most))],
				Desc: true, Limit: 50})
			if err == nil && len(ps) != 50 {
				err = fmt.Errorf("%d partitions", len(ps))
			}
			return err
		}},
	} {
		lat, err := Measure(ctx, clients, d, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s, %d clients: %v", c.name, clients, lat)
		if lat.P95 > p95 && c.name != "top partitions (most used keys)" {
			t.Errorf("%s: p95 %v, want at most %v", c.name, lat.P95, p95)
		}
	}
}

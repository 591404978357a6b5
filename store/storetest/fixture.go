package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

// base is the time fixtures start from, at microsecond precision.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// fixtureTable describes a table of the fixture warehouse. Its names test
// the edge cases of sorting and search: "a-b.t" sorts before "a.zeta" as
// "db.table" but not as (db, table); web_logs and webxlogs differ where a
// LIKE pattern would see a wildcard.
type fixtureTable struct {
	db, name string
	keys     []string // partition keys; none for an unpartitioned table
	format   shoal.Format
	specs    []string // fixed partition specs, instead of random dates
}

var fixtureTables = []fixtureTable{
	{db: "sales", name: "orders", keys: []string{"dt"}, format: shoal.FormatParquet},
	{db: "sales", name: "order_items", keys: []string{"dt", "region"}, format: shoal.FormatParquet},
	{db: "sales", name: "customers", format: shoal.FormatORC},
	{db: "sales_eu", name: "orders", keys: []string{"dt"}, format: shoal.FormatORC},
	{db: "hr", name: "employees", format: shoal.FormatText},
	{db: "hr", name: "payroll", keys: []string{"month"}, format: shoal.FormatAvro},
	{db: "web_logs", name: "clicks", keys: []string{"dt"}, format: shoal.FormatTextGzip},
	{db: "web_logs", name: "paths", keys: []string{"path"}, format: shoal.FormatText,
		specs: []string{"path=a%2Fb", "path=a_b", "path=axb", "path=A%25B", "path=__HIVE_DEFAULT_PARTITION__"}},
	{db: "webxlogs", name: "clicks", keys: []string{"dt"}, format: shoal.FormatTextGzip},
	{db: "a", name: "zeta", keys: []string{"dt"}, format: shoal.FormatParquet},
	{db: "a-b", name: "t", format: shoal.FormatSequence},
	{db: "empty", name: "nothing", keys: []string{"dt"}, format: shoal.FormatParquet},
}

// fixture is the statistics of one snapshot.
type fixture struct {
	tables []shoal.TableStats
	parts  []shoal.PartitionStats
}

var fixtureThresholds = shoal.Thresholds{
	SmallFileSize:  1 * shoal.MiB,
	TargetFileSize: 64 * shoal.MiB,
	BlockSize:      64 * shoal.MiB,
}

// newFixture generates the statistics of a snapshot of the fixture
// warehouse. Metrics take few distinct values so that sorts have ties.
func newFixture(seed uint64, skip ...string) *fixture {
	r := rand.New(rand.NewPCG(seed, 0x5eed)) //nolint:gosec // reproducible test data
	sizes := []int64{0, 100, 4 * shoal.KiB, 512 * shoal.KiB, 2 * shoal.MiB, 100 * shoal.MiB, 5 * shoal.GiB}
	formats := []shoal.Format{shoal.FormatUnknown, shoal.FormatParquet, shoal.FormatORC}
	folder := shoal.NewPartitionFolder(fixtureThresholds)
	f := &fixture{}
	for _, ft := range fixtureTables {
		if slices.Contains(skip, ft.db+"."+ft.name) {
			continue
		}
		tbl := shoal.Table{Database: ft.db, Name: ft.name, Format: ft.format, Owner: "hive",
			Location:      "hdfs://nn/warehouse/" + ft.db + ".db/" + ft.name,
			PartitionKeys: ft.keys, Transactional: ft.format == shoal.FormatORC}
		ts := shoal.NewTableStats(&tbl)
		specs := ft.specs
		switch {
		case specs != nil:
		case len(ft.keys) == 0:
			specs = []string{""}
		case ft.db == "empty":
		default:
			for i := range 3 + r.IntN(14) {
				spec := fmt.Sprintf("%s=2025-01-%02d", ft.keys[0], i+1)
				if len(ft.keys) > 1 {
					spec += fmt.Sprintf("/%s=%s", ft.keys[1], []string{"eu", "us"}[i%2])
				}
				specs = append(specs, spec)
			}
		}
		for _, spec := range specs {
			loc := tbl.Location
			if spec != "" {
				loc += "/" + spec
			}
			folder.Reset(ft.db, ft.name, spec, loc)
			for range r.IntN(6) {
				fi := shoal.FileInfo{
					Size:    sizes[r.IntN(len(sizes))],
					ModTime: base.Add(time.Duration(r.IntN(1_000_000)) * time.Millisecond),
				}
				folder.Add(&fi, formats[r.IntN(len(formats))])
			}
			p := folder.Stats()
			if r.IntN(6) == 0 {
				p.Error = "list " + loc + ": permission denied"
			}
			ts.AddPartition(&p)
			f.parts = append(f.parts, p)
		}
		f.tables = append(f.tables, ts)
	}
	return f
}

// table returns the statistics of db.name.
func (f *fixture) table(db, name string) shoal.TableStats {
	for _, t := range f.tables {
		if t.Database == db && t.Table == name {
			return t
		}
	}
	panic("no fixture table " + db + "." + name)
}

// write writes the fixture to the snapshot of scan id in many small calls,
// in a shuffled order: half of the tables before their partitions and half
// after them.
func (f *fixture) write(ctx context.Context, t testing.TB, st shoal.Store, id int64) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(id), 42)) //nolint:gosec // reproducible test data
	w, err := st.SnapshotWriter(ctx, id)
	if err != nil {
		t.Fatalf("SnapshotWriter(%d): %v", id, err)
	}
	defer func() {
		if err := w.Close(); err != nil {
			t.Errorf("SnapshotWriter.Close: %v", err)
		}
	}()
	tables := slices.Clone(f.tables)
	r.Shuffle(len(tables), func(i, j int) { tables[i], tables[j] = tables[j], tables[i] })
	before, after := tables[:len(tables)/2], tables[len(tables)/2:]
	for len(before) > 0 {
		n := min(len(before), 2)
		if err := w.WriteTables(ctx, before[:n]); err != nil {
			t.Fatalf("WriteTables: %v", err)
		}
		before = before[n:]
	}
	parts := slices.Clone(f.parts)
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for len(parts) > 0 {
		n := min(len(parts), 1+r.IntN(9))
		if err := w.WritePartitions(ctx, parts[:n]); err != nil {
			t.Fatalf("WritePartitions: %v", err)
		}
		parts = parts[n:]
	}
	if err := w.WriteTables(ctx, after); err != nil {
		t.Fatalf("WriteTables: %v", err)
	}
}

// tables returns the fixture's tables that match f, sorted as the contract
// says.
func (f *fixture) wantTables(flt shoal.TableFilter) []shoal.TableStats {
	if err := flt.Validate(); err != nil {
		panic(err)
	}
	var ts []shoal.TableStats
	for _, t := range f.tables {
		name := t.Database + "." + t.Table
		if flt.Database != "" && t.Database != flt.Database ||
			flt.Format != "" && t.Format != flt.Format ||
			!containsFold(name, flt.Search) {
			continue
		}
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b shoal.TableStats) int {
		c := cmp.Or(compareTableKey(flt.Sort, &a, &b), strings.Compare(a.Database+"."+a.Table, b.Database+"."+b.Table))
		if flt.Desc {
			return -c
		}
		return c
	})
	return ts
}

// wantPartitions returns the fixture's partitions that match f, sorted as the
// contract says but for the final tie breaker, the store's row id.
func (f *fixture) wantPartitions(flt shoal.PartitionFilter) []shoal.PartitionStats {
	if err := flt.Validate(); err != nil {
		panic(err)
	}
	var ps []shoal.PartitionStats
	for _, p := range f.parts {
		if flt.Table != "" && (p.Database != flt.Database || p.Table != flt.Table) ||
			flt.OnlyErrors && p.Error == "" || !containsFold(p.Spec, flt.Search) {
			continue
		}
		ps = append(ps, p)
	}
	slices.SortStableFunc(ps, func(a, b shoal.PartitionStats) int {
		c := comparePartitionKey(flt.Sort, &a, &b)
		if flt.Desc {
			return -c
		}
		return c
	})
	return ps
}

// comparePartitionKey compares the sort key of two partitions, spec included.
func comparePartitionKey(k shoal.SortKey, a, b *shoal.PartitionStats) int {
	return cmp.Or(compareMetric(k,
		metrics{a.Files, a.Bytes, a.Small, a.NameNodeHeap, a.ReducibleFiles, 0, a.NewestModTime},
		metrics{b.Files, b.Bytes, b.Small, b.NameNodeHeap, b.ReducibleFiles, 0, b.NewestModTime}),
		strings.Compare(a.Spec, b.Spec))
}

func compareTableKey(k shoal.SortKey, a, b *shoal.TableStats) int {
	return compareMetric(k,
		metrics{a.Files, a.Bytes, a.Small, a.NameNodeHeap, a.ReducibleFiles, a.Partitions, a.NewestModTime},
		metrics{b.Files, b.Bytes, b.Small, b.NameNodeHeap, b.ReducibleFiles, b.Partitions, b.NewestModTime})
}

// metrics are the sortable figures of a table or partition.
type metrics struct {
	files, bytes, small, heap, reducible, partitions int64
	newest                                           time.Time
}

func (m metrics) smallRatio() float64 {
	if m.files == 0 {
		return 0
	}
	return float64(m.small) / float64(m.files)
}

func (m metrics) avgSize() int64 {
	if m.files == 0 {
		return 0
	}
	return m.bytes / m.files
}

// compareMetric compares the metric of sort key k; names compare equal.
func compareMetric(k shoal.SortKey, a, b metrics) int {
	switch k {
	case shoal.SortName:
		return 0
	case shoal.SortFiles:
		return cmp.Compare(a.files, b.files)
	case shoal.SortBytes:
		return cmp.Compare(a.bytes, b.bytes)
	case shoal.SortSmallFiles:
		return cmp.Compare(a.small, b.small)
	case shoal.SortSmallRatio:
		return cmp.Compare(a.smallRatio(), b.smallRatio())
	case shoal.SortNameNodeHeap:
		return cmp.Compare(a.heap, b.heap)
	case shoal.SortReducibleFiles:
		return cmp.Compare(a.reducible, b.reducible)
	case shoal.SortAvgSize:
		return cmp.Compare(a.avgSize(), b.avgSize())
	case shoal.SortNewestModTime:
		return a.newest.Compare(b.newest) // the zero time is the oldest
	case shoal.SortPartitions:
		return cmp.Compare(a.partitions, b.partitions)
	}
	panic("unknown sort key " + k)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// wantDatabases returns the per-database sums of the fixture.
func (f *fixture) wantDatabases() []shoal.DatabaseStats {
	var dbs []shoal.DatabaseStats
	for _, t := range f.tables {
		i := slices.IndexFunc(dbs, func(d shoal.DatabaseStats) bool { return d.Name == t.Database })
		if i < 0 {
			dbs, i = append(dbs, shoal.DatabaseStats{Name: t.Database}), len(dbs)
		}
		d := &dbs[i]
		d.Tables++
		d.Partitions += t.Partitions
		d.Files += t.Files
		d.Bytes += t.Bytes
		d.Small += t.Small
		d.NameNodeHeap += t.NameNodeHeap
		d.ReducibleFiles += t.ReducibleFiles
	}
	slices.SortFunc(dbs, func(a, b shoal.DatabaseStats) int { return strings.Compare(a.Name, b.Name) })
	return dbs
}

// point returns the trend point of the whole fixture or of one table.
func (f *fixture) point(sc *shoal.Scan, db, table string) shoal.TrendPoint {
	pt := shoal.TrendPoint{ScanID: sc.ID, At: sc.FinishedAt}
	for _, t := range f.tables {
		if db != "" && (t.Database != db || t.Table != table) {
			continue
		}
		pt.Partitions += t.Partitions
		pt.Files += t.Files
		pt.Bytes += t.Bytes
		pt.Small += t.Small
		pt.NameNodeHeap += t.NameNodeHeap
		pt.ReducibleFiles += t.ReducibleFiles
	}
	return pt
}

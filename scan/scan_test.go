package scan_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/scan"
	"github.com/shoalhq/shoal/warehouse"
)

// memWriter keeps a snapshot in memory.
type memWriter struct {
	mu     sync.Mutex
	parts  []shoal.PartitionStats
	tables []shoal.TableStats
}

func (w *memWriter) WritePartitions(_ context.Context, ps []shoal.PartitionStats) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.parts = append(w.parts, ps...)
	return nil
}

func (w *memWriter) WriteTables(_ context.Context, ts []shoal.TableStats) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tables = append(w.tables, ts...)
	return nil
}

func (w *memWriter) Close() error { return nil }

func writeFile(t *testing.T, p string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Repeat([]byte("x"), size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// buildTree writes a warehouse with the awkward cases a scan must count
// right, and returns the partition directories it expects to be scanned,
// keyed by "db.table/spec".
func buildTree(t *testing.T) (root string, want map[string]string) {
	t.Helper()
	root = t.TempDir()
	want = map[string]string{}
	// sales.orders: daily partitions with small and zero-byte files and
	// hidden files and directories.
	for d := 1; d <= 5; d++ {
		dir := filepath.Join(root, "sales.db", "orders", fmt.Sprintf("dt=2026-10-%02d", d))
		for f := 0; f < d*3; f++ {
			writeFile(t, filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", f)), 100*f+d)
		}
		writeFile(t, filepath.Join(dir, "empty-0"), 0)
		writeFile(t, filepath.Join(dir, "_SUCCESS"), 0)
		writeFile(t, filepath.Join(dir, ".part-00000.parquet.crc"), 12)
		writeFile(t, filepath.Join(dir, "_temporary", "0", "part-x"), 999)
		want["sales.orders/"+fmt.Sprintf("dt=2026-10-%02d", d)] = dir
	}
	// An empty partition.
	empty := filepath.Join(root, "sales.db", "orders", "dt=2026-10-06")
	mkdir(t, empty)
	want["sales.orders/dt=2026-10-06"] = empty
	// A non-partition directory at the partition level is not a partition.
	writeFile(t, filepath.Join(root, "sales.db", "orders", "backup", "old-file"), 10)
	// A file directly in a partitioned table's root belongs to no partition.
	writeFile(t, filepath.Join(root, "sales.db", "orders", "stray.txt"), 10)

	// web.events: two levels, special characters, the default partition,
	// and a nested non-partition directory inside a partition.
	specs := []struct{ dt, country string }{
		{"2026-10-01", "US"},
		{"2026-10-01", "CN"},
		{"2026-10-02", "a b%3Ac"},
		{"2026-10-02", shoal.HiveDefaultPartition},
		{"2026-10-03", "中国"},
	}
	for i, s := range specs {
		dir := filepath.Join(root, "web.db", "events", "dt="+s.dt, "country="+s.country)
		for f := 0; f <= i; f++ {
			writeFile(t, filepath.Join(dir, fmt.Sprintf("000%d_0", f)), 2048*(f+1))
		}
		spec := shoal.PartitionSpec([]string{"dt", "country"}, []string{s.dt, shoal.UnescapePartitionValue(s.country)})
		want["web.events/"+spec] = dir
	}
	writeFile(t, filepath.Join(root, "web.db", "events", "dt=2026-10-01", "country=US", "HIVE_UNION_SUBDIR_1", "000000_0"), 77)

	// default.lookup: an unpartitioned table directly under the root.
	lookup := filepath.Join(root, "lookup")
	writeFile(t, filepath.Join(lookup, "data.csv"), 5000)
	writeFile(t, filepath.Join(lookup, "data2.csv"), 0)
	want["default.lookup/"] = lookup
	// Hidden databases and tables are ignored.
	writeFile(t, filepath.Join(root, ".trash", "x", "f"), 3)
	writeFile(t, filepath.Join(root, "_tmp.db", "t", "f"), 3)
	writeFile(t, filepath.Join(root, "web.db", "_staging", "f"), 3)
	return root, want
}

// findStats runs find(1) on dir, pruning hidden names, and returns the file
// count and byte sum: the independent oracle of a partition's totals.
func findStats(t *testing.T, dir string) (files, bytes int64) {
	t.Helper()
	out, err := exec.Command("find", dir, "-mindepth", "1", "(", "-name", ".*", "-o", "-name", "_*", ")",
		"-prune", "-o", "-type", "f", "-printf", "%s\n").Output()
	if err != nil {
		t.Fatalf("find %s: %v", dir, err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		n, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		files++
		bytes += n
	}
	return files, bytes
}

func newScanner(t testing.TB, root string) *scan.Scanner {
	t.Helper()
	cat, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return &scan.Scanner{
		Catalog: cat,
		FS:      cat.FileSystem(),
		Options: scan.Options{
			Thresholds:  shoal.Thresholds{SmallFileSize: 1000, TargetFileSize: 4096, BlockSize: 1024},
			Concurrency: 3,
			BatchSize:   4,
		},
	}
}

func TestScanner_MatchesFind(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("find"); err != nil {
		t.Skip("find(1) not installed")
	}
	root, want := buildTree(t)
	s := newScanner(t, root)
	w := &memWriter{}
	totals, err := s.Run(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]shoal.PartitionStats{}
	for _, p := range w.parts {
		key := p.Database + "." + p.Table + "/" + p.Spec
		if _, dup := got[key]; dup {
			t.Errorf("partition %s written twice", key)
		}
		got[key] = p
	}
	if len(got) != len(want) {
		t.Errorf("scanned %d partitions, want %d", len(got), len(want))
	}
	var files, bytesSum int64
	for key, dir := range want {
		p, ok := got[key]
		if !ok {
			t.Errorf("partition %s not scanned; got %v", key, keys(got))
			continue
		}
		f, b := findStats(t, dir)
		if p.Files != f || p.Bytes != b {
			t.Errorf("%s: scan says %d files, %d bytes; find says %d files, %d bytes", key, p.Files, p.Bytes, f, b)
		}
		if p.Error != "" {
			t.Errorf("%s: unexpected error %q", key, p.Error)
		}
		var hist int64
		for _, n := range p.Histogram {
			hist += n
		}
		if hist != p.Files {
			t.Errorf("%s: histogram holds %d files, want %d", key, hist, p.Files)
		}
		files += f
		bytesSum += b
	}
	if totals.Files != files || totals.Bytes != bytesSum {
		t.Errorf("totals %d files %d bytes, want %d, %d", totals.Files, totals.Bytes, files, bytesSum)
	}
	if totals.Tables != 3 || len(w.tables) != 3 {
		t.Errorf("totals.Tables = %d, tables written = %d, want 3", totals.Tables, len(w.tables))
	}
	if totals.Partitions != 11 { // 6 orders + 5 events; the unpartitioned table counts none
		t.Errorf("totals.Partitions = %d, want 11", totals.Partitions)
	}
	for _, ts := range w.tables {
		if ts.Database == "sales" && ts.Format != shoal.FormatText {
			t.Errorf("sales.orders format %q, want text (files of x bytes)", ts.Format)
		}
	}
}

func keys(m map[string]shoal.PartitionStats) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestScanner_PartitionStats(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "db.db", "t", "p=1")
	sizes := []int{0, 10, 999, 1000, 5000, 3 * 1024}
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, n := range sizes {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		writeFile(t, p, n)
		mt := old.Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	s := newScanner(t, root)
	w := &memWriter{}
	if _, err := s.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if len(w.parts) != 1 {
		t.Fatalf("got %d partitions, want 1", len(w.parts))
	}
	p := w.parts[0]
	var total int64 = 0 + 10 + 999 + 1000 + 5000 + 3072
	checks := []struct {
		name      string
		got, want int64
	}{
		{"files", p.Files, 6},
		{"bytes", p.Bytes, total},
		{"small", p.Small, 3}, // 0, 10 and 999 are below 1000
		{"min", p.MinSize, 0},
		{"median", p.MedianSize, 999},
		{"max", p.MaxSize, 5000},
		// Blocks of 1024 bytes: 0+1+1+1+5+3 = 11; heap = 150 × (1 dir + 6 files + 11 blocks).
		{"blocks", p.Blocks, 11},
		{"heap", p.NameNodeHeap, 150 * (1 + 6 + 11)},
		{"after merge", p.FilesAfterMerge, (total + 4095) / 4096},
		{"reducible", p.ReducibleFiles, 6 - (total+4095)/4096},
		{"hist <1KiB", p.Histogram[0], 4},
		{"hist 4-8KiB", p.Histogram[3], 1},
		{"hist 2-4KiB", p.Histogram[2], 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !p.OldestModTime.Equal(old) || !p.NewestModTime.Equal(old.Add(5*time.Hour)) {
		t.Errorf("mtimes %v..%v, want %v..%v", p.OldestModTime, p.NewestModTime, old, old.Add(5*time.Hour))
	}
}

// faultFS wraps a file system and injects faults for chosen directories.
type faultFS struct {
	shoal.FileSystem
	before func(dir string) error
}

func (f *faultFS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	if err := f.before(dir); err != nil {
		return err
	}
	return f.FileSystem.List(ctx, dir, fn)
}

func TestScanner_VanishingAndUnreadablePartitions(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, p := range []string{"p=1", "p=2", "p=3", "p=4"} {
		writeFile(t, filepath.Join(root, "db.db", "t", p, "f"), 100)
	}
	s := newScanner(t, root)
	s.FS = &faultFS{FileSystem: s.FS, before: func(dir string) error {
		switch filepath.Base(dir) {
		case "p=2": // removed between enumeration and listing
			return os.RemoveAll(dir)
		case "p=3":
			return fmt.Errorf("list %s: %w", dir, os.ErrPermission)
		}
		return nil
	}}
	w := &memWriter{}
	totals, err := s.Run(context.Background(), w)
	if err != nil {
		t.Fatalf("scan must go on past bad partitions: %v", err)
	}
	errs := map[string]string{}
	for _, p := range w.parts {
		errs[p.Spec] = p.Error
	}
	if len(errs) != 4 {
		t.Fatalf("got %d partitions, want 4: %v", len(errs), errs)
	}
	if !strings.Contains(errs["p=2"], "vanished") {
		t.Errorf("p=2 error = %q, want it to say the directory vanished", errs["p=2"])
	}
	if !strings.Contains(errs["p=3"], "permission denied") {
		t.Errorf("p=3 error = %q, want permission denied", errs["p=3"])
	}
	if errs["p=1"] != "" || errs["p=4"] != "" {
		t.Errorf("healthy partitions have errors: %v", errs)
	}
	if totals.ErrorPartitions != 2 || totals.Files != 2 {
		t.Errorf("totals: %d error partitions, %d files; want 2, 2", totals.ErrorPartitions, totals.Files)
	}
}

func TestScanner_Cancel(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i := 0; i < 50; i++ {
		writeFile(t, filepath.Join(root, "db.db", "t", fmt.Sprintf("p=%d", i), "f"), 1)
	}
	s := newScanner(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	s.FS = &faultFS{FileSystem: s.FS, before: func(string) error {
		n++
		if n == 5 {
			cancel()
		}
		return nil
	}}
	s.Options.Concurrency = 1
	_, err := s.Run(ctx, &memWriter{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestScanner_RateLimit(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i := 0; i < 6; i++ {
		writeFile(t, filepath.Join(root, "db.db", "t", fmt.Sprintf("p=%d", i), "f"), 1)
	}
	s := newScanner(t, root)
	s.Options.OpsPerSecond = 20 // burst 20 then 20/s: 6 listings fit in the burst
	var reports []shoal.ScanProgress
	s.Options.ProgressInterval = time.Millisecond
	s.Options.OnProgress = func(p shoal.ScanProgress) { reports = append(reports, p) }
	if _, err := s.Run(context.Background(), &memWriter{}); err != nil {
		t.Fatal(err)
	}
	last := reports[len(reports)-1]
	if !last.TotalKnown || last.PartitionsDone != 6 || last.PartitionsTotal != 6 || last.TablesDone != 1 {
		t.Errorf("final progress = %+v, want 6/6 partitions, 1 table, total known", last)
	}

	s2 := newScanner(t, root)
	s2.Options.OpsPerSecond = 1 // burst 1: 6 listings need at least 5 s
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, err := s2.Run(ctx, &memWriter{}); err == nil {
		t.Fatal("a 1 op/s limit must not list 6 partitions in 1.5 s")
	}
}

func TestScanner_SniffSampling(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i := 0; i < 40; i++ {
		content := []byte("id,name\n1,x\n")
		switch i {
		case 19: // the 20th partition is not sniffed: it takes the table's format
			content = []byte("PAR1 not really parquet")
		case 31: // the 32nd is sniffed (one in 16 after the first 16)
			content = []byte("\x1f\x8b\x08\x00 gzip")
		}
		p := filepath.Join(root, "db.db", "t", fmt.Sprintf("p=%02d", i), "f")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newScanner(t, root)
	s.Options.Concurrency = 1 // partitions in name order
	w := &memWriter{}
	if _, err := s.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	formats := map[string]shoal.Format{}
	for _, p := range w.parts {
		formats[p.Spec] = p.Format
	}
	for spec, want := range map[string]shoal.Format{
		"p=00": shoal.FormatText, "p=15": shoal.FormatText, // sniffed
		"p=19": shoal.FormatText,     // not sniffed: the table's format so far
		"p=31": shoal.FormatTextGzip, // sniffed
		"p=35": shoal.FormatTextGzip, // not sniffed: the format last found
	} {
		if formats[spec] != want {
			t.Errorf("%s format = %s, want %s", spec, formats[spec], want)
		}
	}
	if len(w.tables) != 1 || w.tables[0].Format != shoal.FormatMixed {
		t.Errorf("table format = %v, want mixed (text and gzip were seen)", w.tables)
	}

	s = newScanner(t, root)
	s.Options.Concurrency = 1
	s.Options.SniffEvery = 1
	w = &memWriter{}
	if _, err := s.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	for _, p := range w.parts {
		if p.Spec == "p=19" && p.Format != shoal.FormatParquet {
			t.Errorf("with SniffEvery=1, p=19 format = %s, want parquet", p.Format)
		}
	}
}

// droppingCatalog answers as if a database and a table were dropped
// while the scan enumerated them.
type droppingCatalog struct {
	shoal.Catalog
	db, table string
}

func (c droppingCatalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	if db == c.db {
		return nil, shoal.Errorf(shoal.ENOTFOUND, "database %s not found", db)
	}
	return c.Catalog.Tables(ctx, db)
}

func (c droppingCatalog) Partitions(ctx context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	if t.QualifiedName() == c.table {
		return shoal.Errorf(shoal.ENOTFOUND, "table %s not found", c.table)
	}
	return c.Catalog.Partitions(ctx, t, fn)
}

func TestScanner_DroppedDuringScan(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, p := range []string{"a.db/t/p=1", "a.db/gone/p=1", "b.db/t/p=1", "c.db/t/p=1", "c.db/t/p=2"} {
		writeFile(t, filepath.Join(root, p, "f"), 100)
	}
	s := newScanner(t, root)
	s.Catalog = droppingCatalog{Catalog: s.Catalog, db: "b", table: "a.gone"}
	w := &memWriter{}
	totals, err := s.Run(context.Background(), w)
	if err != nil {
		t.Fatalf("a database or table dropped during the scan must not fail it: %v", err)
	}
	if totals.Partitions != 3 || totals.Files != 3 {
		t.Errorf("totals: %d partitions, %d files; want 3 and 3 (a.t, c.t)", totals.Partitions, totals.Files)
	}
}

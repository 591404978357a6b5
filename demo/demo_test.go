package demo_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	"github.com/scritchley/orc"
	"go.uber.org/goleak"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/demo"
)

// testNow is a Thursday afternoon, so that today's streaming partitions are
// partly written and the month has weekends.
var testNow = time.Date(2026, 10, 1, 14, 30, 0, 0, time.UTC)

// testScale keeps the shared tree small (about 400 files) while every table
// and special case is present.
const testScale = 0.1

var shared struct {
	once sync.Once
	dir  string
	m    *demo.Manifest
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// sharedTree returns a demo warehouse generated once for the read-only
// tests of this package.
func sharedTree(tb testing.TB) *demo.Manifest {
	tb.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "shoal-demo-test-")
		if shared.err != nil {
			return
		}
		shared.m, shared.err = demo.Generate(context.Background(), demo.Options{
			Dir: filepath.Join(shared.dir, "warehouse"), Seed: 42, Now: testNow, Scale: testScale,
		})
	})
	if shared.err != nil {
		tb.Fatalf("generate shared tree: %v", shared.err)
	}
	return shared.m
}

// walked is what an independent walk of the tree finds in one directory.
type walked struct {
	files, hidden  int
	bytes          int64
	minSize        int64
	maxSize        int64
	oldest, newest time.Time
	paths          []string // visible files
}

// walkTree walks root and attributes every file to the deepest manifest
// directory (partition or table root) that contains it. Files outside every
// table are reported under the key "".
func walkTree(t *testing.T, m *demo.Manifest) map[string]*walked {
	t.Helper()
	dirs := map[string]bool{}
	for _, tm := range m.Tables {
		dirs[tm.Dir] = true
		for _, p := range tm.Partitions {
			dirs[p.Dir] = true
		}
	}
	out := map[string]*walked{}
	err := filepath.WalkDir(m.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		owner := ""
		for dir := filepath.Dir(path); len(dir) >= len(m.Root); dir = filepath.Dir(dir) {
			if dirs[dir] {
				owner = dir
				break
			}
		}
		w := out[owner]
		if w == nil {
			w = &walked{}
			out[owner] = w
		}
		rel, _ := filepath.Rel(owner, path)
		hidden := false
		for _, el := range strings.Split(filepath.ToSlash(rel), "/") {
			hidden = hidden || shoal.IsHidden(el)
		}
		if hidden {
			w.hidden++
			return nil
		}
		if strings.Contains(filepath.ToSlash(rel), "/") {
			t.Errorf("visible file %s below partition %s", path, owner)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size, mtime := info.Size(), info.ModTime().UTC()
		if w.files == 0 || size < w.minSize {
			w.minSize = size
		}
		if w.files == 0 || mtime.Before(w.oldest) {
			w.oldest = mtime
		}
		w.maxSize = max(w.maxSize, size)
		if mtime.After(w.newest) {
			w.newest = mtime
		}
		w.files++
		w.bytes += size
		w.paths = append(w.paths, path)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", m.Root, err)
	}
	return out
}

func TestGenerate_ManifestMatchesTree(t *testing.T) {
	t.Parallel()
	m := sharedTree(t)
	got := walkTree(t, m)
	if w := got[""]; w != nil {
		t.Errorf("%d visible and %d hidden files outside every table", w.files, w.hidden)
	}
	var files, bytes, rows, hidden int64
	parts := 0
	for _, tm := range m.Tables {
		var tFiles, tBytes, tRows, tHidden int64
		for _, p := range tm.Partitions {
			info, err := os.Stat(p.Dir)
			if err != nil || !info.IsDir() {
				t.Errorf("%s %q: partition dir: %v", tm.QualifiedName(), p.Spec, err)
				continue
			}
			w := got[p.Dir]
			if w == nil {
				w = &walked{}
			}
			name := tm.QualifiedName() + " " + p.Spec
			if w.files != p.Files || w.bytes != p.Bytes {
				t.Errorf("%s: walked %d files, %d bytes; manifest %d, %d", name, w.files, w.bytes, p.Files, p.Bytes)
			}
			if w.minSize != p.MinSize || w.maxSize != p.MaxSize {
				t.Errorf("%s: walked sizes %d..%d; manifest %d..%d", name, w.minSize, w.maxSize, p.MinSize, p.MaxSize)
			}
			if !w.oldest.Equal(p.OldestModTime) || !w.newest.Equal(p.NewestModTime) {
				t.Errorf("%s: walked mtimes %v..%v; manifest %v..%v", name, w.oldest, w.newest, p.OldestModTime, p.NewestModTime)
			}
			if w.hidden != p.HiddenFiles {
				t.Errorf("%s: walked %d hidden files; manifest %d", name, w.hidden, p.HiddenFiles)
			}
			if want := shoal.PartitionSpec(tm.PartitionKeys, p.Values); p.Spec != want {
				t.Errorf("%s: spec %q, want %q from values %q", name, p.Spec, want, p.Values)
			}
			if want := filepath.Join(tm.Dir, filepath.FromSlash(p.Spec)); p.Dir != want {
				t.Errorf("%s: dir %s, want %s", name, p.Dir, want)
			}
			tFiles += int64(p.Files)
			tBytes += p.Bytes
			tRows += p.Rows
			tHidden += int64(p.HiddenFiles)
		}
		if tm.PartitionKeys != nil {
			if w := got[tm.Dir]; w != nil {
				if w.files > 0 {
					t.Errorf("%s: %d visible files at the root of a partitioned table", tm.QualifiedName(), w.files)
				}
				tHidden += int64(w.hidden)
			}
		}
		if tFiles != tm.Files || tBytes != tm.Bytes || tRows != tm.Rows || tHidden != tm.HiddenFiles {
			t.Errorf("%s: partitions sum to %d files, %d bytes, %d rows, %d hidden; table says %d, %d, %d, %d",
				tm.QualifiedName(), tFiles, tBytes, tRows, tHidden, tm.Files, tm.Bytes, tm.Rows, tm.HiddenFiles)
		}
		files, bytes, rows, hidden = files+tFiles, bytes+tBytes, rows+tRows, hidden+tHidden
		parts += len(tm.Partitions)
	}
	if files != m.Files || bytes != m.Bytes || rows != m.Rows || hidden != m.HiddenFiles || parts != m.Partitions {
		t.Errorf("tables sum to %d files, %d bytes, %d rows, %d hidden, %d partitions; manifest says %d, %d, %d, %d, %d",
			files, bytes, rows, hidden, parts, m.Files, m.Bytes, m.Rows, m.HiddenFiles, m.Partitions)
	}
}

func TestGenerate_Layout(t *testing.T) {
	t.Parallel()
	m := sharedTree(t)
	if m.Databases != 5 || len(m.Tables) < 10 || len(m.Tables) > 14 {
		t.Errorf("got %d databases and %d tables", m.Databases, len(m.Tables))
	}
	if !m.Now.Equal(testNow) || m.Seed != 42 || m.Scale != testScale {
		t.Errorf("manifest options: now %v, seed %d, scale %v", m.Now, m.Seed, m.Scale)
	}
	formats := map[shoal.Format]bool{}
	classes := map[demo.Class]bool{}
	var escaped, nullValue, twoLevel, unpartitioned, emptyParts, zeroByte bool
	emptyCount := 0
	for _, tm := range m.Tables {
		formats[tm.Format] = true
		classes[tm.Class] = true
		want := filepath.Join(m.Root, tm.Database+".db", tm.Table)
		if tm.Database == "default" {
			want = filepath.Join(m.Root, tm.Table)
		}
		if tm.Dir != want {
			t.Errorf("%s: dir %s, want %s", tm.QualifiedName(), tm.Dir, want)
		}
		if m.Table(tm.Database, tm.Table) == nil {
			t.Errorf("Table(%q, %q) = nil", tm.Database, tm.Table)
		}
		st := tm.ShoalTable()
		if st.QualifiedName() != tm.QualifiedName() || st.Location != tm.Dir || st.Format != tm.Format {
			t.Errorf("ShoalTable() = %+v", st)
		}
		twoLevel = twoLevel || len(tm.PartitionKeys) == 2
		if len(tm.PartitionKeys) == 0 {
			unpartitioned = true
			if len(tm.Partitions) != 1 || tm.Partitions[0].Spec != "" || tm.Partitions[0].Dir != tm.Dir {
				t.Errorf("%s: unpartitioned table has partitions %+v", tm.QualifiedName(), tm.Partitions)
			}
		}
		if !slices.IsSortedFunc(tm.Partitions, func(a, b demo.PartitionManifest) int { return strings.Compare(a.Spec, b.Spec) }) {
			t.Errorf("%s: partitions not sorted by spec", tm.QualifiedName())
		}
		for _, p := range tm.Partitions {
			if strings.Contains(p.Spec, "%3A") && strings.Contains(strings.Join(p.Values, ""), ":") {
				escaped = true
				if _, err := os.Stat(filepath.Join(tm.Dir, "batch_ts="+shoal.EscapePartitionValue(p.Values[0]))); err != nil {
					t.Errorf("escaped partition dir: %v", err)
				}
			}
			nullValue = nullValue || slices.Contains(p.Values, shoal.HiveDefaultPartition)
			if p.Files == 0 {
				emptyCount++
			}
			zeroByte = zeroByte || (p.Files > 0 && p.MinSize == 0)
		}
	}
	emptyParts = emptyCount >= 3
	for _, f := range []shoal.Format{shoal.FormatParquet, shoal.FormatAvro, shoal.FormatORC, shoal.FormatText, shoal.FormatTextGzip} {
		if !formats[f] {
			t.Errorf("no %s table", f)
		}
	}
	for _, c := range []demo.Class{demo.ClassStreaming, demo.ClassBatch, demo.ClassHealthy} {
		if !classes[c] {
			t.Errorf("no %s table", c)
		}
	}
	for name, ok := range map[string]bool{
		"escaped partition value": escaped, "__HIVE_DEFAULT_PARTITION__": nullValue,
		"two-level partitions": twoLevel, "unpartitioned table": unpartitioned,
		"3 empty partitions": emptyParts, "zero-byte file": zeroByte,
	} {
		if !ok {
			t.Errorf("missing: %s", name)
		}
	}

	// Hidden files Hive ignores.
	var success, crc, temporary, sparkMeta, staging bool
	filepath.WalkDir(m.Root, func(path string, d fs.DirEntry, err error) error {
		switch name := d.Name(); {
		case name == "_SUCCESS":
			success = true
		case strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".crc"):
			crc = true
			b, err := os.ReadFile(path)
			if err != nil || !bytes.HasPrefix(b, []byte("crc\x00")) {
				t.Errorf("%s: not a Hadoop checksum file (%v)", path, err)
			}
		case name == "_temporary":
			temporary = true
		case name == "_spark_metadata":
			sparkMeta = true
		case strings.HasPrefix(name, ".hive-staging"):
			staging = true
		}
		return nil
	})
	for name, ok := range map[string]bool{"_SUCCESS": success, ".crc": crc, "_temporary": temporary, "_spark_metadata": sparkMeta, ".hive-staging": staging} {
		if !ok {
			t.Errorf("missing hidden %s", name)
		}
	}
}

// partitionDay returns the UTC day a partition's values name, if any.
func partitionDay(tm *demo.TableManifest, p *demo.PartitionManifest) (time.Time, bool) {
	if len(p.Values) == 0 {
		return time.Time{}, false
	}
	v := p.Values[0]
	if len(v) < 10 {
		return time.Time{}, false
	}
	day, err := time.Parse("2006-01-02", v[:10])
	return day, err == nil
}

func TestGenerate_ModTimes(t *testing.T) {
	t.Parallel()
	m := sharedTree(t)
	got := walkTree(t, m)
	hot := false
	for ti := range m.Tables {
		tm := &m.Tables[ti]
		for pi := range tm.Partitions {
			p := &tm.Partitions[pi]
			w := got[p.Dir]
			if w == nil || w.files == 0 {
				continue
			}
			if w.newest.After(m.Now) {
				t.Errorf("%s %s: file mtime %v after now %v", tm.QualifiedName(), p.Spec, w.newest, m.Now)
			}
			info, err := os.Stat(p.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if dt := info.ModTime().UTC(); dt.Before(w.newest) || dt.After(m.Now) {
				t.Errorf("%s %s: dir mtime %v, newest file %v", tm.QualifiedName(), p.Spec, dt, w.newest)
			}
			day, ok := partitionDay(tm, p)
			if !ok {
				continue
			}
			if w.oldest.Before(day) || !w.newest.Before(day.Add(24*time.Hour)) {
				t.Errorf("%s %s: mtimes %v..%v outside the partition's day", tm.QualifiedName(), p.Spec, w.oldest, w.newest)
			}
			hot = hot || m.Now.Sub(w.newest) < time.Hour
		}
	}
	if !hot {
		t.Error("no partition written in the last hour")
	}
	for _, d := range []string{"web.db", filepath.Join("web.db", "clickstream")} {
		info, err := os.Stat(filepath.Join(m.Root, d))
		if err != nil {
			t.Fatal(err)
		}
		if mt := info.ModTime(); mt.After(m.Now) || m.Now.Sub(mt) > time.Hour {
			t.Errorf("%s: mtime %v, want within the hour before %v", d, mt, m.Now)
		}
	}
}

// magic is the leading bytes of each binary format.
var magic = map[shoal.Format]string{
	shoal.FormatParquet:  "PAR1",
	shoal.FormatAvro:     "Obj\x01",
	shoal.FormatORC:      "ORC",
	shoal.FormatTextGzip: "\x1f\x8b",
}

func TestGenerate_FormatsAndRows(t *testing.T) {
	t.Parallel()
	m := sharedTree(t)
	got := walkTree(t, m)
	for _, tm := range m.Tables {
		for _, p := range tm.Partitions {
			w := got[p.Dir]
			if w == nil {
				continue
			}
			var rows int64
			for _, path := range w.paths {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if len(data) == 0 {
					continue
				}
				if mg, ok := magic[tm.Format]; ok && !bytes.HasPrefix(data, []byte(mg)) {
					t.Errorf("%s: starts with %q, want %s magic %q", path, data[:min(4, len(data))], tm.Format, mg)
				}
				if f := shoal.DetectFormat(data[:min(16, len(data))]); f != tm.Format {
					t.Errorf("%s: detected %s, want %s", path, f, tm.Format)
				}
				n, err := countRows(tm.Format, path, data)
				if err != nil {
					t.Errorf("%s: read back: %v", path, err)
				}
				rows += n - int64(tm.HeaderLines)
			}
			if rows != p.Rows {
				t.Errorf("%s %s: read %d rows, manifest %d", tm.QualifiedName(), p.Spec, rows, p.Rows)
			}
		}
	}
}

// countRows decodes a data file entirely and returns its number of rows,
// header lines included.
func countRows(format shoal.Format, path string, data []byte) (int64, error) {
	switch format {
	case shoal.FormatParquet:
		if !bytes.HasSuffix(data, []byte("PAR1")) {
			return 0, errors.New("no trailing PAR1")
		}
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return 0, err
		}
		r := parquet.NewReader(f)
		defer r.Close()
		buf := make([]parquet.Row, 256)
		var n int64
		for {
			k, err := r.ReadRows(buf)
			n += int64(k)
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return n, err
			}
		}
		if n != f.NumRows() {
			return n, fmt.Errorf("read %d rows, footer says %d", n, f.NumRows())
		}
		return n, nil
	case shoal.FormatAvro:
		dec, err := ocf.NewDecoder(bytes.NewReader(data))
		if err != nil {
			return 0, err
		}
		var n int64
		for dec.HasNext() {
			var rec map[string]any
			if err := dec.Decode(&rec); err != nil {
				return n, err
			}
			if _, ok := rec["view_id"].(string); !ok {
				return n, fmt.Errorf("record without view_id: %v", rec)
			}
			n++
		}
		return n, dec.Error()
	case shoal.FormatORC:
		r, err := orc.Open(path)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		c := r.Select(r.Schema().Columns()...)
		var n int64
		for c.Stripes() {
			for c.Next() {
				n++
			}
		}
		if err := c.Err(); err != nil {
			return n, err
		}
		if n != int64(r.NumRows()) {
			return n, fmt.Errorf("read %d rows, footer says %d", n, r.NumRows())
		}
		return n, nil
	case shoal.FormatTextGzip:
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return 0, err
		}
		return countLines(zr)
	case shoal.FormatText:
		return countLines(bytes.NewReader(data))
	}
	return 0, fmt.Errorf("unexpected format %s", format)
}

func countLines(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	var n int64
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

// TestGenerate_SizeClasses folds the walked files with the demo thresholds,
// as a scanner would: streaming and batch tables are all small files, healthy
// tables have neither small files nor anything to merge.
func TestGenerate_SizeClasses(t *testing.T) {
	t.Parallel()
	if err := demo.Thresholds.Validate(); err != nil {
		t.Fatal(err)
	}
	m := sharedTree(t)
	got := walkTree(t, m)
	folder := shoal.NewPartitionFolder(demo.Thresholds)
	for _, tm := range m.Tables {
		for _, p := range tm.Partitions {
			folder.Reset(tm.Database, tm.Table, p.Spec, p.Dir)
			if w := got[p.Dir]; w != nil {
				for _, path := range w.paths {
					info, err := os.Stat(path)
					if err != nil {
						t.Fatal(err)
					}
					folder.Add(&shoal.FileInfo{Path: path, Size: info.Size(), ModTime: info.ModTime()}, tm.Format)
				}
			}
			st := folder.Stats()
			name := tm.QualifiedName() + " " + p.Spec
			switch tm.Class {
			case demo.ClassStreaming, demo.ClassBatch:
				if st.Small != st.Files {
					t.Errorf("%s: %d of %d files small (max size %d)", name, st.Small, st.Files, st.MaxSize)
				}
			case demo.ClassHealthy:
				if st.Files == 0 || st.Small != 0 || st.ReducibleFiles != 0 {
					t.Errorf("%s: %d files, %d small, %d reducible (sizes %d..%d)", name, st.Files, st.Small, st.ReducibleFiles, st.MinSize, st.MaxSize)
				}
			default:
				t.Errorf("%s: unknown class %q", name, tm.Class)
			}
		}
	}
}

// treeDigest lists every file and directory of root with its size, mtime
// and content hash, relative to root.
func treeDigest(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." {
				out = append(out, fmt.Sprintf("%s/ %s", rel, info.ModTime().UTC().Format(time.RFC3339Nano)))
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %s %x", rel, info.Size(), info.ModTime().UTC().Format(time.RFC3339Nano), sha256.Sum256(data)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// relManifest returns m with its paths relative to its root.
func relManifest(m *demo.Manifest) demo.Manifest {
	c := *m
	rel := func(p string) string { r, _ := filepath.Rel(m.Root, p); return r }
	c.Root = ""
	c.Tables = slices.Clone(m.Tables)
	for i := range c.Tables {
		c.Tables[i].Dir = rel(c.Tables[i].Dir)
		c.Tables[i].Partitions = slices.Clone(c.Tables[i].Partitions)
		for j := range c.Tables[i].Partitions {
			c.Tables[i].Partitions[j].Dir = rel(c.Tables[i].Partitions[j].Dir)
		}
	}
	return c
}

func TestGenerate_Deterministic(t *testing.T) {
	t.Parallel()
	m1 := sharedTree(t)
	gen := func(seed int64) *demo.Manifest {
		dir := filepath.Join(t.TempDir(), "w")
		// Another worker count than the shared tree's: the output must not
		// depend on the order files are written in.
		m, err := demo.Generate(context.Background(), demo.Options{Dir: dir, Seed: seed, Now: testNow, Scale: testScale, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m2 := gen(m1.Seed)
	if !reflect.DeepEqual(relManifest(m1), relManifest(m2)) {
		t.Error("same seed, different manifests")
	}
	d1, d2 := treeDigest(t, m1.Root), treeDigest(t, m2.Root)
	if !slices.Equal(d1, d2) {
		for i := range min(len(d1), len(d2)) {
			if d1[i] != d2[i] {
				t.Errorf("same seed, different trees: first difference\n%s\n%s", d1[i], d2[i])
				break
			}
		}
		t.Errorf("same seed, different trees (%d and %d entries)", len(d1), len(d2))
	}
	if m3 := gen(m1.Seed + 1); reflect.DeepEqual(relManifest(m1), relManifest(m3)) {
		t.Error("different seeds, same manifest")
	}
}

func TestGenerate_Defaults(t *testing.T) {
	t.Parallel()
	// A cancelled context stops Generate before it writes much.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := demo.Generate(ctx, demo.Options{Dir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Generate: %v, want context.Canceled", err)
	}
	// Now defaults to the current time.
	m, err := demo.Generate(context.Background(), demo.Options{Dir: t.TempDir(), Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(m.Now) > time.Minute || m.Now.Location() != time.UTC {
		t.Errorf("default now %v", m.Now)
	}
	if m.Files == 0 || len(m.Tables) != 13 {
		t.Errorf("tiny scale: %d files, %d tables", m.Files, len(m.Tables))
	}
}

func TestGenerate_Errors(t *testing.T) {
	t.Parallel()
	notEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(notEmpty, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(notEmpty, "x")
	for name, opts := range map[string]demo.Options{
		"no dir":         {},
		"not empty":      {Dir: notEmpty},
		"file":           {Dir: file},
		"negative scale": {Dir: t.TempDir(), Scale: -1},
		"NaN scale":      {Dir: t.TempDir(), Scale: math.NaN()},
		"workers":        {Dir: t.TempDir(), Workers: -1},
	} {
		if _, err := demo.Generate(context.Background(), opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestGenerateTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for range 2 { // the second run overwrites the first
		if err := demo.GenerateTree(context.Background(), dir, 2, 5, 3); err != nil {
			t.Fatal(err)
		}
	}
	var files []string
	sizes := map[int64]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() < 1 || info.Size() > 64 {
			t.Errorf("%s: %d bytes", rel, info.Size())
		}
		sizes[info.Size()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for tb := range 2 {
		for i := range 5 {
			for j := range 3 {
				want = append(want, fmt.Sprintf("bench.db/t%02d/dt=%d/part-%d", tb, i, j))
			}
		}
	}
	slices.Sort(want)
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("files:\n%q\nwant:\n%q", files, want)
	}
	if len(sizes) < 5 {
		t.Errorf("only %d distinct sizes", len(sizes))
	}
}

func TestGenerateTree_Errors(t *testing.T) {
	t.Parallel()
	if err := demo.GenerateTree(context.Background(), "", 1, 1, 1); err == nil {
		t.Error("no dir: no error")
	}
	if err := demo.GenerateTree(context.Background(), t.TempDir(), 1, -1, 1); err == nil {
		t.Error("negative shape: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := demo.GenerateTree(ctx, t.TempDir(), 2, 100, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := demo.GenerateTree(context.Background(), t.TempDir(), 0, 0, 0); err != nil {
		t.Errorf("empty tree: %v", err)
	}
}

func BenchmarkGenerateTree(b *testing.B) {
	const tables, parts, files = 4, 50, 10
	root := b.TempDir()
	i := 0
	for b.Loop() {
		if err := demo.GenerateTree(context.Background(), filepath.Join(root, fmt.Sprint(i)), tables, parts, files); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(tables*parts*files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

func BenchmarkGenerate(b *testing.B) {
	root := b.TempDir()
	i := 0
	var m *demo.Manifest
	for b.Loop() {
		var err error
		m, err = demo.Generate(context.Background(), demo.Options{Dir: filepath.Join(root, fmt.Sprint(i)), Seed: 1, Now: testNow, Scale: testScale})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(m.Bytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}

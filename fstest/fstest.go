// Package fstest is the contract suite every shoal.FileSystem and
// shoal.WritableFS passes: localfs against a temporary directory, s3
// against a versitygw bucket, and later hdfs.
//
// Run takes an empty directory root, a local path or a URI such as
// s3://bucket/prefix, and joins names to it with "/". Each subtest works in
// its own subdirectory of root. Where a shoal.ObjectStore legitimately
// differs (Mkdir does nothing, so there are no empty directories and Mkdir
// of an existing path succeeds; Link copies), the suite checks the
// object-store behaviour instead, and it also tests ResumeRename there.
package fstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

// LargeSize is the size of the large-file test: above the 16 MiB default
// part size of the s3 package, so a multipart upload happens.
const LargeSize = 17<<20 + 12345

// Run runs the WritableFS contract against fsys in the empty directory
// root.
func Run(t *testing.T, fsys shoal.WritableFS, root string) {
	s := &suite{fsys: fsys, root: strings.TrimRight(root, "/")}
	_, s.object = fsys.(shoal.ObjectStore)
	t.Run("CreateAndRead", s.testCreateAndRead)
	t.Run("EmptyFile", s.testEmptyFile)
	t.Run("List", s.testList)
	t.Run("ListStops", s.testListStops)
	t.Run("Stat", s.testStat)
	t.Run("Mkdir", s.testMkdir)
	t.Run("RenameFile", s.testRenameFile)
	t.Run("RenameDir", s.testRenameDir)
	t.Run("RemoveAll", s.testRemoveAll)
	t.Run("Link", s.testLink)
	t.Run("SyncDir", s.testSyncDir)
	t.Run("LargeFile", s.testLargeFile)
	t.Run("HiveNames", s.testHiveNames)
	t.Run("Concurrent", s.testConcurrent)
	if s.object {
		t.Run("ResumeRename", s.testResumeRename)
	}
}

type suite struct {
	fsys   shoal.WritableFS
	root   string
	object bool // fsys is a shoal.ObjectStore
}

// Join joins path elements with "/".
func Join(elem ...string) string {
	return strings.Join(elem, "/")
}

// dir makes the subtest's own directory and returns it.
func (s *suite) dir(t *testing.T) string {
	t.Helper()
	d := Join(s.root, strings.ReplaceAll(t.Name(), "/", "_"))
	s.mkdir(t, d)
	return d
}

func (s *suite) mkdir(t *testing.T, d string) {
	t.Helper()
	if err := s.fsys.Mkdir(context.Background(), d); err != nil {
		t.Fatalf("Mkdir %s: %v", d, err)
	}
}

// write creates path with data, written in chunks of odd sizes.
func write(t testing.TB, fsys shoal.WritableFS, path string, data []byte) {
	t.Helper()
	w, err := fsys.Create(context.Background(), path)
	if err != nil {
		t.Fatalf("Create %s: %v", path, err)
	}
	for rest, chunk := data, 1; len(rest) > 0; chunk = chunk*7 + 3 {
		n := min(chunk, len(rest))
		k, err := w.Write(rest[:n])
		if err != nil || k != n {
			_ = w.Close()
			t.Fatalf("Write %s: wrote %d of %d: %v", path, k, n, err)
		}
		rest = rest[n:]
	}
	if err := w.Sync(); err != nil {
		t.Fatalf("Sync %s: %v", path, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close %s: %v", path, err)
	}
}

// read reads a whole file through Open.
func read(t testing.TB, fsys shoal.FileSystem, path string) []byte {
	t.Helper()
	r, err := fsys.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

func checkContent(t testing.TB, fsys shoal.FileSystem, path string, want []byte) {
	t.Helper()
	got := read(t, fsys, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: read %d bytes (sha256 %x), want %d bytes (sha256 %x)", path, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// notFound checks that err is ENOTFOUND and fs.ErrNotExist.
func notFound(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want ENOTFOUND", what)
		return
	}
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: %v (code %s, fs.ErrNotExist %v), want ENOTFOUND and fs.ErrNotExist", what, err, shoal.ErrorCode(err), errors.Is(err, fs.ErrNotExist))
	}
}

func exists(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("%s: %v, want fs.ErrExist", what, err)
	}
}

// listing lists dir into a map from name to entry.
func listing(t testing.TB, fsys shoal.FileSystem, dir string) map[string]shoal.FileInfo {
	t.Helper()
	m := map[string]shoal.FileInfo{}
	err := fsys.List(context.Background(), dir, func(fi shoal.FileInfo) error {
		if _, dup := m[fi.Name()]; dup {
			t.Errorf("List %s: %s listed twice", dir, fi.Name())
		}
		m[fi.Name()] = fi
		return nil
	})
	if err != nil {
		t.Errorf("List %s: %v", dir, err) // not Fatal: callers may run on other goroutines
	}
	return m
}

func names(m map[string]shoal.FileInfo) []string {
	var n []string
	for k, fi := range m {
		if fi.IsDir {
			k += "/"
		}
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// tree is a set of files by path relative to a directory.
type tree map[string][]byte

func sampleTree(seed uint64) tree {
	return tree{
		"x.parquet":                randomBytes(seed, 1000),
		"y.parquet":                randomBytes(seed+1, 1),
		"empty":                    {},
		"sub/z.orc":                randomBytes(seed+2, 4096),
		"sub/deeper/w.avro":        randomBytes(seed+3, 333),
		"sub/deeper/also/last.txt": randomBytes(seed+4, 17),
	}
}

// put writes a tree below dir, making directories first.
func (s *suite) put(t *testing.T, dir string, tr tree) {
	t.Helper()
	made := map[string]bool{}
	for _, rel := range slices.Sorted(func(yield func(string) bool) {
		for k := range tr {
			if !yield(k) {
				return
			}
		}
	}) {
		parts := strings.Split(rel, "/")
		for i := 1; i < len(parts); i++ {
			d := Join(dir, strings.Join(parts[:i], "/"))
			if !made[d] {
				s.mkdir(t, d)
				made[d] = true
			}
		}
		write(t, s.fsys, Join(dir, rel), tr[rel])
	}
}

// check verifies that dir holds exactly the tree: every file with its
// bytes, and nothing else, walking with List.
func check(t testing.TB, fsys shoal.FileSystem, dir string, tr tree) {
	t.Helper()
	got := map[string]int64{}
	var walk func(d, rel string)
	walk = func(d, rel string) {
		for name, fi := range listing(t, fsys, d) {
			if fi.Path != Join(d, name) {
				t.Errorf("List %s: Path %q, want %q", d, fi.Path, Join(d, name))
			}
			if fi.IsDir {
				walk(Join(d, name), rel+name+"/")
				continue
			}
			got[rel+name] = fi.Size
		}
	}
	walk(dir, "")
	for rel, data := range tr {
		size, ok := got[rel]
		if !ok {
			t.Errorf("%s: %s missing", dir, rel)
			continue
		}
		if size != int64(len(data)) {
			t.Errorf("%s: %s listed with size %d, want %d", dir, rel, size, len(data))
		}
		checkContent(t, fsys, Join(dir, rel), data)
	}
	for rel := range got {
		if _, ok := tr[rel]; !ok {
			t.Errorf("%s: unexpected %s", dir, rel)
		}
	}
}

func (s *suite) testCreateAndRead(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	p := Join(dir, "part-00000.parquet")
	data := randomBytes(1, 100_003)
	before := time.Now()
	write(t, s.fsys, p, data)
	after := time.Now()

	// A second Create fails and leaves the file alone.
	w, err := s.fsys.Create(ctx, p)
	if err == nil {
		_, _ = w.Write([]byte("clobbered"))
		_ = w.Close()
		t.Errorf("Create of an existing file succeeded")
	} else {
		exists(t, "Create existing", err)
	}
	checkContent(t, s.fsys, p, data)

	fi, err := s.fsys.Stat(ctx, p)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Size != int64(len(data)) || fi.IsDir || fi.Path != p || fi.Name() != "part-00000.parquet" {
		t.Errorf("Stat = %+v, want size %d, a file, path %s", fi, len(data), p)
	}
	// Clocks of a remote store may be off a little, and some stores keep
	// whole seconds.
	if fi.ModTime.Before(before.Add(-2*time.Minute)) || fi.ModTime.After(after.Add(2*time.Minute)) {
		t.Errorf("ModTime %v, want between %v and %v", fi.ModTime, before, after)
	}

	r, size, err := s.fsys.OpenFile(ctx, p)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer r.Close()
	if size != int64(len(data)) {
		t.Errorf("OpenFile size %d, want %d", size, len(data))
	}
	rng := rand.New(rand.NewPCG(2, 3))
	for range 40 {
		off := rng.IntN(len(data))
		n := rng.IntN(min(len(data)-off, 20_000)) + 1
		buf := make([]byte, n)
		k, err := r.ReadAt(buf, int64(off))
		if err != nil && (!errors.Is(err, io.EOF) || off+n != len(data)) {
			t.Fatalf("ReadAt(%d bytes at %d): %d, %v", n, off, k, err)
		}
		if k != n || !bytes.Equal(buf, data[off:off+n]) {
			t.Fatalf("ReadAt(%d bytes at %d) read %d bytes that differ from the file", n, off, k)
		}
	}
	// Reading across the end returns the tail and io.EOF.
	buf := make([]byte, 20)
	k, err := r.ReadAt(buf, int64(len(data)-10))
	if k != 10 || !errors.Is(err, io.EOF) || !bytes.Equal(buf[:10], data[len(data)-10:]) {
		t.Errorf("ReadAt across the end: %d, %v; want 10, io.EOF and the last bytes", k, err)
	}
	if k, err := r.ReadAt(buf, int64(len(data))); k != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt at the end: %d, %v; want 0, io.EOF", k, err)
	}

	_, err = s.fsys.Open(ctx, Join(dir, "missing"))
	notFound(t, "Open missing", err)
	_, _, err = s.fsys.OpenFile(ctx, Join(dir, "missing"))
	notFound(t, "OpenFile missing", err)
}

func (s *suite) testEmptyFile(t *testing.T) {
	ctx := context.Background()
	p := Join(s.dir(t), "empty")
	write(t, s.fsys, p, nil)
	checkContent(t, s.fsys, p, nil)
	fi, err := s.fsys.Stat(ctx, p)
	if err != nil || fi.Size != 0 || fi.IsDir {
		t.Errorf("Stat = %+v, %v; want an empty file", fi, err)
	}
	r, size, err := s.fsys.OpenFile(ctx, p)
	if err != nil || size != 0 {
		t.Fatalf("OpenFile = %d, %v; want 0", size, err)
	}
	defer r.Close()
	if k, err := r.ReadAt(make([]byte, 1), 0); k != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt of an empty file: %d, %v; want 0, io.EOF", k, err)
	}
}

func (s *suite) testList(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	s.put(t, dir, sampleTree(10))
	// A sibling whose name extends the directory's must not leak in.
	write(t, s.fsys, dir+"-sibling", []byte("sibling"))
	got := listing(t, s.fsys, dir)
	if want := []string{"empty", "sub/", "x.parquet", "y.parquet"}; !slices.Equal(names(got), want) {
		t.Fatalf("List = %v, want %v", names(got), want)
	}
	for name, fi := range got {
		if fi.Path != Join(dir, name) {
			t.Errorf("%s: Path %q, want %q", name, fi.Path, Join(dir, name))
		}
		if fi.Blocks < 0 {
			t.Errorf("%s: Blocks %d", name, fi.Blocks)
		}
	}
	sizes := map[string]int64{"x.parquet": 1000, "y.parquet": 1, "empty": 0}
	for name, size := range sizes {
		if got[name].Size != size || got[name].IsDir {
			t.Errorf("%s: %+v, want a file of %d bytes", name, got[name], size)
		}
		if got[name].ModTime.IsZero() {
			t.Errorf("%s: zero ModTime", name)
		}
	}
	if sub := listing(t, s.fsys, Join(dir, "sub")); !slices.Equal(names(sub), []string{"deeper/", "z.orc"}) {
		t.Errorf("List sub = %v", names(sub))
	}
	check(t, s.fsys, dir, sampleTree(10))

	err := s.fsys.List(ctx, Join(dir, "missing"), func(shoal.FileInfo) error { return nil })
	notFound(t, "List missing", err)

	if !s.object {
		empty := Join(dir, "emptydir")
		s.mkdir(t, empty)
		if got := listing(t, s.fsys, empty); len(got) != 0 {
			t.Errorf("List of an empty directory = %v", names(got))
		}
	}
}

func (s *suite) testListStops(t *testing.T) {
	dir := s.dir(t)
	for i := range 5 {
		write(t, s.fsys, Join(dir, fmt.Sprintf("f%d", i)), []byte{byte(i)})
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.fsys.List(context.Background(), dir, func(shoal.FileInfo) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List with a failing callback: %v after %d calls; want the callback's error after 1", err, calls)
	}
}

func (s *suite) testStat(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	s.put(t, dir, sampleTree(20))
	fi, err := s.fsys.Stat(ctx, Join(dir, "sub"))
	if err != nil || !fi.IsDir || fi.Path != Join(dir, "sub") {
		t.Errorf("Stat of a directory = %+v, %v", fi, err)
	}
	fi, err = s.fsys.Stat(ctx, Join(dir, "sub/z.orc"))
	if err != nil || fi.IsDir || fi.Size != 4096 {
		t.Errorf("Stat of a file = %+v, %v", fi, err)
	}
	fi, err = s.fsys.Stat(ctx, dir)
	if err != nil || !fi.IsDir {
		t.Errorf("Stat of the test directory = %+v, %v", fi, err)
	}
	_, err = s.fsys.Stat(ctx, Join(dir, "missing"))
	notFound(t, "Stat missing", err)
	_, err = s.fsys.Stat(ctx, Join(dir, "x.parq")) // a prefix of a file's name
	notFound(t, "Stat of a name prefix", err)
	_, err = s.fsys.Stat(ctx, Join(dir, "missing", "deeper"))
	notFound(t, "Stat below a missing directory", err)
}

func (s *suite) testMkdir(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	d := Join(dir, "dt=2026-01-01")
	s.mkdir(t, d)
	err := s.fsys.Mkdir(ctx, d)
	if s.object {
		// Directories are prefixes: Mkdir does nothing and never fails.
		if err != nil {
			t.Errorf("ObjectStore Mkdir of an existing directory: %v", err)
		}
	} else {
		exists(t, "Mkdir existing", err)
		fi, err := s.fsys.Stat(ctx, d)
		if err != nil || !fi.IsDir {
			t.Errorf("Stat after Mkdir = %+v, %v", fi, err)
		}
	}
	// A file can be created in it.
	write(t, s.fsys, Join(d, "f"), []byte("x"))
	fi, err := s.fsys.Stat(ctx, d)
	if err != nil || !fi.IsDir {
		t.Errorf("Stat of a directory holding a file = %+v, %v", fi, err)
	}
	if !s.object {
		exists(t, "Mkdir over a file", s.fsys.Mkdir(ctx, Join(d, "f")))
	}
}

func (s *suite) testRenameFile(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	a, b, c := Join(dir, "a"), Join(dir, "b"), Join(dir, "c")
	da, dc := randomBytes(30, 5000), randomBytes(31, 10)
	write(t, s.fsys, a, da)
	write(t, s.fsys, c, dc)
	if err := s.fsys.Rename(ctx, a, b); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	checkContent(t, s.fsys, b, da)
	_, err := s.fsys.Stat(ctx, a)
	notFound(t, "Stat of the old name", err)

	exists(t, "Rename onto an existing file", s.fsys.Rename(ctx, b, c))
	checkContent(t, s.fsys, b, da)
	checkContent(t, s.fsys, c, dc)

	notFound(t, "Rename of a missing file", s.fsys.Rename(ctx, Join(dir, "missing"), Join(dir, "new")))
	if _, err := s.fsys.Stat(ctx, Join(dir, "new")); err == nil {
		t.Errorf("a failed Rename created its target")
	}
	if got := listing(t, s.fsys, dir); !slices.Equal(names(got), []string{"b", "c"}) {
		t.Errorf("List after renames = %v, want [b c]", names(got))
	}
}

func (s *suite) testRenameDir(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	old, dst, other := Join(dir, "dt=1"), Join(dir, ".shoal-merged-dt=1"), Join(dir, "dt=2")
	tr, tr2 := sampleTree(40), tree{"keep.parquet": randomBytes(41, 77)}
	s.mkdir(t, old)
	s.put(t, old, tr)
	s.mkdir(t, other)
	s.put(t, other, tr2)

	if err := s.fsys.Rename(ctx, old, dst); err != nil {
		t.Fatalf("Rename of a directory: %v", err)
	}
	check(t, s.fsys, dst, tr)
	_, err := s.fsys.Stat(ctx, old)
	notFound(t, "Stat of the old directory", err)
	err = s.fsys.List(ctx, old, func(shoal.FileInfo) error { return nil })
	notFound(t, "List of the old directory", err)

	exists(t, "Rename onto an existing directory", s.fsys.Rename(ctx, dst, other))
	check(t, s.fsys, dst, tr)
	check(t, s.fsys, other, tr2)

	// Back again, then onto a name that is an existing file.
	if err := s.fsys.Rename(ctx, dst, old); err != nil {
		t.Fatalf("Rename back: %v", err)
	}
	check(t, s.fsys, old, tr)
	write(t, s.fsys, Join(dir, "file"), []byte("f"))
	exists(t, "Rename of a directory onto a file", s.fsys.Rename(ctx, old, Join(dir, "file")))
	check(t, s.fsys, old, tr)
	checkContent(t, s.fsys, Join(dir, "file"), []byte("f"))
}

func (s *suite) testRemoveAll(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	d := Join(dir, "victim")
	s.mkdir(t, d)
	s.put(t, d, sampleTree(50))
	// Names sharing the prefix survive.
	write(t, s.fsys, Join(dir, "victim2"), []byte("v2"))
	s.mkdir(t, Join(dir, "victim-dir"))
	write(t, s.fsys, Join(dir, "victim-dir", "f"), []byte("vd"))

	if err := s.fsys.RemoveAll(ctx, d); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	_, err := s.fsys.Stat(ctx, d)
	notFound(t, "Stat after RemoveAll", err)
	_, err = s.fsys.Stat(ctx, Join(d, "sub/z.orc"))
	notFound(t, "Stat of a file below a removed directory", err)
	checkContent(t, s.fsys, Join(dir, "victim2"), []byte("v2"))
	checkContent(t, s.fsys, Join(dir, "victim-dir", "f"), []byte("vd"))

	if err := s.fsys.RemoveAll(ctx, d); err != nil {
		t.Errorf("RemoveAll of a missing path: %v", err)
	}
	if err := s.fsys.RemoveAll(ctx, Join(dir, "victim2")); err != nil {
		t.Errorf("RemoveAll of a file: %v", err)
	}
	if got := listing(t, s.fsys, dir); !slices.Equal(names(got), []string{"victim-dir/"}) {
		t.Errorf("List after RemoveAll = %v, want [victim-dir/]", names(got))
	}
}

func (s *suite) testLink(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	a, b := Join(dir, "a.parquet"), Join(dir, ".shoal-backup-a.parquet")
	data := randomBytes(60, 3000)
	write(t, s.fsys, a, data)
	if err := s.fsys.Link(ctx, a, b); err != nil {
		t.Fatalf("Link: %v", err)
	}
	checkContent(t, s.fsys, a, data)
	checkContent(t, s.fsys, b, data)
	exists(t, "Link onto an existing file", s.fsys.Link(ctx, a, b))
	notFound(t, "Link of a missing file", s.fsys.Link(ctx, Join(dir, "missing"), Join(dir, "m2")))
	// The second name outlives the first.
	if err := s.fsys.RemoveAll(ctx, a); err != nil {
		t.Fatal(err)
	}
	checkContent(t, s.fsys, b, data)
}

func (s *suite) testSyncDir(t *testing.T) {
	dir := s.dir(t)
	write(t, s.fsys, Join(dir, "f"), []byte("x"))
	if err := s.fsys.SyncDir(context.Background(), dir); err != nil {
		t.Errorf("SyncDir: %v", err)
	}
}

func (s *suite) testLargeFile(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	p := Join(dir, "big.orc")
	data := randomBytes(70, LargeSize)
	write(t, s.fsys, p, data)
	checkContent(t, s.fsys, p, data)
	fi, err := s.fsys.Stat(ctx, p)
	if err != nil || fi.Size != LargeSize {
		t.Errorf("Stat = %+v, %v; want %d bytes", fi, err, LargeSize)
	}
	r, size, err := s.fsys.OpenFile(ctx, p)
	if err != nil || size != LargeSize {
		t.Fatalf("OpenFile = %d, %v", size, err)
	}
	defer r.Close()
	// Reads straddling the 5 MiB and 16 MiB part boundaries.
	for _, off := range []int{5<<20 - 100, 16<<20 - 1000, LargeSize - 5000} {
		buf := make([]byte, 5000)
		if k, err := r.ReadAt(buf, int64(off)); k != len(buf) || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(buf, data[off:off+len(buf)]) {
			t.Errorf("ReadAt(%d): %d, %v, or wrong bytes", off, k, err)
		}
	}
	// A renamed copy is intact.
	if err := s.fsys.Rename(ctx, p, Join(dir, "moved.orc")); err != nil {
		t.Fatal(err)
	}
	checkContent(t, s.fsys, Join(dir, "moved.orc"), data)
}

func (s *suite) testHiveNames(t *testing.T) {
	ctx := context.Background()
	dir := s.dir(t)
	part := Join(dir, "dt=2026-01-01 10%3A00%3A00")
	s.mkdir(t, part)
	tr := tree{
		"part-00000 copy=1%2F.parquet":  randomBytes(80, 10),
		"country=C%C3%B4te d'Ivoire+&x": randomBytes(81, 20),
		"nested=a b/c%25d.txt":          randomBytes(82, 30),
	}
	s.put(t, part, tr)
	got := listing(t, s.fsys, dir)
	if !slices.Equal(names(got), []string{"dt=2026-01-01 10%3A00%3A00/"}) {
		t.Fatalf("List = %v", names(got))
	}
	check(t, s.fsys, part, tr)
	fi, err := s.fsys.Stat(ctx, Join(part, "part-00000 copy=1%2F.parquet"))
	if err != nil || fi.Size != 10 || fi.Name() != "part-00000 copy=1%2F.parquet" {
		t.Errorf("Stat = %+v, %v", fi, err)
	}
	moved := Join(dir, "dt=2026-01-01 10%3A00%3A00.merged")
	if err := s.fsys.Rename(ctx, part, moved); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	check(t, s.fsys, moved, tr)
	if err := s.fsys.Link(ctx, Join(moved, "nested=a b/c%25d.txt"), Join(moved, "l 1%.txt")); err != nil {
		t.Fatalf("Link: %v", err)
	}
	checkContent(t, s.fsys, Join(moved, "l 1%.txt"), tr["nested=a b/c%25d.txt"])
	if err := s.fsys.RemoveAll(ctx, moved); err != nil {
		t.Fatal(err)
	}
	_, err = s.fsys.Stat(ctx, moved)
	notFound(t, "Stat after RemoveAll", err)
}

func (s *suite) testConcurrent(t *testing.T) {
	dir := s.dir(t)
	want := map[string][]byte{}
	for d := range 4 {
		pd := Join(dir, fmt.Sprintf("p=%d", d))
		s.mkdir(t, pd)
		for f := range 6 {
			p := Join(pd, fmt.Sprintf("f%d", f))
			want[p] = randomBytes(uint64(100+d*10+f), 100+f*37)
			write(t, s.fsys, p, want[p])
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for round := range 3 {
				pd := Join(dir, fmt.Sprintf("p=%d", (g+round)%4))
				n := 0
				err := s.fsys.List(context.Background(), pd, func(fi shoal.FileInfo) error {
					n++
					data, ok := want[fi.Path]
					if !ok || fi.Size != int64(len(data)) {
						return fmt.Errorf("list %s: unexpected %+v", pd, fi)
					}
					r, err := s.fsys.Open(context.Background(), fi.Path)
					if err != nil {
						return err
					}
					defer r.Close()
					got, err := io.ReadAll(r)
					if err != nil {
						return err
					}
					if !bytes.Equal(got, data) {
						return fmt.Errorf("%s: wrong bytes", fi.Path)
					}
					return nil
				})
				if err == nil && n != 6 {
					err = fmt.Errorf("list %s: %d entries, want 6", pd, n)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func (s *suite) testResumeRename(t *testing.T) {
	ctx := context.Background()
	store := s.fsys.(shoal.ObjectStore)
	dir := s.dir(t)
	old, dst := Join(dir, "dt=1"), Join(dir, ".shoal-merged-dt=1")
	tr := sampleTree(90)
	s.put(t, old, tr)
	// The interrupted rename had copied two objects, and had written a
	// third only partly (a different size: it must be copied again).
	write(t, s.fsys, Join(dst, "x.parquet"), tr["x.parquet"])
	write(t, s.fsys, Join(dst, "sub/deeper/w.avro"), tr["sub/deeper/w.avro"])
	write(t, s.fsys, Join(dst, "sub/z.orc"), tr["sub/z.orc"][:100])
	// Rename now refuses: the target exists.
	exists(t, "Rename onto a half-renamed directory", s.fsys.Rename(ctx, old, dst))

	if err := store.ResumeRename(ctx, old, dst); err != nil {
		t.Fatalf("ResumeRename: %v", err)
	}
	check(t, s.fsys, dst, tr)
	_, err := s.fsys.Stat(ctx, old)
	notFound(t, "Stat of the old name after ResumeRename", err)
	// Idempotent.
	if err := store.ResumeRename(ctx, old, dst); err != nil {
		t.Fatalf("second ResumeRename: %v", err)
	}
	check(t, s.fsys, dst, tr)

	// A crash after the copies, before any delete: both complete.
	s.put(t, Join(dir, "b"), tr)
	s.put(t, Join(dir, "b2"), tr)
	if err := store.ResumeRename(ctx, Join(dir, "b"), Join(dir, "b2")); err != nil {
		t.Fatalf("ResumeRename after all copies: %v", err)
	}
	check(t, s.fsys, Join(dir, "b2"), tr)
	_, err = s.fsys.Stat(ctx, Join(dir, "b"))
	notFound(t, "Stat of the old name", err)

	// A single file.
	write(t, s.fsys, Join(dir, "f"), []byte("file"))
	if err := store.ResumeRename(ctx, Join(dir, "f"), Join(dir, "g")); err != nil {
		t.Fatalf("ResumeRename of a file: %v", err)
	}
	checkContent(t, s.fsys, Join(dir, "g"), []byte("file"))
	_, err = s.fsys.Stat(ctx, Join(dir, "f"))
	notFound(t, "Stat of the old file name", err)

	// Nothing to do.
	if err := store.ResumeRename(ctx, Join(dir, "never"), Join(dir, "never2")); err != nil {
		t.Errorf("ResumeRename of nothing: %v", err)
	}
}

// RunReadOnly runs the read-only FileSystem contract (List, Stat, Open,
// names, concurrency) against fsys in the empty directory root. populate
// creates one file with its bytes, making its parent directories; it is
// how the test writes through another route (the local disk behind an
// HDFS mini cluster, an fsimage generator, the S3 SDK).
func RunReadOnly(t *testing.T, fsys shoal.FileSystem, root string, populate func(path string, data []byte)) {
	root = strings.TrimRight(root, "/")
	put := func(dir string, tr tree) {
		for rel, data := range tr {
			populate(Join(dir, rel), data)
		}
	}
	t.Run("List", func(t *testing.T) {
		dir := Join(root, "list")
		tr := sampleTree(200)
		put(dir, tr)
		populate(dir+"-sibling", []byte("s"))
		got := listing(t, fsys, dir)
		if want := []string{"empty", "sub/", "x.parquet", "y.parquet"}; !slices.Equal(names(got), want) {
			t.Fatalf("List = %v, want %v", names(got), want)
		}
		check(t, fsys, dir, tr)
		err := fsys.List(context.Background(), Join(root, "missing"), func(shoal.FileInfo) error { return nil })
		notFound(t, "List missing", err)
	})
	t.Run("Stat", func(t *testing.T) {
		ctx := context.Background()
		dir := Join(root, "stat")
		put(dir, sampleTree(210))
		if fi, err := fsys.Stat(ctx, Join(dir, "sub")); err != nil || !fi.IsDir {
			t.Errorf("Stat of a directory = %+v, %v", fi, err)
		}
		if fi, err := fsys.Stat(ctx, Join(dir, "sub/z.orc")); err != nil || fi.IsDir || fi.Size != 4096 || fi.Path != Join(dir, "sub/z.orc") {
			t.Errorf("Stat of a file = %+v, %v", fi, err)
		}
		_, err := fsys.Stat(ctx, Join(dir, "missing"))
		notFound(t, "Stat missing", err)
		_, err = fsys.Open(ctx, Join(dir, "missing"))
		notFound(t, "Open missing", err)
	})
	t.Run("HiveNames", func(t *testing.T) {
		dir := Join(root, "names", "dt=2026-01-01 10%3A00%3A00")
		tr := tree{"part-00000 copy=1%2F.parquet": randomBytes(220, 10), "n=a b/c%25d": randomBytes(221, 5)}
		put(dir, tr)
		check(t, fsys, dir, tr)
	})
	t.Run("Concurrent", func(t *testing.T) {
		dir := Join(root, "concurrent")
		tr := tree{}
		for i := range 24 {
			tr[fmt.Sprintf("p=%d/f%d", i%4, i)] = randomBytes(uint64(230+i), 50+i)
		}
		put(dir, tr)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { check(t, fsys, dir, tr) })
		}
		wg.Wait()
	})
}

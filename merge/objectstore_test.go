package merge_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beltran/gohive/hive_metastore"
	"github.com/parquet-go/parquet-go"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hms/hmstest"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/internal/rows"
	"github.com/shoalhq/shoal/multifs"
	"github.com/shoalhq/shoal/s3"
	"github.com/shoalhq/shoal/s3/s3test"
	"github.com/shoalhq/shoal/store/sqlite"
)

// The object-store tests run the engine against a real S3 gateway
// (versitygw, package s3test) and, for catalog relocation, an in-process
// Thrift Hive Metastore (hmstest) read and written through package hms.

// s3World is one gateway and bucket, a metastore and a store, shared by
// the subtests of a test; each subtest uses its own tables.
type s3World struct {
	fs    *s3.FS
	root  string // s3://bucket
	hms   *hmstest.Server
	cat   *hms.Catalog
	store *sqlite.Store
	owner string
}

func newS3World(t *testing.T) *s3World {
	t.Helper()
	srv, bucket := s3test.Start(t)
	fsys, err := srv.FS(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &s3World{fs: fsys, root: "s3://" + bucket, hms: hmstest.Start(t), store: newStore(t), owner: merge.NewOwner()}
	w.hms.AddDatabase("db", w.root+"/warehouse/db", "hive")
	w.cat, err = hms.Open(t.Context(), w.hms.URI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cat.Close() })
	return w
}

func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "shoal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// policyS3 is policy() with no minimum age: objects carry their upload
// time, which cannot be backdated.
func policyS3() shoal.EffectivePolicy {
	p := policy()
	p.MinAge = 0
	return p
}

// engine returns an engine on the metastore (catalog and writer) and the
// S3 gateway behind a multifs router, as shoal serve builds it.
func (w *s3World) engine() *merge.Engine {
	mfs := multifs.New(localfs.New(), nil, func(context.Context) (shoal.WritableFS, error) { return w.fs, nil })
	e := &merge.Engine{
		Store: w.store, Catalog: w.cat, FS: mfs, Writer: w.cat, Defaults: policyS3(),
		Owner: w.owner, CatalogName: "hms",
	}
	registerAll(e)
	return e
}

// put writes files into dir on S3.
func (w *s3World) put(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		f, err := w.fs.Create(t.Context(), dir+"/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// files reads every visible file of dir on S3.
func (w *s3World) files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := w.fs.List(t.Context(), dir, func(fi shoal.FileInfo) error {
		name := path.Base(fi.Path)
		if fi.IsDir || shoal.IsHidden(name) {
			return nil
		}
		rc, err := w.fs.Open(t.Context(), fi.Path)
		if err != nil {
			return err
		}
		defer func() { _ = rc.Close() }()
		data, err := io.ReadAll(rc)
		out[name] = data
		return err
	})
	if shoal.ErrorCode(err) == shoal.ENOTFOUND {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rows reads the rows of every visible file of dir on S3 with the test's
// own readers (merge/internal/rows), after downloading them.
func (w *s3World) rows(t *testing.T, dir string) []string {
	t.Helper()
	tmp := t.TempDir()
	for name, data := range w.files(t, dir) {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := rows.Dir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func (w *s3World) exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := w.fs.Stat(t.Context(), p)
	if err == nil {
		return true
	}
	if shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatal(err)
	}
	return false
}

// hiddenDirs lists the hidden directories directly in dir.
func (w *s3World) hiddenDirs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := w.fs.List(t.Context(), dir, func(fi shoal.FileInfo) error {
		if fi.IsDir && strings.HasPrefix(path.Base(fi.Path), ".") {
			out = append(out, path.Base(fi.Path))
		}
		return nil
	})
	if err != nil && shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// table registers db.name in the metastore at root/warehouse/db/name with
// one partition per entry of parts (spec value → files), or, when parts
// has the single key "", an unpartitioned table, and writes the files to
// S3. It returns the locations by spec.
func (w *s3World) table(t *testing.T, name string, f hmstest.StorageFormat, parts map[string]map[string][]byte) map[string]string {
	t.Helper()
	loc := w.root + "/warehouse/db/" + name
	locs := map[string]string{}
	if files, ok := parts[""]; ok {
		w.hms.AddTable(hmstest.NewTable("db", name, f, loc))
		w.put(t, loc, files)
		locs[""] = loc
		return locs
	}
	tbl := hmstest.NewTable("db", name, f, loc, "dt")
	w.hms.AddTable(tbl)
	for v, files := range parts {
		ploc := loc + "/dt=" + v
		w.hms.AddPartition("db", name, hmstest.NewPartition(tbl, []string{v}, ploc, nil))
		w.put(t, ploc, files)
		locs["dt="+v] = ploc
	}
	return locs
}

// location returns where the metastore says a partition (or, for spec "",
// the table) is, and its parameters.
func (w *s3World) location(table, spec string) (string, map[string]string) {
	if spec == "" {
		tb := w.hms.Table("db", table)
		return tb.Sd.Location, tb.Parameters
	}
	p := w.hms.Partition("db", table, spec)
	return p.Sd.Location, p.Parameters
}

func parquetFiles(seed uint64, n int) map[string][]byte {
	r := rand.New(rand.NewPCG(seed, 7))
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("part-%05d.parquet", i)] = genParquet(r, 20+r.IntN(200), parquet.Compression(&parquet.Snappy), 0)
	}
	return files
}

func orcFiles(seed uint64, n int) map[string][]byte {
	r := rand.New(rand.NewPCG(seed, 9))
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("%06d_0", i)] = genORC(r, 10+r.IntN(300), true)
	}
	return files
}

func textS3Files(seed uint64, n int) map[string][]byte {
	r := rand.New(rand.NewPCG(seed, 11))
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("part-%05d.txt", i)] = genText(r, 5+r.IntN(100), false, true)
	}
	return files
}

func sumSizes(files map[string][]byte) (int64, int64) {
	var b int64
	for _, d := range files {
		b += int64(len(d))
	}
	return int64(len(files)), b
}

func runJob(t *testing.T, e *merge.Engine, table string) *shoal.MergeJob {
	t.Helper()
	ctx := t.Context()
	j, err := e.Create(ctx, merge.PlanRequest{Database: "db", Table: table}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !j.Plan.Runnable() {
		t.Fatalf("db.%s: nothing to merge: %s", table, firstReason(j.Plan))
	}
	j, err = e.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeSucceeded {
		t.Fatalf("db.%s: job %s: %s", table, j.State, j.Error)
	}
	return j
}

func TestObjectStore_Relocate(t *testing.T) {
	w := newS3World(t)
	ctx := t.Context()
	e := w.engine()
	pq1, pq2 := parquetFiles(1, 5), parquetFiles(2, 4)
	pqLocs := w.table(t, "pq", hmstest.Parquet, map[string]map[string][]byte{"1": pq1, "2": pq2})
	orcData := orcFiles(3, 4)
	orcLocs := w.table(t, "orc", hmstest.ORC, map[string]map[string][]byte{"1": orcData})
	txtData := textS3Files(4, 6)
	txtLocs := w.table(t, "txt", hmstest.Text, map[string]map[string][]byte{"": txtData})

	type part struct {
		table, spec, loc string
		files            map[string][]byte
	}
	parts := []part{
		{"pq", "dt=1", pqLocs["dt=1"], pq1}, {"pq", "dt=2", pqLocs["dt=2"], pq2},
		{"orc", "dt=1", orcLocs["dt=1"], orcData}, {"txt", "", txtLocs[""], txtData},
	}
	before := map[string][]string{}
	for _, p := range parts {
		before[p.table+p.spec] = w.rows(t, p.loc)
	}

	jobs := map[string]*shoal.MergeJob{}
	for _, table := range []string{"pq", "orc", "txt"} {
		jobs[table] = runJob(t, e, table)
	}
	results := map[string]shoal.PartitionResult{}
	for _, p := range parts {
		j := jobs[p.table]
		var r shoal.PartitionResult
		for _, x := range j.Results {
			if x.Spec == p.spec {
				r = x
			}
		}
		results[p.table+p.spec] = r
		base := path.Base(p.loc)
		wantNew := dirOf(p.loc) + "/." + base + ".shoal-relocated-" + strconv.FormatInt(j.ID, 10)
		if r.Step != shoal.StepSwapped || r.Swap != shoal.SwapRelocate || r.Staging != wantNew || r.Backup != p.loc ||
			r.FilesAfter != 1 || !strings.Contains(r.Validation, "metastore statistics updated") {
			t.Fatalf("%s %s: result %+v", p.table, p.spec, r)
		}
		loc, params := w.location(p.table, p.spec)
		if loc != wantNew {
			t.Fatalf("%s %s: metastore location %s, want %s", p.table, p.spec, loc, wantNew)
		}
		if params["numFiles"] != "1" || params["totalSize"] != strconv.FormatInt(r.BytesAfter, 10) || params["transient_lastDdlTime"] == "" {
			t.Fatalf("%s %s: parameters %v, result %d bytes", p.table, p.spec, params, r.BytesAfter)
		}
		if got := w.rows(t, wantNew); !rows.Same(got, before[p.table+p.spec]) || int64(len(got)) != r.RowsAfter {
			t.Fatalf("%s %s: %d rows after, %d before, result says %d", p.table, p.spec, len(got), len(before[p.table+p.spec]), r.RowsAfter)
		}
		// The old directory is untouched: it is the backup.
		if old := w.files(t, p.loc); len(old) != len(p.files) {
			t.Fatalf("%s %s: old location holds %d files, want %d", p.table, p.spec, len(old), len(p.files))
		}
	}

	// Rollback of the Parquet job: locations and statistics restored, the
	// relocated directories gone.
	j, err := e.Rollback(ctx, jobs["pq"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeRolledBack {
		t.Fatalf("rollback: %s", j.State)
	}
	for _, spec := range []string{"dt=1", "dt=2"} {
		r := results["pq"+spec]
		loc, params := w.location("pq", spec)
		files := pq1
		if spec == "dt=2" {
			files = pq2
		}
		n, b := sumSizes(files)
		if loc != r.Backup || params["numFiles"] != strconv.FormatInt(n, 10) || params["totalSize"] != strconv.FormatInt(b, 10) {
			t.Fatalf("%s after rollback: location %s, parameters %v", spec, loc, params)
		}
		if w.exists(t, r.Staging) {
			t.Fatalf("%s: relocated directory %s still there", spec, r.Staging)
		}
		if got := w.files(t, loc); len(got) != len(files) {
			t.Fatalf("%s: %d files after rollback", spec, len(got))
		} else {
			for name, data := range files {
				if string(got[name]) != string(data) {
					t.Fatalf("%s: %s differs after rollback", spec, name)
				}
			}
		}
	}

	// GC after the retention: the ORC and text jobs' old directories go,
	// their live relocated directories stay; an orphan relocated directory
	// of an unknown job is kept too (it might be a partition's location).
	orphan := dirOf(orcLocs["dt=1"]) + "/.dt=9.shoal-relocated-999"
	w.put(t, orphan, map[string][]byte{"x": []byte("x")})
	e.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	rep, err := e.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rep.Backups)
	if want := []string{orcLocs["dt=1"], txtLocs[""]}; !slices.Equal(rep.Backups, want) || len(rep.Orphans) != 0 {
		t.Fatalf("gc: %+v, want backups %v and no orphans", rep, want)
	}
	for _, key := range []string{"orcdt=1", "txt"} {
		r := results[key]
		if w.exists(t, r.Backup) {
			t.Fatalf("%s: old location %s not purged", key, r.Backup)
		}
		if got := w.rows(t, r.Staging); !rows.Same(got, before[key]) {
			t.Fatalf("%s: live relocated directory lost rows: %d, want %d", key, len(got), len(before[key]))
		}
	}
	if !w.exists(t, orphan) {
		t.Fatal("GC removed a relocated directory of an unknown job")
	}
	// A second GC finds nothing more.
	if rep, err := e.GC(ctx); err != nil || len(rep.Backups)+len(rep.Orphans) != 0 {
		t.Fatalf("second gc: %+v %v", rep, err)
	}
}

func TestObjectStore_StatsFailureAndRefusedRelocation(t *testing.T) {
	w := newS3World(t)
	e := w.engine()
	t.Run("stats", func(t *testing.T) {
		files := parquetFiles(5, 3)
		locs := w.table(t, "stats", hmstest.Parquet, map[string]map[string][]byte{"1": files})
		const alter = "alter_partition_with_environment_context"
		// The relocation goes through; the statistics update after it fails.
		w.hms.AfterNext(alter, func() { w.hms.FailNext(alter, &hive_metastore.MetaException{Message: "stats store down"}) })
		j := runJob(t, e, "stats")
		r := j.Results[0]
		if r.Step != shoal.StepSwapped || !strings.Contains(r.Validation, "warning: metastore statistics") || !strings.Contains(r.Validation, "stats store down") || r.Error != "" {
			t.Fatalf("result %+v", r)
		}
		loc, params := w.location("stats", "dt=1")
		if loc != r.Staging || params["numFiles"] != "" {
			t.Fatalf("location %s, parameters %v", loc, params)
		}
		if got := w.rows(t, loc); !rows.Same(got, w.rows(t, locs["dt=1"])) {
			t.Fatal("rows differ")
		}
	})
	t.Run("refused", func(t *testing.T) {
		files := parquetFiles(6, 3)
		locs := w.table(t, "refused", hmstest.Parquet, map[string]map[string][]byte{"1": files})
		w.hms.FailNext("alter_partition_with_environment_context", &hive_metastore.MetaException{Message: "permission denied"})
		j, err := e.Create(t.Context(), merge.PlanRequest{Database: "db", Table: "refused"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if j, err = e.Run(t.Context(), j.ID); err != nil {
			t.Fatal(err)
		}
		r := j.Results[0]
		if j.State != shoal.MergeFailed || r.Step != shoal.StepAborted || !strings.Contains(r.Error, "permission denied") {
			t.Fatalf("job %s, result %+v", j.State, r)
		}
		if loc, _ := w.location("refused", "dt=1"); loc != locs["dt=1"] {
			t.Fatalf("location moved to %s", loc)
		}
		if w.exists(t, r.Staging) {
			t.Fatalf("relocated directory %s left behind", r.Staging)
		}
		if got := w.files(t, locs["dt=1"]); len(got) != len(files) {
			t.Fatalf("originals: %d files", len(got))
		}
	})
}

// s3Catalog is a catalog of tables on S3 without a metastore: the copy
// swap's setting.
type s3Catalog struct {
	tables []shoal.Table
	parts  map[string][]shoal.Partition
}

func (c *s3Catalog) Databases(context.Context) ([]shoal.Database, error) {
	return []shoal.Database{{Name: "db"}}, nil
}

func (c *s3Catalog) Tables(_ context.Context, db string) ([]shoal.Table, error) {
	return slices.Clone(c.tables), nil
}

func (c *s3Catalog) Partitions(_ context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	for _, p := range c.parts[t.Name] {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (c *s3Catalog) Close() error { return nil }

// copyTable writes a Parquet table partitioned by dt with partition dt=1
// to S3 and returns a catalog of it and the partition's location.
func (w *s3World) copyTable(t *testing.T, name string, files map[string][]byte) (*s3Catalog, string) {
	t.Helper()
	loc := w.root + "/warehouse/db/" + name
	ploc := loc + "/dt=1"
	w.put(t, ploc, files)
	return &s3Catalog{
		tables: []shoal.Table{{Database: "db", Name: name, Location: loc, Format: shoal.FormatParquet, PartitionKeys: []string{"dt"}}},
		parts:  map[string][]shoal.Partition{name: {{Spec: "dt=1", Values: []string{"1"}, Location: ploc}}},
	}, ploc
}

// copyEngine is an engine on the S3 FS itself (an ObjectStore) without a
// metastore writer: merges swap by copy.
func (w *s3World) copyEngine(cat shoal.Catalog) *merge.Engine {
	e := &merge.Engine{Store: w.store, Catalog: cat, FS: w.fs, Defaults: policyS3(), Owner: merge.NewOwner()}
	registerAll(e)
	return e
}

func sameFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d files, want %d", len(got), len(want))
	}
	for name, data := range want {
		if string(got[name]) != string(data) {
			t.Fatalf("%s differs from the original", name)
		}
	}
}

func TestObjectStore_Copy(t *testing.T) {
	w := newS3World(t)
	ctx := t.Context()
	files := orcFiles(21, 5)
	cat, loc := w.copyTable(t, "cp", files)
	cat.tables[0].Format = shoal.FormatORC
	e := w.copyEngine(cat)
	before := w.rows(t, loc)
	j := runJob(t, e, "cp")
	r := j.Results[0]
	if r.Swap != shoal.SwapCopy || r.Step != shoal.StepSwapped || r.FilesAfter != 1 || r.Backup != dirOf(loc)+"/.dt=1.shoal-backup-"+strconv.FormatInt(j.ID, 10) {
		t.Fatalf("result %+v", r)
	}
	if got := w.rows(t, loc); !rows.Same(got, before) {
		t.Fatalf("%d rows after, %d before", len(got), len(before))
	}
	sameFiles(t, w.files(t, r.Backup), files)
	if hd := w.hiddenDirs(t, dirOf(loc)); !slices.Equal(hd, []string{path.Base(r.Backup)}) {
		t.Fatalf("hidden directories after the merge: %v", hd)
	}
	j, err := e.Rollback(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeRolledBack {
		t.Fatalf("rollback: %s", j.State)
	}
	sameFiles(t, w.files(t, loc), files)
	if hd := w.hiddenDirs(t, dirOf(loc)); len(hd) != 0 {
		t.Fatalf("hidden directories after the rollback: %v", hd)
	}
}

// stopHere is the panic a fault hook raises to stop the engine at a point,
// as a crash would; the journal and the storage keep what was done.
type stopHere struct{}

// until runs f with e stopping at point (after calling before, which may
// leave a half-done rename behind); it reports whether it stopped there.
func until(e *merge.Engine, point string, before func(), f func()) (stopped bool) {
	e.Fault = func(p string) {
		if p == point {
			if before != nil {
				before()
			}
			panic(stopHere{})
		}
	}
	defer func() {
		e.Fault = nil
		if v := recover(); v != nil {
			if _, ok := v.(stopHere); !ok {
				panic(v)
			}
			stopped = true
		}
	}()
	f()
	return false
}

// moveSome copies every file of from to to and deletes one from from: a
// copy-then-delete rename cut short.
func (w *s3World) moveSome(t *testing.T, from, to string) {
	t.Helper()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range w.files(t, from) {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		if err := w.fs.Link(t.Context(), from+"/"+n, to+"/"+n); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.fs.RemoveAll(t.Context(), from+"/"+names[0]); err != nil {
		t.Fatal(err)
	}
}

// copyOne copies the first file of from into to: a rename cut short
// after its first copy.
func (w *s3World) copyOne(t *testing.T, from, to string) {
	t.Helper()
	var first string
	for n := range w.files(t, from) {
		if first == "" || n < first {
			first = n
		}
	}
	if err := w.fs.Link(t.Context(), from+"/"+first, to+"/"+first); err != nil {
		t.Fatal(err)
	}
}

func TestObjectStore_CopyCrashRecovery(t *testing.T) {
	w := newS3World(t)
	type point struct {
		name, at string
		half     func(t *testing.T, loc, staging, backup string)
	}
	points := []point{
		{"staging", "staging", nil}, {"written", "written", nil}, {"validated", "validated", nil},
		{"backup", "backup", nil},
		{"backup-half", "backup", func(t *testing.T, loc, _, backup string) { w.moveSome(t, loc, backup) }},
		{"backup-renamed", "backup-renamed", nil}, {"promote", "promote", nil},
		{"promote-half", "promote", func(t *testing.T, loc, staging, _ string) { w.copyOne(t, staging, loc) }},
		{"promoted", "promoted", nil},
	}
	for i, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			ctx := t.Context()
			files := parquetFiles(uint64(100+i), 4)
			cat, loc := w.copyTable(t, "crash_"+strings.ReplaceAll(pt.name, "-", "_"), files)
			e := w.copyEngine(cat)
			before := w.rows(t, loc)
			j, err := e.Create(ctx, merge.PlanRequest{Database: "db", Table: cat.tables[0].Name}, "test")
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(j.ID, 10)
			staging, backup := dirOf(loc)+"/.dt=1.shoal-staging-"+id, dirOf(loc)+"/.dt=1.shoal-backup-"+id
			var half func()
			if pt.half != nil {
				half = func() { pt.half(t, loc, staging, backup) }
			}
			if !until(e, pt.at, half, func() { _, _ = e.Run(ctx, j.ID) }) {
				t.Fatalf("the run did not reach %s", pt.at)
			}
			rep, err := w.copyEngine(cat).Recover(ctx)
			if err != nil {
				t.Fatalf("recover: %v (%+v)", err, rep)
			}
			if got := w.rows(t, loc); !rows.Same(got, before) {
				t.Fatalf("%d rows after recovery, %d before (%+v)", len(got), len(before), rep)
			}
			j, err = w.store.GetMergeJob(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			r := j.Results[0]
			hd := w.hiddenDirs(t, dirOf(loc))
			switch r.Step {
			case shoal.StepSwapped:
				if len(w.files(t, loc)) != 1 || !slices.Equal(hd, []string{path.Base(backup)}) {
					t.Fatalf("swapped: partition %d files, hidden %v", len(w.files(t, loc)), hd)
				}
				sameFiles(t, w.files(t, backup), files)
			case shoal.StepAborted:
				sameFiles(t, w.files(t, loc), files)
				if len(hd) != 0 {
					t.Fatalf("aborted, hidden directories left: %v", hd)
				}
			default:
				t.Fatalf("left at step %s", r.Step)
			}
			if !j.State.Final() {
				t.Fatalf("job %s after recovery", j.State)
			}
			if pt.at == "backup-renamed" || pt.at == "promote" || pt.at == "promoted" || pt.name == "backup-half" {
				if r.Step != shoal.StepSwapped {
					t.Fatalf("step %s after a crash past the first rename", r.Step)
				}
			}
		})
	}
}

func TestObjectStore_CopyRollbackCrashRecovery(t *testing.T) {
	w := newS3World(t)
	type point struct {
		name, at string
		half     func(t *testing.T, loc, aside, backup string)
	}
	points := []point{
		{"rollback", "rollback", nil},
		{"aside-half", "rollback", func(t *testing.T, loc, aside, _ string) { w.copyOne(t, loc, aside) }},
		{"rollback-aside", "rollback-aside", nil},
		{"rollback-restore", "rollback-restore", nil},
		{"restore-half", "rollback-restore", func(t *testing.T, loc, _, backup string) { w.moveSome(t, backup, loc) }},
	}
	for i, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			ctx := t.Context()
			files := parquetFiles(uint64(200+i), 4)
			cat, loc := w.copyTable(t, "rb_"+strings.ReplaceAll(pt.name, "-", "_"), files)
			e := w.copyEngine(cat)
			j := runJob(t, e, cat.tables[0].Name)
			id := strconv.FormatInt(j.ID, 10)
			aside, backup := dirOf(loc)+"/.dt=1.shoal-merged-"+id, j.Results[0].Backup
			var half func()
			if pt.half != nil {
				half = func() { pt.half(t, loc, aside, backup) }
			}
			if !until(e, pt.at, half, func() { _, _ = e.Rollback(ctx, j.ID) }) {
				t.Fatalf("the rollback did not reach %s", pt.at)
			}
			rep, err := w.copyEngine(cat).Recover(ctx)
			if err != nil || rep.RolledBack != 1 {
				t.Fatalf("recover: %v (%+v)", err, rep)
			}
			// The originals, byte for byte: no merged output (which has
			// the name of the first input) was mixed in.
			sameFiles(t, w.files(t, loc), files)
			if hd := w.hiddenDirs(t, dirOf(loc)); len(hd) != 0 {
				t.Fatalf("hidden directories left: %v", hd)
			}
			j, err = w.store.GetMergeJob(ctx, j.ID)
			if err != nil || j.State != shoal.MergeRolledBack || j.Results[0].Step != shoal.StepRolledBack {
				t.Fatalf("job after recovery: %v %+v", err, j)
			}
		})
	}
}

func TestObjectStore_RelocateCrashRecovery(t *testing.T) {
	w := newS3World(t)
	for i, point := range []string{"staging", "written", "validated", "relocate", "relocated"} {
		t.Run(point, func(t *testing.T) {
			ctx := t.Context()
			table := "rc_" + point
			files := parquetFiles(uint64(300+i), 4)
			old := w.table(t, table, hmstest.Parquet, map[string]map[string][]byte{"1": files})["dt=1"]
			e := w.engine()
			before := w.rows(t, old)
			j, err := e.Create(ctx, merge.PlanRequest{Database: "db", Table: table}, "test")
			if err != nil {
				t.Fatal(err)
			}
			if !until(e, point, nil, func() { _, _ = e.Run(ctx, j.ID) }) {
				t.Fatalf("the run did not reach %s", point)
			}
			rep, err := w.engine().Recover(ctx)
			if err != nil {
				t.Fatalf("recover: %v (%+v)", err, rep)
			}
			j, err = w.store.GetMergeJob(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			r := j.Results[0]
			cur, params := w.location(table, "dt=1")
			if got := w.rows(t, cur); !rows.Same(got, before) {
				t.Fatalf("%d rows at the metastore's location %s, %d before", len(got), cur, len(before))
			}
			sameFiles(t, w.files(t, old), files) // the old directory is never touched
			hd := w.hiddenDirs(t, dirOf(old))
			switch point {
			case "relocated":
				if r.Step != shoal.StepSwapped || cur != r.Staging || params["numFiles"] != "1" || !slices.Equal(hd, []string{path.Base(r.Staging)}) {
					t.Fatalf("finished: step %s, location %s, params %v, hidden %v", r.Step, cur, params, hd)
				}
			default:
				if r.Step != shoal.StepAborted || cur != old || len(hd) != 0 {
					t.Fatalf("undone: step %s, location %s, hidden %v", r.Step, cur, hd)
				}
			}
			if !j.State.Final() {
				t.Fatalf("job %s after recovery", j.State)
			}
		})
	}
	for i, point := range []string{"rollback", "rollback-relocated"} {
		t.Run(point, func(t *testing.T) {
			ctx := t.Context()
			table := "rr_" + strings.ReplaceAll(point, "-", "_")
			files := parquetFiles(uint64(400+i), 4)
			old := w.table(t, table, hmstest.Parquet, map[string]map[string][]byte{"1": files})["dt=1"]
			e := w.engine()
			j := runJob(t, e, table)
			newLoc := j.Results[0].Staging
			if !until(e, point, nil, func() { _, _ = e.Rollback(ctx, j.ID) }) {
				t.Fatalf("the rollback did not reach %s", point)
			}
			rep, err := w.engine().Recover(ctx)
			if err != nil || rep.RolledBack != 1 {
				t.Fatalf("recover: %v (%+v)", err, rep)
			}
			cur, params := w.location(table, "dt=1")
			n, b := sumSizes(files)
			if cur != old || params["numFiles"] != strconv.FormatInt(n, 10) || params["totalSize"] != strconv.FormatInt(b, 10) {
				t.Fatalf("after recovery: location %s, params %v", cur, params)
			}
			sameFiles(t, w.files(t, old), files)
			if w.exists(t, newLoc) {
				t.Fatalf("relocated directory %s left", newLoc)
			}
			j, err = w.store.GetMergeJob(ctx, j.ID)
			if err != nil || j.State != shoal.MergeRolledBack {
				t.Fatalf("job after recovery: %v %+v", err, j)
			}
		})
	}
}

// dirOf is the directory of a URI (path.Dir would collapse "s3://").
func dirOf(p string) string { return p[:strings.LastIndex(p, "/")] }

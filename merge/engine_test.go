package merge_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/demo"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/avro"
	"github.com/shoalhq/shoal/merge/internal/rows"
	"github.com/shoalhq/shoal/merge/orc"
	"github.com/shoalhq/shoal/merge/parquet"
	"github.com/shoalhq/shoal/merge/text"
	"github.com/shoalhq/shoal/store/sqlite"
	"github.com/shoalhq/shoal/warehouse"
)

// env is a warehouse, a store and an engine on them.
type env struct {
	root   string
	store  *sqlite.Store
	engine *merge.Engine
}

// policy is the test's default policy: the demo's thresholds, and cold
// after an hour.
func policy() shoal.EffectivePolicy {
	p := shoal.DefaultPolicy()
	p.SmallFileSize = demo.Thresholds.SmallFileSize
	p.TargetFileSize = demo.Thresholds.TargetFileSize
	p.MinAge = shoal.Duration(time.Hour)
	return p
}

func registerAll(e *merge.Engine) {
	e.Register(parquet.New(), orc.New(), avro.New(), text.New())
}

func newEnv(t *testing.T, root string) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "shoal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	e := &merge.Engine{
		Store: st, Catalog: cat, FS: cat.FileSystem().(shoal.WritableFS), Defaults: policy(),
		Owner: merge.NewOwner(), CatalogName: "warehouse://" + root,
	}
	registerAll(e)
	return &env{root: root, store: st, engine: e}
}

// writePartition writes files into root/db.db/table/dt=1 and backdates
// them by two days. files maps names to contents.
func writePartition(t *testing.T, root, table string, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(root, "db.db", table, "dt=1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func textFiles(n int) map[string][]byte {
	files := map[string][]byte{}
	for i := range n {
		var b strings.Builder
		for r := range 50 {
			b.WriteString("row-" + string(rune('a'+i%26)) + "-" + strings.Repeat("x", r%7) + "," + time.Duration(i*100+r).String() + "\n")
		}
		files["part-"+string(rune('a'+i))+".csv"] = []byte(b.String())
	}
	return files
}

func mustRows(t *testing.T, dir string) []string {
	t.Helper()
	rs, err := rows.Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func visible(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !shoal.IsHidden(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// leftovers lists staging and aside directories under root.
func leftovers(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (strings.Contains(d.Name(), ".shoal-staging-") || strings.Contains(d.Name(), ".shoal-merged-")) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestEngine_PlanRunRollback(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(6))
	before := mustRows(t, dir)
	e := newEnv(t, root)
	ctx := t.Context()

	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	pp := j.Plan.Partitions[0]
	if !pp.Eligible || pp.Mode != shoal.ModeConcat || pp.FilesBefore != 6 || pp.FilesAfter != 1 || len(pp.Groups) != 1 {
		t.Fatalf("plan = %+v", pp)
	}
	if pp.Groups[0].Output != "part-a.csv" || pp.Score <= 0 || pp.EstimatedSeconds <= 0 {
		t.Errorf("group output %q, score %v, estimate %v", pp.Groups[0].Output, pp.Score, pp.EstimatedSeconds)
	}
	j, err = e.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeSucceeded {
		t.Fatalf("job %s: %s", j.State, j.Error)
	}
	r := j.Results[0]
	if r.Step != shoal.StepSwapped || r.FilesAfter != 1 || r.RowsAfter != int64(len(before)) || !strings.Contains(r.Validation, "CRC-32C") {
		t.Fatalf("result = %+v", r)
	}
	if got := visible(t, dir); !slices.Equal(got, []string{"part-a.csv"}) {
		t.Fatalf("partition holds %v", got)
	}
	if after := mustRows(t, dir); !rows.Same(after, before) {
		t.Fatalf("rows changed: %d → %d", len(before), len(after))
	}
	if l := leftovers(t, root); len(l) > 0 {
		t.Fatalf("left over: %v", l)
	}
	// A second run of the same job is refused.
	if _, err := e.engine.Run(ctx, j.ID); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Errorf("second run: %v", err)
	}

	// Rollback restores the originals, byte for byte.
	j, err = e.engine.Rollback(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeRolledBack || j.Results[0].Step != shoal.StepRolledBack {
		t.Fatalf("after rollback: %s %+v", j.State, j.Results[0])
	}
	if got := visible(t, dir); len(got) != 6 {
		t.Fatalf("after rollback the partition holds %v", got)
	}
	for name, data := range textFiles(6) {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(data) {
			t.Fatalf("%s not restored: %v", name, err)
		}
	}
	if _, err := e.engine.Rollback(ctx, j.ID); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Errorf("second rollback: %v", err)
	}
}

func TestEngine_RollbackRefusesChangedPartition(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(4))
	e := newEnv(t, root)
	ctx := t.Context()
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = e.engine.Run(ctx, j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	if err := os.WriteFile(filepath.Join(dir, "late.csv"), []byte("late\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.engine.Rollback(ctx, j.ID)
	if shoal.ErrorCode(err) != shoal.ECONFLICT || !strings.Contains(err.Error(), "late.csv added") {
		t.Fatalf("rollback of a changed partition: %v", err)
	}
	if got := visible(t, dir); !slices.Equal(got, []string{"late.csv", "part-a.csv"}) {
		t.Fatalf("a refused rollback changed the partition: %v", got)
	}
}

func TestEngine_ConcurrentWriterAborts(t *testing.T) {
	for _, point := range []string{"staging", "written", "validated"} {
		t.Run(point, func(t *testing.T) {
			root := t.TempDir()
			dir := writePartition(t, root, "events", textFiles(5))
			before := mustRows(t, dir)
			e := newEnv(t, root)
			ctx := t.Context()
			j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			e.engine.Fault = func(p string) {
				if p == point {
					if err := os.WriteFile(filepath.Join(dir, "new.csv"), []byte("new,row\n"), 0o644); err != nil {
						t.Error(err)
					}
				}
			}
			j, err = e.engine.Run(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.State != shoal.MergeFailed || j.Results[0].Step != shoal.StepAborted || !strings.Contains(j.Error, "new.csv added") {
				t.Fatalf("job %s %q, result %+v", j.State, j.Error, j.Results[0])
			}
			after := mustRows(t, dir)
			if !rows.Same(after, append(before, "new,row")) {
				t.Fatalf("rows after an aborted merge: %d, want %d", len(after), len(before)+1)
			}
			if l := leftovers(t, root); len(l) > 0 {
				t.Fatalf("left over: %v", l)
			}
		})
	}
}

func TestEngine_Refusals(t *testing.T) {
	ctx := t.Context()
	t.Run("NotCold", func(t *testing.T) {
		root := t.TempDir()
		dir := writePartition(t, root, "events", textFiles(3))
		now := time.Now()
		if err := os.Chtimes(filepath.Join(dir, "part-b.csv"), now, now); err != nil {
			t.Fatal(err)
		}
		plan, err := newEnv(t, root).engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Runnable() || !strings.Contains(plan.Partitions[0].Reason, "not cold") {
			t.Fatalf("plan of a hot partition: %+v", plan.Partitions[0])
		}
	})
	t.Run("MixedFormats", func(t *testing.T) {
		root := t.TempDir()
		files := textFiles(2)
		files["x.avro"] = []byte("Obj\x01garbage")
		writePartition(t, root, "events", files)
		plan, err := newEnv(t, root).engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Runnable() || !strings.Contains(plan.Partitions[0].Reason, "x.avro") {
			t.Fatalf("plan with a corrupt Avro file: %+v", plan.Partitions[0])
		}
	})
	t.Run("SequenceFile", func(t *testing.T) {
		root := t.TempDir()
		writePartition(t, root, "events", map[string][]byte{"a": []byte("SEQ\x06xxxx"), "b": []byte("SEQ\x06yyyy")})
		plan, err := newEnv(t, root).engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Runnable() || !strings.Contains(plan.Partitions[0].Reason, "Hive SQL strategy") {
			t.Fatalf("plan of SequenceFiles: %+v", plan.Partitions[0])
		}
	})
	t.Run("PolicyExclude", func(t *testing.T) {
		root := t.TempDir()
		writePartition(t, root, "events", textFiles(3))
		env := newEnv(t, root)
		if err := env.store.PutPolicy(ctx, &shoal.Policy{Scope: "db", Exclude: []string{"db.ev*"}}); err != nil {
			t.Fatal(err)
		}
		plan, err := env.engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Eligible || !strings.Contains(plan.Reason, "excluded") {
			t.Fatalf("plan of an excluded table: %+v", plan)
		}
	})
	t.Run("NothingToMerge", func(t *testing.T) {
		root := t.TempDir()
		writePartition(t, root, "events", map[string][]byte{"one.csv": []byte("a\n")})
		plan, err := newEnv(t, root).engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Runnable() || !strings.Contains(plan.Partitions[0].Reason, "nothing to merge") {
			t.Fatalf("plan of one file: %+v", plan.Partitions[0])
		}
	})
	t.Run("UnknownTable", func(t *testing.T) {
		root := t.TempDir()
		writePartition(t, root, "events", textFiles(2))
		_, err := newEnv(t, root).engine.Plan(ctx, merge.PlanRequest{Database: "db", Table: "nope"})
		if shoal.ErrorCode(err) != shoal.ENOTFOUND {
			t.Fatalf("plan of a missing table: %v", err)
		}
	})
}

// acidCatalog marks every table transactional, as a Metastore would.
type acidCatalog struct {
	shoal.Catalog
	insertOnly bool
}

func (c acidCatalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	ts, err := c.Catalog.Tables(ctx, db)
	for i := range ts {
		ts[i].Transactional = true
		if c.insertOnly {
			ts[i].TransactionalProperties = "insert_only"
		}
	}
	return ts, err
}

// bucketCatalog makes every table bucketed into 4 buckets.
type bucketCatalog struct{ shoal.Catalog }

func (c bucketCatalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	ts, err := c.Catalog.Tables(ctx, db)
	for i := range ts {
		ts[i].NumBuckets, ts[i].BucketColumns = 4, []string{"id"}
	}
	return ts, err
}

func TestEngine_ACIDRefused(t *testing.T) {
	for _, insertOnly := range []bool{false, true} {
		root := t.TempDir()
		writePartition(t, root, "events", textFiles(3))
		env := newEnv(t, root)
		env.engine.Catalog = acidCatalog{env.engine.Catalog, insertOnly}
		plan, err := env.engine.Plan(t.Context(), merge.PlanRequest{Database: "db", Table: "events"})
		if err != nil {
			t.Fatal(err)
		}
		want := "ACID table"
		if insertOnly {
			want = "insert-only"
		}
		if plan.Eligible || !strings.Contains(plan.Reason, want) || !strings.Contains(plan.Reason, "COMPACT") {
			t.Fatalf("plan of a transactional table: %q", plan.Reason)
		}
	}
}

func TestEngine_BucketsKeptApart(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{}
	for _, n := range []string{"000000_0", "000000_0_copy_1", "000000_0_copy_2", "000001_0", "000001_0_copy_1", "000002_0"} {
		files[n] = []byte(n + ",1\n" + n + ",2\n")
	}
	dir := writePartition(t, root, "bucketed", files)
	env := newEnv(t, root)
	env.engine.Catalog = bucketCatalog{env.engine.Catalog}
	ctx := t.Context()
	j, err := env.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "bucketed"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range j.Plan.Partitions[0].Groups {
		for _, in := range g.Inputs {
			if !strings.HasPrefix(in, g.Output[:6]) {
				t.Fatalf("group %s mixes buckets: %v", g.Output, g.Inputs)
			}
		}
	}
	if j, err = env.engine.Run(ctx, j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	if got := visible(t, dir); !slices.Equal(got, []string{"000000_0", "000001_0", "000002_0"}) {
		t.Fatalf("bucket files after the merge: %v", got)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "000001_0"))
	if !strings.Contains(string(data), "000001_0_copy_1,2") || strings.Contains(string(data), "000000") {
		t.Fatalf("bucket 1 holds %q", data)
	}
}

func TestEngine_LeaseBlocksSecondWorker(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(3))
	env := newEnv(t, root)
	ctx := t.Context()
	j, err := env.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// Another live worker (this process, another owner) holds the lease.
	if err := env.store.AcquireLease(ctx, "db.events/dt=1", "other-host/1/x", time.Minute); err != nil {
		t.Fatal(err)
	}
	j, err = env.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != shoal.MergeFailed || !strings.Contains(j.Error, "leased by other-host") {
		t.Fatalf("job %s: %q", j.State, j.Error)
	}
	if got := visible(t, dir); len(got) != 3 {
		t.Fatalf("partition changed: %v", got)
	}
}

func TestEngine_GC(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(3))
	env := newEnv(t, root)
	ctx := t.Context()
	j, err := env.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = env.engine.Run(ctx, j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	backup := j.Results[0].Backup
	// Orphans beside a partition and beside a table's directory (as an
	// unpartitioned table's merge leaves them).
	orphan := filepath.Join(filepath.Dir(dir), ".dt=1.shoal-staging-999")
	tableOrphan := filepath.Join(root, "db.db", ".events.shoal-backup-998")
	for _, d := range []string{orphan, tableOrphan} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Before expiry: only the orphans go.
	rep, err := env.engine.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rep.Orphans)
	if len(rep.Backups) != 0 || !slices.Equal(rep.Orphans, []string{tableOrphan, orphan}) {
		t.Fatalf("gc before expiry: %+v", rep)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Fatalf("backup removed before expiry: %v", err)
	}
	env.engine.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	rep, err = env.engine.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Backups, []string{backup}) {
		t.Fatalf("gc after expiry: %+v", rep)
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Fatalf("expired backup still there: %v", err)
	}
	if _, err := env.engine.Rollback(ctx, j.ID); shoal.ErrorCode(err) != shoal.ECONFLICT || !strings.Contains(err.Error(), "purged") {
		t.Fatalf("rollback after purge: %v", err)
	}
}

// TestEngine_Demo merges every table of the demo warehouse (Parquet,
// ORC, Avro, CSV with headers, \x01 text, gzip text; empty, escaped and
// default partitions; hidden and zero-byte files) and checks that every
// partition keeps exactly its rows.
func TestEngine_Demo(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a demo warehouse")
	}
	root := filepath.Join(t.TempDir(), "w")
	now := time.Now().Add(-72 * time.Hour)
	m, err := demo.Generate(t.Context(), demo.Options{Dir: root, Seed: 7, Now: now, Scale: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, m.Root)
	ctx := t.Context()
	merged := 0
	for _, tm := range m.Tables {
		tableDir := tm.Dir
		before := partitionRows(t, tableDir, tm.HeaderLines)
		j, err := env.engine.Create(ctx, merge.PlanRequest{Database: tm.Database, Table: tm.Table}, "test")
		if err != nil {
			t.Fatalf("%s.%s: %v", tm.Database, tm.Table, err)
		}
		if j.Plan.Runnable() {
			if j, err = env.engine.Run(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			if j.State != shoal.MergeSucceeded {
				t.Fatalf("%s.%s: %s: %s", tm.Database, tm.Table, j.State, j.Error)
			}
			merged++
		} else {
			t.Logf("%s.%s not merged: %s", tm.Database, tm.Table, firstReason(j.Plan))
		}
		after := partitionRows(t, tableDir, tm.HeaderLines)
		for spec, rs := range before {
			if !rows.Same(after[spec], rs) {
				t.Errorf("%s.%s %s: %d rows before, %d after", tm.Database, tm.Table, spec, len(rs), len(after[spec]))
			}
		}
	}
	if merged < 5 {
		t.Errorf("only %d demo tables merged", merged)
	}
	if l := leftovers(t, m.Root); len(l) > 0 {
		t.Fatalf("left over: %v", l)
	}
}

func firstReason(p *shoal.Plan) string {
	for _, pp := range p.Partitions {
		if pp.Reason != "" {
			return pp.Spec + ": " + pp.Reason
		}
	}
	return p.Reason
}

// partitionRows reads the rows of every leaf directory below a table.
func partitionRows(t *testing.T, tableDir string, headerLines int) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	_ = filepath.WalkDir(tableDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if p != tableDir && shoal.IsHidden(d.Name()) {
			return filepath.SkipDir
		}
		rs, err := rows.DirHeader(p, headerLines)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(rs) > 0 {
			rel, _ := filepath.Rel(tableDir, p)
			out[rel] = rs
		}
		return nil
	})
	return out
}

func TestEngine_PlanSelectedPartitions(t *testing.T) {
	root := t.TempDir()
	writePartition(t, root, "events", textFiles(3))
	other := filepath.Join(root, "db.db", "events", "dt=2")
	if err := os.Rename(filepath.Join(root, "db.db", "events", "dt=1"), other); err != nil {
		t.Fatal(err)
	}
	writePartition(t, root, "events", textFiles(3))
	e := newEnv(t, root)
	plan, err := e.engine.Plan(t.Context(), merge.PlanRequest{Database: "db", Table: "events", Partitions: []string{"dt=2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Partitions) != 1 || plan.Partitions[0].Spec != "dt=2" {
		t.Fatalf("planned %+v", plan.Partitions)
	}
	_, err = e.engine.Plan(t.Context(), merge.PlanRequest{Database: "db", Table: "events", Partitions: []string{"dt=3"}})
	if shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatalf("plan of a missing partition: %v", err)
	}
}

// TestEngine_SwapConflictKeepsEverything recreates the partition
// directory between the two renames: the second rename must fail, and
// neither the originals (in the backup) nor the merged files (in staging)
// may be removed.
func TestEngine_SwapConflictKeepsEverything(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(4))
	before := mustRows(t, dir)
	env := newEnv(t, root)
	ctx := t.Context()
	j, err := env.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	env.engine.Fault = func(p string) {
		if p == "promote" {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Error(err)
			}
		}
	}
	j, err = env.engine.Run(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := j.Results[0]
	if j.State != shoal.MergeFailed || !strings.Contains(r.Error, "left for recovery") {
		t.Fatalf("job %s, result %+v", j.State, r)
	}
	if got := mustRows(t, r.Backup); !rows.Same(got, before) {
		t.Fatalf("backup holds %d rows, want %d", len(got), len(before))
	}
	if got := mustRows(t, r.Staging); !rows.Same(got, before) {
		t.Fatalf("staging holds %d rows, want %d", len(got), len(before))
	}
	// Recovery refuses to guess and removes nothing.
	if _, err := env.engine.Recover(ctx); err == nil || !strings.Contains(err.Error(), "inspect by hand") {
		t.Fatalf("recover: %v", err)
	}
	if _, err := os.Stat(r.Backup); err != nil {
		t.Fatal(err)
	}
}

// hdfsLike is local disk that reports HDFS's per-file replication and block
// size and records the files created with them.
type hdfsLike struct {
	shoal.WritableFS
	created map[string][2]int64
}

func (f *hdfsLike) Stat(ctx context.Context, p string) (shoal.FileInfo, error) {
	fi, err := f.WritableFS.Stat(ctx, p)
	if err == nil && !fi.IsDir {
		fi.Replication, fi.BlockSize = 2, 256<<20
	}
	return fi, err
}

func (f *hdfsLike) CreateWith(ctx context.Context, p string, repl int, bs int64) (shoal.WriteFile, error) {
	f.created[path.Base(p)] = [2]int64{int64(repl), bs}
	return f.Create(ctx, p)
}

// TestEngine_OutputsKeepReplicationAndBlockSize: on a file system whose
// files have their own replication and block size, merged files take those
// of the files they replace.
func TestEngine_OutputsKeepReplicationAndBlockSize(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(4))
	before := mustRows(t, dir)
	e := newEnv(t, root)
	fs := &hdfsLike{WritableFS: e.engine.FS, created: map[string][2]int64{}}
	e.engine.FS = fs
	j, err := e.engine.Create(t.Context(), merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = e.engine.Run(t.Context(), j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	if got := fs.created["part-a.csv"]; got != [2]int64{2, 256 << 20} {
		t.Errorf("output created with %v, want replication 2 and block size 256 MiB (created: %v)", got, fs.created)
	}
	if after := mustRows(t, dir); !rows.Same(after, before) {
		t.Fatalf("rows changed: %d → %d", len(before), len(after))
	}
}

package merge_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/demo"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/internal/rows"
	"github.com/shoalhq/shoal/store/sqlite"
	"github.com/shoalhq/shoal/warehouse"
)

// The fault-injection tests run the merge in a child process (this test
// binary, re-executed) and kill it with SIGKILL: at a named swap step,
// where the child kills itself, or at a random moment, where the parent
// does. Then recovery runs in the parent, and every partition must hold
// exactly its original rows, with no staging directory left.

const childEnv = "SHOAL_MERGE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	code := m.Run()
	if demoDir != "" {
		_ = os.RemoveAll(filepath.Dir(demoDir))
	}
	os.Exit(code)
}

// runChild runs one merge job: SHOAL_CHILD_ROOT, _DB, _JOB, and
// SHOAL_CHILD_KILL_AT (a fault point) or SHOAL_CHILD_SLOW (sleep at every
// point, for random kills).
func runChild() int {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, os.Getenv("SHOAL_CHILD_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	cat, err := warehouse.Open(os.Getenv("SHOAL_CHILD_ROOT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	e := &merge.Engine{Store: st, Catalog: cat, FS: cat.FileSystem().(shoal.WritableFS), Defaults: policy(), Owner: merge.NewOwner()}
	registerAll(e)
	killAt := os.Getenv("SHOAL_CHILD_KILL_AT")
	slow := os.Getenv("SHOAL_CHILD_SLOW") != ""
	e.Fault = func(point string) {
		if point == killAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
		if slow {
			time.Sleep(time.Millisecond)
		}
	}
	id, _ := strconv.ParseInt(os.Getenv("SHOAL_CHILD_JOB"), 10, 64)
	if _, err := e.Run(ctx, id); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// faultPoints are the points where the child is killed: before the staging
// directory exists, after one output was written, after validation, before
// and after each rename.
var faultPoints = []string{"staging", "written", "validated", "backup", "backup-renamed", "promote", "promoted"}

// fixture is a demo table of one format, whose partitions the test merges.
type fixture struct{ db, table string }

var fixtures = map[string]fixture{
	"parquet":   {"web", "clickstream"},
	"orc":       {"sales", "order_items"},
	"avro":      {"web", "page_views"},
	"text":      {"logs", "audit_events"},
	"text+gzip": {"logs", "app_logs"},
}

// demoTable generates the demo warehouse once per test binary run and
// returns a fresh warehouse holding a copy of one of its tables.
func demoTable(t *testing.T, db, table string) string {
	t.Helper()
	src := filepath.Join(demoOnce(t), db+".db", table)
	root := filepath.Join(t.TempDir(), "w")
	if err := os.MkdirAll(filepath.Join(root, db+".db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src, filepath.Join(root, db+".db", table)).CombinedOutput(); err != nil {
		t.Fatalf("copy demo table: %v: %s", err, out)
	}
	return root
}

var demoDir string

func demoOnce(t *testing.T) string {
	t.Helper()
	if demoDir != "" {
		return demoDir
	}
	dir, err := os.MkdirTemp("", "shoal-fault-demo-")
	if err != nil {
		t.Fatal(err)
	}
	demoDir = filepath.Join(dir, "w")
	if _, err := demo.Generate(t.Context(), demo.Options{Dir: demoDir, Seed: 3, Now: time.Now().Add(-72 * time.Hour), Scale: 1}); err != nil {
		t.Fatal(err)
	}
	return demoDir
}

// crash plans a job in the parent, runs it in a child that dies, then
// recovers and checks the rows of the table.
func crash(t *testing.T, format string, killAt string, delay time.Duration) {
	t.Helper()
	fx := fixtures[format]
	root := demoTable(t, fx.db, fx.table)
	tableDir := filepath.Join(root, fx.db+".db", fx.table)
	before := partitionRows(t, tableDir, 0)
	env := newEnv(t, root)
	ctx := t.Context()
	j, err := env.engine.Create(ctx, merge.PlanRequest{Database: fx.db, Table: fx.table}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !j.Plan.Runnable() {
		t.Fatalf("%s.%s: nothing to merge: %s", fx.db, fx.table, firstReason(j.Plan))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "SHOAL_CHILD_ROOT="+root,
		"SHOAL_CHILD_DB="+env.store.Path(), "SHOAL_CHILD_JOB="+strconv.FormatInt(j.ID, 10))
	if killAt != "" {
		cmd.Env = append(cmd.Env, "SHOAL_CHILD_KILL_AT="+killAt)
	} else {
		cmd.Env = append(cmd.Env, "SHOAL_CHILD_SLOW=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAt == "" {
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
	}
	err = cmd.Wait()
	if killAt != "" && (err == nil || !strings.Contains(err.Error(), "killed")) {
		t.Fatalf("child at %s: %v: %s", killAt, err, stderr.String())
	}
	rep, err := env.engine.Recover(ctx)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	after := partitionRows(t, tableDir, 0)
	if len(after) != len(before) {
		t.Fatalf("%d partitions with rows after recovery, %d before", len(after), len(before))
	}
	for spec, rs := range before {
		if !rows.Same(after[spec], rs) {
			t.Fatalf("%s: %d rows before, %d after (recovery %+v)", spec, len(rs), len(after[spec]), rep)
		}
	}
	if l := leftovers(t, root); len(l) > 0 {
		t.Fatalf("left over after recovery: %v", l)
	}
	j, err = env.store.GetMergeJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	neverStarted := j.State == shoal.MergePlanned && len(j.Results) == 0 // stays planned
	if !j.State.Final() && !neverStarted {
		t.Fatalf("job still %s after recovery", j.State)
	}
	for _, r := range j.Results {
		if r.Step != shoal.StepSwapped && r.Step != shoal.StepAborted {
			t.Fatalf("partition %s left at step %s", r.Spec, r.Step)
		}
	}
}

func TestFault_KillAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for format := range fixtures {
		for _, point := range faultPoints {
			t.Run(format+"/"+point, func(t *testing.T) { crash(t, format, point, 0) })
		}
	}
}

// TestFault_RandomKills kills the child at random moments. SHOAL_SOAK
// raises the number of seeds (make soak).
func TestFault_RandomKills(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seeds := 5
	if n, err := strconv.Atoi(os.Getenv("SHOAL_SOAK")); err == nil && n > 0 {
		seeds = n
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for format := range fixtures {
		for i := range seeds {
			delay := time.Duration(r.IntN(400)) * time.Millisecond
			t.Run(fmt.Sprintf("%s/%d/%s", format, i, delay), func(t *testing.T) { crash(t, format, "", delay) })
		}
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/merge"
)

// mergeEnv is an open store and catalogs with their merge engines, and
// the engine of the catalog the command acts on.
type mergeEnv struct {
	be     *backend
	engine *merge.Engine
}

func (env *mergeEnv) close() error { return env.be.Close() }

// openMerge opens and migrates the store, opens the catalogs and builds
// their merge engines; engine is the one of the catalog named selected
// (the first when ""). Without a catalog it gets one engine that can
// recover, roll back and clean up journaled partitions only.
func openMerge(ctx context.Context, cfg config.Config, selected string, stderr io.Writer) (*mergeEnv, error) {
	be, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return nil, err
	}
	if err := be.migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate store: %w", err), be.Close())
	}
	log := newLogger(cfg.Log, stderr)
	if err := be.openCatalogs(cfg, log); err != nil {
		return nil, errors.Join(err, be.Close())
	}
	if len(be.engines) == 0 {
		e := &merge.Engine{
			Store: be.store, FS: unconfinedFS(), Defaults: cfg.Merge.Policy(cfg.Policy),
			Retention: cfg.Merge.Retention.Std(), Owner: merge.NewOwner(), Log: log,
		}
		registerMergers(e)
		be.engines = append(be.engines, e)
	}
	env := &mergeEnv{be: be}
	if env.engine, err = be.engine(selected); err != nil {
		return nil, errors.Join(err, be.Close())
	}
	return env, nil
}

// engineOf returns the engine of merge job id's catalog: the only engine
// when no catalog is configured.
func (env *mergeEnv) engineOf(ctx context.Context, id int64) (*merge.Engine, error) {
	if env.engine.Catalog == nil {
		return env.engine, nil
	}
	j, err := env.be.store.GetMergeJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return env.be.engine(j.Catalog)
}

// mergeJSON is the output of `shoal merge --output json`. Scripts depend
// on these field names: keep them stable.
type mergeJSON struct {
	JobID      int64                `json:"job_id"`
	State      shoal.MergeState     `json:"state"`
	Partitions []mergePartitionJSON `json:"partitions"`
	Error      string               `json:"error,omitempty"`
	Plan       *shoal.Plan          `json:"plan,omitempty"`
}

type mergePartitionJSON struct {
	Partition   string          `json:"partition"`
	FilesBefore int             `json:"files_before"`
	FilesAfter  int             `json:"files_after"`
	BytesBefore int64           `json:"bytes_before"`
	BytesAfter  int64           `json:"bytes_after"`
	RowsBefore  int64           `json:"rows_before"`
	RowsAfter   int64           `json:"rows_after"`
	Mode        shoal.MergeMode `json:"mode"`
	Swap        string          `json:"swap"`
	Step        shoal.SwapStep  `json:"step"`
	Validation  string          `json:"validation,omitempty"`
	Error       string          `json:"error,omitempty"`
}

func toMergeJSON(j *shoal.MergeJob) mergeJSON {
	out := mergeJSON{JobID: j.ID, State: j.State, Error: j.Error, Partitions: []mergePartitionJSON{}}
	for _, r := range j.Results {
		out.Partitions = append(out.Partitions, mergePartitionJSON{
			Partition: r.Spec, FilesBefore: r.FilesBefore, FilesAfter: r.FilesAfter, BytesBefore: r.BytesBefore,
			BytesAfter: r.BytesAfter, RowsBefore: r.RowsBefore, RowsAfter: r.RowsAfter, Mode: r.Mode, Swap: r.Swap,
			Step: r.Step, Validation: r.Validation, Error: r.Error,
		})
	}
	return out
}

// mergeFlags returns the flags every merge command takes: --config,
// --catalog and --store.
func mergeFlags(name string, stderr io.Writer) *commonFlags {
	f := newFlags(name, stderr)
	f.withCatalog()
	f.withStore()
	return f
}

// withMerge opens the merge environment of cfg, runs fn on it and closes
// it.
func withMerge(ctx context.Context, cfg config.Config, selected string, stderr io.Writer, fn func(*mergeEnv) error) (err error) {
	env, err := openMerge(ctx, cfg, selected, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.close()) }()
	return fn(env)
}

// tableFlags adds --table, --partition and --mode.
type tableFlags struct {
	table      *string
	partitions *multiFlag
	mode       *string
	output     *string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func addTableFlags(f *commonFlags) *tableFlags {
	t := &tableFlags{partitions: &multiFlag{}}
	t.table = f.fs.String("table", "", "table `db.table` to merge (required)")
	f.fs.Var(t.partitions, "partition", "partition `spec` k=v/k2=v2 (repeatable; default every partition)")
	t.mode = f.fs.String("mode", "", "merge `mode`: auto, concat or rewrite (default from the policy)")
	t.output = f.fs.String("output", "table", "output `format`: table or json")
	return t
}

func (t *tableFlags) request() (merge.PlanRequest, error) {
	db, tbl, ok := strings.Cut(*t.table, ".")
	if !ok || db == "" || tbl == "" {
		return merge.PlanRequest{}, &usageError{"--table db.table is required"}
	}
	if *t.mode != "" && !shoal.MergeMode(*t.mode).Valid() {
		return merge.PlanRequest{}, &usageError{fmt.Sprintf("--mode must be auto, concat or rewrite, got %q", *t.mode)}
	}
	if *t.output != "table" && *t.output != "json" {
		return merge.PlanRequest{}, &usageError{fmt.Sprintf("--output must be table or json, got %q", *t.output)}
	}
	return merge.PlanRequest{Database: db, Table: tbl, Partitions: *t.partitions, Mode: shoal.MergeMode(*t.mode)}, nil
}

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	f := mergeFlags("plan", stderr)
	tf := addTableFlags(f)
	cfg, err := f.parse(args, true)
	if err != nil {
		return err
	}
	req, err := tf.request()
	if err != nil {
		return err
	}
	env, err := openMerge(ctx, cfg, f.selected, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.close()) }()
	plan, err := env.engine.Plan(ctx, req)
	if err != nil {
		return err
	}
	if *tf.output == "json" {
		return writeJSON(stdout, plan)
	}
	printPlan(stdout, plan)
	return nil
}

func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	f := mergeFlags("merge", stderr)
	tf := addTableFlags(f)
	dryRun := f.fs.Bool("dry-run", false, "plan and print, change nothing")
	yes := f.fs.Bool("yes", false, "do not ask for confirmation")
	cfg, err := f.parse(args, true)
	if err != nil {
		return err
	}
	req, err := tf.request()
	if err != nil {
		return err
	}
	env, err := openMerge(ctx, cfg, f.selected, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.close()) }()
	if _, err := env.engine.Recover(ctx); err != nil {
		return fmt.Errorf("recover before merging: %w", err)
	}
	if *dryRun {
		plan, err := env.engine.Plan(ctx, req)
		if err != nil {
			return err
		}
		if *tf.output == "json" {
			return writeJSON(stdout, mergeJSON{State: shoal.MergePlanned, Partitions: []mergePartitionJSON{}, Plan: plan})
		}
		printPlan(stdout, plan)
		return nil
	}
	j, err := env.engine.Create(ctx, req, "cli:"+currentUser())
	if err != nil {
		return err
	}
	if !j.Plan.Runnable() {
		msg := j.Plan.Reason
		if msg == "" {
			msg = "nothing to merge"
		}
		j, _ = env.engine.Cancel(ctx, j.ID, msg)
		return finishMerge(stdout, *tf.output, j, j.Plan)
	}
	if !*yes {
		if *tf.output == "json" || !term.IsTerminal(int(os.Stdin.Fd())) { //nolint:gosec // a file descriptor fits an int
			return &usageError{"merge changes data: pass --yes to run without a terminal, or --dry-run to only plan"}
		}
		printPlan(stderr, j.Plan)
		fmt.Fprintf(stderr, "Merge %d files into %d in %s.%s? [y/N] ", j.Plan.FilesBefore, j.Plan.FilesAfter, j.Database, j.Table)
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			_, _ = env.engine.Cancel(ctx, j.ID, "not confirmed")
			fmt.Fprintln(stderr, "not merged")
			return nil
		}
	}
	_ = env.be.store.AppendAudit(ctx, &shoal.AuditEntry{Actor: j.CreatedBy, Action: "merge.run", Target: fmt.Sprintf("job/%d", j.ID),
		Detail: j.Database + "." + j.Table})
	j, err = env.engine.Run(ctx, j.ID)
	if err != nil {
		return err
	}
	return finishMerge(stdout, *tf.output, j, nil)
}

// errMergeFailed makes the exit status 1 after the result was printed.
var errMergeFailed = errors.New("merge failed; the affected partitions keep their original files")

func finishMerge(w io.Writer, output string, j *shoal.MergeJob, plan *shoal.Plan) error {
	if output == "json" {
		out := toMergeJSON(j)
		out.Plan = plan
		if err := writeJSON(w, out); err != nil {
			return err
		}
	} else {
		printJob(w, j)
	}
	if j.State != shoal.MergeSucceeded {
		return errMergeFailed
	}
	return nil
}

func runRollback(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	f := mergeFlags("rollback", stderr)
	f.args = 1
	output := f.fs.String("output", "table", "output `format`: table or json")
	cfg, err := f.parse(args, false)
	if err != nil {
		return err
	}
	id, perr := strconv.ParseInt(f.positional[0], 10, 64)
	if perr != nil || id <= 0 {
		return &usageError{fmt.Sprintf("rollback JOB: %q is not a job id", f.positional[0])}
	}
	env, err := openMerge(ctx, cfg, f.selected, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.close()) }()
	e, err := env.engineOf(ctx, id)
	if err != nil {
		return err
	}
	j, err := e.Rollback(ctx, id)
	if err != nil {
		return err
	}
	_ = env.be.store.AppendAudit(ctx, &shoal.AuditEntry{Actor: "cli:" + currentUser(), Action: "merge.rollback", Target: fmt.Sprintf("job/%d", id)})
	if *output == "json" {
		return writeJSON(stdout, toMergeJSON(j))
	}
	printJob(stdout, j)
	return nil
}

// catalogLabel prefixes a report line with the engine's catalog.
func catalogLabel(e *merge.Engine) string {
	if e.CatalogName == "" {
		return ""
	}
	return e.CatalogName + ": "
}

func runRecover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := mergeFlags("recover", stderr)
	cfg, err := f.parse(args, false)
	if err != nil {
		return err
	}
	return withMerge(ctx, cfg, f.selected, stderr, func(env *mergeEnv) error {
		var errs []error
		for _, e := range env.be.engines {
			rep, err := e.Recover(ctx)
			if rep != nil {
				fmt.Fprintf(stdout, "%srecovered: %d swaps finished, %d merges undone, %d rollbacks completed, %d jobs marked failed, %d left to live workers\n",
					catalogLabel(e), rep.Finished, rep.Undone, rep.RolledBack, rep.Jobs, rep.Skipped)
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func runGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := mergeFlags("gc", stderr)
	cfg, err := f.parse(args, true)
	if err != nil {
		return err
	}
	return withMerge(ctx, cfg, f.selected, stderr, func(env *mergeEnv) error {
		rep, err := env.engine.GC(ctx)
		if rep != nil {
			for _, b := range rep.Backups {
				fmt.Fprintln(stdout, "purged expired backup", b)
			}
			for _, o := range rep.Orphans {
				fmt.Fprintln(stdout, "removed orphan", o)
			}
			for _, k := range rep.Kept {
				fmt.Fprintln(stdout, "kept", k)
			}
			fmt.Fprintf(stdout, "gc: %d expired backups purged, %d orphans removed\n", len(rep.Backups), len(rep.Orphans))
		}
		return err
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

func printPlan(w io.Writer, p *shoal.Plan) {
	fmt.Fprintf(w, "Plan for %s.%s (%s, mode %s, policy %s)\n", p.Database, p.Table, p.Format, p.Mode, strings.Join(p.Policy.Sources, " > "))
	if p.Reason != "" {
		fmt.Fprintf(w, "  %s\n", p.Reason)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tFILES\tAFTER\tREWRITE\tMODE\tSCORE\tEST\tNOTE")
	for _, pp := range p.Partitions {
		spec := pp.Spec
		if spec == "" {
			spec = "(table)"
		}
		note := pp.ModeReason
		if !pp.Eligible {
			note = "skip: " + pp.Reason
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.1f\t%.1fs\t%s\n", spec, pp.FilesBefore, pp.FilesAfter,
			shoal.FormatBytes(pp.BytesToRewrite), pp.Mode, pp.Score, pp.EstimatedSeconds, note)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "Total: %d files → %d, %s to rewrite, about %.0fs\n", p.FilesBefore, p.FilesAfter, shoal.FormatBytes(p.BytesToRewrite), p.EstimatedSeconds)
}

func printJob(w io.Writer, j *shoal.MergeJob) {
	fmt.Fprintf(w, "Merge job %d: %s.%s %s\n", j.ID, j.Database, j.Table, j.State)
	if j.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", j.Error)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tSTEP\tFILES\tAFTER\tBYTES\tAFTER\tROWS\tAFTER\tMODE\tNOTE")
	for _, r := range j.Results {
		spec := r.Spec
		if spec == "" {
			spec = "(table)"
		}
		note := r.Validation
		if r.Error != "" {
			note = r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%s\n", spec, r.Step, r.FilesBefore, r.FilesAfter,
			shoal.FormatBytes(r.BytesBefore), shoal.FormatBytes(r.BytesAfter), r.RowsBefore, r.RowsAfter, r.Mode, note)
	}
	_ = tw.Flush()
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/internal/telemetry"
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/scan"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
)

// commonFlags are the flags shared by the commands that read the config.
type commonFlags struct {
	fs         *flag.FlagSet
	configPath string
	catalog    string
	// selected is the catalog a command acts on, by name ("" for the
	// first), from --catalog NAME.
	selected string
	store    string
	// args is how many positional arguments the command takes;
	// positional holds them after parsing.
	args       int
	positional []string
}

func newFlags(name string, stderr io.Writer) *commonFlags {
	c := &commonFlags{fs: flag.NewFlagSet("shoal "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.StringVar(&c.configPath, "config", os.Getenv("SHOAL_CONFIG"), "YAML config `file` (env SHOAL_CONFIG)")
	return c
}

func (c *commonFlags) withCatalog() {
	c.fs.StringVar(&c.catalog, "catalog", "", "catalog `URI` (overrides catalog.url), e.g. warehouse:///data/warehouse, or the NAME of a configured catalog")
}

func (c *commonFlags) withStore() {
	c.fs.StringVar(&c.store, "store", "", "store `URI`: sqlite://path.db or postgres://... (overrides store.url)")
}

// parse parses args and loads the config: file, then environment, then
// flags; it validates the result.
func (c *commonFlags) parse(args []string, requireCatalog bool) (config.Config, error) {
	return c.parseWith(args, requireCatalog, nil)
}

// parseWith is parse with a hook that applies command-specific flags
// before validation.
func (c *commonFlags) parseWith(args []string, requireCatalog bool, apply func(*config.Config)) (config.Config, error) {
	// Flags may follow the positional arguments: parse, take one
	// positional argument, parse the rest.
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return config.Config{}, err
			}
			return config.Config{}, &usageError{err.Error()}
		}
		if c.fs.NArg() == 0 {
			break
		}
		if len(c.positional) == c.args {
			return config.Config{}, &usageError{fmt.Sprintf("unexpected argument %q", c.fs.Arg(0))}
		}
		c.positional = append(c.positional, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(c.positional) < c.args {
		return config.Config{}, &usageError{fmt.Sprintf("%s needs %d argument(s)", c.fs.Name(), c.args)}
	}
	cfg, err := config.Load(c.configPath, os.Environ())
	if err != nil {
		return cfg, err
	}
	if strings.Contains(c.catalog, "://") {
		cfg.Catalog.URL = c.catalog
	} else if c.catalog != "" {
		if _, ok := cfg.FindCatalog(c.catalog); !ok {
			return cfg, &usageError{fmt.Sprintf("--catalog %q: no catalog has that name", c.catalog)}
		}
		c.selected = c.catalog
	}
	if c.store != "" {
		cfg.Store.URL = c.store
	}
	if apply != nil {
		apply(&cfg)
	}
	if err := cfg.Validate(requireCatalog); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// newLogger returns the logger of cfg: text or JSON records, with the
// trace_id and span_id of the span of the record's context, if any.
func newLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(telemetry.NewTraceHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(telemetry.NewTraceHandler(slog.NewTextHandler(w, opts)))
}

// backend is an open store with the job client that matches it, and the
// configured catalogs with one merge engine each.
type backend struct {
	store shoal.Store
	// catalogs and engines are in configuration order; engines is empty
	// for commands without a catalog.
	catalogs []*openedCatalog
	engines  []*merge.Engine
	migrate  func(ctx context.Context) error
	newJobs  func(cfg jobs.Config) (*jobs.Client, error)
	// obs, when set, is what the catalogs' engines report to.
	obs *observability
}

// engine returns the merge engine of a catalog by name; the first one when
// name is "".
func (be *backend) engine(name string) (*merge.Engine, error) {
	for _, e := range be.engines {
		if name == "" || e.CatalogName == name {
			return e, nil
		}
	}
	if len(be.engines) == 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "no catalog is configured")
	}
	return nil, shoal.Errorf(shoal.ENOTFOUND, "catalog %q is not configured", name)
}

// Run runs a merge job with the engine of its catalog (jobs.MergeRunner).
func (be *backend) Run(ctx context.Context, jobID int64) (*shoal.MergeJob, error) {
	j, err := be.store.GetMergeJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	e, err := be.engine(j.Catalog)
	if err != nil {
		return nil, fmt.Errorf("merge job %d: %w", jobID, err)
	}
	return e.Run(ctx, jobID)
}

// openCatalogs opens every configured catalog and builds its merge engine
// on st. They share one lease owner, this process. With be.obs, the
// engines report to its merge observer, and their catalog and file system
// calls are traced when tracing is on.
func (be *backend) openCatalogs(cfg config.Config, log *slog.Logger) error {
	obs := be.obs
	owner := merge.NewOwner()
	for _, cc := range cfg.AllCatalogs() {
		o, err := openCatalog(cc)
		if err != nil {
			return err
		}
		be.catalogs = append(be.catalogs, o)
		e := &merge.Engine{
			Store:       be.store,
			Catalog:     o.catalog,
			FS:          o.fs,
			CatalogName: cc.Name,
			Defaults:    cc.Merge.Policy(cc.Policy),
			Retention:   cc.Merge.Retention.Std(),
			Owner:       owner,
			Log:         log,
			Writer:      o.writer,
		}
		if o.cluster != nil {
			e.Cluster = o.cluster
		}
		if obs != nil {
			e.Observer = obs.mergeObserver()
			e.Catalog = telemetry.Catalog(o.catalog, cc.Name)
			e.FS = telemetry.WritableFS(o.fs)
			if o.writer != nil {
				e.Writer = telemetry.CatalogWriter(o.writer, cc.Name)
			}
		}
		registerMergers(e)
		be.engines = append(be.engines, e)
	}
	return nil
}

// Close closes the catalogs and the store.
func (be *backend) Close() error {
	var errs []error
	for _, o := range be.catalogs {
		errs = append(errs, o.Close())
	}
	return errors.Join(append(errs, be.store.Close())...)
}

// openStore opens the store a URL names. It does not migrate.
func openStore(ctx context.Context, uri string) (*backend, error) {
	switch {
	case strings.HasPrefix(uri, "sqlite://"):
		path, _, _ := strings.Cut(strings.TrimPrefix(uri, "sqlite://"), "?")
		if path == "" {
			return nil, shoal.Errorf(shoal.EINVALID, "store URI %q has no path", uri)
		}
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return &backend{
			store:   st,
			migrate: st.Migrate,
			newJobs: func(cfg jobs.Config) (*jobs.Client, error) { return jobs.NewSQLite(path, cfg) },
		}, nil
	case strings.HasPrefix(uri, "postgres://"), strings.HasPrefix(uri, "postgresql://"):
		st, err := postgres.Open(ctx, uri)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return &backend{
			store:   st,
			migrate: st.Migrate,
			newJobs: func(cfg jobs.Config) (*jobs.Client, error) { return jobs.NewPostgres(st.Pool(), cfg) },
		}, nil
	}
	return nil, shoal.Errorf(shoal.EINVALID, "store URI %q: scheme must be sqlite or postgres", config.Redact(uri))
}

// scannerFactory builds scanners of the catalogs of be from the scan
// settings of cfg.
func scannerFactory(cfg config.Config, be *backend, m *scan.Metrics) jobs.ScannerFactory {
	return func(ctx context.Context, name string) (*scan.Scanner, io.Closer, error) {
		var o *openedCatalog
		for _, c := range be.catalogs {
			// Scans made before catalogs had names record the URI.
			if c.cfg.Name == name || config.Redact(c.cfg.URL) == name {
				o = c
				break
			}
		}
		if o == nil {
			return nil, nil, shoal.Errorf(shoal.ENOTFOUND, "catalog %q is not configured", name)
		}
		fsys, closer, err := o.scanFS()
		if err != nil {
			return nil, nil, err
		}
		opts := scan.Options{
			Thresholds:   o.cfg.Policy.Thresholds(),
			Concurrency:  cfg.Scan.Concurrency,
			OpsPerSecond: cfg.Scan.OpsPerSecond,
			SniffFiles:   cfg.Scan.SniffFiles,
			SniffEvery:   cfg.Scan.SniffEvery,
		}
		if o.cfg.Files != "" {
			// An fsimage holds no contents: formats come from the catalog.
			opts.SniffFiles, opts.OpsPerSecond = -1, 0
		}
		return &scan.Scanner{Catalog: telemetry.Catalog(o.catalog, o.cfg.Name), FS: telemetry.FileSystem(fsys), Options: opts, Metrics: m}, closer, nil
	}
}

// openBackend opens and migrates the store and River's tables, opens the
// catalogs, and makes a job client with the given number of workers. With
// obs (serve, worker), the store is measured and the jobs, merges and
// scans report to obs. The caller closes be and stops jc.
func openBackend(ctx context.Context, cfg config.Config, workers int, obs *observability, log *slog.Logger) (*backend, *jobs.Client, error) {
	be, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return nil, nil, err
	}
	if err := be.migrate(ctx); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("migrate store: %w", err), be.Close())
	}
	var m *scan.Metrics
	if obs != nil {
		obs.instrumentStore(be)
		m = obs.scan
		be.obs = obs
	}
	if err := be.openCatalogs(cfg, log); err != nil {
		return nil, nil, errors.Join(err, be.Close())
	}
	jcfg := jobs.Config{
		Store:         be.store,
		OpenScanner:   scannerFactory(cfg, be, m),
		Workers:       workers,
		ScanInterval:  cfg.Scan.Interval.Std(),
		KeepSnapshots: cfg.Scan.KeepSnapshots,
		Logger:        log,
	}
	if len(be.engines) > 0 {
		jcfg.Merges = be
	}
	for _, o := range be.catalogs {
		jcfg.Catalogs = append(jcfg.Catalogs, jobs.ScanTarget{Catalog: o.cfg.Name, Thresholds: o.cfg.Policy.Thresholds()})
	}
	if obs != nil {
		obs.jobHooks(cfg, &jcfg)
	}
	jc, err := be.newJobs(jcfg)
	if err != nil {
		return nil, nil, errors.Join(err, be.Close())
	}
	if err := jc.Migrate(ctx); err != nil {
		return nil, nil, errors.Join(err, jc.Stop(ctx), be.Close())
	}
	return be, jc, nil
}

// recoverMerges runs merge recovery, as serve and worker do at start.
func recoverMerges(ctx context.Context, be *backend, log *slog.Logger) error {
	for _, e := range be.engines {
		rep, err := e.Recover(ctx)
		if rep == nil {
			return fmt.Errorf("recover interrupted merges of catalog %s: %w", e.CatalogName, err)
		}
		if err != nil {
			// A partition recovery cannot decide about must not keep
			// the service down: it stays in the journal, with no data
			// removed.
			log.Error("some interrupted merges need a human", "catalog", e.CatalogName, "err", err)
		}
		if rep.Finished+rep.Undone+rep.RolledBack+rep.Jobs > 0 {
			log.Warn("recovered interrupted merges", "catalog", e.CatalogName, "finished", rep.Finished, "undone", rep.Undone,
				"rolled_back", rep.RolledBack, "jobs_failed", rep.Jobs, "left_to_live_workers", rep.Skipped)
		}
	}
	return nil
}

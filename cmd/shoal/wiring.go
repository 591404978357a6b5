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
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/scan"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
	"github.com/shoalhq/shoal/warehouse"
)

// commonFlags are the flags shared by the commands that read the config.
type commonFlags struct {
	fs         *flag.FlagSet
	configPath string
	catalog    string
	store      string
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
	c.fs.StringVar(&c.catalog, "catalog", "", "catalog `URI`, e.g. warehouse:///data/warehouse (overrides catalog.url)")
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
	if c.catalog != "" {
		cfg.Catalog.URL = c.catalog
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

func newLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// backend is an open store with the job client that matches it.
type backend struct {
	store shoal.Store
	// engine merges; nil for commands without a catalog.
	engine  *merge.Engine
	migrate func(ctx context.Context) error
	newJobs func(cfg jobs.Config) (*jobs.Client, error)
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

// openCatalog opens the catalog a URI names with the file system that holds
// its data.
func openCatalog(uri string) (shoal.Catalog, shoal.FileSystem, error) {
	scheme, _, _ := strings.Cut(uri, "://")
	switch scheme {
	case warehouse.Scheme:
		dir, err := warehouse.ParseURI(uri)
		if err != nil {
			return nil, nil, err
		}
		cat, err := warehouse.Open(dir)
		if err != nil {
			return nil, nil, err
		}
		return cat, cat.FileSystem(), nil
	case "thrift", "hmsdb+mysql", "hmsdb+postgres":
		return nil, nil, shoal.Errorf(shoal.ENOTIMPLEMENTED, "catalog %s:// is planned but not available in this version", scheme)
	}
	return nil, nil, shoal.Errorf(shoal.EINVALID, "catalog URI %q: unknown scheme %q", config.Redact(uri), scheme)
}

// scannerFactory builds scanners from the scan settings of cfg.
func scannerFactory(cfg config.Config, m *scan.Metrics) jobs.ScannerFactory {
	return func(ctx context.Context, uri string) (*scan.Scanner, io.Closer, error) {
		if uri == config.Redact(cfg.Catalog.URL) {
			// Scan records hold the URI without its password; use the
			// configured one, which has it.
			uri = cfg.Catalog.URL
		}
		cat, fsys, err := openCatalog(uri)
		if err != nil {
			return nil, nil, err
		}
		return &scan.Scanner{
			Catalog: cat,
			FS:      fsys,
			Options: scan.Options{
				Thresholds:   cfg.Policy.Thresholds(),
				Concurrency:  cfg.Scan.Concurrency,
				OpsPerSecond: cfg.Scan.OpsPerSecond,
				SniffFiles:   cfg.Scan.SniffFiles,
				SniffEvery:   cfg.Scan.SniffEvery,
			},
			Metrics: m,
		}, cat, nil
	}
}

// openBackend opens and migrates the store and River's tables, and makes a
// job client with the given number of workers.
func openBackend(ctx context.Context, cfg config.Config, workers int, m *scan.Metrics, log *slog.Logger) (*backend, *jobs.Client, error) {
	be, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return nil, nil, err
	}
	if err := be.migrate(ctx); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("migrate store: %w", err), be.store.Close())
	}
	var merges jobs.MergeRunner
	if cfg.Catalog.URL != "" {
		e, err := newEngine(cfg, be.store, io.Discard)
		if err != nil {
			return nil, nil, errors.Join(err, be.store.Close())
		}
		e.Log = log
		be.engine, merges = e, e
		st := be.store
		be.store = closingStore{Store: st, close: func() error { return errors.Join(e.Catalog.Close(), st.Close()) }}
	}
	jc, err := be.newJobs(jobs.Config{
		Merges:        merges,
		Store:         be.store,
		OpenScanner:   scannerFactory(cfg, m),
		Workers:       workers,
		Catalog:       config.Redact(cfg.Catalog.URL),
		Thresholds:    cfg.Policy.Thresholds(),
		ScanInterval:  cfg.Scan.Interval.Std(),
		KeepSnapshots: cfg.Scan.KeepSnapshots,
		Logger:        log,
	})
	if err != nil {
		return nil, nil, errors.Join(err, be.store.Close())
	}
	if err := jc.Migrate(ctx); err != nil {
		return nil, nil, errors.Join(err, jc.Stop(ctx), be.store.Close())
	}
	return be, jc, nil
}

// closingStore is a store whose Close also closes what was opened with it.
type closingStore struct {
	shoal.Store
	close func() error
}

func (c closingStore) Close() error { return c.close() }

// recoverMerges runs merge recovery, as serve and worker do at start.
func recoverMerges(ctx context.Context, be *backend, log *slog.Logger) error {
	if be.engine == nil {
		return nil
	}
	rep, err := be.engine.Recover(ctx)
	if rep == nil {
		return fmt.Errorf("recover interrupted merges: %w", err)
	}
	if err != nil {
		// A partition recovery cannot decide about must not keep the
		// service down: it stays in the journal, with no data removed.
		log.Error("some interrupted merges need a human", "err", err)
	}
	if rep.Finished+rep.Undone+rep.RolledBack+rep.Jobs > 0 {
		log.Warn("recovered interrupted merges", "finished", rep.Finished, "undone", rep.Undone,
			"rolled_back", rep.RolledBack, "jobs_failed", rep.Jobs, "left_to_live_workers", rep.Skipped)
	}
	return nil
}

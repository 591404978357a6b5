package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
)

// schemaStore is a store whose schema migrates up or down by version.
type schemaStore interface {
	MigrateTo(ctx context.Context, version int64) (from int64, err error)
	SchemaVersion(ctx context.Context) (int64, error)
}

// schemaOf returns the migrations of st, unwrapping instrumented stores,
// and the newest version this release knows.
func schemaOf(st shoal.Store) (schemaStore, int64, error) {
	for {
		u, ok := st.(interface{ Unwrap() shoal.Store })
		if !ok {
			break
		}
		st = u.Unwrap()
	}
	switch s := st.(type) {
	case *postgres.Store:
		return s, postgres.LatestVersion(), nil
	case *sqlite.Store:
		return s, sqlite.LatestVersion(), nil
	}
	return nil, 0, fmt.Errorf("store %T has no schema migrations", st)
}

// runMigrate migrates the store's tables and River's to the newest version;
// with --to, only the store's, up or down to a version; with --status, it
// prints the versions and changes nothing. It opens no catalog.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	f := newFlags("migrate", stderr)
	f.withStore()
	to := f.fs.String("to", "", "migrate the store's schema up or down to `VERSION` and leave the job tables alone "+
		"(0 drops the store's tables: a down migration loses data, see the database migration guide)")
	status := f.fs.Bool("status", false, "print the store's schema version and the newest one this release knows, and change nothing")
	cfg, err := f.parse(args, false)
	if err != nil {
		return err
	}
	target := int64(-1)
	if *to != "" {
		if *status {
			return &usageError{"--to and --status exclude each other"}
		}
		if target, err = strconv.ParseInt(*to, 10, 64); err != nil || target < 0 {
			return &usageError{fmt.Sprintf("--to %q: want a schema version, 0 or more", *to)}
		}
	}
	be, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, be.store.Close()) }()
	st, latest, err := schemaOf(be.store)
	if err != nil {
		return err
	}
	name := config.Redact(cfg.Store.URL)
	if *status {
		v, err := st.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		pending := "up to date"
		switch {
		case v < latest:
			pending = fmt.Sprintf("%d migration(s) pending", latest-v)
		case v > latest:
			pending = "migrated by a newer release"
		}
		fmt.Fprintf(stdout, "store %s: schema version %d, newest %d (%s)\n", name, v, latest, pending)
		return nil
	}
	if target < 0 {
		target = latest
	}
	from, err := st.MigrateTo(ctx, target)
	if err != nil {
		return err
	}
	switch {
	case from > latest:
		fmt.Fprintf(stdout, "store %s: schema version %d, newer than this release's %d, left alone\n", name, from, latest)
	case from == target:
		fmt.Fprintf(stdout, "store %s: schema version %d, unchanged\n", name, from)
	default:
		fmt.Fprintf(stdout, "store %s: schema version %d -> %d\n", name, from, target)
	}
	if *to != "" {
		return nil
	}
	jc, err := be.newJobs(jobs.Config{Store: be.store})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, jc.Stop(ctx)) }()
	if err := jc.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store %s is up to date\n", name)
	return nil
}

// Package schema runs the goose migrations of the SQLite and PostgreSQL
// stores up or down to a version, the same way for both.
package schema

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/pressly/goose/v3"

	"github.com/shoalhq/shoal"
)

// Latest returns the version of the newest migration that p knows.
func Latest(p *goose.Provider) int64 {
	var v int64
	for _, s := range p.ListSources() {
		v = max(v, s.Version)
	}
	return v
}

// LatestIn returns the version of the newest goose SQL migration in the
// directory dir of fsys, without a database.
func LatestIn(fsys fs.FS, dir string) (int64, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return 0, err
	}
	var v int64
	for _, f := range files {
		n, err := goose.NumericComponent(f)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", f, err)
		}
		v = max(v, n)
	}
	if v == 0 {
		return 0, fmt.Errorf("no migrations in %s", dir)
	}
	return v, nil
}

// Versions returns the versions of the migrations that p knows, in order.
func Versions(p *goose.Provider) []int64 {
	src := p.ListSources()
	vs := make([]int64, len(src))
	for i, s := range src {
		vs[i] = s.Version
	}
	return vs
}

// MigrateTo migrates the database of p up or down to version, which is 0
// (no tables) or the version of one of p's migrations. It returns the
// version the database had before. A database already at version is left
// alone. One that holds a newer version than p knows, written by a newer
// release, is an error for a downgrade (the older release cannot undo it)
// and left alone for an upgrade.
func MigrateTo(ctx context.Context, p *goose.Provider, version int64) (from int64, err error) {
	known := version == 0
	for _, v := range Versions(p) {
		known = known || v == version
	}
	if !known {
		return 0, shoal.Errorf(shoal.EINVALID, "unknown schema version %d: this release knows versions 0 to %d",
			version, Latest(p))
	}
	from, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: schema version: %w", err)
	}
	switch {
	case from == version:
		return from, nil
	case from < version:
		_, err = p.UpTo(ctx, version)
	case version == Latest(p):
		// A newer release migrated the store; this one runs on it as
		// long as the newer migrations only added to the schema.
		return from, nil
	case from > Latest(p):
		return from, shoal.Errorf(shoal.EINVALID,
			"the store is at schema version %d, newer than this release knows (%d): downgrade it with the release that migrated it",
			from, Latest(p))
	default:
		_, err = p.DownTo(ctx, version)
	}
	if err != nil {
		return from, fmt.Errorf("migrate from version %d to %d: %w", from, version, err)
	}
	return from, nil
}

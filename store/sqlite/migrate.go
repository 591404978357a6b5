package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/shoalhq/shoal/store/internal/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the pending schema migrations. A store that a newer
// release migrated further is left alone.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateTo(ctx, LatestVersion())
	return err
}

// MigrateTo migrates the schema up or down to version: 0 drops every table
// of the store (not River's), LatestVersion creates them all. It returns the
// version the schema had before. Migrating down loses what the undone
// migrations hold: see docs/operations/database-migration-guide.md. Each
// migration runs in a transaction, which SQLite's write lock serializes.
func (s *Store) MigrateTo(ctx context.Context, version int64) (from int64, err error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return schema.MigrateTo(ctx, p, version)
}

// SchemaVersion returns the version of the newest migration applied to the
// store, 0 when none was.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// LatestVersion returns the version of the newest migration of this release.
func LatestVersion() int64 { return latest }

var latest = func() int64 {
	v, err := schema.LatestIn(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded migrations are broken: every test fails
	}
	return v
}()

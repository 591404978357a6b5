package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/shoalhq/shoal/store/internal/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the pending schema migrations, in the schema that the
// connection's search_path names first. Concurrent calls, from this process
// or others, run one at a time. A store that a newer release migrated
// further is left alone.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateTo(ctx, LatestVersion())
	return err
}

// MigrateTo migrates the schema up or down to version: 0 drops every table
// of the store (not River's), LatestVersion creates them all. It returns the
// version the schema had before. Migrating down loses what the undone
// migrations hold: see docs/operations/database-migration-guide.md.
//
// An index that an interrupted CREATE INDEX CONCURRENTLY left INVALID is
// dropped before migrating, so that the migration builds it again instead
// of skipping it (IF NOT EXISTS).
func (s *Store) MigrateTo(ctx context.Context, version int64) (from int64, err error) {
	// goose needs a database/sql handle: open one for the migration only.
	db := stdlib.OpenDB(*s.pool.Config().ConnConfig.Copy())
	defer func() { _ = db.Close() }()
	p, err := newProvider(db)
	if err != nil {
		return 0, err
	}
	return schema.MigrateTo(ctx, p, version)
}

// SchemaVersion returns the version of the newest migration applied to the
// store, 0 when none was.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&v); err != nil {
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

// newProvider returns a goose provider of the embedded migrations on db.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()),
		goose.WithSessionLocker(advisoryLocker{}))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// advisoryLocker serializes migrations with a session-level advisory lock.
// It is one lock for the whole database, not per schema: building indexes
// concurrently in two schemas at once can deadlock. It polls for the lock
// rather than wait in pg_advisory_lock, whose open transaction a concurrent
// CREATE INDEX CONCURRENTLY would wait for in turn. Holding the lock, it
// drops the invalid indexes that failed concurrent builds left behind.
type advisoryLocker struct{}

var migrationLock = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("shoal migrations"))
	return int64(h.Sum64())
}()

func (advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	for {
		var locked bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLock).Scan(&locked); err != nil {
			return err
		}
		if locked {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := dropInvalidIndexes(ctx, conn); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
		return err
	}
	return nil
}

func (advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock)
	return err
}

// concurrentIndexes returns the names of the indexes that the migrations
// build CONCURRENTLY.
var concurrentIndexes = sync.OnceValues(func() ([]string, error) {
	re := regexp.MustCompile(`(?i)CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+(\w+)`)
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		b, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names = append(names, string(m[1]))
		}
	}
	return names, nil
})

// dropInvalidIndexes drops, in the current schema, the indexes that the
// migrations build CONCURRENTLY and that a failed or interrupted build left
// invalid. It runs under the migration lock, so no build of them is under
// way: an index is invalid during its build too.
func dropInvalidIndexes(ctx context.Context, conn *sql.Conn) error {
	names, err := concurrentIndexes()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT n.nspname, c.relname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND NOT i.indisvalid AND c.relname = ANY($1)`, names)
	if err != nil {
		return fmt.Errorf("migrate: find invalid indexes: %w", err)
	}
	var invalid []pgx.Identifier
	for rows.Next() {
		var schemaName, name string
		if err := rows.Scan(&schemaName, &name); err != nil {
			_ = rows.Close()
			return fmt.Errorf("migrate: find invalid indexes: %w", err)
		}
		invalid = append(invalid, pgx.Identifier{schemaName, name})
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("migrate: find invalid indexes: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: find invalid indexes: %w", err)
	}
	for _, id := range invalid {
		if _, err := conn.ExecContext(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+id.Sanitize()); err != nil {
			return fmt.Errorf("migrate: drop invalid index %s: %w", id.Sanitize(), err)
		}
	}
	return nil
}

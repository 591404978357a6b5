package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/shoalhq/shoal"
)

// migrationURL returns the URL of SHOAL_TEST_POSTGRES, or skips the test
// when it is unset, unless SHOAL_REQUIRE_INTEGRATION=1.
func migrationURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("SHOAL_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("SHOAL_REQUIRE_INTEGRATION") == "1" {
			tb.Fatal("SHOAL_TEST_POSTGRES is not set and SHOAL_REQUIRE_INTEGRATION=1")
		}
		tb.Skip("set SHOAL_TEST_POSTGRES to a database URL to run the PostgreSQL migration tests")
	}
	return u
}

// newDatabase creates a database of its own for the test, dropped when the
// test ends, and returns its URL.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	base := migrationURL(tb)
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "shoal_mig_" + hex.EncodeToString(b)
	admin := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(ctx) }()
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		if err := admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse SHOAL_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// openFresh opens a store on a database of its own, not migrated.
func openFresh(tb testing.TB) *Store {
	tb.Helper()
	st, err := Open(context.Background(), newDatabase(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// dumpSchema returns the store's schema in the current schema, one sorted
// line per column, constraint and index, without goose's version table.
func dumpSchema(tb testing.TB, st *Store) string {
	tb.Helper()
	rows, err := st.pool.Query(context.Background(), `
		SELECT format('column %s.%s %s null=%s default=%s collation=%s identity=%s position=%s',
			table_name, column_name, data_type, is_nullable, column_default, collation_name,
			is_identity, ordinal_position)
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
		UNION ALL
		SELECT format('constraint %s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c
		WHERE c.connamespace = current_schema()::regnamespace AND c.conrelid::regclass::text <> 'goose_db_version'
		UNION ALL
		SELECT format('index %s', indexdef) FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'
		UNION ALL
		SELECT format('invalid index %s', c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid
		ORDER BY 1`)
	if err != nil {
		tb.Fatalf("dump schema: %v", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("dump schema: %v", err)
	}
	return strings.Join(lines, "\n")
}

func migrateTo(tb testing.TB, st *Store, v int64) {
	tb.Helper()
	if _, err := st.MigrateTo(context.Background(), v); err != nil {
		tb.Fatalf("MigrateTo(%d): %v", v, err)
	}
	got, err := st.SchemaVersion(context.Background())
	if err != nil || got != v {
		tb.Fatalf("after MigrateTo(%d): schema version %d, %v", v, got, err)
	}
}

// versions returns the versions of the embedded migrations, in order.
func versions(tb testing.TB) []int64 {
	tb.Helper()
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []int64
	for _, f := range files {
		v, err := goose.NumericComponent(f)
		if err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 || vs[len(vs)-1] != LatestVersion() {
		tb.Fatalf("versions %v, latest %d", vs, LatestVersion())
	}
	return vs
}

func diffSchema(tb testing.TB, what, want, got string) {
	tb.Helper()
	if want == got {
		return
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var lines []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			lines = append(lines, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			lines = append(lines, "+ "+l)
		}
	}
	tb.Errorf("%s: schema differs (- want, + got):\n%s", what, strings.Join(lines, "\n"))
}

func TestMigrate_UpTwice(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	if v, err := st.SchemaVersion(t.Context()); err != nil || v != 0 {
		t.Fatalf("fresh database: version %d, %v", v, err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	once := dumpSchema(t, st)
	for _, want := range []string{"column partition_stats.spec text", "index CREATE INDEX partition_stats_scan_small_files",
		"constraint table_stats table_stats_scan_id_fkey FOREIGN KEY (scan_id) REFERENCES scans(id) ON DELETE CASCADE"} {
		if !strings.Contains(once, want) {
			t.Errorf("schema lacks %q:\n%s", want, once)
		}
	}
	if strings.Contains(once, "invalid index") {
		t.Errorf("invalid indexes after Migrate:\n%s", once)
	}
	from, err := st.MigrateTo(t.Context(), LatestVersion())
	if err != nil || from != LatestVersion() {
		t.Fatalf("second migration: from %d, %v", from, err)
	}
	diffSchema(t, "up twice", once, dumpSchema(t, st))
}

// TestMigrate_DownAndUp records the schema at every version on the way up,
// then checks that stepping down one version at a time, and up again, all
// at once, yields the same schemas; and that down to 0 leaves nothing.
func TestMigrate_DownAndUp(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	vs := versions(t)
	at := map[int64]string{0: dumpSchema(t, st)}
	for _, v := range vs {
		migrateTo(t, st, v)
		at[v] = dumpSchema(t, st)
	}
	if at[0] != "" {
		t.Errorf("a fresh database has a schema:\n%s", at[0])
	}
	// The store works at the newest version, and keeps its rows across a
	// down and up of the newest migration, which only adds indexes.
	sc := &shoal.Scan{State: shoal.ScanRunning}
	if err := st.CreateScan(t.Context(), sc); err != nil {
		t.Fatalf("CreateScan: %v", err)
	}
	for i := len(vs) - 2; i >= 0; i-- {
		migrateTo(t, st, vs[i])
		diffSchema(t, fmt.Sprintf("down to %d", vs[i]), at[vs[i]], dumpSchema(t, st))
		if i == len(vs)-2 {
			if _, err := st.GetScan(t.Context(), sc.ID); err != nil {
				t.Errorf("GetScan after down to %d: %v", vs[i], err)
			}
		}
	}
	migrateTo(t, st, 0)
	diffSchema(t, "down to 0", at[0], dumpSchema(t, st))
	// Down again at 0 changes nothing.
	migrateTo(t, st, 0)
	migrateTo(t, st, LatestVersion())
	diffSchema(t, "up again", at[LatestVersion()], dumpSchema(t, st))
	// And from the newest, all the way down and up at once.
	migrateTo(t, st, 0)
	diffSchema(t, "all down", at[0], dumpSchema(t, st))
	migrateTo(t, st, LatestVersion())
	diffSchema(t, "all up", at[LatestVersion()], dumpSchema(t, st))
}

// TestMigrate_ReapplyWithoutVersions runs every migration's Up statements
// again, and every Down statement twice, outside goose's version table: each
// statement must be idempotent on its own.
func TestMigrate_ReapplyWithoutVersions(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	ctx := t.Context()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	want := dumpSchema(t, st)
	db := stdlib.OpenDB(*st.pool.Config().ConnConfig.Copy())
	defer func() { _ = db.Close() }()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()), goose.WithDisableVersioning(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up statements again: %v", err)
	}
	diffSchema(t, "up statements again", want, dumpSchema(t, st))
	for i := range 2 {
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("Down statements #%d: %v", i+1, err)
		}
	}
	diffSchema(t, "down statements twice", "", dumpSchema(t, st))
	// goose's table still says LatestVersion: Migrate trusts it, so the
	// tables are recreated by hand, as by a restore, and the schema matches.
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up statements after down: %v", err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	diffSchema(t, "up after down", want, dumpSchema(t, st))
}

// TestMigrate_InvalidIndex leaves an index of the newest migration INVALID,
// as a failed CREATE INDEX CONCURRENTLY does, and checks that migrating
// drops it and builds it again.
func TestMigrate_InvalidIndex(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	ctx := t.Context()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	want := dumpSchema(t, st)
	names, err := concurrentIndexes()
	if err != nil || len(names) == 0 {
		t.Fatalf("concurrent indexes %v, %v", names, err)
	}
	name := names[len(names)-1] // built by the newest migration that builds one
	var version int64
	for _, v := range slices.Backward(versions(t)) {
		b, err := fs.ReadFile(migrations, mustGlob(t, v))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), " "+name+" ") {
			version = v
			break
		}
	}
	migrateTo(t, st, version-1)
	for range 2 {
		if err := st.CreateScan(ctx, &shoal.Scan{State: shoal.ScanRunning}); err != nil {
			t.Fatal(err)
		}
	}
	// Two scans collide in a unique index on a constant: the build fails
	// and leaves the index invalid.
	_, err = st.pool.Exec(ctx, `CREATE UNIQUE INDEX CONCURRENTLY `+name+` ON scans ((1))`)
	if err == nil {
		t.Fatal("the failing index build succeeded")
	}
	if got := dumpSchema(t, st); !strings.Contains(got, "invalid index "+name) {
		t.Fatalf("no invalid index %s:\n%s", name, got)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	diffSchema(t, "rebuilt index", want, dumpSchema(t, st))
}

func mustGlob(tb testing.TB, v int64) string {
	tb.Helper()
	files, err := fs.Glob(migrations, fmt.Sprintf("migrations/%05d_*.sql", v))
	if err != nil || len(files) != 1 {
		tb.Fatalf("migration %d: %v %v", v, files, err)
	}
	return files[0]
}

// TestMigrate_Versions checks the versions MigrateTo accepts, and that a
// store migrated by a newer release is left alone by Migrate but not
// downgraded.
func TestMigrate_Versions(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	ctx := t.Context()
	for _, v := range []int64{-1, LatestVersion() + 1} {
		_, err := st.MigrateTo(ctx, v)
		var e *shoal.Error
		if !errors.As(err, &e) || e.Code != shoal.EINVALID {
			t.Errorf("MigrateTo(%d): %v, want an invalid-input error", v, err)
		}
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	want := dumpSchema(t, st)
	if _, err := st.pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, true)`); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Errorf("Migrate of a newer store: %v", err)
	}
	if _, err := st.MigrateTo(ctx, 1); err == nil {
		t.Error("MigrateTo(1) downgraded a store from version 99")
	}
	if v, err := st.SchemaVersion(ctx); err != nil || v != 99 {
		t.Errorf("schema version %d, %v; want 99", v, err)
	}
	diffSchema(t, "newer store", want, dumpSchema(t, st))
}

// TestMigrate_Concurrent migrates one fresh database from several stores
// at once.
func TestMigrate_Concurrent(t *testing.T) {
	t.Parallel()
	u := newDatabase(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := Open(t.Context(), u)
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = st.Close() }()
			errs <- st.Migrate(t.Context())
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/shoalhq/shoal"
)

// openFresh opens a store on a new database file, not migrated.
func openFresh(tb testing.TB) *Store {
	tb.Helper()
	st, err := Open(context.Background(), filepath.Join(tb.TempDir(), "shoal.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// dumpSchema returns the SQL of every table and index of the store, sorted,
// without goose's version table and SQLite's own tables.
func dumpSchema(tb testing.TB, st *Store) string {
	tb.Helper()
	rows, err := st.db.QueryContext(context.Background(), `SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '')
		FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'goose_db_version' ORDER BY type, name`)
	if err != nil {
		tb.Fatalf("dump schema: %v", err)
	}
	defer func() { _ = rows.Close() }()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(lines, "\n")
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
	for _, want := range []string{"table partition_stats ON partition_stats", "index partition_stats_table_files ON partition_stats",
		"table merge_jobs ON merge_jobs"} {
		if !strings.Contains(once, want) {
			t.Errorf("schema lacks %q:\n%s", want, once)
		}
	}
	from, err := st.MigrateTo(t.Context(), LatestVersion())
	if err != nil || from != LatestVersion() {
		t.Fatalf("second migration: from %d, %v", from, err)
	}
	diffSchema(t, "up twice", once, dumpSchema(t, st))
}

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
	for i := len(vs) - 2; i >= 0; i-- {
		migrateTo(t, st, vs[i])
		diffSchema(t, fmt.Sprintf("down to %d", vs[i]), at[vs[i]], dumpSchema(t, st))
	}
	migrateTo(t, st, 0)
	diffSchema(t, "down to 0", at[0], dumpSchema(t, st))
	migrateTo(t, st, 0)
	migrateTo(t, st, LatestVersion())
	diffSchema(t, "up again", at[LatestVersion()], dumpSchema(t, st))
	// The store works after all that.
	if err := st.CreateScan(t.Context(), &shoal.Scan{State: shoal.ScanRunning}); err != nil {
		t.Fatalf("CreateScan: %v", err)
	}
	migrateTo(t, st, 0)
	diffSchema(t, "all down", at[0], dumpSchema(t, st))
	migrateTo(t, st, LatestVersion())
	diffSchema(t, "all up", at[LatestVersion()], dumpSchema(t, st))
}

// TestMigrate_ReapplyWithoutVersions runs every migration's Up statements
// again, and every Down statement twice, outside goose's version table.
func TestMigrate_ReapplyWithoutVersions(t *testing.T) {
	t.Parallel()
	st := openFresh(t)
	ctx := t.Context()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	want := dumpSchema(t, st)
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, st.db, fsys, goose.WithDisableGlobalRegistry(true),
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
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up statements after down: %v", err)
	}
	diffSchema(t, "up after down", want, dumpSchema(t, st))
}

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
	if _, err := st.db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
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

package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
)

// migrateCmd runs `shoal migrate` with args and returns its output.
func migrateCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"migrate"}, args...), &out, &errb)
	return out.String() + errb.String(), err
}

func wantMigrate(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := migrateCmd(t, args...)
	if err != nil {
		t.Fatalf("migrate %v: %v\n%s", args, err, out)
	}
	if !strings.Contains(out, want) {
		t.Errorf("migrate %v printed %q, want %q", args, out, want)
	}
}

// testMigrateCommand walks a store through the versions with the
// command, and checks the store's tables with count, which returns the
// number of the store's tables and of River's.
func testMigrateCommand(t *testing.T, store string, latest int64, count func() (shoal, river int)) {
	t.Helper()
	s := "--store=" + store
	wantMigrate(t, fmt.Sprintf("schema version 0, newest %d (%d migration(s) pending)", latest, latest), s, "--status")
	if n, r := count(); n != 0 || r != 0 {
		t.Fatalf("--status created tables: %d, %d", n, r)
	}
	wantMigrate(t, fmt.Sprintf("schema version 0 -> %d", latest), s)
	full, _ := count()
	if n, r := count(); n < 8 || r == 0 {
		t.Fatalf("after migrate: %d store tables, %d job tables", n, r)
	}
	wantMigrate(t, fmt.Sprintf("schema version %d, unchanged", latest), s)
	wantMigrate(t, "is up to date", s)
	wantMigrate(t, fmt.Sprintf("schema version %d -> 1", latest), s, "--to", "1")
	wantMigrate(t, fmt.Sprintf("schema version 1, newest %d (%d migration(s) pending)", latest, latest-1), s, "--status")
	if n, _ := count(); n != 3 {
		t.Errorf("at version 1: %d store tables, want 3", n)
	}
	wantMigrate(t, "schema version 1 -> 0", s, "--to", "0")
	if n, r := count(); n != 0 || r == 0 {
		t.Errorf("at version 0: %d store tables, %d job tables; want 0 and River's kept", n, r)
	}
	wantMigrate(t, fmt.Sprintf("schema version 0 -> %d", latest), s, "--to", fmt.Sprint(latest))
	if n, _ := count(); n != full {
		t.Errorf("up again: %d store tables, want %d", n, full)
	}
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--to", "x"}, `--to "x": want a schema version`, 2},
		{[]string{"--to", "-1"}, `--to "-1": want a schema version`, 2},
		{[]string{"--to", "999"}, "unknown schema version 999", 1},
		{[]string{"--to", "1", "--status"}, "exclude each other", 2},
	} {
		out, err := migrateCmd(t, append([]string{s}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != c.code {
			t.Errorf("migrate %v: %v (exit %d), want %q (exit %d)\n%s", c.args, err, exitCode(err), c.want, c.code, out)
		}
	}
}

func TestMigrateCommand_SQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.db")
	testMigrateCommand(t, "sqlite://"+path, sqlite.LatestVersion(), func() (int, int) {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = st.Close() }()
		var n, r int
		err = st.DB().QueryRowContext(t.Context(), `SELECT
			count(*) FILTER (WHERE name NOT LIKE 'river%' AND name NOT LIKE 'sqlite%' AND name <> 'goose_db_version'),
			count(*) FILTER (WHERE name LIKE 'river%') FROM sqlite_master WHERE type = 'table'`).Scan(&n, &r)
		if err != nil {
			t.Fatal(err)
		}
		return n, r
	})
}

func TestMigrateCommand_Postgres(t *testing.T) {
	t.Parallel()
	u := postgresURL(t)
	testMigrateCommand(t, u, postgres.LatestVersion(), func() (int, int) {
		conn, err := pgx.Connect(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(t.Context()) }()
		var n, r int
		err = conn.QueryRow(t.Context(), `SELECT
			count(*) FILTER (WHERE tablename NOT LIKE 'river%' AND tablename <> 'goose_db_version'),
			count(*) FILTER (WHERE tablename LIKE 'river%') FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n, &r)
		if err != nil {
			t.Fatal(err)
		}
		return n, r
	})
}

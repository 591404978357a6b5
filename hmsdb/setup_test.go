package hmsdb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/shoalhq/shoal/internal/realdata"
)

// server is one database server the integration tests run against.
type server struct {
	name string // "mysql" or "postgres"
	env  string
}

var (
	mysqlServer    = server{name: "mysql", env: "SHOAL_TEST_MYSQL"}
	postgresServer = server{name: "postgres", env: "SHOAL_TEST_POSTGRES"}
)

// dsn returns the server's connection string, or skips the test when its
// variable is unset; with SHOAL_REQUIRE_INTEGRATION=1 it fails instead.
func (s server) dsn(tb testing.TB) string {
	tb.Helper()
	v := os.Getenv(s.env)
	if v == "" {
		if os.Getenv("SHOAL_REQUIRE_INTEGRATION") == "1" {
			tb.Fatalf("%s is required (SHOAL_REQUIRE_INTEGRATION=1) but unset", s.env)
		}
		tb.Skipf("%s not set: skipping %s integration test (see doc.go)", s.env, s.name)
	}
	return v
}

// testDB is a fresh database on a server.
type testDB struct {
	srv server
	// admin is a single read-write connection to the new database.
	admin *sql.Conn
	// uri is the catalog URI of the new database.
	uri string
}

func randomName(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "hms_test_" + hex.EncodeToString(b)
}

// newTestDB creates a fresh database hms_test_<random> and drops it when
// the test ends.
func newTestDB(t *testing.T, srv server) *testDB {
	t.Helper()
	dsn := srv.dsn(t)
	name := randomName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serverDB, db *sql.DB
	var uri string
	var err error
	switch srv.name {
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", srv.env, err)
		}
		cfg.DBName = ""
		serverDB, err = sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := serverDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("create database: %v", err)
		}
		cfg.DBName = name
		if db, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
			t.Fatal(err)
		}
		u := url.URL{Scheme: "hmsdb+mysql", Host: cfg.Addr, Path: "/" + name}
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
		if cfg.Passwd == "" {
			u.User = url.User(cfg.User)
		}
		uri = u.String()
	default:
		serverDB, err = sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := serverDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("create database: %v", err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", srv.env, err)
		}
		u.Path = "/" + name
		if db, err = sql.Open("pgx", u.String()); err != nil {
			t.Fatal(err)
		}
		u.Scheme = "hmsdb+postgres"
		uri = u.String()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + name
		if srv.name == "postgres" {
			drop += " WITH (FORCE)"
		}
		if _, err := serverDB.ExecContext(ctx, drop); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		_ = serverDB.Close()
	})
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("connect to %s: %v", name, err)
	}
	t.Cleanup(func() { _ = conn.Close(); _ = db.Close() })
	return &testDB{srv: srv, admin: conn, uri: uri}
}

// exec runs statements written with "quoted" identifiers, converting the
// quotes to backticks on MySQL.
func (d *testDB) exec(tb testing.TB, stmts ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, s := range stmts {
		if d.srv.name == "mysql" {
			s = strings.ReplaceAll(s, `"`, "`")
		}
		if _, err := d.admin.ExecContext(ctx, s); err != nil {
			tb.Fatalf("exec %.200s: %v", s, err)
		}
	}
}

// loadSchema runs a real Hive schema script, statement by statement.
func (d *testDB) loadSchema(tb testing.TB, file string) {
	tb.Helper()
	b, err := os.ReadFile(realdata.Path(tb, "hms", file))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stmts := splitSQL(string(b))
	if len(stmts) < 100 {
		tb.Fatalf("%s: only %d statements", file, len(stmts))
	}
	for _, s := range stmts {
		if _, err := d.admin.ExecContext(ctx, s); err != nil {
			tb.Fatalf("%s: %.200s: %v", file, s, err)
		}
	}
}

// sqlLit formats a Go value as an SQL literal: nil is NULL, raw is written
// as it is, strings are quoted.
func sqlLit(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case raw:
		return string(v)
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case *string:
		if v == nil {
			return "NULL"
		}
		return sqlLit(*v)
	case int, int64:
		return fmt.Sprint(v)
	}
	panic(fmt.Sprintf("sqlLit: %T", v))
}

type raw string

// insert builds one INSERT statement.
func insert(table string, cols []string, vals ...any) string {
	lits := make([]string, len(vals))
	for i, v := range vals {
		lits[i] = sqlLit(v)
	}
	return fmt.Sprintf(`INSERT INTO "%s" ("%s") VALUES (%s)`, table, strings.Join(cols, `", "`), strings.Join(lits, ", "))
}

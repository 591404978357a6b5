package hmsdb_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hmsdb"
)

var schemas = []struct {
	srv     server
	file    string
	version string
}{
	{mysqlServer, "hive-schema-3.1.0.mysql.sql", "3.1.0"},
	{mysqlServer, "hive-schema-4.1.0.mysql.sql", "4.1.0"},
	{postgresServer, "hive-schema-3.1.0.postgres.sql", "3.1.0"},
	{postgresServer, "hive-schema-4.1.0.postgres.sql", "4.1.0"},
}

func open(t *testing.T, uri string) *hmsdb.Catalog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := hmsdb.Open(ctx, uri)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestCatalog loads each real Hive schema, inserts the fixture and checks
// that the catalog returns exactly what was inserted.
func TestCatalog(t *testing.T) {
	t.Parallel()
	for _, sc := range schemas {
		t.Run(sc.file, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, sc.srv)
			db.loadSchema(t, sc.file)
			db.exec(t, fixtureSQL()...)
			c := open(t, db.uri)
			ctx := context.Background()
			if c.Version() != sc.version {
				t.Errorf("Version() = %q, want %q", c.Version(), sc.version)
			}

			dbs, err := c.Databases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantDatabases(); !reflect.DeepEqual(dbs, want) {
				t.Errorf("Databases:\n got %+v\nwant %+v", dbs, want)
			}
			for _, d := range dbs {
				tables, err := c.Tables(ctx, d.Name)
				if err != nil {
					t.Fatalf("Tables(%s): %v", d.Name, err)
				}
				want, wantParts := wantTables(d.Name)
				if len(tables) != len(want) {
					t.Errorf("Tables(%s): %d tables, want %d: %+v", d.Name, len(tables), len(want), tables)
				}
				for i := range min(len(tables), len(want)) {
					if !reflect.DeepEqual(tables[i], want[i]) {
						t.Errorf("Tables(%s)[%d]:\n got %+v\nwant %+v", d.Name, i, tables[i], want[i])
					}
				}
				for _, tb := range tables {
					var got []shoal.Partition
					err := c.Partitions(ctx, &tb, func(p shoal.Partition) error {
						got = append(got, p)
						return nil
					})
					if err != nil {
						t.Fatalf("Partitions(%s): %v", tb.QualifiedName(), err)
					}
					if w := wantParts[tb.Name]; !reflect.DeepEqual(got, w) {
						t.Errorf("Partitions(%s):\n got %+v\nwant %+v", tb.QualifiedName(), got, w)
					}
				}
			}

			// Missing database and table.
			if _, err := c.Tables(ctx, "nope"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
				t.Errorf("Tables(nope) = %v, want ENOTFOUND", err)
			}
			if _, err := c.Tables(ctx, "sparkonly"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
				t.Errorf("Tables(sparkonly) of another catalog = %v, want ENOTFOUND", err)
			}
			missing := &shoal.Table{Database: "sales", Name: "nope", PartitionKeys: []string{"k"}, Type: shoal.TableManaged}
			if err := c.Partitions(ctx, missing, func(shoal.Partition) error { return nil }); shoal.ErrorCode(err) != shoal.ENOTFOUND {
				t.Errorf("Partitions(sales.nope) = %v, want ENOTFOUND", err)
			}

			// fn stops the listing.
			stop := errors.New("stop")
			n := 0
			web := &shoal.Table{Database: "default", Name: "web_events", PartitionKeys: []string{"dt", "hr"}, Type: shoal.TableExternal}
			err = c.Partitions(ctx, web, func(shoal.Partition) error { n++; return stop })
			if !errors.Is(err, stop) || n != 1 {
				t.Errorf("Partitions stopped by fn: err %v after %d calls, want stop after 1", err, n)
			}

			// The catalog's sessions refuse writes.
			for _, q := range []string{
				`UPDATE "VERSION" SET "SCHEMA_VERSION" = '9.9.9'`,
				`INSERT INTO "CTLGS" ("CTLG_ID", "NAME", "DESC", "LOCATION_URI") VALUES (3, 'x', 'x', 'x')`,
				`DELETE FROM "TBLS"`,
			} {
				if err := hmsdb.ExecForTest(ctx, c, q); err == nil {
					t.Errorf("write through the catalog succeeded: %s", q)
				} else if !strings.Contains(strings.ToLower(err.Error()), "read") {
					t.Errorf("write %s failed for another reason than read-only: %v", q, err)
				}
			}
			c2 := open(t, db.uri)
			if c2.Version() != sc.version {
				t.Errorf("after refused writes, version = %q", c2.Version())
			}
		})
	}
}

// TestOpen_Version checks databases whose VERSION table is empty or holds
// an unsupported version.
func TestOpen_Version(t *testing.T) {
	t.Parallel()
	for _, srv := range []server{mysqlServer, postgresServer} {
		for _, tc := range []struct {
			name    string
			version string // "" leaves the table empty
			want    string
		}{
			{"empty", "", "empty"},
			{"hive2", "2.3.0", `"2.3.0"`},
			{"hive5", "5.0.0", `"5.0.0"`},
			{"supported", "3.0.0", ""},
		} {
			t.Run(srv.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				db := newTestDB(t, srv)
				db.exec(t, `CREATE TABLE "VERSION" ("VER_ID" BIGINT NOT NULL, "SCHEMA_VERSION" VARCHAR(127) NOT NULL, "VERSION_COMMENT" VARCHAR(255), PRIMARY KEY ("VER_ID"))`)
				if tc.version != "" {
					db.exec(t, insert("VERSION", []string{"VER_ID", "SCHEMA_VERSION", "VERSION_COMMENT"}, 1, tc.version, "test"))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				c, err := hmsdb.Open(ctx, db.uri)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					_ = c.Close()
					return
				}
				if err == nil {
					_ = c.Close()
					t.Fatal("Open succeeded")
				}
				if shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Open = %v, want EINVALID naming %s", err, tc.want)
				}
			})
		}
	}
}

// TestOpen_NotMetastore opens a database with no VERSION table.
func TestOpen_NotMetastore(t *testing.T) {
	t.Parallel()
	for _, srv := range []server{mysqlServer, postgresServer} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, srv)
			_, err := hmsdb.Open(context.Background(), db.uri)
			if err == nil || !strings.Contains(err.Error(), "schema version") {
				t.Errorf("Open = %v, want a schema version error", err)
			}
		})
	}
}

func TestOpen_BadURI(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{
		"",
		"mysql://u:s3cret@h/db",
		"warehouse:///tmp/x",
		"hmsdb+mysql:opaque",
		"hmsdb+mysql:///db",
		"hmsdb+mysql://h/db",
		"hmsdb+mysql://u:s3cret@h:99999/db",
		"hmsdb+mysql://u:s3cret@h:port/db",
		"hmsdb+mysql://u:s3cret@h/",
		"hmsdb+mysql://u:s3cret@h/db/more",
		"hmsdb+mysql://u:s3cret@h/db?query_timeout=-1s",
		"hmsdb+mysql://u:s3cret@h/db?connect_timeout=soon",
		"hmsdb+mysql://u:s3cret@h/db?transaction_read_only=0",
		"hmsdb+postgres://u:s3cret@h/db?default_transaction_read_only=off",
		"hmsdb+postgres://u:s3cret@h/db?options=-c%20default_transaction_read_only%3Doff",
		"hmsdb+postgres://u:s3cret@h/db?sslmode=bogus",
		"hmsdb+postgres://u:s3cret@[::1/db",
		"hmsdb+postgres://u:s3cret@h/db%zz",
	} {
		t.Run(uri, func(t *testing.T) {
			t.Parallel()
			c, err := hmsdb.Open(context.Background(), uri)
			if err == nil {
				_ = c.Close()
				t.Fatal("Open succeeded")
			}
			if shoal.ErrorCode(err) != shoal.EINVALID {
				t.Errorf("Open = %v, want EINVALID", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

// TestOpen_Unreachable connects to a closed port: the error comes fast and
// does not reveal the password.
func TestOpen_Unreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	for _, scheme := range []string{"hmsdb+mysql", "hmsdb+postgres"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			uri := scheme + "://u:s3cret@" + addr + "/metastore?connect_timeout=2s"
			if scheme == "hmsdb+postgres" {
				uri += "&sslmode=disable"
			}
			c, err := hmsdb.Open(ctx, uri)
			if err == nil {
				_ = c.Close()
				t.Fatal("Open succeeded")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Open took %v", d)
			}
			if shoal.ErrorCode(err) == shoal.EINVALID || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open = %v", err)
			}
			if !strings.Contains(err.Error(), "refused") {
				t.Errorf("Open = %v, want connection refused", err)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, serde string
		want      shoal.Format
	}{
		{parquetIn, parquetSer, shoal.FormatParquet},
		{"parquet.hive.DeprecatedParquetInputFormat", "", shoal.FormatParquet},
		{"org.apache.parquet.hadoop.ParquetInputFormat", "", shoal.FormatParquet},
		{orcIn, orcSer, shoal.FormatORC},
		{avroIn, avroSer, shoal.FormatAvro},
		{textIn, lazySer, shoal.FormatText},
		{seqIn, lazySer, shoal.FormatSequence},
		{rcIn, rcSer, shoal.FormatRCFile},
		{"", parquetSer, shoal.FormatParquet},
		{"", orcSer, shoal.FormatORC},
		{"", avroSer, shoal.FormatAvro},
		{"com.example.CustomInputFormat", lazySer, shoal.FormatUnknown},
		{"", "", shoal.FormatUnknown},
	} {
		if got := hmsdb.FormatOf(tc.in, tc.serde); got != tc.want {
			t.Errorf("FormatOf(%q, %q) = %s, want %s", tc.in, tc.serde, got, tc.want)
		}
	}
}

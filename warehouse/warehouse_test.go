package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/warehouse"
)

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func partitions(t *testing.T, c *warehouse.Catalog, tbl *shoal.Table) []shoal.Partition {
	t.Helper()
	var out []shoal.Partition
	if err := c.Partitions(context.Background(), tbl, func(p shoal.Partition) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCatalog_Layout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	touch(t, filepath.Join(root, "sales.db", "orders", "dt=2026-01-01", "country=US", "f"))
	touch(t, filepath.Join(root, "sales.db", "orders", "dt=2026-01-01", "country=a%3Ab", "f"))
	touch(t, filepath.Join(root, "sales.db", "orders", "dt=2026-01-02", "country="+shoal.HiveDefaultPartition, "f"))
	touch(t, filepath.Join(root, "sales.db", "orders", "dt=2026-01-02", "junk", "f")) // not a partition
	touch(t, filepath.Join(root, "sales.db", "orders", "notes", "f"))                 // not a partition
	touch(t, filepath.Join(root, "sales.db", "_staging", "f"))                        // hidden table
	touch(t, filepath.Join(root, "lookup", "f"))                                      // default database
	touch(t, filepath.Join(root, ".trash", "x", "f"))
	c, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dbs, err := c.Databases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dbs {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"default", "sales"}) {
		t.Fatalf("databases = %v", names)
	}
	tables, err := c.Tables(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Name != "orders" || !slices.Equal(tables[0].PartitionKeys, []string{"dt", "country"}) {
		t.Fatalf("sales tables = %+v", tables)
	}
	var specs []string
	for _, p := range partitions(t, c, &tables[0]) {
		specs = append(specs, p.Spec)
		if p.Spec == "dt=2026-01-01/country=a%3Ab" && p.Values[1] != "a:b" {
			t.Errorf("values of %s = %q, want decoded a:b", p.Spec, p.Values)
		}
	}
	want := []string{"dt=2026-01-01/country=US", "dt=2026-01-01/country=a%3Ab", "dt=2026-01-02/country=" + shoal.HiveDefaultPartition}
	if !slices.Equal(specs, want) {
		t.Errorf("partitions = %q, want %q", specs, want)
	}
	def, err := c.Tables(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(def) != 1 || def[0].Name != "lookup" || def[0].Partitioned() {
		t.Errorf("default tables = %+v", def)
	}
	if _, err := c.Tables(ctx, "nope"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("missing database: %v", err)
	}
	if _, err := c.Tables(ctx, "../etc"); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("database name with a slash: %v", err)
	}
}

func TestCatalog_SymlinksStayInside(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	touch(t, filepath.Join(outside, "secret", "f"))
	touch(t, filepath.Join(outside, "secret.csv"))
	root := t.TempDir()
	touch(t, filepath.Join(root, "db.db", "t", "p=1", "f"))
	touch(t, filepath.Join(root, "db.db", "real", "p=9", "f"))
	// A partition linking outside, a table linking outside, a partition
	// linking inside, and a file linking outside.
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "db.db", "t", "p=2")))
	must(t, os.Symlink(outside, filepath.Join(root, "db.db", "escape")))
	must(t, os.Symlink(filepath.Join(root, "db.db", "real", "p=9"), filepath.Join(root, "db.db", "t", "p=3")))
	must(t, os.Symlink(filepath.Join(outside, "secret.csv"), filepath.Join(root, "db.db", "t", "p=1", "link.csv")))

	c, err := warehouse.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tables, err := c.Tables(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == "escape" {
			t.Errorf("a table linking outside the root was listed")
		}
	}
	var tbl shoal.Table
	for _, tb := range tables {
		if tb.Name == "t" {
			tbl = tb
		}
	}
	var specs []string
	for _, p := range partitions(t, c, &tbl) {
		specs = append(specs, p.Spec)
	}
	if !slices.Equal(specs, []string{"p=1", "p=3"}) {
		t.Errorf("partitions = %v, want p=1 and p=3 (p=2 escapes)", specs)
	}
	var files []string
	err = c.FileSystem().List(ctx, filepath.Join(root, "db.db", "t", "p=1"), func(fi shoal.FileInfo) error {
		files = append(files, fi.Name())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"f"}) {
		t.Errorf("files of p=1 = %v; a link outside the root must be skipped", files)
	}
	err = c.FileSystem().List(ctx, filepath.Join(root, "db.db", "t", "p=2"), func(shoal.FileInfo) error { return nil })
	if shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), "outside the warehouse root") {
		t.Errorf("listing a directory outside the root: %v", err)
	}
	if _, err := c.FileSystem().Open(ctx, filepath.Join(outside, "secret.csv")); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("opening a file outside the root: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseURI(t *testing.T) {
	t.Parallel()
	if dir, err := warehouse.ParseURI("warehouse:///data/wh/"); err != nil || dir != "/data/wh" {
		t.Errorf("ParseURI = %q, %v", dir, err)
	}
	for _, bad := range []string{"warehouse://data/wh", "file:///x", "warehouse:relative", "::"} {
		if _, err := warehouse.ParseURI(bad); shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("ParseURI(%q) = %v, want EINVALID", bad, err)
		}
	}
}

// TestCatalog_RealLayouts reads partition layouts written by other tools:
// DuckDB's hive-partitioning test tree and a MapReduce Avro output
// directory, from ../shared/realdata/hive-layout.
func TestCatalog_RealLayouts(t *testing.T) {
	t.Parallel()
	root := realdata.Path(t, "hive-layout")
	ctx := context.Background()

	duck, err := warehouse.Open(filepath.Join(root, "duckdb-hive-partitioning"))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := duck.Tables(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for i := range tables {
		tb := &tables[i]
		if !slices.Equal(tb.PartitionKeys, []string{"part", "date"}) {
			t.Errorf("%s keys = %v, want [part date]", tb.Name, tb.PartitionKeys)
		}
		for _, p := range partitions(t, duck, tb) {
			got[tb.Name] = append(got[tb.Name], p.Spec)
		}
	}
	want := map[string][]string{"missing": {"part=c/date=2014-01-01"}, "simple": {"part=a/date=2012-01-01"}}
	if len(got) != len(want) || !slices.Equal(got["missing"], want["missing"]) || !slices.Equal(got["simple"], want["simple"]) {
		t.Errorf("partitions = %v, want %v", got, want)
	}

	mr, err := warehouse.Open(filepath.Join(root, "avro-mapreduce-output"))
	if err != nil {
		t.Fatal(err)
	}
	tables, err = mr.Tables(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Name != "mapreduce-test-input.avro" || tables[0].Partitioned() {
		t.Errorf("MapReduce output tables = %+v, want one unpartitioned table", tables)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal/fsimage"
	"github.com/shoalhq/shoal/hms/hmstest"
)

// TestScan_ThriftAndFsimage scans a warehouse whose tables come from a Hive
// Metastore (over Thrift, the in-process test server) and whose files come
// from an HDFS fsimage: no NameNode is configured, so any HDFS call would
// fail. The scan's totals must equal what the image holds under the
// registered partitions.
func TestScan_ThriftAndFsimage(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", filepath.Join(t.TempDir(), "no-hadoop-here"))
	dir := t.TempDir()
	image := filepath.Join(dir, "fsimage_0000000000000000042")
	f, err := os.Create(image)
	if err != nil {
		t.Fatal(err)
	}
	// Leaf directories of the generated warehouse are table/dt=… or an
	// unpartitioned table; collect the files under each.
	type leaf struct {
		files int64
		bytes int64
	}
	leaves := map[string]*leaf{}
	const root = "/user/hive/warehouse/"
	_, err = fsimage.Generate(f, fsimage.GenOptions{Files: 3000, Dirs: 40, Seed: 7, OnEntry: func(e *fsimage.Entry) {
		if e.Type != fsimage.File || !strings.HasPrefix(e.Path, root) {
			return
		}
		d := filepath.Dir(e.Path)
		if leaves[d] == nil {
			leaves[d] = &leaf{}
		}
		leaves[d].files++
		leaves[d].bytes += int64(e.Size)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	hms := hmstest.Start(t)
	tables := map[string]bool{}
	var wantFiles, wantBytes, wantParts int64
	for d, l := range leaves {
		rel := strings.Split(strings.TrimPrefix(d, root), "/")
		if len(rel) != 3 || !strings.HasPrefix(rel[2], "dt=") {
			continue // only partitioned tables, one key
		}
		db := strings.TrimSuffix(rel[0], ".db")
		tbl := db + "." + rel[1]
		loc := "hdfs://nameservice1" + root + rel[0] + "/" + rel[1]
		if !tables[tbl] {
			if len(tables) == 0 || !tables[db] {
				hms.AddDatabase(db, "hdfs://nameservice1"+root+rel[0], "hive")
				tables[db] = true
			}
			hms.AddTable(hmstest.NewTable(db, rel[1], hmstest.Parquet, loc, "dt"))
			tables[tbl] = true
		}
		ht := hms.Table(db, rel[1])
		hms.AddPartition(db, rel[1], hmstest.NewPartition(ht, []string{strings.TrimPrefix(rel[2], "dt=")}, loc+"/"+rel[2], nil))
		wantFiles += l.files
		wantBytes += l.bytes
		wantParts++
	}
	if wantParts < 5 {
		t.Fatalf("the generated image has only %d partitions", wantParts)
	}

	cfg := filepath.Join(dir, "shoal.yaml")
	yaml := "catalogs:\n  - name: prod\n    url: " + hms.URI() + "\n    files: fsimage://" + image + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err = run(context.Background(), []string{"scan", "--config", cfg, "--catalog", "prod",
		"--store", "sqlite://" + filepath.Join(dir, "shoal.db"), "--output", "json"}, &out, &errb)
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, errb.String())
	}
	var got scanJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Totals.Partitions != wantParts || got.Totals.Files != wantFiles || got.Totals.Bytes != wantBytes {
		t.Errorf("totals = %+v, want %d partitions, %d files, %d bytes", got.Totals, wantParts, wantFiles, wantBytes)
	}
	for _, tb := range got.Tables {
		if tb.Format != "parquet" {
			t.Errorf("%s.%s: format %q, want the catalog's parquet", tb.Database, tb.Table, tb.Format)
		}
	}
}

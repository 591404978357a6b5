package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shoalhq/shoal/internal/realdata"
)

// TestRun_Fsimage checks `shoal fsimage` on every real image that has an
// independently decoded listing: the JSON totals are the listing's sums and
// the TSV has one row per inode.
func TestRun_Fsimage(t *testing.T) {
	t.Parallel()
	listings, err := filepath.Glob(filepath.Join(realdata.Dir(t), "fsimage", "*", "*.listing.tsv"))
	if err != nil || len(listings) == 0 {
		t.Fatalf("no fsimage listings: %v", err)
	}
	for _, listing := range listings {
		image := strings.TrimSuffix(listing, ".listing.tsv")
		t.Run(filepath.Base(filepath.Dir(image))+"/"+filepath.Base(image), func(t *testing.T) {
			t.Parallel()
			var want struct{ inodes, files, dirs, symlinks, bytes, blocks int64 }
			f, err := os.Open(listing)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				cols := strings.Split(sc.Text(), "\t")
				if strings.HasPrefix(cols[0], "#") || len(cols) < 5 {
					continue
				}
				want.inodes++
				switch cols[0] {
				case "FILE":
					want.files++
					n, _ := strconv.ParseInt(cols[2], 10, 64)
					b, _ := strconv.ParseInt(cols[4], 10, 64)
					want.bytes += n
					want.blocks += b
				case "DIR":
					want.dirs++
				case "SYMLINK":
					want.symlinks++
				}
			}
			var out, errb bytes.Buffer
			if err := run(context.Background(), []string{"fsimage", "--output", "json", image}, &out, &errb); err != nil {
				t.Fatalf("%v: %s", err, errb.String())
			}
			var got fsimageJSON
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			g := got.Totals
			if g.Inodes != want.inodes || g.Files != want.files || g.Directories != want.dirs || g.Symlinks != want.symlinks ||
				int64(g.Bytes) != want.bytes || g.Blocks != want.blocks {
				t.Errorf("totals = %+v, listing says %+v", g, want)
			}
			out.Reset()
			if err := run(context.Background(), []string{"fsimage", image, "--output", "tsv"}, &out, &errb); err != nil {
				t.Fatal(err)
			}
			if rows := int64(strings.Count(out.String(), "\n")); rows != want.inodes+1 {
				t.Errorf("tsv has %d lines, want %d inodes and a header", rows, want.inodes)
			}
		})
	}
}

func TestRun_FsimageErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.img")
	os.WriteFile(bad, []byte("HDFSIMG1 but nothing else"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fsimage"}, "needs an fsimage FILE"},
		{[]string{"fsimage", bad, "--output", "xml"}, "--output must be table, json or tsv"},
		{[]string{"fsimage", "--small-file-size", "lots", bad}, "--small-file-size"},
		{[]string{"fsimage", filepath.Join(t.TempDir(), "missing.img")}, "no such file"},
		{[]string{"fsimage", bad}, "read fsimage"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

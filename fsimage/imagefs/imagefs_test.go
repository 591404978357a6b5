package imagefs_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/fsimage/imagefs"
	"github.com/shoalhq/shoal/internal/realdata"
)

// row is one line of an independently decoded listing.
type row struct {
	dir   bool
	path  string
	bytes int64
	repl  int
	nblk  int64
	user  string
}

func readListing(t *testing.T, file string) []row {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 8 || c[0] == "SYMLINK" {
			continue
		}
		n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
		rows = append(rows, row{dir: c[0] == "DIR", path: c[1], bytes: n(c[2]), repl: int(n(c[3])), nblk: n(c[4]), user: c[5]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestFS_RealImages lists every directory of each real image through the
// file system and compares each entry with the independently decoded
// listing: the same children, sizes, block counts, replication and owners.
func TestFS_RealImages(t *testing.T) {
	t.Parallel()
	listings, err := filepath.Glob(filepath.Join(realdata.Dir(t), "fsimage", "*", "*.listing.tsv"))
	if err != nil || len(listings) == 0 {
		t.Fatalf("no fsimage listings: %v", err)
	}
	for _, listing := range listings {
		image := strings.TrimSuffix(listing, ".listing.tsv")
		t.Run(filepath.Base(filepath.Dir(image)), func(t *testing.T) {
			t.Parallel()
			fs, err := imagefs.Open("fsimage://" + image)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]row{}
			dirs := []string{"/"}
			for _, r := range readListing(t, listing) {
				if r.path == "/" {
					continue
				}
				parent := filepath.Dir(r.path)
				want[parent] = append(want[parent], r)
				if r.dir {
					dirs = append(dirs, r.path)
				}
			}
			ctx := context.Background()
			for _, d := range dirs {
				// A metastore names locations with the NameNode's address.
				uri := "hdfs://nameservice1" + d
				var got []shoal.FileInfo
				if err := fs.List(ctx, uri, func(fi shoal.FileInfo) error { got = append(got, fi); return nil }); err != nil {
					t.Fatalf("List(%s): %v", uri, err)
				}
				slices.SortFunc(got, func(a, b shoal.FileInfo) int { return strings.Compare(a.Path, b.Path) })
				w := want[d]
				slices.SortFunc(w, func(a, b row) int { return strings.Compare(a.path, b.path) })
				if len(got) != len(w) {
					t.Fatalf("List(%s): %d entries, listing has %d", d, len(got), len(w))
				}
				for i := range got {
					g, r := got[i], w[i]
					if g.Path != "hdfs://nameservice1"+r.path || g.IsDir != r.dir || g.Size != r.bytes || g.Blocks != r.nblk || g.Replication != r.repl || g.Owner != r.user {
						t.Fatalf("entry %d of %s:\n got %+v\nwant %+v", i, d, g, r)
					}
				}
			}
			// Stat agrees with List; a missing path is ENOTFOUND.
			for _, r := range want["/"] {
				fi, err := fs.Stat(ctx, r.path)
				if err != nil || fi.Path != r.path || fi.IsDir != r.dir {
					t.Errorf("Stat(%s) = %+v, %v", r.path, fi, err)
				}
			}
			if _, err := fs.Stat(ctx, "/no/such/path"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
				t.Errorf("Stat(missing) = %v, want ENOTFOUND", err)
			}
			err = fs.List(ctx, "/no/such/dir", func(shoal.FileInfo) error { return nil })
			if shoal.ErrorCode(err) != shoal.ENOTFOUND {
				t.Errorf("List(missing) = %v, want ENOTFOUND", err)
			}
			if _, err := fs.Open(ctx, "/x"); shoal.ErrorCode(err) != shoal.ENOTIMPLEMENTED {
				t.Errorf("Open = %v, want ENOTIMPLEMENTED", err)
			}
		})
	}
}

// TestOpen_Prefix indexes one subtree only.
func TestOpen_Prefix(t *testing.T) {
	t.Parallel()
	listings, _ := filepath.Glob(filepath.Join(realdata.Dir(t), "fsimage", "*", "*.listing.tsv"))
	if len(listings) == 0 {
		t.Fatal("no fsimage listings")
	}
	image := strings.TrimSuffix(listings[0], ".listing.tsv")
	var sub string
	for _, r := range readListing(t, listings[0]) {
		if r.dir && strings.Count(r.path, "/") == 1 && r.path != "/" {
			sub = r.path
			break
		}
	}
	fs, err := imagefs.Open("fsimage://" + image + "?prefix=" + sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.List(context.Background(), sub, func(shoal.FileInfo) error { return nil }); err != nil {
		t.Errorf("List(%s) inside the prefix: %v", sub, err)
	}
	err = fs.List(context.Background(), "/", func(shoal.FileInfo) error { return nil })
	if shoal.ErrorCode(err) != shoal.ENOTFOUND || !strings.Contains(err.Error(), "outside the indexed prefix") {
		t.Errorf("List(/) outside the prefix = %v", err)
	}
}

func TestOpen_Bad(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.img")
	if err := os.WriteFile(bad, []byte("HDFSIMG1 but not really an image at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ uri, want string }{
		{"fsimage://host/x", "want fsimage:///absolute/path"},
		{"hdfs:///x", "want fsimage:///absolute/path"},
		{"fsimage:///x?depth=2", `unknown parameter "depth"`},
		{"fsimage:///x?prefix=rel", "prefix must be an absolute path"},
		{"fsimage://" + filepath.Join(t.TempDir(), "missing"), "no such file"},
		{"fsimage://" + bad, "read fsimage"},
	} {
		_, err := imagefs.Open(c.uri)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s) = %v, want %q", c.uri, err, c.want)
		}
	}
}

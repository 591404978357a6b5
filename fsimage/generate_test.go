package fsimage_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/pierrec/lz4/v4"

	"github.com/shoalhq/shoal/fsimage"
)

// bzip2Compressor pipes a section through bzip2(1); the test skips BZip2
// when it is missing.
var bzip2Compressor = fsimage.CommandCompressor("bzip2", "-c")

// writerOptions returns options for codec, skipping the test when BZip2
// cannot be written here.
func writerOptions(tb testing.TB, layout int32, codec string) fsimage.WriterOptions {
	tb.Helper()
	o := fsimage.WriterOptions{LayoutVersion: layout, Codec: codec}
	if codec == fsimage.CodecBZip2 {
		if _, err := exec.LookPath("bzip2"); err != nil {
			tb.Skip("bzip2(1) not installed: cannot write a BZip2Codec image")
		}
		o.NewCompressor = bzip2Compressor
	}
	return o
}

var allCodecs = append([]string{""}, fsimage.Codecs...)

func codecName(c string) string {
	if c == "" {
		return "none"
	}
	return c[strings.LastIndexByte(c, '.')+1:]
}

// generate returns a generated image and the listing rows of what was
// generated, from GenOptions.OnEntry.
func generate(tb testing.TB, o fsimage.GenOptions) ([]byte, []string, fsimage.GenResult) {
	tb.Helper()
	var rows []string
	o.OnEntry = func(e *fsimage.Entry) {
		rows = append(rows, listingRow(*e)+fmt.Sprintf("\t%d\t%d", e.ID, e.ModTime.UnixMilli()))
	}
	var buf bytes.Buffer
	res, err := fsimage.Generate(&buf, o)
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), rows, res
}

func walkRows(tb testing.TB, im *fsimage.Image) []string {
	tb.Helper()
	var rows []string
	err := im.Walk(func(e fsimage.Entry) error {
		rows = append(rows, listingRow(e)+fmt.Sprintf("\t%d\t%d", e.ID, e.ModTime.UnixMilli()))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// statsByWalk aggregates Walk's entries with Stats.Add: the reference the
// Stats fast path must match.
func statsByWalk(tb testing.TB, im *fsimage.Image, small uint64) *fsimage.Stats {
	tb.Helper()
	s := &fsimage.Stats{SmallBelow: small, Owners: map[string]*fsimage.Usage{}, Dirs: map[string]*fsimage.Usage{}}
	if err := im.Walk(func(e fsimage.Entry) error { s.Add(e); return nil }); err != nil {
		tb.Fatal(err)
	}
	return s
}

func checkStats(t *testing.T, im *fsimage.Image, small uint64) *fsimage.Stats {
	t.Helper()
	got, err := im.Stats(small)
	if err != nil {
		t.Fatal(err)
	}
	if want := statsByWalk(t, im, small); !reflect.DeepEqual(got, want) {
		t.Errorf("Stats fast path differs from Walk+Add:\n got %+v (%d owners, %d dirs)\nwant %+v (%d owners, %d dirs)",
			got.Totals, len(got.Owners), len(got.Dirs), want.Totals, len(want.Owners), len(want.Dirs))
	}
	return got
}

// TestGenerate_roundTrip generates images in every layout and codec,
// parses them and compares every inode with what was generated.
func TestGenerate_roundTrip(t *testing.T) {
	t.Parallel()
	for _, layout := range []int32{-63, -65, -66} {
		for _, codec := range allCodecs {
			t.Run(fmt.Sprintf("%d/%s", layout, codecName(codec)), func(t *testing.T) {
				o := fsimage.GenOptions{Files: 3000, Dirs: 45, Seed: uint64(-layout), WriterOptions: writerOptions(t, layout, codec)}
				img, want, res := generate(t, o)
				im, err := openBytes(t, img)
				if err != nil {
					t.Fatal(err)
				}
				if im.LayoutVersion != layout || im.Codec != codec || im.TransactionID != 4000 {
					t.Errorf("layout %d codec %q txid %d", im.LayoutVersion, im.Codec, im.TransactionID)
				}
				if uint64(len(want)) != res.Inodes || res.Files != 3000 {
					t.Fatalf("generated %d entries, result %+v", len(want), res)
				}
				got := walkRows(t, im)
				if !slices.Equal(got, want) { // same order too: INODE order
					compareRows(t, got, want)
					t.Error("Walk order differs from INODE order")
				}
				st := checkStats(t, im, fsimage.GenSmallFile)
				tot := fsimage.Totals{Inodes: int64(res.Inodes), Files: int64(res.Files), Directories: int64(res.Dirs),
					Bytes: res.Bytes, Blocks: int64(res.Blocks)}
				if st.Totals != tot {
					t.Errorf("totals %+v, want %+v", st.Totals, tot)
				}
				var small int64
				for _, u := range st.Dirs {
					small += u.SmallFiles
				}
				if small != int64(res.SmallFiles) || len(st.Owners) < 2 || len(st.Dirs) < 40 {
					t.Errorf("small files %d (want %d), %d owners, %d dirs", small, res.SmallFiles, len(st.Owners), len(st.Dirs))
				}
				// Windowed joins (a tiny run budget) give the same inodes.
				im.BatchSize = 2
				compareRows(t, walkRows(t, im), want)
				checkStats(t, im, fsimage.GenSmallFile)
			})
		}
	}
}

// TestGenerate_deterministic checks that a seed fixes the bytes and that
// the generated tree looks like a warehouse.
func TestGenerate_deterministic(t *testing.T) {
	t.Parallel()
	o := fsimage.GenOptions{Files: 500, Dirs: 10, Seed: 7}
	a, rows, _ := generate(t, o)
	b, _, _ := generate(t, o)
	if !bytes.Equal(a, b) {
		t.Error("same options, different images")
	}
	o.Seed = 8
	if c, _, _ := generate(t, o); bytes.Equal(a, c) {
		t.Error("different seeds, same image")
	}
	var parts, parquet int
	for _, r := range rows {
		p := strings.Split(r, "\t")[1]
		if strings.HasPrefix(p, "/user/hive/warehouse/db_000.db/tbl_") && strings.Contains(p, "/dt=") {
			parts++
		}
		if strings.HasSuffix(p, ".snappy.parquet") || strings.HasSuffix(p, "_0") || strings.HasSuffix(p, "_0.gz") {
			parquet++
		}
	}
	if parts == 0 || parquet != 500 {
		t.Errorf("%d partition paths, %d data files of 500", parts, parquet)
	}
}

// sectionNames returns the section names of an image in file order.
func sectionNames(im *fsimage.Image) []string {
	s := slices.Clone(im.Sections)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Offset < s[j].Offset })
	var out []string
	for _, x := range s {
		out = append(out, x.Name)
	}
	return out
}

// TestGenerate_sectionOrder compares the generated section order with
// real Hadoop 2.x and 3.x images.
func TestGenerate_sectionOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		layout int32
		real   string
	}{
		{-63, "dynamometer-hadoop_2_9/fsimage_0000000000000061740"},
		{-65, "hfsa/fsi_small_h3_2.img"},
	} {
		real, err := openBytes(t, mustRead(t, filepath.Join(realdata(t), tc.real)))
		if err != nil {
			t.Fatal(err)
		}
		img, _, _ := generate(t, fsimage.GenOptions{Files: 10, Dirs: 2, WriterOptions: fsimage.WriterOptions{LayoutVersion: tc.layout}})
		gen, err := openBytes(t, img)
		if err != nil {
			t.Fatal(err)
		}
		want, got := sectionNames(real), sectionNames(gen)
		if !slices.Equal(got, want) {
			t.Errorf("layout %d: sections %v, real image %v", tc.layout, got, want)
		}
	}
}

// rewrite re-encodes the namespace Walk yields with fsimage.Writer:
// INODE in Walk order, INODE_DIR rebuilt from the paths.
func rewrite(tb testing.TB, im *fsimage.Image, o fsimage.WriterOptions) []byte {
	tb.Helper()
	var entries []fsimage.Entry
	var last uint64
	if err := im.Walk(func(e fsimage.Entry) error {
		entries = append(entries, e)
		last = max(last, e.ID)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := fsimage.NewWriter(&buf, o)
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.BeginInodes(uint64(len(entries)), last); err != nil {
		tb.Fatal(err)
	}
	dirID := map[string]uint64{}
	type kid struct {
		name string
		id   uint64
	}
	kids := map[uint64][]kid{}
	var parents []uint64
	for i := range entries {
		e := &entries[i]
		if err := w.WriteInode(e); err != nil {
			tb.Fatal(err)
		}
		if e.Type == fsimage.Directory {
			dirID[e.Path] = e.ID
		}
	}
	for _, e := range entries {
		if e.Path == "/" {
			continue
		}
		p, ok := dirID[path.Dir(e.Path)]
		if !ok {
			tb.Fatalf("no directory for %s", e.Path)
		}
		if kids[p] == nil {
			parents = append(parents, p)
		}
		kids[p] = append(kids[p], kid{path.Base(e.Path), e.ID})
	}
	if err := w.BeginDirs(); err != nil {
		tb.Fatal(err)
	}
	for _, p := range parents {
		k := kids[p]
		slices.SortFunc(k, func(a, b kid) int { return strings.Compare(a.name, b.name) })
		ids := make([]uint64, len(k))
		for i := range k {
			ids[i] = k[i].id
		}
		if err := w.WriteDir(p, ids); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriter_rewriteRealImages re-encodes every real image with the
// generator's writer, in its own layout and in every codec, and compares
// the listing of the result with the independent *.listing.tsv.
func TestWriter_rewriteRealImages(t *testing.T) {
	t.Parallel()
	n := 0
	for _, p := range images(t) {
		listing := p + ".listing.tsv"
		if _, err := os.Stat(listing); err != nil {
			continue
		}
		want := readListing(t, listing)
		orig, err := openBytes(t, mustRead(t, p))
		if err != nil {
			t.Fatal(err)
		}
		for _, codec := range allCodecs {
			t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p)+"/"+codecName(codec), func(t *testing.T) {
				img := rewrite(t, orig, writerOptions(t, orig.LayoutVersion, codec))
				im, err := openBytes(t, img)
				if err != nil {
					t.Fatal(err)
				}
				if im.Codec != codec || im.LayoutVersion != orig.LayoutVersion {
					t.Errorf("codec %q layout %d", im.Codec, im.LayoutVersion)
				}
				var got []string
				if err := im.Walk(func(e fsimage.Entry) error { got = append(got, listingRow(e)); return nil }); err != nil {
					t.Fatal(err)
				}
				compareRows(t, got, want)
				checkStats(t, im, 1<<20)
				n++
			})
		}
	}
	if n < 8 {
		t.Errorf("re-encoded %d images, want at least 8 x codecs", n)
	}
}

// TestStats_realImages checks the Stats fast path against Walk+Add on
// every real image, including the 210k-inode zlib one.
func TestStats_realImages(t *testing.T) {
	t.Parallel()
	for _, p := range images(t) {
		im, err := openBytes(t, mustRead(t, p))
		if err != nil {
			t.Fatal(err)
		}
		for _, small := range []uint64{0, 1024, 1 << 20, 1 << 40} {
			checkStats(t, im, small)
		}
	}
}

// sectionOf returns the section named name.
func sectionOf(tb testing.TB, im *fsimage.Image, name string) fsimage.Section {
	tb.Helper()
	for _, s := range im.Sections {
		if s.Name == name {
			return s
		}
	}
	tb.Fatalf("no %s section", name)
	return fsimage.Section{}
}

// parseAll opens b and runs Walk and Stats, failing the test if they do
// not finish within a minute (a hang).
func parseAll(t *testing.T, b []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		im, err := openBytes(t, b)
		if err == nil {
			err = im.Walk(func(fsimage.Entry) error { return nil })
		}
		if err == nil {
			_, err = im.Stats(1 << 20)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("parse did not finish within a minute")
		return nil
	}
}

// TestCodec_corrupt damages the compressed INODE, INODE_DIR and
// STRING_TABLE sections of images of every codec: truncation must give
// an ErrFormat error; flipped bytes an ErrFormat error or a result, never
// a panic or a hang.
func TestCodec_corrupt(t *testing.T) {
	t.Parallel()
	for _, codec := range fsimage.Codecs {
		t.Run(codecName(codec), func(t *testing.T) {
			img, _, _ := generate(t, fsimage.GenOptions{Files: 2000, Dirs: 20, WriterOptions: writerOptions(t, -66, codec)})
			im, err := openBytes(t, img)
			if err != nil {
				t.Fatal(err)
			}
			var flipErrs, flips int
			for _, name := range []string{fsimage.SectionInode, fsimage.SectionInodeDir, fsimage.SectionStringTable} {
				s := sectionOf(t, im, name)
				// Truncated: the section claims fewer bytes.
				for _, keep := range []uint64{s.Length / 2, s.Length - 1} {
					b := rewriteSummary(t, img, func(im *fsimage.Image) {
						for i := range im.Sections {
							if im.Sections[i].Name == name {
								im.Sections[i].Length = keep
							}
						}
					})
					err := parseAll(t, b)
					if err == nil || !errors.Is(err, fsimage.ErrFormat) {
						t.Errorf("%s truncated to %d of %d bytes: err = %v, want ErrFormat", name, keep, s.Length, err)
					}
				}
				// Flipped bytes.
				for k := uint64(0); k < 8; k++ {
					b := slices.Clone(img)
					off := s.Offset + (s.Length*k)/8 + min(k, s.Length/16)
					b[off] ^= 0x5A
					b[min(off+3, s.Offset+s.Length-1)] ^= 0xFF
					flips++
					err := parseAll(t, b)
					if err != nil {
						flipErrs++
						if !errors.Is(err, fsimage.ErrFormat) {
							t.Errorf("%s flipped at %d: error %v does not wrap ErrFormat", name, off, err)
						}
					}
				}
			}
			// Formats with checksums detect every change.
			checksummed := codec == fsimage.CodecDefault || codec == fsimage.CodecGzip || codec == fsimage.CodecBZip2 || codec == fsimage.CodecZstd
			if checksummed && flipErrs != flips {
				t.Errorf("%d of %d damaged images parsed without error", flips-flipErrs, flips)
			}
			t.Logf("%d of %d damaged images rejected", flipErrs, flips)
		})
	}
}

// TestCodec_hadoopBlockFraming decodes hand-built Hadoop block streams:
// several chunks in one block, several blocks, and a zero-length end.
func TestCodec_hadoopBlockFraming(t *testing.T) {
	t.Parallel()
	img, want, _ := generate(t, fsimage.GenOptions{Files: 300, Dirs: 5, WriterOptions: fsimage.WriterOptions{LayoutVersion: -63}})
	im, err := openBytes(t, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, codec := range []string{fsimage.CodecSnappy, fsimage.CodecLz4} {
		// Re-frame every section: blocks of 1000 bytes, each split into
		// chunks of at most 300 bytes, then a 0 block length.
		var out bytes.Buffer
		out.WriteString(fsimage.Magic)
		secs := slices.Clone(im.Sections)
		for i, s := range secs {
			raw := img[s.Offset : s.Offset+s.Length]
			start := uint64(out.Len())
			for len(raw) > 0 {
				blk := raw[:min(1000, len(raw))]
				raw = raw[len(blk):]
				out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
				for len(blk) > 0 {
					c := blk[:min(300, len(blk))]
					blk = blk[len(c):]
					z := compressChunk(t, codec, c)
					out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(z))))
					out.Write(z)
				}
			}
			if s.Length > 0 {
				out.Write([]byte{0, 0, 0, 0})
			}
			secs[i].Offset, secs[i].Length = start, uint64(out.Len())-start
		}
		im2 := *im
		im2.Sections, im2.Codec = secs, codec
		b := append(out.Bytes(), encodeSummary(&im2)...)
		got, err := openBytes(t, b)
		if err != nil {
			t.Fatal(err)
		}
		compareRows(t, walkRows(t, got), want)
	}
}

func compressChunk(tb testing.TB, codec string, c []byte) []byte {
	tb.Helper()
	if codec == fsimage.CodecSnappy {
		return snappy.Encode(nil, c)
	}
	dst := make([]byte, lz4.CompressBlockBound(len(c)))
	n, err := lz4.CompressBlock(c, dst, nil)
	if err != nil || n == 0 {
		tb.Fatalf("lz4: %d, %v", n, err)
	}
	return dst[:n]
}

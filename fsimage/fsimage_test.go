package fsimage_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	realdatapkg "github.com/shoalhq/shoal/internal/realdata"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shoalhq/shoal/fsimage"
)

// realdata returns the folder of real fsimages (../shared/realdata/fsimage).
func realdata(tb testing.TB) string {
	tb.Helper()
	return realdatapkg.Path(tb, "fsimage")
}

// images returns every file under the realdata fsimage folder that starts
// with the fsimage magic.
func images(tb testing.TB) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(realdata(tb), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		var m [8]byte
		if n, _ := f.Read(m[:]); n == 8 && string(m[:]) == fsimage.Magic {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("no fsimage files found")
	}
	return out
}

func openBytes(tb testing.TB, b []byte) (*fsimage.Image, error) {
	tb.Helper()
	return fsimage.Open(bytes.NewReader(b), int64(len(b)))
}

func mustRead(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// listingRow renders an entry in the column order of *.listing.tsv:
// type, path, bytes, replication, nblocks, user, group, perm.
func listingRow(e fsimage.Entry) string {
	return fmt.Sprintf("%s\t%s\t%d\t%d\t%d\t%s\t%s\t0o%o",
		e.Type, e.Path, e.Size, e.Replication, e.Blocks, e.User, e.Group, e.Mode)
}

func readListing(tb testing.TB, p string) []string {
	tb.Helper()
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestImage_Walk_realListings(t *testing.T) {
	t.Parallel()
	var rows, imgs int
	layouts := map[int32]bool{}
	for _, p := range images(t) {
		listing := p + ".listing.tsv"
		if _, err := os.Stat(listing); err != nil {
			continue
		}
		imgs++
		want := readListing(t, listing)
		rows += len(want)
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) {
			im, err := openBytes(t, mustRead(t, p))
			if err != nil {
				t.Fatal(err)
			}
			layouts[im.LayoutVersion] = true
			for _, small := range []int{1, 3, 1 << 20} { // batch sizes: many passes and one
				im.BatchSize = small
				var got []string
				if err := im.Walk(func(e fsimage.Entry) error {
					got = append(got, listingRow(e))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				compareRows(t, got, want)
			}
			st, err := im.Stats(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			var files, dirs, syms, blocks int64
			var size uint64
			for _, r := range want {
				f := strings.Split(r, "\t")
				switch f[0] {
				case "FILE":
					files++
				case "DIR":
					dirs++
				case "SYMLINK":
					syms++
				}
				n, _ := strconv.ParseUint(f[2], 10, 64)
				b, _ := strconv.ParseInt(f[4], 10, 64)
				size += n
				blocks += b
			}
			wantT := fsimage.Totals{Inodes: int64(len(want)), Files: files, Directories: dirs, Symlinks: syms, Bytes: size, Blocks: blocks}
			if st.Totals != wantT {
				t.Errorf("totals = %+v, want %+v", st.Totals, wantT)
			}
		})
	}
	if imgs < 8 {
		t.Errorf("compared %d images, want at least 8", imgs)
	}
	t.Logf("compared %d listing rows across %d images, layout versions %v", rows, imgs, slices.Sorted(maps.Keys(layouts)))
}

func compareRows(t *testing.T, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if len(g) != len(w) {
		t.Errorf("got %d rows, want %d", len(g), len(w))
	}
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			t.Errorf("row %d:\n got %q\nwant %q", i, g[i], w[i])
			return
		}
	}
}

func TestImage_Stats_compressed(t *testing.T) {
	t.Parallel()
	p := filepath.Join(realdata(t), "hfsa", "fsimage_d800_f210k_compressed.img")
	im, err := openBytes(t, mustRead(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if im.Codec != fsimage.CodecDefault || im.LayoutVersion != -65 || im.TransactionID != 419928 {
		t.Errorf("codec %q layout %d txid %d", im.Codec, im.LayoutVersion, im.TransactionID)
	}
	st, err := im.Stats(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	// Counts asserted by the hfsa project's own tests.
	if st.Totals.Files != 209560 || st.Totals.Directories != 807 || st.Totals.Symlinks != 0 || st.Totals.Inodes != 210367 {
		t.Errorf("totals = %+v", st.Totals)
	}
	if len(st.Owners) != 1 {
		t.Errorf("owners = %v, want 1", len(st.Owners))
	}
	var files int64
	for _, u := range st.Dirs {
		files += u.Files
	}
	if files != st.Totals.Files {
		t.Errorf("per-directory files sum to %d, want %d", files, st.Totals.Files)
	}
}

func TestImage_Stats_owners(t *testing.T) {
	t.Parallel()
	p := filepath.Join(realdata(t), "hfsa", "fsi_small_h3_2.img")
	im, err := openBytes(t, mustRead(t, p))
	if err != nil {
		t.Fatal(err)
	}
	st, err := im.Stats(2 << 20)
	if err != nil {
		t.Fatal(err)
	}
	// hfsa's assertions for this namespace: 16 files, 14 dirs, 356417536 bytes, 3 users.
	if st.Totals.Files != 16 || st.Totals.Directories != 14 || st.Totals.Bytes != 356417536 {
		t.Errorf("totals = %+v", st.Totals)
	}
	if len(st.Owners) != 3 {
		t.Errorf("owners = %d, want 3", len(st.Owners))
	}
	var small int64
	for _, u := range st.Owners {
		small += u.SmallFiles
	}
	var dsmall int64
	for _, u := range st.Dirs {
		dsmall += u.SmallFiles
	}
	if small == 0 || small != dsmall {
		t.Errorf("small files: owners %d, dirs %d", small, dsmall)
	}
}

func TestImage_Walk_stop(t *testing.T) {
	t.Parallel()
	p := filepath.Join(realdata(t), "hfsa", "fsi_small_h2x.img")
	im, err := openBytes(t, mustRead(t, p))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = im.Walk(func(fsimage.Entry) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("err = %v after %d entries", err, n)
	}
}

func TestOpen_malformed(t *testing.T) {
	t.Parallel()
	good := mustRead(t, filepath.Join(realdata(t), "hfsa", "fsi_small_h2x.img"))
	trailer := func(b []byte, n uint32) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint32(b[len(b)-4:], n)
		return b
	}
	badMagic := append([]byte(nil), good...)
	copy(badMagic, "HDFSIMG2")
	cut := append([]byte(nil), good[:len(good)/2]...)
	cut = append(cut, good[len(good)-4:]...) // summary length now points into inode data
	for _, tc := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "too short"},
		{"truncated header", good[:6], "too short"},
		{"bad magic", badMagic, "bad magic"},
		{"summary length zero", trailer(good, 0), "summary length 0 out of range"},
		{"summary length huge", trailer(good, 1<<31), "out of range"},
		{"summary length beyond file", trailer(good, uint32(len(good))), "out of range"},
		{"truncated file", good[:len(good)-10], ""},
		{"truncated middle", cut, ""},
		{"section beyond file", sectionBeyond(t, good), "outside the file body"},
		{"unknown codec", withCodec(t, good, "com.hadoop.compression.lzo.LzoCodec"), "unsupported codec \"com.hadoop.compression.lzo.LzoCodec\""},
		{"snappy codec on plain sections", withCodec(t, good, fsimage.CodecSnappy), "SnappyCodec: block length"},
		{"zstd codec on plain sections", withCodec(t, good, fsimage.CodecZstd), "ZStandardCodec"},
		{"bzip2 codec on plain sections", withCodec(t, good, fsimage.CodecBZip2), "BZip2Codec"},
		{"lz4 codec on plain sections", withCodec(t, good, fsimage.CodecLz4), "Lz4Codec"},
		{"gzip codec on plain sections", withCodec(t, good, fsimage.CodecGzip), "GzipCodec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := openBytes(t, tc.b)
			if err == nil {
				err = im.Walk(func(fsimage.Entry) error { return nil })
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if tc.name != "unknown codec" && !errors.Is(err, fsimage.ErrFormat) {
				t.Errorf("error %q does not wrap ErrFormat", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

// rewriteSummary re-encodes the image's summary after edit changes it.
func rewriteSummary(t *testing.T, good []byte, edit func(*fsimage.Image)) []byte {
	t.Helper()
	im, err := openBytes(t, good)
	if err != nil {
		t.Fatal(err)
	}
	edit(im)
	n := binary.BigEndian.Uint32(good[len(good)-4:])
	body := good[:len(good)-4-int(n)]
	return append(append([]byte(nil), body...), encodeSummary(im)...)
}

// encodeSummary writes a delimited FileSummary plus its 4-byte trailer.
func encodeSummary(im *fsimage.Image) []byte {
	var m []byte
	m = protowire.AppendTag(m, 1, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(im.OndiskVersion))
	m = protowire.AppendTag(m, 2, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(uint32(im.LayoutVersion)))
	if im.Codec != "" {
		m = protowire.AppendTag(m, 3, protowire.BytesType)
		m = protowire.AppendString(m, im.Codec)
	}
	for _, s := range im.Sections {
		var sec []byte
		sec = protowire.AppendTag(sec, 1, protowire.BytesType)
		sec = protowire.AppendString(sec, s.Name)
		sec = protowire.AppendTag(sec, 2, protowire.VarintType)
		sec = protowire.AppendVarint(sec, s.Length)
		sec = protowire.AppendTag(sec, 3, protowire.VarintType)
		sec = protowire.AppendVarint(sec, s.Offset)
		m = protowire.AppendTag(m, 4, protowire.BytesType)
		m = protowire.AppendBytes(m, sec)
	}
	out := protowire.AppendBytes(nil, m)
	return binary.BigEndian.AppendUint32(out, uint32(len(out)))
}

func sectionBeyond(t *testing.T, good []byte) []byte {
	return rewriteSummary(t, good, func(im *fsimage.Image) {
		for i := range im.Sections {
			if im.Sections[i].Name == fsimage.SectionInode {
				im.Sections[i].Offset = uint64(len(good)) + 100
			}
		}
	})
}

func withCodec(t *testing.T, good []byte, codec string) []byte {
	return rewriteSummary(t, good, func(im *fsimage.Image) { im.Codec = codec })
}

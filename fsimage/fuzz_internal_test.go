package fsimage

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal/internal/realdata"
)

// compressSample returns sample compressed as one section with codec,
// or nil when it cannot be written here (BZip2 without bzip2(1)).
func compressSample(tb testing.TB, codec string, sample []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if codec == CodecBZip2 {
		if _, err := exec.LookPath("bzip2"); err != nil {
			return nil
		}
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin, cmd.Stdout = bytes.NewReader(sample), &buf
		if err := cmd.Run(); err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	}
	w, err := compressor(codec, &buf)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(sample); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzDecompress feeds every codec's section reader arbitrary bytes: it
// must return the data or an error wrapping ErrFormat, never panic, hang
// or allocate without bound.
func FuzzDecompress(f *testing.F) {
	var gen bytes.Buffer
	if _, err := Generate(&gen, GenOptions{Files: 50, Dirs: 3}); err != nil {
		f.Fatal(err)
	}
	sample := gen.Bytes()[:min(gen.Len(), 8<<10)]
	for i, c := range Codecs {
		if z := compressSample(f, c, sample); z != nil {
			f.Add(uint8(i), z)
			f.Add(uint8(i), z[:len(z)/2])
		}
	}
	f.Fuzz(func(t *testing.T, c uint8, data []byte) {
		codec := Codecs[int(c)%len(Codecs)]
		r, release, err := decompress(codec, bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%s: open error %v does not wrap ErrFormat", codec, err)
			}
			return
		}
		defer release()
		if _, err := io.Copy(io.Discard, io.LimitReader(r, 256<<20)); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: read error %v does not wrap ErrFormat", codec, err)
		}
	})
}

// FuzzStringTable decodes arbitrary STRING_TABLE sections and checks that
// the user and group tables resolve every serial as the string table
// says: id itself without maskBits, else id tagged with its kind.
func FuzzStringTable(f *testing.F) {
	dir := realdata.Path(f, "fsimage")
	for _, p := range []string{"hfsa/fsi_small_h2x.img", "hfsa/fsi_small_h3_2.img", "marcelmay-exporter/fsimage_0001"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			f.Fatal(err)
		}
		im, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			f.Fatal(err)
		}
		s, _ := im.section(SectionStringTable)
		f.Add(b[s.Offset : s.Offset+s.Length])
	}
	for _, layout := range []int32{-63, -66} {
		var gen bytes.Buffer
		if _, err := Generate(&gen, GenOptions{Files: 50, Dirs: 3, WriterOptions: WriterOptions{LayoutVersion: layout}}); err != nil {
			f.Fatal(err)
		}
		b := gen.Bytes()
		im, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			f.Fatal(err)
		}
		s, _ := im.section(SectionStringTable)
		f.Add(b[s.Offset : s.Offset+s.Length])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		im := &Image{strs: map[uint32]string{}}
		m := &msgReader{br: bufio.NewReaderSize(bytes.NewReader(data), 64), release: func() {}, limit: maxMessage}
		if err := im.readStrings(m); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		im.indexNames()
		for id, s := range im.strs {
			var u, g uint32
			switch {
			case im.maskBits == 0:
				u, g = id, id
			case id>>(32-im.maskBits) == 1:
				u, g = id&(1<<(32-im.maskBits)-1), 1<<24 // no group
			case id>>(32-im.maskBits) == 2:
				u, g = 1<<24, id&(1<<(32-im.maskBits)-1)
			default:
				continue
			}
			perm := uint64(u&0xFFFFFF)<<40 | uint64(g&0xFFFFFF)<<16
			if u < 1<<24 && im.userOf(perm) != s && !im.dupSerial(id) {
				t.Fatalf("user serial %d resolves to %q, want %q", u, im.userOf(perm), s)
			}
			if g < 1<<24 && im.groupOf(perm) != s && !im.dupSerial(id) {
				t.Fatalf("group serial %d resolves to %q, want %q", g, im.groupOf(perm), s)
			}
		}
	})
}

// dupSerial reports whether another string table id maps to the same
// 24-bit serial as id (then either name may win).
func (im *Image) dupSerial(id uint32) bool {
	mask := uint32(0xFFFFFF)
	for other := range im.strs {
		if other != id && other&mask == id&mask {
			return true
		}
	}
	return false
}

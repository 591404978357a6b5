package fsimage_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/shoalhq/shoal/fsimage"
)

// FuzzOpen feeds Open and Walk with mutated real images. Images larger
// than 256 KiB are left out of the seed corpus (each execution would walk
// hundreds of thousands of inodes, and minimizing them stalls the fuzzer),
// but their head and tail are kept.
func FuzzOpen(f *testing.F) {
	for _, p := range images(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 256<<10 {
			// Head plus trailer: sections point past the body.
			f.Add(append(append([]byte(nil), b[:4096]...), b[len(b)-512:]...))
			continue
		}
		f.Add(b)
		for _, cut := range []int{len(b) / 3, len(b) / 2, len(b) - 5} {
			f.Add(b[:cut])
		}
	}
	// Generated images in every codec and both string table layouts.
	for _, layout := range []int32{-63, -66} {
		for _, codec := range allCodecs {
			o := fsimage.WriterOptions{LayoutVersion: layout, Codec: codec}
			if codec == fsimage.CodecBZip2 {
				if _, err := exec.LookPath("bzip2"); err != nil {
					continue
				}
				o.NewCompressor = bzip2Compressor
			}
			img, _, _ := generate(f, fsimage.GenOptions{Files: 40, Dirs: 3, WriterOptions: o})
			f.Add(img)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := openBytes(t, b)
		if err != nil {
			return
		}
		im.BatchSize = 7
		n := 0
		_ = im.Walk(func(e fsimage.Entry) error {
			n++
			if e.Path == "" || e.Path[0] != '/' {
				t.Fatalf("entry %d has path %q", e.ID, e.Path)
			}
			return nil
		})
		_, _ = im.Stats(1 << 20)
	})
}

// BenchmarkWalk walks the largest real image (210k inodes, zlib sections).
func BenchmarkWalk(b *testing.B) {
	var largest string
	var size int64
	for _, p := range images(b) {
		if fi, err := os.Stat(p); err == nil && fi.Size() > size {
			largest, size = p, fi.Size()
		}
	}
	data := mustRead(b, largest)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		im, err := openBytes(b, data)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		if err := im.Walk(func(fsimage.Entry) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inodes/s")
}

// BenchmarkGenerated parses a generated 200k-file warehouse image
// (uncompressed) with Walk and with Stats. scripts/bench-fsimage.sh runs
// the 20-million-inode version on one core.
func BenchmarkGenerated(b *testing.B) {
	b.StopTimer()
	img, _, res := generate(b, fsimage.GenOptions{Files: 200_000, Dirs: 2000})
	b.StartTimer()
	for _, mode := range []string{"walk", "stats"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(img)))
			b.ReportAllocs()
			for b.Loop() {
				im, err := openBytes(b, img)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "walk" {
					err = im.Walk(func(fsimage.Entry) error { return nil })
				} else {
					_, err = im.Stats(16 << 20)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Inodes)*float64(b.N)/b.Elapsed().Seconds(), "inodes/s")
		})
	}
}

package text_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/text"
)

const (
	benchFiles    = 200
	benchFileSize = 1 << 20
)

// benchCSV returns about size bytes of CSV lines with varied content.
func benchCSV(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d,user-%08x,%d.%02d,2024-%02d-%02d,%x\n", i, i*2654435761, i*7%1000, i%100, i%12+1, i%28+1, i*i*40503)
	}
	return b.String()
}

// benchInputs writes benchFiles copies of one file and returns their paths
// and total size.
func benchInputs(b *testing.B, name string, data []byte) ([]string, int64) {
	b.Helper()
	dir := b.TempDir()
	var paths []string
	for i := range benchFiles {
		paths = append(paths, writeFile(b, dir, fmt.Sprintf("%03d-%s", i, name), data))
	}
	return paths, int64(benchFiles * len(data))
}

func benchConcat(b *testing.B, paths []string, total int64) {
	m := text.New()
	ctx := context.Background()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	for i, p := range paths {
		f, size := open(b, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		metas[i] = inspect(b, m, p)
	}
	out := filepath.Join(b.TempDir(), "out")
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		w, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Merge(ctx, w, inputs, metas, shoal.MergeOptions{Mode: shoal.ModeConcat}); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCat is the baseline: the same inputs copied into one file with
// io.Copy, as cat does.
func benchCat(b *testing.B, paths []string, total int64) {
	out := filepath.Join(b.TempDir(), "out")
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		w, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(w, f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcat merges 200 plain CSV files of 1 MiB.
func BenchmarkConcat(b *testing.B) {
	paths, total := benchInputs(b, "data.csv", []byte(benchCSV(benchFileSize)))
	benchConcat(b, paths, total)
}

// BenchmarkConcatGzip merges 200 gzip CSV files of about 1 MiB (about
// 3.5 MiB of text each), which concat decompresses to count lines and
// see how each ends.
func BenchmarkConcatGzip(b *testing.B) {
	paths, total := benchInputs(b, "data.csv.gz", gzipped(b, benchCSV(7*benchFileSize/2)))
	benchConcat(b, paths, total)
}

func BenchmarkCat(b *testing.B) {
	paths, total := benchInputs(b, "data.csv", []byte(benchCSV(benchFileSize)))
	benchCat(b, paths, total)
}

func BenchmarkCatGzip(b *testing.B) {
	paths, total := benchInputs(b, "data.csv.gz", gzipped(b, benchCSV(7*benchFileSize/2)))
	benchCat(b, paths, total)
}

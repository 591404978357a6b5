package mergetest

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
)

// BenchMerge benchmarks what a merge run does: Merge the files at paths,
// opened once and inspected once before the timer starts (as planning
// does), into one output, in mode. b.SetBytes is the inputs' total size.
func BenchMerge(b *testing.B, m shoal.Merger, paths []string, mode shoal.MergeMode) {
	b.Helper()
	ctx := context.Background()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	var total int64
	for i, p := range paths {
		f, size := open(b, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		meta, err := m.Inspect(ctx, inputs[i])
		if err != nil {
			b.Fatalf("Inspect(%s): %v", p, err)
		}
		metas[i] = meta
		total += size
	}
	out := filepath.Join(b.TempDir(), "merged")
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		w, err := os.Create(out) //nolint:gosec // benchmark output
		if err != nil {
			b.Fatal(err)
		}
		// A 1 MiB buffer, as the merge engine writes outputs.
		bw := bufio.NewWriterSize(w, 1<<20)
		if _, err := m.Merge(ctx, bw, inputs, metas, shoal.MergeOptions{Mode: mode}); err != nil {
			b.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCat is the floor for BenchMerge: the same files copied into one
// output with a 128 KiB buffer, like cat's read/write loop.
func BenchCat(b *testing.B, paths []string) {
	b.Helper()
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	out := filepath.Join(b.TempDir(), "cat")
	buf := make([]byte, 128<<10)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		dst, err := os.Create(out) //nolint:gosec // benchmark output
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			src, err := os.Open(p) //nolint:gosec // benchmark input
			if err != nil {
				b.Fatal(err)
			}
			// Hide ReaderFrom/WriterTo so the copy goes through buf.
			if _, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf); err != nil {
				b.Fatal(err)
			}
			_ = src.Close()
		}
		if err := dst.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

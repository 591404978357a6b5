package orc

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shoalhq/shoal"
)

const (
	benchFiles = 200
	// benchRows makes each generated file about 1 MiB.
	benchRows = 24000
	// benchDistinct is how many different files are generated; the 200
	// inputs are copies of them, as generating ORC is slow.
	benchDistinct = 4
)

var benchInputs struct {
	once  sync.Once
	dir   string
	paths []string
	size  int64
	err   error
}

// benchFilesOnDisk writes the benchmark inputs once per test binary, in a
// folder removed by TestMain's caller when the process exits.
func benchFilesOnDisk(b *testing.B) ([]string, int64) {
	b.Helper()
	benchInputs.once.Do(func() {
		dir, err := os.MkdirTemp("", "orc-bench-")
		if err != nil {
			benchInputs.err = err
			return
		}
		benchInputs.dir = dir
		for i := range benchDistinct {
			writeGenerated(b, filepath.Join(dir, fmt.Sprintf("gen%d.orc", i)), benchRows, uint64(i+1))
		}
		for i := range benchFiles {
			src := filepath.Join(dir, fmt.Sprintf("gen%d.orc", i%benchDistinct))
			dst := filepath.Join(dir, fmt.Sprintf("part-%05d.orc", i))
			data, err := os.ReadFile(src)
			if err == nil {
				err = os.WriteFile(dst, data, 0o600)
			}
			if err != nil {
				benchInputs.err = err
				return
			}
			benchInputs.paths = append(benchInputs.paths, dst)
			benchInputs.size += int64(len(data))
		}
	})
	if benchInputs.err != nil {
		b.Fatal(benchInputs.err)
	}
	b.Cleanup(func() {}) // the folder is shared by the benchmarks; see TestMain
	return benchInputs.paths, benchInputs.size
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchInputs.dir != "" {
		_ = os.RemoveAll(benchInputs.dir)
	}
	os.Exit(code)
}

func openInputs(b *testing.B, paths []string) []shoal.MergeInput {
	b.Helper()
	inputs := make([]shoal.MergeInput, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = f.Close() })
		st, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: st.Size(), R: f}
	}
	return inputs
}

// BenchmarkConcat merges 200 ORC files of about 1 MiB into a file.
func BenchmarkConcat(b *testing.B) {
	paths, size := benchFilesOnDisk(b)
	inputs := openInputs(b, paths)
	ctx := context.Background()
	m := New()
	metas := make([]*shoal.FileMeta, len(inputs))
	for i, in := range inputs {
		meta, err := m.Inspect(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		metas[i] = meta
	}
	out := filepath.Join(b.TempDir(), "merged.orc")
	b.SetBytes(size)
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

// BenchmarkConcatBaselineCat copies the same 200 files into one, as cat
// does, for comparison with BenchmarkConcat.
func BenchmarkConcatBaselineCat(b *testing.B) {
	paths, size := benchFilesOnDisk(b)
	out := filepath.Join(b.TempDir(), "cat.orc")
	b.SetBytes(size)
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
			_ = f.Close()
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

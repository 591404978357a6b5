package orc

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/mergetest"
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

// BenchmarkConcat merges 200 ORC files of about 1 MiB into a file.
func BenchmarkConcat(b *testing.B) {
	paths, _ := benchFilesOnDisk(b)
	mergetest.BenchMerge(b, New(), paths, shoal.ModeConcat)
}

// BenchmarkConcatBaselineCat copies the same 200 files into one, as cat
// does, for comparison with BenchmarkConcat.
func BenchmarkConcatBaselineCat(b *testing.B) {
	paths, _ := benchFilesOnDisk(b)
	mergetest.BenchCat(b, paths)
}

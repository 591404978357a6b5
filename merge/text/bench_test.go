package text_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/mergetest"
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

// benchInputs writes benchFiles copies of one file and returns their
// paths.
func benchInputs(b *testing.B, name string, data []byte) []string {
	b.Helper()
	dir := b.TempDir()
	var paths []string
	for i := range benchFiles {
		paths = append(paths, writeFile(b, dir, fmt.Sprintf("%03d-%s", i, name), data))
	}
	return paths
}

// BenchmarkConcat merges 200 plain CSV files of 1 MiB.
func BenchmarkConcat(b *testing.B) {
	paths := benchInputs(b, "data.csv", []byte(benchCSV(benchFileSize)))
	mergetest.BenchMerge(b, text.New(), paths, shoal.ModeConcat)
}

// BenchmarkConcatGzip merges 200 gzip CSV files of about 1 MiB (about
// 3.5 MiB of text each), which concat decompresses to count lines and
// see how each ends.
func BenchmarkConcatGzip(b *testing.B) {
	paths := benchInputs(b, "data.csv.gz", gzipped(b, benchCSV(7*benchFileSize/2)))
	mergetest.BenchMerge(b, text.New(), paths, shoal.ModeConcat)
}

func BenchmarkCat(b *testing.B) {
	paths := benchInputs(b, "data.csv", []byte(benchCSV(benchFileSize)))
	mergetest.BenchCat(b, paths)
}

func BenchmarkCatGzip(b *testing.B) {
	paths := benchInputs(b, "data.csv.gz", gzipped(b, benchCSV(7*benchFileSize/2)))
	mergetest.BenchCat(b, paths)
}

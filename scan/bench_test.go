package scan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
)

// discardWriter drops the snapshot, to measure the scanner alone.
type discardWriter struct{}

func (discardWriter) WritePartitions(context.Context, []shoal.PartitionStats) error { return nil }
func (discardWriter) WriteTables(context.Context, []shoal.TableStats) error         { return nil }
func (discardWriter) Close() error                                                  { return nil }

// BenchmarkScanner_Run scans SHOAL_BENCH_TREE when set (a tree from
// bench/gentree), or a generated tree of 2,000 files in 200 partitions.
func BenchmarkScanner_Run(b *testing.B) {
	root := os.Getenv("SHOAL_BENCH_TREE")
	if root == "" {
		root = b.TempDir()
		for p := range 200 {
			dir := filepath.Join(root, "bench.db", "t", fmt.Sprintf("dt=%d", p))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for f := range 10 {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d", f)), []byte("x"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for b.Loop() {
		s := newScanner(b, root)
		totals, err := s.Run(context.Background(), discardWriter{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(totals.Files), "files/op")
	}
}

package parquet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/shoalhq/shoal"
)

// benchRow is the row of the benchmark inputs: a mix of compressible and
// random columns, as in a typical fact table.
type benchRow struct {
	ID      int64   `parquet:"id"`
	Country string  `parquet:"country,dict"`
	Amount  float64 `parquet:"amount"`
	Payload string  `parquet:"payload"`
}

// benchFiles writes count copies of a 1 MiB snappy Parquet file (about
// 14,000 rows in two row groups) into a temporary folder.
func benchFiles(b *testing.B, count int) []string {
	b.Helper()
	dir := b.TempDir()
	first := filepath.Join(dir, "part-000.parquet")
	f, err := os.Create(first) //nolint:gosec // benchmark input
	if err != nil {
		b.Fatal(err)
	}
	w := pq.NewGenericWriter[benchRow](f, pq.Compression(&pq.Snappy))
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // benchmark data
	countries := []string{"FR", "DE", "US", "JP", "BR", "IN", "NG", "CA"}
	batch := make([]benchRow, 1000)
	raw := make([]byte, 24)
	for id := int64(0); w.Size() < 1<<20; {
		for i := range batch {
			for k := range raw {
				raw[k] = byte(rng.IntN(256))
			}
			batch[i] = benchRow{ID: id, Country: countries[rng.IntN(len(countries))], Amount: float64(rng.IntN(1_000_000)) / 100, Payload: hex.EncodeToString(raw)}
			id++
		}
		if _, err := w.Write(batch); err != nil {
			b.Fatal(err)
		}
		if id == 7000 {
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(first) //nolint:gosec // benchmark input
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{first}
	for i := 1; i < count; i++ {
		p := filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", i))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// benchMerge merges 200 generated 1 MiB files in mode, once per iteration.
func benchMerge(b *testing.B, mode shoal.MergeMode) {
	paths := benchFiles(b, 200)
	m := New()
	var ins []shoal.MergeInput
	var metas []*shoal.FileMeta
	var total int64
	for _, p := range paths {
		in, meta := inspect(b, p)
		ins = append(ins, in)
		metas = append(metas, meta)
		total += in.Size
	}
	out := filepath.Join(b.TempDir(), "merged.parquet")
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Create(out) //nolint:gosec // benchmark output
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Merge(context.Background(), f, ins, metas, shoal.MergeOptions{Mode: mode}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcat concatenates 200 files of 1 MiB.
func BenchmarkConcat(b *testing.B) { benchMerge(b, shoal.ModeConcat) }

// BenchmarkRewrite decodes and re-encodes 200 files of 1 MiB.
func BenchmarkRewrite(b *testing.B) { benchMerge(b, shoal.ModeRewrite) }

// BenchmarkCat is the baseline for BenchmarkConcat: the same inputs copied
// into one file as cat does, with 128 KiB reads and writes.
func BenchmarkCat(b *testing.B) {
	paths := benchFiles(b, 200)
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	out := filepath.Join(b.TempDir(), "cat.parquet")
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
			// Hide the files' ReaderFrom/WriterTo so the copy goes through
			// buf, like cat's read/write loop.
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

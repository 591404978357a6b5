package parquet

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/mergetest"
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

// BenchmarkConcat concatenates 200 files of 1 MiB.
func BenchmarkConcat(b *testing.B) {
	mergetest.BenchMerge(b, New(), benchFiles(b, 200), shoal.ModeConcat)
}

// BenchmarkRewrite decodes and re-encodes 200 files of 1 MiB.
func BenchmarkRewrite(b *testing.B) {
	mergetest.BenchMerge(b, New(), benchFiles(b, 200), shoal.ModeRewrite)
}

// BenchmarkCat is the floor of BenchmarkConcat: the same files copied as
// cat copies them.
func BenchmarkCat(b *testing.B) { mergetest.BenchCat(b, benchFiles(b, 200)) }

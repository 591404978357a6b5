package avro_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/avro"
)

const (
	benchFiles    = 200
	benchFileSize = 1 << 20
)

const benchSchema = `{"type":"record","name":"Event","fields":[
	{"name":"id","type":"long"},
	{"name":"user","type":"string"},
	{"name":"score","type":"double"},
	{"name":"tags","type":{"type":"array","items":"string"}}]}`

// benchInputs writes benchFiles snappy-compressed container files of about
// 1 MiB each (one generated file, copied) and returns their paths.
func benchInputs(b *testing.B) []string {
	b.Helper()
	dir := b.TempDir()
	first := filepath.Join(dir, "in-000.avro")
	// Records of ~100 bytes with little redundancy compress to about half;
	// 27000 of them make roughly 1 MiB.
	writeAvro(b, first, benchSchema, "snappy", 27000, func(i int) any {
		return map[string]any{
			"id":    int64(i) * 7919,
			"user":  fmt.Sprintf("user-%08x-%08x", i*2654435761, i*40503),
			"score": float64(i) / 3,
			"tags":  []any{fmt.Sprint("t", i%97), fmt.Sprintf("%x", i*i)},
		}
	})
	data, err := os.ReadFile(first)
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{first}
	for i := 1; i < benchFiles; i++ {
		p := filepath.Join(dir, fmt.Sprintf("in-%03d.avro", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkConcat merges 200 Avro files of about 1 MiB each by copying
// their blocks.
func BenchmarkConcat(b *testing.B) {
	paths := benchInputs(b)
	m := avro.New()
	ctx := context.Background()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	var total int64
	for i, p := range paths {
		f, size := open(b, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		meta, err := m.Inspect(ctx, inputs[i])
		if err != nil {
			b.Fatal(err)
		}
		metas[i] = meta
		total += size
	}
	out := filepath.Join(b.TempDir(), "out.avro")
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

// BenchmarkCat is the baseline for BenchmarkConcat: the same inputs copied
// into one file with io.Copy, as cat does.
func BenchmarkCat(b *testing.B) {
	paths := benchInputs(b)
	out := filepath.Join(b.TempDir(), "out.avro")
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
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

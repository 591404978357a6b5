package avro_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/avro"
	"github.com/shoalhq/shoal/merge/mergetest"
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
	mergetest.BenchMerge(b, avro.New(), benchInputs(b), shoal.ModeConcat)
}

// BenchmarkCat is the floor of BenchmarkConcat: the same inputs copied as
// cat copies them.
func BenchmarkCat(b *testing.B) { mergetest.BenchCat(b, benchInputs(b)) }

// swapInputs returns the inputs of BenchmarkSwapVsCat: the *.avro files of
// $SHOAL_AVRO_BENCH_DIR (such as mergebench's .bench/merge/in/avro-1000)
// or else 1000 copies of a generated file of about 1 MiB in blocks of
// about 64 KB.
func swapInputs(b *testing.B) []string {
	b.Helper()
	if dir := os.Getenv("SHOAL_AVRO_BENCH_DIR"); dir != "" {
		paths, err := filepath.Glob(filepath.Join(dir, "*.avro"))
		if err != nil || len(paths) == 0 {
			b.Fatalf("no *.avro files in %s (%v)", dir, err)
		}
		return paths
	}
	dir := b.TempDir()
	first := filepath.Join(dir, "in-0000.avro")
	f, err := os.Create(first)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := ocf.NewEncoder(benchSchema, f, ocf.WithCodec(ocf.Snappy), ocf.WithBlockLength(0),
		ocf.WithBlockSize(128<<10), ocf.WithEncoderSchemaCache(&havro.SchemaCache{}))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20000 {
		if err := enc.Encode(map[string]any{
			"id":    int64(i) * 7919,
			"user":  fmt.Sprintf("user-%08x-%08x", i*2654435761, i*40503),
			"score": float64(i) / 3,
			"tags":  []any{fmt.Sprint("t", i%97), fmt.Sprintf("%x", i*i)},
		}); err != nil {
			b.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(first)
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{first}
	for i := 1; i < 1000; i++ {
		p := filepath.Join(dir, fmt.Sprintf("in-%04d.avro", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkSwapVsCat times what the merge engine does for one partition
// (open and Inspect every input, then Merge them in concat mode) and cat
// (io.Copy of every input into one file) on the same inputs, alternately,
// and reports the ratio of the fastest runs of the two. As mergebench
// does, it removes the output and calls sync(2) before each run, untimed.
func BenchmarkSwapVsCat(b *testing.B) {
	paths := swapInputs(b)
	out := filepath.Join(b.TempDir(), "out.avro")
	ctx := context.Background()
	m := avro.New()
	cat := func() {
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
	var inspect time.Duration
	swap := func() {
		start := time.Now()
		inputs := make([]shoal.MergeInput, len(paths))
		metas := make([]*shoal.FileMeta, len(paths))
		for i, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				b.Fatal(err)
			}
			inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: st.Size(), R: f}
			if metas[i], err = m.Inspect(ctx, inputs[i]); err != nil {
				b.Fatal(err)
			}
		}
		inspect += time.Since(start)
		w, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		if _, err := m.Merge(ctx, bw, inputs, metas, shoal.MergeOptions{Mode: shoal.ModeConcat}); err != nil {
			b.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// With $SHOAL_BENCH_CATBIN set, cat is cat(1), as in mergebench.
	if os.Getenv("SHOAL_BENCH_CATBIN") != "" {
		cat = func() {
			cmd := exec.Command("sh", append([]string{"-c", `exec cat "$@" > "$0"`, out}, paths...)...)
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	}
	cat() // warm the page cache
	var catBest, swapBest time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		_ = os.Remove(out)
		syscall.Sync()
		b.StartTimer()
		start := time.Now()
		cat()
		if d := time.Since(start); catBest == 0 || d < catBest {
			catBest = d
		}
		b.StopTimer()
		_ = os.Remove(out)
		syscall.Sync()
		b.StartTimer()
		start = time.Now()
		swap()
		if d := time.Since(start); swapBest == 0 || d < swapBest {
			swapBest = d
		}
		n++
	}
	b.ReportMetric(catBest.Seconds(), "cat-s")
	b.ReportMetric(swapBest.Seconds(), "swap-s")
	b.ReportMetric(float64(swapBest)/float64(catBest), "ratio")
	b.ReportMetric(inspect.Seconds()/float64(n), "inspect-s")
}

package parquet

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
)

// FuzzInspect feeds Inspect corrupt variants of real files: it must never
// panic, and a file it accepts must have a sane row count and concatenate
// with itself without panicking.
func FuzzInspect(f *testing.F) {
	if dir, ok := realdata.Find(); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "parquet", "*"))
		for _, p := range paths {
			data, err := os.ReadFile(p) //nolint:gosec // seed corpus
			if err == nil && len(data) <= 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Add([]byte("PAR1\x15\x00\x15\x00\x0c\x00\x00\x00PAR1"))
	m := New()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		in := shoal.MergeInput{Name: "fuzz.parquet", Size: int64(len(data)), R: bytes.NewReader(data)}
		meta, err := m.Inspect(ctx, in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refused with an empty message")
			}
			return
		}
		if meta.Rows < 0 || meta.Units < 0 || meta.UnitBytes < 0 {
			t.Fatalf("accepted with rows %d, units %d, unit bytes %d", meta.Rows, meta.Units, meta.UnitBytes)
		}
		res, err := m.Merge(ctx, io.Discard, []shoal.MergeInput{in, in}, []*shoal.FileMeta{meta, meta}, shoal.MergeOptions{Mode: shoal.ModeConcat})
		if err == nil && res.Rows != 2*meta.Rows {
			t.Fatalf("concat of two copies reported %d rows, want %d", res.Rows, 2*meta.Rows)
		}
	})
}

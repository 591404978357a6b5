package avro_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/avro"
)

// FuzzInspect feeds Inspect (and, for files it accepts, Verify) with
// mutations of the real files: neither may panic, and an accepted file
// has a non-negative row count.
func FuzzInspect(f *testing.F) {
	if dir, ok := realdata.Find(); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "avro", "*.avro"))
		negative, _ := filepath.Glob(filepath.Join(dir, "avro", "negative", "*"))
		for _, p := range append(paths, negative...) {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("Obj\x01"))
	f.Add([]byte{})
	m := avro.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		in := shoal.MergeInput{Name: "fuzz.avro", Size: int64(len(data)), R: bytes.NewReader(data)}
		meta, err := m.Inspect(context.Background(), in)
		if err != nil {
			return
		}
		if meta.Rows < 0 || meta.Units < 0 || meta.UnitBytes < 0 || meta.UnitBytes > in.Size {
			t.Fatalf("accepted with %v, unit bytes %d of %d", meta, meta.UnitBytes, in.Size)
		}
		if meta.Rows > 1<<20 {
			return // a zero-width schema could make Verify decode for a long time
		}
		if back, err := m.Verify(context.Background(), in); err == nil && back.Rows != meta.Rows {
			t.Fatalf("Verify counted %d rows, Inspect %d", back.Rows, meta.Rows)
		}
	})
}

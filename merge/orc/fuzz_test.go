package orc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
)

// FuzzInspect feeds Inspect arbitrary bytes, seeded with the real ORC files
// (valid and negative). Inspect must never panic; a file it accepts must
// have a non-negative row count, and must merge: the merge of the file with
// itself must be accepted by Inspect with twice the rows and the same
// schema and properties.
func FuzzInspect(f *testing.F) {
	if dir, ok := realdata.Find(); ok {
		for _, pattern := range []string{"orc/*.orc", "orc/negative/*.orc"} {
			paths, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, p := range paths {
				if data, err := os.ReadFile(p); err == nil && len(data) <= 64<<10 {
					f.Add(data)
				}
			}
		}
	}
	f.Add([]byte("ORC"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		m := New()
		meta, err := m.Inspect(ctx, memInput("fuzz.orc", data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refused with an empty message")
			}
			return
		}
		if meta.Rows < 0 || meta.Units < 0 || meta.UnitBytes < 0 || meta.UnitBytes > int64(len(data)) {
			t.Fatalf("accepted with %v", meta)
		}
		var out bytes.Buffer
		res, err := m.Merge(ctx, &out, []shoal.MergeInput{memInput("a", data), memInput("b", data)}, []*shoal.FileMeta{meta, meta}, shoal.MergeOptions{Mode: shoal.ModeConcat})
		if err != nil {
			t.Fatalf("Merge of an accepted file: %v", err)
		}
		if res.Rows != 2*meta.Rows || res.Bytes != int64(out.Len()) {
			t.Fatalf("Merge reported %d rows and %d bytes, want %d rows and %d bytes", res.Rows, res.Bytes, 2*meta.Rows, out.Len())
		}
		back, err := m.Inspect(ctx, memInput("merged", out.Bytes()))
		if err != nil {
			t.Fatalf("Inspect(merged): %v", err)
		}
		if back.Rows != 2*meta.Rows || back.Schema != meta.Schema || shoal.ConcatCompatible(back, meta) != nil {
			t.Fatalf("merged file: %v, input: %v", back, meta)
		}
	})
}

package text_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/text"
)

// FuzzInspect feeds Inspect with mutations of real and generated text
// files: it may not panic, an accepted file has a non-negative row count,
// and a plain text file has as many rows as lines.
func FuzzInspect(f *testing.F) {
	if dir, ok := realdata.Find(); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "hive-layout", "duckdb-hive-partitioning", "*", "*", "*", "*.csv"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, p := range []string{"multi-stream.csv.bz2", "no-newline.csv.bz2"} {
		f.Add(readFile(f, filepath.Join("testdata", p)))
	}
	for _, s := range []string{"", "a", "a\r\nb\rc\n", "h\x01i\n\n", "SEQ\x06", "ORCHARD\n"} {
		f.Add([]byte(s))
	}
	f.Add(gzipped(f, "1,2\n", "3"))
	m := text.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, err := m.Inspect(context.Background(), shoal.MergeInput{Name: "fuzz", Size: int64(len(data)), R: bytes.NewReader(data)})
		if err != nil {
			return
		}
		if meta.Rows < 0 || meta.Units < 0 {
			t.Fatalf("accepted with %v", meta)
		}
		if meta.Codec == "none" {
			s := string(bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n")))
			want := int64(bytes.Count([]byte(s), []byte("\n")))
			if len(s) > 0 && s[len(s)-1] != '\n' {
				want++
			}
			if meta.Rows != want {
				t.Fatalf("%q: %d rows, want %d", data, meta.Rows, want)
			}
		}
	})
}

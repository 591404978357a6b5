package shoal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
)

func head(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 64)
	n, _ := f.Read(b)
	return b[:n]
}

// TestDetectFormat_RealFiles detects the format of every real Parquet, ORC
// and Avro file from its first bytes, as the scanner does.
func TestDetectFormat_RealFiles(t *testing.T) {
	t.Parallel()
	root := realdata.Dir(t)
	for _, c := range []struct {
		glob string
		want shoal.Format
	}{
		{"parquet/*.parquet", shoal.FormatParquet},
		{"parquet/*.parquet.encrypted", shoal.FormatParquet},
		{"orc/*.orc", shoal.FormatORC},
		{"avro/*.avro", shoal.FormatAvro},
		{"hive-layout/*/*/*.avro", shoal.FormatAvro},
		{"hive-layout/duckdb-hive-partitioning/*/*/*/*.csv", shoal.FormatText},
	} {
		files, err := filepath.Glob(filepath.Join(root, c.glob))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("no real files match %s", c.glob)
		}
		for _, f := range files {
			if got := shoal.DetectFormat(head(t, f)); got != c.want {
				t.Errorf("%s: detected %s, want %s", strings.TrimPrefix(f, root), got, c.want)
			}
		}
	}
}

// FuzzDetectFormat runs the detector on arbitrary heads, seeded from the real
// files: it must never panic, and a head that starts with a known magic
// keeps its format whatever follows.
func FuzzDetectFormat(f *testing.F) {
	if root, ok := realdata.Find(); ok {
		for _, glob := range []string{"parquet/*", "orc/*.orc", "avro/*.avro"} {
			files, _ := filepath.Glob(filepath.Join(root, glob))
			for _, p := range files {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b[:min(len(b), 64)])
				}
			}
		}
	}
	f.Add([]byte("id,name\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := shoal.DetectFormat(b)
		if !got.Valid() {
			t.Fatalf("DetectFormat(%q) = %q, not a known format", b, got)
		}
		if len(b) >= 4 && string(b[:4]) == "PAR1" && got != shoal.FormatParquet {
			t.Fatalf("PAR1 head detected as %s", got)
		}
	})
}

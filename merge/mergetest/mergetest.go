// Package mergetest is the conformance suite every format merger passes.
// A format package supplies a Corpus: groups of compatible files, an
// independent reader that renders rows as strings, and files that must be
// refused. Run merges several copies of each group in each supported mode,
// validates the output the way the merge engine does (row count, schema,
// segment checksums, read-back) and compares the rows, as a multiset, with
// the independent reader's rows of the inputs.
package mergetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shoalhq/shoal"
)

// Corpus describes the files a merger is tested on.
type Corpus struct {
	// Groups are sets of files that can be merged together; each group is
	// merged as Copies copies of each file, in order.
	Groups [][]string
	// Copies is how many times each file of a group is repeated (default 3).
	Copies int
	// Modes are the modes to test (default concat and rewrite).
	Modes []shoal.MergeMode
	// Rows reads a file with a reader independent of the merger and
	// returns one canonical string per row. Nil skips the row comparison
	// (the row count is still checked).
	Rows func(t *testing.T, path string) []string
	// Negative files must be refused by Inspect with an error, and be left
	// unchanged.
	Negative []string
	// HeaderLines is passed to the merger for text corpora. As the merge
	// engine does for a table with skip.header.line.count, the suite
	// applies it to every FileMeta of Inspect and Verify, and
	// expects the merger to keep one header: all of the first input that
	// has at least HeaderLines lines, and the lines after the header of
	// the inputs that follow it (inputs before it have no rows).
	HeaderLines int
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Run runs the suite.
func Run(t *testing.T, m shoal.Merger, c Corpus) {
	t.Helper()
	if c.Copies == 0 {
		c.Copies = 3
	}
	if len(c.Modes) == 0 {
		c.Modes = []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite}
	}
	for _, group := range c.Groups {
		for _, mode := range c.Modes {
			name := string(mode) + "/" + filepath.Base(group[0])
			if len(group) > 1 {
				name += "+" + filepath.Base(group[len(group)-1])
			}
			t.Run(name, func(t *testing.T) {
				var paths []string
				for range c.Copies {
					paths = append(paths, group...)
				}
				MergeAndCheck(t, m, paths, mode, c)
			})
		}
	}
	for _, p := range c.Negative {
		t.Run("negative/"+filepath.Base(p), func(t *testing.T) {
			before := digest(t, p)
			f, size := open(t, p)
			_, err := m.Inspect(context.Background(), shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f})
			if err == nil {
				t.Fatalf("Inspect(%s) accepted a file it must refuse", p)
			}
			if err.Error() == "" {
				t.Fatalf("Inspect(%s) refused with an empty message", p)
			}
			t.Logf("refused: %v", err)
			if after := digest(t, p); after != before {
				t.Fatalf("Inspect changed %s", p)
			}
		})
	}
}

// MergeAndCheck merges paths in the given mode into a temporary file and
// checks the output. It returns the output path.
func MergeAndCheck(t *testing.T, m shoal.Merger, paths []string, mode shoal.MergeMode, c Corpus) string {
	t.Helper()
	ctx := context.Background()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	var wantRows int64
	var want []string
	headerKept := false
	for i, p := range paths {
		f, size := open(t, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		meta, err := m.Inspect(ctx, inputs[i])
		if err != nil {
			t.Fatalf("Inspect(%s): %v", p, err)
		}
		meta.ApplyHeader(c.HeaderLines)
		metas[i] = meta
		wantRows += meta.Rows
		if c.Rows != nil {
			rows := c.Rows(t, p)
			if h := c.HeaderLines; h > 0 {
				// The reader renders header lines as rows; the merger
				// keeps one header.
				switch {
				case headerKept:
					rows = rows[min(h, len(rows)):]
				case len(rows) >= h:
					headerKept = true
				default:
					rows = nil
				}
			}
			want = append(want, rows...)
		}
	}
	if mode == shoal.ModeConcat {
		for i := 1; i < len(metas); i++ {
			if err := shoal.ConcatCompatible(metas[0], metas[i]); err != nil {
				t.Fatalf("group is not concat-compatible: %s and %s: %v", paths[0], paths[i], err)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "merged"+filepath.Ext(paths[0]))
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Merge(ctx, w, inputs, metas, shoal.MergeOptions{Mode: mode, HeaderLines: c.HeaderLines})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("Merge(%s): %v", mode, err)
	}
	if res.Rows != wantRows {
		t.Errorf("Merge reported %d rows, inputs have %d", res.Rows, wantRows)
	}
	data, err := os.ReadFile(out) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(len(data)) {
		t.Errorf("Merge reported %d bytes, output has %d", res.Bytes, len(data))
	}
	if mode == shoal.ModeConcat && len(res.Segments) == 0 && wantRows > 0 {
		t.Errorf("concat reported no verbatim segments")
	}
	for _, s := range res.Segments {
		if s.Offset < 0 || s.Length < 0 || s.Offset+s.Length > int64(len(data)) {
			t.Fatalf("segment %+v outside the %d-byte output", s, len(data))
		}
		if got := crc32.Checksum(data[s.Offset:s.Offset+s.Length], castagnoli); got != s.CRC {
			t.Fatalf("segment %+v: output CRC %08x", s, got)
		}
	}
	back, err := m.Verify(ctx, shoal.MergeInput{Name: "merged", Size: int64(len(data)), R: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Verify(output): %v", err)
	}
	back.ApplyHeader(c.HeaderLines)
	if back.Rows != wantRows {
		t.Errorf("output read back with %d rows, want %d", back.Rows, wantRows)
	}
	if back.Schema != metas[0].Schema {
		t.Errorf("output schema differs from the input's:\n got %s\nwant %s", back.Schema, metas[0].Schema)
	}
	if c.Rows != nil {
		got := c.Rows(t, out)
		if !SameRows(got, want) {
			t.Fatalf("rows differ: output has %d, inputs %d; first output rows %q, first input rows %q",
				len(got), len(want), head(got), head(want))
		}
	}
	return out
}

// SameRows reports whether a and b hold the same rows as multisets.
func SameRows(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func head(rows []string) []string { return rows[:min(3, len(rows))] }

func open(t testing.TB, p string) (*os.File, int64) {
	t.Helper()
	f, err := os.Open(p) //nolint:gosec // test input
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, st.Size()
}

func digest(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p) //nolint:gosec // test input
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

package orc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sorc "github.com/scritchley/orc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/mergetest"
)

// structureOnly lists the real files, compressed with a codec that
// github.com/scritchley/orc reads, whose rows it still cannot decode; they
// are merged and checked without a row comparison.
var structureOnly = map[string]string{
	"TestOrcFile.testTimestamp.orc": "its root type is a timestamp, not a struct",
	"decimal64_v2.orc":              "file version 1.9999 with DECIMAL_64 encodings",
	"decimal64_v2_cplusplus.orc":    "file version 1.9999 with DECIMAL_64 encodings",
}

// refusedReal lists the readable real files that Inspect refuses, with a
// part of the expected reason.
var refusedReal = map[string]string{
	"TestVectorOrcFile.testLzo.orc": "LZO-compressed ORC footers are not supported",
}

// negativeReasons is the reason Inspect gives for each file in
// orc/negative that it refuses.
var negativeReasons = map[string]string{
	"zero.orc":          "empty file (0 bytes)",
	"version1999.orc":   "unsupported ORC file version 19.99",
	"orc_no_format.orc": "ORC postscript has no magic",
	"TestOrcFile.testWithoutCompressionBlockSize.orc": "compressed with snappy but its postscript has no compression block size",
}

// readerQuirks lists, per file and field, the values that
// github.com/scritchley/orc renders unlike ORC's dump, and why.
var readerQuirks = map[string]map[string]string{
	"TestOrcFile.testUnionAndTimestamp.orc": {
		"decimal": "decimal(38,18) values beyond 64 bits are misread by the independent reader",
		"time":    "the independent reader ignores daylight saving time in the writer's time zone",
	},
	"orc-file-11-format.orc": {
		"decimal1": "the dump cuts Hive 0.11 decimals, which have no declared scale, to 6 decimal places",
	},
}

// corruptData lists the files in orc/negative whose tail is sound, so that
// Inspect accepts them, but whose stripes are corrupt: Verify rejects them.
var corruptData = map[string]string{
	"negative_dict_entry_lengths.orc":        "ORC reader failed on corrupt data",
	"stripe_footer_bad_column_encodings.orc": "stripe footer",
}

func inspectPath(t *testing.T, p string) (*shoal.FileMeta, error) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return New().Inspect(context.Background(), shoal.MergeInput{Name: filepath.Base(p), Size: st.Size(), R: f})
}

// realFiles sorts the real ORC files into those whose rows are compared,
// those checked by structure only, and those Inspect refuses.
func realFiles(t *testing.T) (rows, structure, refused []string) {
	rows, large, structure, refused := realFilesBySize(t)
	return append(rows, large...), structure, refused
}

// largeRows is the row count above which the conformance suite does not
// compare rows as strings (it sorts them all, which is slow under the race
// detector); TestManyStripesInOrder compares sampled stripes instead.
const largeRows = 1_000_000

// realFilesBySize is realFiles with the row-readable files of more than
// largeRows rows apart.
func realFilesBySize(t *testing.T) (rows, large, structure, refused []string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(realdata.Path(t, "orc"), "*.orc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no ORC files in the real data")
	}
	for _, p := range paths {
		name := filepath.Base(p)
		meta, err := inspectPath(t, p)
		if reason, ok := refusedReal[name]; ok {
			if err == nil || !strings.Contains(err.Error(), reason) {
				t.Errorf("Inspect(%s) = %v, want a refusal saying %q", name, err, reason)
			}
			refused = append(refused, p)
			continue
		}
		if err != nil {
			t.Fatalf("Inspect(%s): %v", name, err)
		}
		switch meta.Codec {
		case "none", "zlib", "snappy":
			if _, ok := structureOnly[name]; ok {
				break
			}
			if meta.Rows > largeRows {
				large = append(large, p)
			} else {
				rows = append(rows, p)
			}
			continue
		}
		structure = append(structure, p)
	}
	return rows, large, structure, refused
}

func groups(paths []string) [][]string {
	out := make([][]string, len(paths))
	for i, p := range paths {
		out[i] = []string{p}
	}
	return out
}

// TestConformance merges three copies of each real file whose rows the
// independent reader decodes, and compares the rows; the refused files and
// orc/negative are checked to be refused.
func TestConformance(t *testing.T) {
	t.Parallel()
	rows, _, _, refused := realFilesBySize(t)
	var negative []string
	for name := range negativeReasons {
		negative = append(negative, realdata.Path(t, "orc", "negative", name))
	}
	slices.Sort(negative)
	// Two generated files with different rows form a group of distinct
	// files.
	dir := t.TempDir()
	gen := []string{filepath.Join(dir, "gen1.orc"), filepath.Join(dir, "gen2.orc")}
	for i, p := range gen {
		writeGenerated(t, p, 3000, uint64(i+1))
	}
	mergetest.Run(t, New(), mergetest.Corpus{
		Groups:   append(groups(rows), gen),
		Modes:    []shoal.MergeMode{shoal.ModeConcat},
		Rows:     readRows,
		Negative: append(negative, refused...),
	})
}

// TestConformanceLarge merges two copies of each real file of more than
// largeRows rows; Verify decodes and counts every row, and
// TestManyStripesInOrder compares some of them with the input's.
func TestConformanceLarge(t *testing.T) {
	t.Parallel()
	_, large, _, _ := realFilesBySize(t)
	if len(large) == 0 {
		t.Fatal("no large files")
	}
	mergetest.Run(t, New(), mergetest.Corpus{
		Groups: groups(large),
		Copies: 2,
		Modes:  []shoal.MergeMode{shoal.ModeConcat},
	})
}

// TestManyStripesInOrder merges two copies of a Hive file of 385 stripes
// and compares sampled stripes of the output, row by row, with the input
// stripes they were copied from. (TestConformanceLarge decodes every row of
// the output; comparing them all is too slow under the race detector.)
func TestManyStripesInOrder(t *testing.T) {
	ctx := context.Background()
	src := realdata.Path(t, "orc", "demo-11-zlib.orc")
	data := readFile(t, src)
	merged := mergeBytes(t, data, data)
	in, err := readTail(ctx, memInput("demo-11-zlib.orc", data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := readTail(ctx, memInput("merged", merged))
	if err != nil {
		t.Fatal(err)
	}
	n := len(in.footer.stripes)
	if len(out.footer.stripes) != 2*n {
		t.Fatalf("%d stripes, want %d", len(out.footer.stripes), 2*n)
	}
	for copy := range 2 {
		for _, k := range []int{0, 1, n / 2, n - 2, n - 1} {
			want := stripeRows(t, data, k)
			got := stripeRows(t, merged, copy*n+k)
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("copy %d stripe %d: %d rows, want %d", copy, k, len(got), len(want))
			}
			for i := range got {
				if !sameRow(got[i], want[i]) {
					t.Fatalf("copy %d stripe %d row %d: %v, want %v", copy, k, i, got[i], want[i])
				}
			}
		}
	}
}

// stripeRows reads the rows of one stripe with the independent reader.
func stripeRows(t *testing.T, data []byte, stripe int) [][]any {
	t.Helper()
	r, err := sorc.NewReader(sizedReaderAt{bytes.NewReader(data), int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Select(r.Schema().Columns()...)
	if err := c.SelectStripe(stripe); err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for c.Next() {
		rows = append(rows, c.Row())
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// sameRow compares rows of scalar values.
func sameRow(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConformanceStructure merges the files whose rows the independent
// reader cannot decode (LZ4, ZSTD, version 1.9999, non-struct root): row
// counts, schema, segments and the structural checks of Verify only.
func TestConformanceStructure(t *testing.T) {
	_, structure, _ := realFiles(t)
	if len(structure) == 0 {
		t.Fatal("no structure-only files")
	}
	mergetest.Run(t, New(), mergetest.Corpus{
		Groups: groups(structure),
		Modes:  []shoal.MergeMode{shoal.ModeConcat},
	})
}

// TestNegativeReasons checks the reason given for each refused file, and
// that every file in orc/negative is either refused or rejected by Verify.
func TestNegativeReasons(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(realdata.Path(t, "orc", "negative"), "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		_, err := inspectPath(t, p)
		reason, refused := negativeReasons[name]
		_, corrupt := corruptData[name]
		switch {
		case refused:
			if err == nil || !strings.Contains(err.Error(), reason) {
				t.Errorf("Inspect(%s) = %v, want a refusal saying %q", name, err, reason)
			}
			var re *shoal.RefusalError
			if !errors.As(err, &re) {
				t.Errorf("Inspect(%s) error %T is not a RefusalError", name, err)
			}
		case corrupt:
			if err != nil {
				t.Errorf("Inspect(%s) refused a file with a sound tail: %v", name, err)
			}
		default:
			t.Errorf("negative file %s is not classified", name)
		}
	}
}

// TestVerifyRejectsCorruptStripes checks that the files whose stripes are
// corrupt fail Verify, alone and after a merge.
func TestVerifyRejectsCorruptStripes(t *testing.T) {
	ctx := context.Background()
	for name, reason := range corruptData {
		t.Run(name, func(t *testing.T) {
			p := realdata.Path(t, "orc", "negative", name)
			data := readFile(t, p)
			m := New()
			_, err := m.Verify(ctx, memInput(name, data))
			if err == nil || !strings.Contains(err.Error(), reason) {
				t.Fatalf("Verify(%s) = %v, want an error saying %q", name, err, reason)
			}
			t.Logf("Verify: %v", err)
			merged := mergeBytes(t, data, data)
			if _, err := m.Verify(ctx, memInput("merged", merged)); err == nil {
				t.Fatalf("Verify accepted a merge of two copies of %s", name)
			}
		})
	}
}

// TestExpectedRows merges two copies of each file that ORC's own project
// dumped as JSON, and compares the merged file's rows, as the independent
// reader decodes them, with the dump repeated twice, in order.
func TestExpectedRows(t *testing.T) {
	t.Parallel()
	dumps, err := filepath.Glob(filepath.Join(realdata.Path(t, "orc", "expected"), "*.jsn.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dumps) == 0 {
		t.Fatal("no expected row dumps")
	}
	const copies = 2
	for _, dump := range dumps {
		name := strings.TrimSuffix(filepath.Base(dump), ".jsn.gz") + ".orc"
		t.Run(name, func(t *testing.T) {
			src := realdata.Path(t, "orc", name)
			lines := readDump(t, dump)
			paths := slices.Repeat([]string{src}, copies)
			out := mergetest.MergeAndCheck(t, New(), paths, shoal.ModeConcat, mergetest.Corpus{})
			meta, err := New().Verify(context.Background(), memInput("merged", readFile(t, out)))
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(copies * len(lines)); meta.Rows != want {
				t.Fatalf("merged file has %d rows, the dump times %d has %d", meta.Rows, copies, want)
			}
			if _, ok := structureOnly[name]; ok {
				t.Logf("row count only: %s", structureOnly[name])
				return
			}
			// Where the independent reader renders a value of an input row
			// unlike the dump, the merged value must match that reader's
			// rendering of the input value instead: the difference is the
			// reader's, not the merge's.
			got := readJSONFields(t, out)
			if len(got) != copies*len(lines) {
				t.Fatalf("read %d merged rows, want %d", len(got), copies*len(lines))
			}
			dump := make([]map[string]string, len(lines))
			for i, l := range lines {
				dump[i] = jsonFields(t, l)
			}
			var input []map[string]string // read when a value differs
			readerDiffs := map[string]int{}
			for i, row := range got {
				want := dump[i%len(dump)]
				if len(row) != len(want) {
					t.Fatalf("row %d has %d fields, the dump %d", i, len(row), len(want))
				}
				for k, w := range want {
					g := row[k]
					if g == w {
						continue
					}
					if input == nil {
						input = readJSONFields(t, src)
					}
					if g != input[i%len(input)][k] {
						t.Fatalf("row %d field %s differs:\n got %s\nwant %s", i, k, g, w)
					}
					readerDiffs[k]++
				}
			}
			for field, n := range readerDiffs {
				quirk, ok := readerQuirks[name][field]
				if !ok {
					t.Fatalf("%d values of %s differ from the dump as the independent reader reads them, which is not known for this file", n, field)
				}
				t.Logf("%d values of %s match the reader's rendering of the input, not the dump: %s", n, field, quirk)
			}
		})
	}
}

// TestConcatCompatibleRefusesDifferentTails checks that files differing in
// a property of the tail are refused by shoal.ConcatCompatible and Merge.
func TestConcatCompatibleRefusesDifferentTails(t *testing.T) {
	data := readFile(t, realdata.Path(t, "orc", "TestOrcFile.test1.orc"))
	cases := []struct {
		name string
		edit func(ps *postScript, ft []byte) []byte
		want string
	}{
		{"block size", func(ps *postScript, ft []byte) []byte {
			ps.blockSize = 20000
			return ft
		}, "ORC compression block size differs: 10000 and 20000"},
		{"row index stride", func(_ *postScript, ft []byte) []byte {
			return replaceField(t, ft, ftRowIndexStride, 5000)
		}, "ORC row index stride differs: 10000 and 5000"},
		{"writer version", func(ps *postScript, ft []byte) []byte {
			ps.writerVersion = 6
			return ft
		}, "ORC writer version differs: 1 and 6"},
		{"file version", func(ps *postScript, ft []byte) []byte {
			ps.version = []uint64{0, 11}
			return ft
		}, "ORC file version differs: 0.12 and 0.11"},
	}
	ctx := context.Background()
	m := New()
	a, err := m.Inspect(ctx, memInput("a.orc", data))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			edited := rewriteTail(t, data, c.edit)
			b, err := m.Inspect(ctx, memInput("b.orc", edited))
			if err != nil {
				t.Fatalf("Inspect(edited): %v", err)
			}
			err = shoal.ConcatCompatible(a, b)
			if err == nil || err.Error() != c.want {
				t.Fatalf("ConcatCompatible = %v, want %q", err, c.want)
			}
			_, err = m.Merge(ctx, io.Discard, []shoal.MergeInput{memInput("a.orc", data), memInput("b.orc", edited)}, nil, shoal.MergeOptions{Mode: shoal.ModeConcat})
			var re *shoal.RefusalError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Merge = %v, want a refusal saying %q", err, c.want)
			}
			// The edited file is itself a valid ORC file.
			if _, err := m.Verify(ctx, memInput("b.orc", edited)); err != nil {
				t.Fatalf("Verify(edited): %v", err)
			}
		})
	}
}

// TestRealIncompatiblePairs checks refusals between real files.
func TestRealIncompatiblePairs(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"TestOrcFile.testSnappy.orc", "TestOrcFile.testWithoutIndex.orc", "ORC compression block size differs: 100 and 1000"},
		{"demo-11-zlib.orc", "demo-12-zlib.orc", "ORC file version differs: 0.11 and 0.12"},
		{"TestOrcFile.testMemoryManagementV12.orc", "TestOrcFile.testStripeLevelStats.orc", "compression differs: none and zlib"},
		{"TestOrcFile.test1.orc", "TestOrcFile.testSnappy.orc", "schemas differ"},
	}
	for _, c := range cases {
		a, err := inspectPath(t, realdata.Path(t, "orc", c.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := inspectPath(t, realdata.Path(t, "orc", c.b))
		if err != nil {
			t.Fatal(err)
		}
		if err := shoal.ConcatCompatible(a, b); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ConcatCompatible(%s, %s) = %v, want %q", c.a, c.b, err, c.want)
		}
	}
}

func TestRewriteRefused(t *testing.T) {
	data := readFile(t, realdata.Path(t, "orc", "TestOrcFile.test1.orc"))
	_, err := New().Merge(context.Background(), io.Discard, []shoal.MergeInput{memInput("a.orc", data)}, nil, shoal.MergeOptions{Mode: shoal.ModeRewrite})
	var re *shoal.RefusalError
	if !errors.As(err, &re) || err.Error() != "ORC rewrite is not supported; use concat" {
		t.Fatalf("Merge(rewrite) = %v", err)
	}
}

func TestMergeChecksInputsAgainstMetas(t *testing.T) {
	ctx := context.Background()
	a := readFile(t, realdata.Path(t, "orc", "TestOrcFile.testStripeLevelStats.orc"))
	meta, err := New().Inspect(ctx, memInput("a.orc", a))
	if err != nil {
		t.Fatal(err)
	}
	stale := *meta
	stale.Rows++
	_, err = New().Merge(ctx, io.Discard, []shoal.MergeInput{memInput("a.orc", a)}, []*shoal.FileMeta{&stale}, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err == nil || !strings.Contains(err.Error(), "changed since it was inspected") {
		t.Fatalf("Merge with a stale meta = %v", err)
	}
	_, err = New().Merge(ctx, io.Discard, []shoal.MergeInput{memInput("a.orc", a)}, nil, shoal.MergeOptions{Mode: shoal.ModeConcat, Codec: "snappy"})
	if err == nil || !strings.Contains(err.Error(), "keeps the inputs' compression") {
		t.Fatalf("Merge to another codec = %v", err)
	}
}

// TestPaddedStripesAreCopiedContiguously merges a file whose writer padded
// a stripe to a block boundary: the output has the stripes back to back,
// and the copied ranges skip the padding.
func TestPaddedStripesAreCopiedContiguously(t *testing.T) {
	ctx := context.Background()
	data := readFile(t, realdata.Path(t, "orc", "orc_split_elim.orc"))
	if _, err := New().Verify(ctx, memInput("orc_split_elim.orc", data)); err == nil || !strings.Contains(err.Error(), "not at") {
		t.Fatalf("Verify of the padded input = %v, want a layout error", err)
	}
	var out bytes.Buffer
	res, err := New().Merge(ctx, &out, []shoal.MergeInput{memInput("a", data), memInput("b", data)}, nil, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 4 {
		t.Errorf("got %d segments, want 2 per input (before and after the padding)", len(res.Segments))
	}
	if int64(out.Len()) >= 2*int64(len(data)) {
		t.Errorf("merged file of %d bytes kept the padding of two %d-byte inputs", out.Len(), len(data))
	}
	meta, err := New().Verify(ctx, memInput("merged", out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != 50000 {
		t.Fatalf("merged rows = %d", meta.Rows)
	}
}

// TestMergedTail checks the merged footer and metadata of a multi-stripe
// file: stripes rebased, stripe statistics concatenated, file statistics
// combined, user metadata and types kept.
func TestMergedTail(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"TestOrcFile.testStripeLevelStats.orc", "TestOrcFile.metaData.orc", "over1k_bloom.orc", "TestVectorOrcFile.testLz4.orc"} {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, realdata.Path(t, "orc", name))
			in, err := readTail(ctx, memInput(name, data))
			if err != nil {
				t.Fatal(err)
			}
			merged := mergeBytes(t, data, data)
			out, err := readTail(ctx, memInput("merged", merged))
			if err != nil {
				t.Fatal(err)
			}
			if len(out.footer.stripes) != 2*len(in.footer.stripes) {
				t.Fatalf("%d stripes, want %d", len(out.footer.stripes), 2*len(in.footer.stripes))
			}
			for i, s := range out.footer.stripes {
				src := in.footer.stripes[i%len(in.footer.stripes)]
				if !bytes.Equal(merged[s.offset:s.end()], data[src.offset:src.end()]) {
					t.Fatalf("stripe %d differs from its source", i)
				}
			}
			if want := append(slices.Clone(in.metadata), in.metadata...); !slices.EqualFunc(out.metadata, want, bytes.Equal) {
				t.Fatal("stripe statistics are not the inputs' in order")
			}
			if !bytes.Equal(out.footer.typesRaw, in.footer.typesRaw) || !bytes.Equal(out.footer.userMetaRaw, in.footer.userMetaRaw) ||
				!bytes.Equal(out.footer.keptRaw, in.footer.keptRaw) {
				t.Fatal("types, user metadata or kept footer fields changed")
			}
			if out.footer.rows != 2*in.footer.rows {
				t.Fatalf("footer rows %d, want %d", out.footer.rows, 2*in.footer.rows)
			}
			if out.ps.blockSize != in.ps.blockSize || out.ps.writerVersion != in.ps.writerVersion || out.version != in.version {
				t.Fatal("postscript properties changed")
			}
			for col := range in.footer.stats {
				got, want := decodeStats(t, out.footer.stats[col]), decodeStats(t, in.footer.stats[col])
				checkDoubled(t, col, got, want)
			}
		})
	}
}

// checkDoubled checks that merged statistics of two copies of a file have
// the input's bounds and twice its counts and sums.
func checkDoubled(t *testing.T, col int, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		g := got[k]
		switch {
		case k == "double.3":
			if !floatClose(g, strconv.FormatFloat(2*mustFloat(t, w), 'g', -1, 64)) {
				t.Errorf("column %d %s = %s, want twice %s", col, k, g, w)
			}
		case k == "bucket.1":
			if g != "["+strconv.Itoa(2*mustInt(t, strings.Trim(w, "[]")))+"]" {
				t.Errorf("column %d %s = %s, want twice %s", col, k, g, w)
			}
		case k == "values" || k == "disk" || sumKeys[k]:
			if !ratEqual(g, w, 2) {
				t.Errorf("column %d %s = %s, want twice %s", col, k, g, w)
			}
		case g != w:
			t.Errorf("column %d %s = %s, want %s", col, k, g, w)
		}
	}
	for k, g := range got {
		// A sum over no values is known to be 0 even when the input
		// left it out.
		if _, ok := want[k]; !ok && (!sumKeys[k] || g != "0") {
			t.Errorf("column %d has %s that the input lacks", col, k)
		}
	}
}

// sumKeys are the decodeStats keys of sums.
var sumKeys = map[string]bool{"int.3": true, "string.3": true, "decimal.3": true, "binary.1": true, "collection.3": true}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustInt(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func ratEqual(got, want string, factor int64) bool {
	g, ok1 := new(big.Rat).SetString(got)
	w, ok2 := new(big.Rat).SetString(want)
	if !ok1 || !ok2 {
		return false
	}
	return g.Cmp(w.Mul(w, big.NewRat(factor, 1))) == 0
}

// TestStripeStatsMergeToFileStats merges each real file's stripe statistics
// with the statistics merger and compares the result with the file-level
// statistics its writer computed over the same rows.
func TestStripeStatsMergeToFileStats(t *testing.T) {
	rows, structure, _ := realFiles(t)
	compared := 0
	var dropped []string
	for _, p := range append(rows, structure...) {
		data := readFile(t, p)
		tl, err := readTail(context.Background(), memInput(filepath.Base(p), data))
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.metadata) == 0 || len(tl.footer.stats) != len(tl.footer.types) {
			continue
		}
		mergers := make([]*statsMerger, len(tl.footer.types))
		for i := range mergers {
			mergers[i] = newStatsMerger()
		}
		for _, raw := range tl.metadata {
			var ss []byte
			_ = forEachField(raw, func(f wireField) error { ss = f.buf; return nil })
			col := 0
			_ = forEachField(ss, func(f wireField) error {
				if col < len(mergers) {
					if err := mergers[col].add(f.buf); err != nil {
						t.Fatal(err)
					}
				}
				col++
				return nil
			})
		}
		for col, m := range mergers {
			got, want := decodeStats(t, m.marshal()), decodeStats(t, tl.footer.stats[col])
			for k, w := range want {
				g, ok := got[k]
				var same bool
				switch {
				case !ok:
					dropped = append(dropped, fmt.Sprintf("%s column %d %s", filepath.Base(p), col, k))
					continue
				case strings.HasPrefix(k, "double."):
					same = floatClose(g, w)
				case strings.HasPrefix(k, "decimal."):
					same = ratEqual(g, w, 1)
				default:
					same = g == w
				}
				if !same {
					t.Errorf("%s column %d: %s merged from stripes = %s, the writer's = %s", filepath.Base(p), col, k, g, w)
				}
			}
			compared++
		}
	}
	if compared < 50 {
		t.Fatalf("compared only %d columns", compared)
	}
	if len(dropped) > 0 {
		t.Errorf("statistics the writer computed but the merge left out: %v", dropped)
	}
	t.Logf("compared the statistics of %d columns", compared)
}

func floatClose(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return a == b
	}
	d := x - y
	return d <= 1e-9*max(1, abs(y)) && -d <= 1e-9*max(1, abs(y))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestStatsMergerRules(t *testing.T) {
	intStats := func(values uint64, fields ...int64) []byte {
		var typed []byte
		for i, v := range fields {
			typed = appendSintField(typed, protowire.Number(i+1), v)
		}
		b := appendUintField(nil, csNumberOfValues, values)
		b = appendBytesField(b, csInt, typed)
		return appendUintField(b, csHasNull, 0)
	}
	strStats := func(values uint64, min, max string, minField, maxField int) []byte {
		var typed []byte
		typed = appendBytesField(typed, protowire.Number(minField), []byte(min))
		typed = appendBytesField(typed, protowire.Number(maxField), []byte(max))
		typed = appendSintField(typed, 3, int64(len(min)+len(max)))
		b := appendUintField(nil, csNumberOfValues, values)
		return appendBytesField(b, csString, typed)
	}
	merge := func(msgs ...[]byte) map[string]string {
		m := newStatsMerger()
		for _, msg := range msgs {
			if err := m.add(msg); err != nil {
				t.Fatal(err)
			}
		}
		return decodeStats(t, m.marshal())
	}
	cases := []struct {
		name string
		got  map[string]string
		want map[string]string
	}{
		{"int", merge(intStats(2, -5, 7, 2), intStats(3, -1, 9, 10)),
			map[string]string{"values": "5", "hasNull": "false", "int.1": "-5", "int.2": "9", "int.3": "12"}},
		{"int sum overflow", merge(intStats(1, 1, 1, 1<<62), intStats(1, 1, 1, 1<<62)),
			map[string]string{"values": "2", "hasNull": "false", "int.1": "1", "int.2": "1"}},
		{"no values, no bounds", merge(intStats(2, -5, 7, 2), intStats(0)),
			map[string]string{"values": "2", "hasNull": "false", "int.1": "-5", "int.2": "7", "int.3": "2"}},
		{"values without bounds", merge(intStats(2, -5, 7, 2), intStats(1)),
			map[string]string{"values": "3", "hasNull": "false"}},
		{"kinds differ", merge(intStats(2, -5, 7, 2), strStats(1, "a", "b", 1, 2)),
			map[string]string{"values": "3"}},
		{"strings", merge(strStats(1, "b", "m", 1, 2), strStats(1, "a", "z", 1, 2)),
			map[string]string{"values": "2", "string.1": "a", "string.2": "z", "string.3": "4"}},
		{"truncated bounds", merge(strStats(1, "b", "m", 1, 2), strStats(1, "a", "z", 4, 5)),
			map[string]string{"values": "2", "string.4": "a", "string.5": "z", "string.3": "4"}},
		{"exact wins a tie", merge(strStats(1, "a", "z", 1, 2), strStats(1, "a", "z", 4, 5)),
			map[string]string{"values": "2", "string.1": "a", "string.2": "z", "string.3": "4"}},
		{"unknown typed field", merge(intStats(1, 1, 1, 1), append(intStats(1, 1, 1, 1)[:0:0], appendBytesField(appendUintField(nil, 1, 1), csInt, appendSintField(nil, 9, 1))...)),
			map[string]string{"values": "2"}},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestStatsMergerTypedKinds(t *testing.T) {
	dec := func(lo, hi, sum string) []byte {
		typed := appendBytesField(nil, 1, []byte(lo))
		typed = appendBytesField(typed, 2, []byte(hi))
		typed = appendBytesField(typed, 3, []byte(sum))
		return appendBytesField(appendUintField(nil, csNumberOfValues, 1), csDecimal, typed)
	}
	ts := func(lo, hi int64, loNanos, hiNanos uint64) []byte {
		typed := appendSintField(nil, 1, lo)
		typed = appendSintField(typed, 2, hi)
		typed = appendSintField(typed, 3, lo)
		typed = appendSintField(typed, 4, hi)
		if loNanos > 0 {
			typed = appendUintField(typed, 5, loNanos)
		}
		if hiNanos > 0 {
			typed = appendUintField(typed, 6, hiNanos)
		}
		return appendBytesField(appendUintField(nil, csNumberOfValues, 1), csTimestamp, typed)
	}
	bucket := func(trues uint64) []byte {
		return appendBytesField(appendUintField(nil, csNumberOfValues, 3), csBucket, appendBytesField(nil, 1, []byte{byte(trues)}))
	}
	merge := func(msgs ...[]byte) map[string]string {
		m := newStatsMerger()
		for _, msg := range msgs {
			if err := m.add(msg); err != nil {
				t.Fatal(err)
			}
		}
		return decodeStats(t, m.marshal())
	}
	got := merge(dec("-1.50", "2", "0.50"), dec("-0.5", "10.25", "9.75"))
	want := map[string]string{"values": "2", "decimal.1": "-1.50", "decimal.2": "10.25", "decimal.3": "10.25"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decimal: got %v, want %v", got, want)
	}
	got = merge(ts(100, 200, 0, 0), ts(100, 200, 5, 7), ts(150, 300, 0, 9))
	want = map[string]string{"values": "3", "timestamp.1": "100", "timestamp.2": "300", "timestamp.3": "100", "timestamp.4": "300", "timestamp.6": "9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timestamp: got %v, want %v", got, want)
	}
	got = merge(bucket(1), bucket(2))
	want = map[string]string{"values": "6", "bucket.1": "[3]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bucket: got %v, want %v", got, want)
	}
}

// TestStoredChunks checks the chunk framing of the written tail against
// the decompressor, with chunks split at the block size.
func TestStoredChunks(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 100)
	for _, kind := range []uint64{kindNone, kindZlib, kindSnappy, kindLZO, kindLZ4, kindZstd} {
		framed := storeChunks(kind, 64, content)
		got, err := decompress(kind, 64, framed)
		if err != nil {
			t.Fatalf("%s: %v", codecNames[kind], err)
		}
		if !bytes.Equal(got, content) {
			t.Fatalf("%s: round trip differs", codecNames[kind])
		}
	}
	if _, err := decompress(kindZlib, 64, []byte{0x80, 0x00}); err == nil {
		t.Fatal("a truncated chunk header was accepted")
	}
	if _, err := decompress(kindZlib, 10, storeChunks(kindZlib, 64, content)); err == nil {
		t.Fatal("a chunk larger than the block size was accepted")
	}
}

func TestEmptyInputs(t *testing.T) {
	data := readFile(t, realdata.Path(t, "orc", "TestOrcFile.emptyFile.orc"))
	merged := mergeBytes(t, data, data)
	meta, err := New().Verify(context.Background(), memInput("merged", merged))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != 0 || meta.Units != 0 {
		t.Fatalf("merged empty files: %v", meta)
	}
	if _, err := New().Merge(context.Background(), io.Discard, nil, nil, shoal.MergeOptions{Mode: shoal.ModeConcat}); err == nil {
		t.Fatal("Merge of no inputs succeeded")
	}
}

func TestTruncatedFilesRefused(t *testing.T) {
	data := readFile(t, realdata.Path(t, "orc", "TestOrcFile.testStripeLevelStats.orc"))
	for _, n := range []int{1, 3, 4, 50, len(data) / 2, len(data) - 1} {
		_, err := New().Inspect(context.Background(), memInput("cut.orc", data[:n]))
		var re *shoal.RefusalError
		if !errors.As(err, &re) {
			t.Errorf("Inspect of the first %d bytes = %v, want a refusal", n, err)
		}
	}
	// A tail that is whole but with the stripes cut off.
	cut := append(slices.Clone(data[:3]), data[len(data)-400:]...)
	if _, err := New().Inspect(context.Background(), memInput("cut.orc", cut)); err == nil {
		t.Error("Inspect accepted a file whose stripes are missing")
	}
}

func TestEncryptedRefused(t *testing.T) {
	data := readFile(t, realdata.Path(t, "orc", "TestOrcFile.test1.orc"))
	edited := rewriteTail(t, data, func(_ *postScript, ft []byte) []byte {
		return appendBytesField(ft, ftEncryption, appendUintField(nil, 1, 1))
	})
	_, err := New().Inspect(context.Background(), memInput("enc.orc", edited))
	if err == nil || !strings.Contains(err.Error(), "encrypted ORC files cannot be merged") {
		t.Fatalf("Inspect(encrypted) = %v", err)
	}
}

func TestSchemaRendering(t *testing.T) {
	meta, err := inspectPath(t, realdata.Path(t, "orc", "TestOrcFile.testUnionAndTimestamp.orc"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "struct<time:timestamp,union:uniontype<int,string>,decimal:decimal(38,18)>"; meta.Schema != want {
		t.Fatalf("schema %s, want %s", meta.Schema, want)
	}
	meta, err = inspectPath(t, realdata.Path(t, "orc", "orc_index_int_string.orc"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "struct<_col0:int,_col1:varchar(4)>"; meta.Schema != want {
		t.Fatalf("schema %s, want %s", meta.Schema, want)
	}
	if got := fieldName("a b`c"); got != "`a b``c`" {
		t.Fatalf("fieldName = %s", got)
	}
}

// --- helpers ---

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func memInput(name string, data []byte) shoal.MergeInput {
	return shoal.MergeInput{Name: name, Size: int64(len(data)), R: bytes.NewReader(data)}
}

// mergeBytes concatenates in-memory ORC files.
func mergeBytes(t *testing.T, files ...[]byte) []byte {
	t.Helper()
	inputs := make([]shoal.MergeInput, len(files))
	for i, f := range files {
		inputs[i] = memInput(fmt.Sprintf("in%d.orc", i), f)
	}
	var out bytes.Buffer
	if _, err := New().Merge(context.Background(), &out, inputs, nil, shoal.MergeOptions{Mode: shoal.ModeConcat}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// rewriteTail rewrites a file's postscript and footer with edit, storing
// the footer as uncompressed chunks.
func rewriteTail(t *testing.T, data []byte, edit func(ps *postScript, ft []byte) []byte) []byte {
	t.Helper()
	psLen := int(data[len(data)-1])
	ps, err := parsePostScript(data[len(data)-1-psLen : len(data)-1])
	if err != nil {
		t.Fatal(err)
	}
	ftEnd := len(data) - 1 - psLen
	ftStart := ftEnd - int(ps.footerLength)
	ft, err := decompress(ps.compression, ps.blockSize, data[ftStart:ftEnd])
	if err != nil {
		t.Fatal(err)
	}
	ft = edit(ps, slices.Clone(ft))
	stored := storeChunks(ps.compression, ps.blockSize, ft)
	ps.footerLength = uint64(len(stored))
	post := ps.marshal()
	out := slices.Clone(data[:ftStart])
	out = append(out, stored...)
	out = append(out, post...)
	return append(out, byte(len(post)))
}

// replaceField sets a varint field of a message.
func replaceField(t *testing.T, msg []byte, num protowire.Number, v uint64) []byte {
	t.Helper()
	var out []byte
	err := forEachField(msg, func(f wireField) error {
		if f.num == num {
			out = appendUintField(out, num, v)
		} else {
			out = append(out, f.raw...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeStats flattens a ColumnStatistics message to "kind.field" values,
// for comparisons.
func decodeStats(t *testing.T, msg []byte) map[string]string {
	t.Helper()
	names := map[protowire.Number]string{csInt: "int", csDouble: "double", csString: "string", csBucket: "bucket",
		csDecimal: "decimal", csDate: "date", csBinary: "binary", csTimestamp: "timestamp", csCollection: "collection"}
	out := map[string]string{}
	err := forEachField(msg, func(f wireField) error {
		switch f.num {
		case csNumberOfValues:
			out["values"] = strconv.FormatUint(f.val, 10)
		case csHasNull:
			out["hasNull"] = strconv.FormatBool(f.val != 0)
		case csBytesOnDisk:
			out["disk"] = strconv.FormatUint(f.val, 10)
		default:
			kind, ok := names[f.num]
			if !ok {
				out["unknown."+strconv.Itoa(int(f.num))] = hex.EncodeToString(f.buf)
				return nil
			}
			return forEachField(f.buf, func(g wireField) error {
				out[fmt.Sprintf("%s.%d", kind, g.num)] = statValue(f.num, g)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func statValue(kind protowire.Number, g wireField) string {
	switch {
	case kind == csDouble:
		return strconv.FormatFloat(math.Float64frombits(g.val), 'g', -1, 64)
	case kind == csBucket:
		vs, _ := g.uints()
		return fmt.Sprint(vs)
	case g.typ == protowire.BytesType:
		return string(g.buf)
	case kind == csCollection || (kind == csTimestamp && g.num >= 5):
		return strconv.FormatUint(g.val, 10)
	default:
		return strconv.FormatInt(protowire.DecodeZigZag(g.val), 10)
	}
}

// readRows renders each row of an ORC file, as github.com/scritchley/orc
// reads it, canonically. It fails when the reader does not return as many
// rows as the footer lists. The rows of the last input file read are kept,
// since the conformance suite reads each input once per copy.
func readRows(t *testing.T, path string) []string {
	t.Helper()
	rowCache.Lock()
	defer rowCache.Unlock()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("%s %d %d", path, st.Size(), st.ModTime().UnixNano())
	if rowCache.key == key {
		return rowCache.rows
	}
	var rows []string
	scanRows(t, path, func(names []string, row []any) {
		rows = append(rows, canon(toJSONValue(row)))
	})
	rowCache.key, rowCache.rows = key, rows
	return rows
}

var rowCache struct {
	sync.Mutex
	key  string
	rows []string
}

// readJSONFields renders the fields of each row of an ORC file as
// canonical JSON values, comparable with ORC's expected dumps.
func readJSONFields(t *testing.T, path string) []map[string]string {
	t.Helper()
	var rows []map[string]string
	scanRows(t, path, func(names []string, row []any) {
		obj := make(map[string]string, len(row))
		for i, v := range row {
			obj[names[i]] = canon(toJSONValue(v))
		}
		rows = append(rows, obj)
	})
	return rows
}

func scanRows(t *testing.T, path string, fn func(names []string, row []any)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := sorc.NewReader(sizedReaderAt{f, st.Size()})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	names := r.Schema().Columns()
	c := r.Select(names...)
	n := 0
	for c.Stripes() {
		for c.Next() {
			fn(names, c.Row())
			n++
		}
	}
	if err := c.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if n != r.NumRows() {
		t.Fatalf("read %d rows of %s, its footer lists %d", n, path, r.NumRows())
	}
}

// toJSONValue converts a value of github.com/scritchley/orc to what
// encoding/json decodes from ORC's dumps (with UseNumber): timestamps in
// java.sql.Timestamp's format, binary as a list of byte values, maps as
// lists of key/value objects.
func toJSONValue(v any) any {
	switch v := v.(type) {
	case nil, bool, string:
		return v
	case float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	case sorc.Decimal:
		return json.Number(v.String())
	case []byte:
		out := make([]any, len(v))
		for i, b := range v {
			out[i] = json.Number(strconv.Itoa(int(b)))
		}
		return out
	case time.Time:
		s := v.Format("2006-01-02 15:04:05")
		frac := strings.TrimRight(fmt.Sprintf("%09d", v.Nanosecond()), "0")
		if frac == "" {
			frac = "0"
		}
		return s + "." + frac
	case sorc.Date:
		return v.Format("2006-01-02")
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = toJSONValue(e)
		}
		return out
	case []sorc.MapEntry:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = map[string]any{"key": toJSONValue(e.Key), "value": toJSONValue(e.Value)}
		}
		return out
	case sorc.Struct:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = toJSONValue(e)
		}
		return out
	case sorc.UnionValue:
		return map[string]any{"tag": json.Number(strconv.Itoa(v.Tag)), "value": toJSONValue(v.Value)}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32:
		return json.Number(strconv.FormatFloat(rv.Float(), 'g', -1, 32))
	case reflect.Float64:
		return json.Number(strconv.FormatFloat(rv.Float(), 'g', -1, 64))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(strconv.FormatUint(rv.Uint(), 10))
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// canon renders a JSON value with sorted keys and numbers in lowest terms,
// so that 1.50 and 1.5, or 1e3 and 1000, compare equal.
func canon(v any) string {
	var b strings.Builder
	canonTo(&b, v)
	return b.String()
}

func canonTo(b *strings.Builder, v any) {
	switch v := v.(type) {
	case json.Number:
		b.WriteString(canonNumber(string(v)))
	case string:
		b.WriteString(strconv.Quote(v))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			canonTo(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k) + ":")
			canonTo(b, v[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v)
	}
}

// canonNumber renders a number in lowest terms; integers, the common case,
// skip big.Rat.
func canonNumber(s string) string {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	if r, ok := new(big.Rat).SetString(s); ok {
		return r.RatString()
	}
	return s
}

// jsonFields parses one object of a dump into canonical field values.
func jsonFields(t *testing.T, line string) map[string]string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(line))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		t.Fatalf("expected row %q: %v", line, err)
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		out[k] = canon(v)
	}
	return out
}

func readDump(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	s := bufio.NewScanner(z)
	s.Buffer(nil, 16<<20)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// writeGenerated writes an ORC file of n rows with github.com/scritchley/orc's
// writer, zlib-compressed.
func writeGenerated(tb testing.TB, path string, n int, seed uint64) {
	tb.Helper()
	schema, err := sorc.ParseSchema("struct<id:bigint,name:string,score:double,ok:boolean>")
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := sorc.NewWriter(f, sorc.SetSchema(schema), sorc.SetCompression(sorc.CompressionZlib{}))
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range n {
		name := strconv.FormatUint(rng.Uint64(), 36) + strconv.FormatUint(rng.Uint64(), 36)
		if err := w.Write(int64(i)+int64(seed)<<32, name, rng.Float64()*1000, rng.IntN(2) == 0); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

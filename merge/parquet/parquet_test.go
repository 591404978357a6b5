package parquet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/mergetest"
)

// readable are the real files merged with copies of themselves. Files that
// share a schema are merged together too (see TestRealCorpus).
var readable = []string{
	"alltypes_dictionary.parquet",
	"alltypes_plain.parquet",
	"alltypes_plain.snappy.parquet",
	"alltypes_tiny_pages.parquet",
	"binary.parquet",
	"byte_array_decimal.parquet",
	"byte_stream_split.zstd.parquet",
	"byte_stream_split_extended.gzip.parquet",
	"concatenated_gzip_members.parquet",
	"data_index_bloom_encoding_stats.parquet",
	"datapage_v2.snappy.parquet",
	"delta_binary_packed.parquet",
	"delta_byte_array.parquet",
	"dict-page-offset-zero.parquet",
	"fixed_length_decimal.parquet",
	"fixed_length_decimal_legacy.parquet",
	"int32_decimal.parquet",
	"int32_with_null_pages.parquet",
	"int64_decimal.parquet",
	"int96_from_spark.parquet",
	"list_columns.parquet",
	"lz4_raw_compressed.parquet",
	"nested_lists.snappy.parquet",
	"nested_maps.snappy.parquet",
	"nested_structs.rust.parquet",
	"nonnullable.impala.parquet",
	"nullable.impala.parquet",
	"nulls.snappy.parquet",
	"old_list_structure.parquet",
	"repeated_no_annotation.parquet",
	"rle_boolean_encoding.parquet",
}

// refused are real files Inspect must refuse, with the reason.
var refused = map[string]string{
	"uniform_encryption.parquet.encrypted": "encrypted Parquet (PARE footer)",
	// A schema element has physical type -7.
	"bad_PARQUET-1481.parquet": "unknown physical type -7",
	// The deprecated LZ4 codec: parquet-go, which verifies merges, cannot
	// decode it, in either framing.
	"hadoop_lz4_compressed.parquet":     "deprecated LZ4 codec",
	"non_hadoop_lz4_compressed.parquet": "deprecated LZ4 codec",
	// A valid file whose column key-value metadata has a key without a
	// value, which parquet-go cannot parse; a merge could not be verified.
	"column_chunk_key_value_metadata.parquet": "cannot open it",
}

// large is a real file whose two rows hold strings of 1 GiB: decoding it
// takes seconds and gigabytes, so TestLargeStringMap merges it on its own.
const large = "large_string_map.brotli.parquet"

func realPath(t testing.TB, name string) string {
	t.Helper()
	return realdata.Path(t, "parquet", name)
}

// renderRows reads a file with parquet-go's row reader and renders each row
// as its leaf values with their column, repetition and definition levels
// and exact bytes.
func renderRows(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path) //nolint:gosec // test input
	if err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go cannot open %s: %v", path, err)
	}
	var out []string
	buf := make([]pq.Row, 64)
	for _, g := range f.RowGroups() {
		rows := g.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				out = append(out, renderRow(row))
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("reading %s: %v", path, err)
			}
		}
		_ = rows.Close()
	}
	return out
}

func renderRow(row pq.Row) string {
	var b strings.Builder
	for i, v := range row {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d:%d:", v.Column(), v.RepetitionLevel(), v.DefinitionLevel())
		switch data := v.Bytes(); {
		case v.IsNull():
			b.WriteString("null")
		case len(data) > 64:
			// large_string_map.brotli.parquet holds 1 GiB strings.
			fmt.Fprintf(&b, "%s=%d bytes sha256 %x", v.Kind(), len(data), sha256.Sum256(data))
		default:
			fmt.Fprintf(&b, "%s=%x", v.Kind(), data)
		}
	}
	return b.String()
}

func groupsOf(t *testing.T, names []string) [][]string {
	t.Helper()
	var groups [][]string
	for _, n := range names {
		groups = append(groups, []string{realPath(t, n)})
	}
	return groups
}

// TestRealCorpus merges each readable real file with copies of itself in
// both modes; parquet-go rewrites all of them. Negative files are refused.
func TestRealCorpus(t *testing.T) {
	var negative []string
	for n := range refused {
		negative = append(negative, realPath(t, n))
	}
	// Files with identical schemas and writers are concatenated together;
	// rewrite also merges files that differ in codec.
	same := []string{realPath(t, "alltypes_plain.parquet"), realPath(t, "alltypes_dictionary.parquet")}
	codecs := append([]string{realPath(t, "alltypes_plain.snappy.parquet")}, same...)
	m := New()
	t.Run("concat", func(t *testing.T) {
		mergetest.Run(t, m, mergetest.Corpus{
			Groups: append(groupsOf(t, readable), same),
			Modes:  []shoal.MergeMode{shoal.ModeConcat},
			Rows:   renderRows,
		})
	})
	t.Run("rewrite", func(t *testing.T) {
		mergetest.Run(t, m, mergetest.Corpus{
			Groups:   append(groupsOf(t, readable), same, codecs),
			Modes:    []shoal.MergeMode{shoal.ModeRewrite},
			Rows:     renderRows,
			Negative: negative,
		})
	})
}

// genRow is the row type of the generated files.
type genRow struct {
	ID    int64    `parquet:"id"`
	Name  string   `parquet:"name,dict"`
	Score float64  `parquet:"score"`
	Tags  []string `parquet:"tags,list"`
	Opt   *int32   `parquet:"opt,optional"`
	Blob  []byte   `parquet:"blob"`
}

// mixedRow is a row whose columns use two codecs.
type mixedRow struct {
	ID   int64  `parquet:"id"`
	Note string `parquet:"note,zstd"`
}

func makeGenRow(id int64, i int) genRow {
	r := genRow{
		ID:    id,
		Name:  fmt.Sprintf("name-%d", i%17),
		Score: float64(id) / 7,
		Blob:  []byte(fmt.Sprintf("%x-%d", sha256.Sum256([]byte(strconv.FormatInt(id, 10))), id)),
	}
	for k := range i % 4 {
		r.Tags = append(r.Tags, fmt.Sprintf("t%d", k))
	}
	if i%3 != 0 {
		v := int32(i)
		r.Opt = &v
	}
	return r
}

func makeMixedRow(id int64, i int) mixedRow {
	return mixedRow{ID: id, Note: "n" + strconv.Itoa(i%5)}
}

// genFile writes rows rows with parquet-go, flushing a row group every
// perGroup rows, and returns the file's path.
func genFile(t testing.TB, dir, name string, seed, rows, perGroup int, opts ...pq.WriterOption) string {
	t.Helper()
	return writeRows(t, dir, name, seed, rows, perGroup, makeGenRow, opts...)
}

// writeRows writes rows rows made by mk with parquet-go (snappy by
// default), flushing a row group every perGroup rows.
func writeRows[T any](t testing.TB, dir, name string, seed, rows, perGroup int, mk func(id int64, i int) T, opts ...pq.WriterOption) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]pq.WriterOption{pq.Compression(&pq.Snappy), pq.KeyValueMetadata("origin", "shoal test")}, opts...)
	w := pq.NewGenericWriter[T](f, opts...)
	batch := make([]T, 0, perGroup)
	for i := range rows {
		batch = append(batch, mk(int64(seed*1_000_000+i), i))
		if len(batch) == perGroup || i == rows-1 {
			if _, err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openInput(t testing.TB, path string) shoal.MergeInput {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // test input
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return shoal.MergeInput{Name: filepath.Base(path), Size: st.Size(), R: f}
}

func inspect(t testing.TB, path string) (shoal.MergeInput, *shoal.FileMeta) {
	t.Helper()
	in := openInput(t, path)
	meta, err := New().Inspect(context.Background(), in)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", path, err)
	}
	return in, meta
}

// merge merges paths into a file in a temporary folder.
func merge(t testing.TB, paths []string, opts shoal.MergeOptions) (string, *shoal.MergeResult, error) {
	t.Helper()
	var ins []shoal.MergeInput
	var metas []*shoal.FileMeta
	for _, p := range paths {
		in, meta := inspect(t, p)
		ins = append(ins, in)
		metas = append(metas, meta)
	}
	out := filepath.Join(t.TempDir(), "merged.parquet")
	f, err := os.Create(out) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := New().Merge(context.Background(), f, ins, metas, opts)
	return out, res, err
}

func TestGenerated(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 4 {
		paths = append(paths, genFile(t, dir, fmt.Sprintf("part-%d.parquet", i), i, 2000+i*300, 700))
	}
	for _, p := range paths {
		_, meta := inspect(t, p)
		if meta.Units < 3 || meta.Codec != "snappy" {
			t.Fatalf("%s: generated %d row groups with codec %s, want >= 3 with snappy", p, meta.Units, meta.Codec)
		}
	}
	mergetest.Run(t, New(), mergetest.Corpus{Groups: [][]string{paths}, Copies: 1, Rows: renderRows})

	// A small row-group size cuts the rewrite into several row groups;
	// Codec recompresses.
	out, res, err := merge(t, paths, shoal.MergeOptions{Mode: shoal.ModeRewrite, RowGroupSize: 64 << 10, Codec: "zstd"})
	if err != nil {
		t.Fatal(err)
	}
	_, meta := inspect(t, out)
	if meta.Codec != "zstd" || meta.Units < 4 {
		t.Errorf("rewrite with zstd and 64 KiB row groups gave codec %s in %d row groups", meta.Codec, meta.Units)
	}
	if res.Rows != meta.Rows || len(res.Segments) != 0 {
		t.Errorf("rewrite result %+v for %d rows", res, meta.Rows)
	}
	var want []string
	for _, p := range paths {
		want = append(want, renderRows(t, p)...)
	}
	if got := renderRows(t, out); !mergetest.SameRows(got, want) {
		t.Errorf("rewrite changed the rows")
	}
	if v, ok := kvOf(t, out, "origin"); !ok || v != "shoal test" {
		t.Errorf("rewrite lost the key-value metadata: %q %v", v, ok)
	}
}

func kvOf(t *testing.T, path, key string) (string, bool) {
	t.Helper()
	in := openInput(t, path)
	fm, err := readFooter(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range fm.kv {
		if kv.key == key {
			return kv.value, true
		}
	}
	return "", false
}

func TestInspectRefusals(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(realPath(t, "alltypes_plain.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badMagic := bytes.Clone(src)
	copy(badMagic, "PAR2")
	badFooterLen := bytes.Clone(src)
	badFooterLen[len(src)-8] = 0xff
	badFooterLen[len(src)-7] = 0xff
	cases := map[string]string{
		write("empty.parquet", nil):                          "empty file",
		write("tiny.parquet", []byte("PAR1PAR1")):            "too small",
		write("truncated.parquet", src[:len(src)/2]):         "truncated or corrupt",
		write("truncated-end.parquet", src[:len(src)-3]):     "truncated or corrupt",
		write("magic.parquet", badMagic):                     "not a Parquet file",
		write("footerlen.parquet", badFooterLen):             "corrupt Parquet footer length",
		write("text.parquet", []byte("id,name\n1,a\n2,b\n")): "not a Parquet file",
		realPath(t, "uniform_encryption.parquet.encrypted"):  "encrypted Parquet (PARE footer) cannot be merged",
	}
	for name, reason := range refused {
		cases[realPath(t, name)] = reason
	}
	var negative []string
	for p, want := range cases {
		negative = append(negative, p)
		_, err := New().Inspect(context.Background(), openInput(t, p))
		var refusal *shoal.RefusalError
		if !errors.As(err, &refusal) || !strings.Contains(err.Error(), want) {
			t.Errorf("Inspect(%s) = %v, want a refusal saying %q", filepath.Base(p), err, want)
		}
	}
	mergetest.Run(t, New(), mergetest.Corpus{Negative: negative})
}

// TestRowsFromRowGroups: repeated_no_annotation.parquet's footer says 0
// rows while its row group holds 6.
func TestRowsFromRowGroups(t *testing.T) {
	p := realPath(t, "repeated_no_annotation.parquet")
	in, meta := inspect(t, p)
	fm, err := readFooter(in)
	if err != nil {
		t.Fatal(err)
	}
	if fm.numRows != 0 || meta.Rows != 6 {
		t.Fatalf("footer total %d, Rows %d; want 0 and 6", fm.numRows, meta.Rows)
	}
	out, res, err := merge(t, []string{p, p}, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	outFm, err := readFooter(openInput(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 12 || outFm.numRows != 12 {
		t.Errorf("merged rows %d, footer total %d; want 12", res.Rows, outFm.numRows)
	}
}

// TestConcatKeepsPageIndex seeks with the rebased offset index of the
// third copy of a file with a page index and tiny pages.
func TestConcatKeepsPageIndex(t *testing.T) {
	p := realPath(t, "alltypes_tiny_pages.parquet")
	out, _, err := merge(t, []string{p, p, p}, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	want := renderRows(t, p)
	data, err := os.ReadFile(out) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.OffsetIndexes()) != 3*13 || len(f.ColumnIndexes()) != 3*13 {
		t.Fatalf("merged file has %d offset and %d column indexes, want 39", len(f.OffsetIndexes()), len(f.ColumnIndexes()))
	}
	g := f.RowGroups()[2]
	for _, row := range []int{0, 1, 999, 5000, len(want) - 1} {
		rows := g.Rows()
		if err := rows.SeekToRow(int64(row)); err != nil {
			t.Fatal(err)
		}
		buf := make([]pq.Row, 1)
		if n, err := rows.ReadRows(buf); n != 1 {
			t.Fatalf("reading row %d after a seek: %v", row, err)
		}
		if got := renderRow(buf[0]); got != want[row] {
			t.Errorf("row %d after a seek:\n got %s\nwant %s", row, got, want[row])
		}
		_ = rows.Close()
	}
}

func TestConcatRefusesIncompatible(t *testing.T) {
	dir := t.TempDir()
	a := genFile(t, dir, "a.parquet", 1, 100, 50)
	b := genFile(t, dir, "b.parquet", 2, 100, 50, pq.CreatedBy("other-writer", "2.0", "x"))
	c := genFile(t, dir, "c.parquet", 3, 100, 50, pq.Compression(&pq.Gzip))
	cases := []struct {
		paths []string
		want  string
	}{
		{[]string{a, b}, "created_by differs"},
		{[]string{a, c}, "compression differs: snappy and gzip"},
		{[]string{realPath(t, "alltypes_plain.parquet"), realPath(t, "alltypes_tiny_pages.parquet")}, "schemas differ"},
	}
	for _, tc := range cases {
		_, _, err := merge(t, tc.paths, shoal.MergeOptions{Mode: shoal.ModeConcat})
		var refusal *shoal.RefusalError
		if !errors.As(err, &refusal) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("concat %v: %v, want a refusal saying %q", tc.paths, err, tc.want)
		}
	}
	// Rewrite merges files that differ in codec or writer.
	for _, paths := range [][]string{{a, b, c}, {realPath(t, "alltypes_plain.snappy.parquet"), realPath(t, "alltypes_plain.parquet")}} {
		mergetest.MergeAndCheck(t, New(), paths, shoal.ModeRewrite, mergetest.Corpus{Rows: renderRows})
	}
	_, _, err := merge(t, []string{a, realPath(t, "alltypes_plain.parquet")}, shoal.MergeOptions{Mode: shoal.ModeRewrite})
	if err == nil || !strings.Contains(err.Error(), "schemas differ") {
		t.Errorf("rewrite of different schemas: %v", err)
	}
	_, _, err = merge(t, []string{a}, shoal.MergeOptions{Mode: shoal.ModeRewrite, Codec: "lzo"})
	if err == nil || !strings.Contains(err.Error(), `unsupported Parquet codec "lzo"`) {
		t.Errorf("rewrite to lzo: %v", err)
	}
}

// TestMixedCodecs concatenates files whose columns use different codecs.
func TestMixedCodecs(t *testing.T) {
	dir := t.TempDir()
	a := writeRows(t, dir, "a.parquet", 1, 300, 100, makeMixedRow)
	b := writeRows(t, dir, "b.parquet", 2, 300, 100, makeMixedRow)
	_, meta := inspect(t, a)
	if meta.Codec != "mixed:snappy,zstd" {
		t.Fatalf("codec %q, want mixed:snappy,zstd", meta.Codec)
	}
	var cols string
	for _, p := range meta.Concat {
		if p.Name == "column codecs" {
			cols = p.Value
		}
	}
	if !strings.Contains(cols, "id=snappy") || !strings.Contains(cols, "note=zstd") {
		t.Errorf("column codecs %q", cols)
	}
	mergetest.Run(t, New(), mergetest.Corpus{Groups: [][]string{{a, b}}, Copies: 2, Rows: renderRows})
}

func TestMergeCancelled(t *testing.T) {
	p := realPath(t, "alltypes_tiny_pages.parquet")
	in, meta := inspect(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		_, err := New().Merge(ctx, io.Discard, []shoal.MergeInput{in, in}, []*shoal.FileMeta{meta, meta}, shoal.MergeOptions{Mode: mode})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", mode, err)
		}
	}
}

// TestEmptyFiles merges files without row groups, as engines write for
// empty tasks, with files that have rows.
func TestEmptyFiles(t *testing.T) {
	dir := t.TempDir()
	empty := genFile(t, dir, "empty.parquet", 0, 0, 10, pq.CreatedBy("other-writer", "2.0", "x"))
	a := genFile(t, dir, "a.parquet", 1, 500, 200)
	in, meta := inspect(t, empty)
	if meta.Rows != 0 || meta.Units != 0 || meta.Codec != "none" {
		t.Fatalf("empty file: %s", meta)
	}
	fm, err := readFooter(in)
	if err != nil {
		t.Fatal(err)
	}
	want := fm.schemaString()
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		out, res, err := merge(t, []string{empty, a, empty}, shoal.MergeOptions{Mode: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if res.Rows != 500 {
			t.Errorf("%s: %d rows, want 500", mode, res.Rows)
		}
		got, err := New().Verify(context.Background(), openInput(t, out))
		if err != nil || got.Rows != 500 || got.Schema != want {
			t.Fatalf("%s: Verify = %v, %v", mode, got, err)
		}
		outFm, err := readFooter(openInput(t, out))
		if err != nil {
			t.Fatal(err)
		}
		if mode == shoal.ModeConcat && strings.Contains(outFm.createdBy, "other-writer") {
			t.Errorf("concat took created_by %q from the empty file", outFm.createdBy)
		}
	}
	mergetest.Run(t, New(), mergetest.Corpus{Groups: [][]string{{empty}}, Rows: renderRows})
}

// TestRewriteStatistics: parquet-go's min/max would be wrong for INT96 and
// for decimals stored as bytes, so the rewrite drops them (and their column
// indexes) and keeps those of other columns.
func TestRewriteStatistics(t *testing.T) {
	cases := map[string]map[string]bool{ // file: column → min/max kept
		"alltypes_tiny_pages.parquet":  {"id": true, "string_col": true, "timestamp_col": false, "double_col": true},
		"fixed_length_decimal.parquet": {"value": false},
		"byte_array_decimal.parquet":   {"value": false},
		"int32_decimal.parquet":        {"value": true},
	}
	for name, cols := range cases {
		p := realPath(t, name)
		out, _, err := merge(t, []string{p, p}, shoal.MergeOptions{Mode: shoal.ModeRewrite})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out) //nolint:gosec // test output
		if err != nil {
			t.Fatal(err)
		}
		f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Metadata().RowGroups[0].Columns {
			kept, ok := cols[c.MetaData.PathInSchema[0]]
			if !ok {
				continue
			}
			stats := c.MetaData.Statistics
			if got := stats.MinValue != nil && stats.MaxValue != nil; got != kept {
				t.Errorf("%s %s: min/max kept %v, want %v", name, c.MetaData.PathInSchema[0], got, kept)
			}
			if got := c.ColumnIndexOffset > 0; got != kept {
				t.Errorf("%s %s: column index kept %v, want %v", name, c.MetaData.PathInSchema[0], got, kept)
			}
			if c.OffsetIndexOffset == 0 {
				t.Errorf("%s %s: no offset index", name, c.MetaData.PathInSchema[0])
			}
		}
		if kept := cols["id"]; kept && len(f.ColumnIndexes()) == 0 {
			t.Errorf("%s: parquet-go read no column index", name)
		}
	}
}

// TestConcatIdentity: "concatenating" a single file whose writer laid it
// out as the merger does (chunks, then bloom filters, column indexes,
// offset indexes, footer) reproduces it byte for byte, which shows that the
// footer is re-encoded faithfully, unknown and odd fields included (such as
// the list in field 15 of dict-page-offset-zero.parquet's chunk metadata).
func TestConcatIdentity(t *testing.T) {
	for _, name := range []string{
		"alltypes_tiny_pages.parquet", "binary.parquet", "datapage_v2.snappy.parquet",
		"delta_binary_packed.parquet", "delta_byte_array.parquet", "dict-page-offset-zero.parquet",
		"fixed_length_decimal.parquet", "int32_with_null_pages.parquet", "int96_from_spark.parquet",
		"nested_maps.snappy.parquet", "nullable.impala.parquet", "old_list_structure.parquet",
		"rle_boolean_encoding.parquet",
	} {
		p := realPath(t, name)
		out, _, err := merge(t, []string{p}, shoal.MergeOptions{Mode: shoal.ModeConcat})
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(p) //nolint:gosec // test input
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out) //nolint:gosec // test output
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: concatenated alone, it is not reproduced (%d bytes, was %d)", name, len(got), len(want))
		}
	}
}

// TestLargeStringMap concatenates two copies of a file with 1 GiB strings
// and decodes the output. It needs about 5 GB of memory and half a minute,
// so it is skipped in -short mode and under the race detector.
func TestLargeStringMap(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("decodes 4 GiB of brotli-compressed strings")
	}
	mergetest.Run(t, New(), mergetest.Corpus{
		Groups: [][]string{{realPath(t, large)}},
		Copies: 2,
		Modes:  []shoal.MergeMode{shoal.ModeConcat},
	})
}

// withFooter returns a copy of a Parquet file with its footer re-encoded
// by edit and finish (see rewriteStructFinish).
func withFooter(t *testing.T, data []byte, edit func(d *decoder, w *structWriter, id int16, typ byte) (bool, error), finish func(w *structWriter)) []byte {
	t.Helper()
	fm, err := readFooter(shoal.MergeInput{Name: "x", Size: int64(len(data)), R: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	d := &decoder{b: fm.raw}
	e := &encoder{}
	err = rewriteStructFinish(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		return edit(d, w, id, typ)
	}, finish)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:fm.footerStart]), e.b...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(e.b)))
	return append(out, magic...)
}

func TestInspectRefusesCraftedFooters(t *testing.T) {
	data, err := os.ReadFile(realPath(t, "int32_decimal.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	keep := func(*decoder, *structWriter, int16, byte) (bool, error) { return false, nil }
	cases := map[string][]byte{
		// A plaintext footer with an encryption algorithm (AES_GCM_V1).
		"encrypted Parquet (plaintext footer with encryption)": withFooter(t, data, keep, func(w *structWriter) {
			w.raw(8, tStruct, []byte{0x1c, 0x00, 0x00})
		}),
		// The footer's row count as a string: a required field is missing.
		"lacks required field 3": withFooter(t, data, func(d *decoder, w *structWriter, id int16, typ byte) (bool, error) {
			if id != 3 {
				return false, nil
			}
			w.raw(3, tBinary, []byte{0x02, 'x', 'y'})
			return true, d.skip(typ)
		}, nil),
		// The schema field repeated.
		"field repeated": withFooter(t, data, keep, func(w *structWriter) {
			fm, _ := readFooter(shoal.MergeInput{Name: "x", Size: int64(len(data)), R: bytes.NewReader(data)})
			w.raw(2, tList, fm.schemaRaw)
		}),
		// Trailing garbage after the FileMetaData.
		"unexpected bytes after the file metadata": withFooter(t, data, keep, func(w *structWriter) {
			w.end()
		}),
	}
	for want, file := range cases {
		in := shoal.MergeInput{Name: "crafted.parquet", Size: int64(len(file)), R: bytes.NewReader(file)}
		_, err := New().Inspect(context.Background(), in)
		var refusal *shoal.RefusalError
		if !errors.As(err, &refusal) || !strings.Contains(err.Error(), want) {
			t.Errorf("Inspect = %v, want a refusal saying %q", err, want)
		}
	}
}

func TestMinMaxKept(t *testing.T) {
	el := func(typ int32, converted int32, logical string) *schemaElement {
		return &schemaElement{typ: typ, hasType: true, converted: converted, hasConverted: converted >= 0, logical: logical}
	}
	cases := []struct {
		want, got *schemaElement
		kept      bool
	}{
		{el(1, -1, ""), el(1, -1, "INT(1=32,2=true)"), true},                    // plain int32
		{el(2, 14, ""), el(2, 14, "INT(1=64,2=false)"), true},                   // UINT_64 both ways
		{el(2, 14, ""), el(2, -1, "INT(1=64,2=true)"), false},                   // unsigned read as signed
		{el(6, 0, ""), el(6, 0, "STRING"), true},                                // UTF8
		{el(7, 5, ""), el(7, 5, "DECIMAL(1=2,2=13)"), false},                    // decimal bytes
		{el(1, 5, ""), el(1, 5, "DECIMAL(1=2,2=4)"), true},                      // decimal int32
		{el(7, -1, "FLOAT16"), el(7, -1, ""), false},                            // float16 dropped
		{el(3, -1, ""), el(3, -1, ""), false},                                   // INT96
		{el(7, 21, ""), el(7, 21, ""), false},                                   // INTERVAL
		{el(6, -1, "GEOMETRY(1=\"x\")"), el(6, -1, "GEOMETRY(1=\"x\")"), false}, // unknown order
	}
	for i, c := range cases {
		if got := minMaxKept(c.want, c.got); got != c.kept {
			t.Errorf("case %d: minMaxKept = %v, want %v", i, got, c.kept)
		}
	}
}

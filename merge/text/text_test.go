package text_test

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/mergetest"
	"github.com/shoalhq/shoal/merge/text"
)

// Plain inputs: the line-ending cases a merge must keep apart.
var plainFiles = []struct{ name, data string }{
	{"rows.csv", "1,alice,10\n2,bob,20\n"},
	{"no-newline.csv", "3,carol,30\n4,dave,40"},
	{"empty.csv", ""},
	{"crlf.csv", "5,eve,50\r\n6,frank,60\r\n"},
	{"hive.txt", "7\x01grace\x01\\N\n8\x01heidi\x01[1\x022]\n"},
	// A lone "\r" ends a line (old Mac files, as Hadoop reads them) ...
	{"cr.csv", "9,ivan,90\r10,judy,100\r"},
	// ... and a "\n" right after it would join that terminator.
	{"leading-empty-line.csv", "\n11,ken,110\n"},
	{"lines.json", "{\"id\":12}\n{\"id\":13,\"s\":\"a,b\"}"},
	{"single-line-no-newline.csv", "14,leo,140"},
}

// Header inputs, for a table with skip.header.line.count = 1: the first is
// empty (no header kept from it), one is a header only.
var headerFiles = []struct{ name, data string }{
	{"h-empty.csv", ""},
	{"h-rows.csv", "id,name\n1,a\n2,b\n"},
	{"h-only.csv", "id,name\n"},
	{"h-no-newline.csv", "id,name\n3,c"},
	{"h-crlf.csv", "id,name\r\n4,d\r\n"},
	{"h-cr.csv", "id,name\r5,e\r"},
	{"h-header-no-newline.csv", "id,name"},
}

func TestConformancePlain(t *testing.T) {
	dir := t.TempDir()
	var group []string
	for _, f := range plainFiles {
		group = append(group, writeFile(t, dir, f.name, []byte(f.data)))
	}
	// The two real CSV files (DuckDB's Hive-partitioned test data).
	for _, p := range []string{"simple/part=a/date=2012-01-01/test.csv", "missing/part=c/date=2014-01-01/test.csv"} {
		group = append(group, realdata.Path(t, "hive-layout", "duckdb-hive-partitioning", p))
	}
	mergetest.Run(t, text.New(), mergetest.Corpus{
		Groups:   [][]string{group, group[:1], group[1:2], group[2:3], group[5:7]},
		Rows:     rows,
		Negative: negatives(t),
	})
}

func TestConformanceGzip(t *testing.T) {
	dir := t.TempDir()
	var group []string
	for _, f := range plainFiles {
		group = append(group, writeFile(t, dir, f.name+".gz", gzipped(t, f.data)))
	}
	// Multi-member files, as concatenated gzip files are.
	group = append(group,
		writeFile(t, dir, "members.csv.gz", gzipped(t, "15,mia,150\n", "16,ned,160\n17,", "oli,170")),
		writeFile(t, dir, "empty-members.csv.gz", gzipped(t, "", "")),
	)
	mergetest.Run(t, text.New(), mergetest.Corpus{Groups: [][]string{group, group[len(group)-2:]}, Rows: rows})
}

func TestConformanceBzip2(t *testing.T) {
	// Fixtures written by bzip2 1.0.8 (Go has no bzip2 compressor).
	var group []string
	for _, name := range []string{"rows.csv.bz2", "no-newline.csv.bz2", "empty.csv.bz2", "multi-stream.csv.bz2"} {
		group = append(group, filepath.Join("testdata", name))
	}
	mergetest.Run(t, text.New(), mergetest.Corpus{
		Groups: [][]string{group},
		Modes:  []shoal.MergeMode{shoal.ModeConcat},
		Rows:   rows,
	})
}

func TestConformanceHeader(t *testing.T) {
	dir := t.TempDir()
	var plain, gz []string
	for _, f := range headerFiles {
		plain = append(plain, writeFile(t, dir, f.name, []byte(f.data)))
		gz = append(gz, writeFile(t, dir, f.name+".gz", gzipped(t, f.data)))
	}
	mergetest.Run(t, text.New(), mergetest.Corpus{
		Groups:      [][]string{plain, gz, plain[2:3], gz[1:2]},
		Rows:        rows,
		HeaderLines: 1,
	})
	mergetest.Run(t, text.New(), mergetest.Corpus{
		Groups:      [][]string{{plain[1], plain[3]}},
		Rows:        rows,
		HeaderLines: 2,
	})
}

// TestConcatBytes checks the exact output of plain concatenation.
func TestConcatBytes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		inputs []string
		header int
		want   string
		rows   int64
	}{
		{"newline added", []string{"a\nb", "c\n"}, 0, "a\nb\nc\n", 3},
		{"last input too", []string{"a\n", "b"}, 0, "a\nb\n", 2},
		{"empty inputs", []string{"", "a\n", ""}, 0, "a\n", 1},
		{"lone CR", []string{"a\r", "\nb\n"}, 0, "a\r\n\nb\n", 3},
		{"CRLF kept", []string{"a\r\n", "b\r\n"}, 0, "a\r\nb\r\n", 2},
		{"header", []string{"h\n1\n", "h\n2\n"}, 1, "h\n1\n2\n", 2},
		{"header CRLF", []string{"h\r\n1\r\n", "h\r\n2\r\n"}, 1, "h\r\n1\r\n2\r\n", 2},
		{"header from the first file that has one", []string{"", "h\n1", "h", "h\n2"}, 1, "h\n1\n2\n", 2},
		{"two header lines", []string{"h\ni\n1\n", "h\ni\n2\n", "h\n"}, 2, "h\ni\n1\n2\n", 2},
		{"headers only", []string{"h\n", "h\n"}, 1, "h\n", 0},
		{"no header anywhere", []string{"", "h"}, 2, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for i, data := range tc.inputs {
				paths = append(paths, writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+string(rune('a'+i)), []byte(data)))
			}
			for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
				out, res := mergeFiles(t, paths, shoal.MergeOptions{Mode: mode, HeaderLines: tc.header})
				if got := string(out); got != tc.want {
					t.Errorf("%s: output %q, want %q", mode, got, tc.want)
				}
				if res.Rows != tc.rows {
					t.Errorf("%s: %d rows, want %d", mode, res.Rows, tc.rows)
				}
			}
		})
	}
}

// TestGzipOutput checks how gzip inputs are concatenated: verbatim members,
// a newline member where one is missing, a recompressed member after a
// dropped header.
func TestGzipOutput(t *testing.T) {
	dir := t.TempDir()
	a := gzipped(t, "a\nb")
	b := gzipped(t, "h\nc\n")
	pa := writeFile(t, dir, "a.gz", a)
	pb := writeFile(t, dir, "b.gz", b)

	out, res := mergeFiles(t, []string{pa, pb}, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if !bytes.HasPrefix(out, a) || !bytes.HasSuffix(out, b) {
		t.Errorf("inputs not copied verbatim")
	}
	if got := gunzip(t, out); got != "a\nb\nh\nc\n" {
		t.Errorf("output holds %q", got)
	}
	if len(res.Segments) != 2 || res.Segments[0].Length != int64(len(a)) || res.Segments[1].Offset+res.Segments[1].Length != int64(len(out)) {
		t.Errorf("segments %+v", res.Segments)
	}

	out, res = mergeFiles(t, []string{pb, pb, pa}, shoal.MergeOptions{Mode: shoal.ModeConcat, HeaderLines: 1})
	// a.gz's first line is its header.
	if got := gunzip(t, out); got != "h\nc\nc\nb\n" {
		t.Errorf("with a header, output holds %q", got)
	}
	if !bytes.HasPrefix(out, b) || len(res.Segments) != 1 || res.Rows != 3 {
		t.Errorf("with a header: %d segments, %d rows; want the first input verbatim, 3 rows", len(res.Segments), res.Rows)
	}

	out, _ = mergeFiles(t, []string{pa, pb}, shoal.MergeOptions{Mode: shoal.ModeRewrite})
	if got := gunzip(t, out); got != "a\nb\nh\nc\n" || countMembers(t, out) != 1 {
		t.Errorf("rewrite wrote %q in %d members, want one", got, countMembers(t, out))
	}
	if cli, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(cli, "-t")
		cmd.Stdin = bytes.NewReader(out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("gzip -t: %v %s", err, msg)
		}
	}
}

// TestBzip2Newline checks the embedded bzip2 stream holding "\n", and that
// it and the fixtures concatenate into a stream the bzip2 tool reads.
func TestBzip2Newline(t *testing.T) {
	out, res := mergeFiles(t, []string{"testdata/no-newline.csv.bz2", "testdata/rows.csv.bz2"}, shoal.MergeOptions{Mode: shoal.ModeConcat})
	want := "3,carol,30\r\n4,dave,40\n1,alice,10\n2,bob,20\n"
	got, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(out)))
	if err != nil || string(got) != want {
		t.Fatalf("Go reads %q, %v; want %q", got, err, want)
	}
	if res.Rows != 4 || len(res.Segments) != 2 {
		t.Errorf("%d rows, %d segments; want 4 and 2", res.Rows, len(res.Segments))
	}
	cli, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("no bzip2 tool to cross-check with")
	}
	cmd := exec.Command(cli, "-dc")
	cmd.Stdin = bytes.NewReader(out)
	got, err = cmd.Output()
	if err != nil || string(got) != want {
		t.Errorf("bzip2 -dc reads %q, %v; want %q", got, err, want)
	}
}

// TestBzip2Refusals: bzip2 can be neither written nor have header lines
// dropped.
func TestBzip2Refusals(t *testing.T) {
	h := "testdata/header.csv.bz2"
	for _, tc := range []struct {
		opts shoal.MergeOptions
		want string
	}{
		{shoal.MergeOptions{Mode: shoal.ModeConcat, HeaderLines: 1}, "cannot drop the header lines of bzip2 files"},
		{shoal.MergeOptions{Mode: shoal.ModeRewrite}, "cannot rewrite into bzip2"},
	} {
		_, err := tryMerge(t, []string{h, h}, tc.opts)
		var refusal *shoal.RefusalError
		if !errors.As(err, &refusal) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want a refusal: %s", tc.opts, err, tc.want)
		}
	}
	// One input keeps its header: nothing to drop.
	out, res := mergeFiles(t, []string{h}, shoal.MergeOptions{Mode: shoal.ModeConcat, HeaderLines: 1})
	if res.Rows != 1 || len(out) == 0 {
		t.Errorf("a single bzip2 input with a header: %d rows", res.Rows)
	}
}

// TestRewriteMixedCodecs merges plain, gzip and bzip2 inputs by rewriting
// them into one codec.
func TestRewriteMixedCodecs(t *testing.T) {
	dir := t.TempDir()
	paths := []string{
		writeFile(t, dir, "a.csv", []byte("1,a\n")),
		writeFile(t, dir, "b.csv.gz", gzipped(t, "2,b\n3,c")),
		"testdata/rows.csv.bz2",
	}
	m := text.New()
	_, err := tryMerge(t, paths, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err == nil || !strings.Contains(err.Error(), "formats differ: text and text+gzip") {
		t.Errorf("concat of mixed codecs: %v, want a refusal", err)
	}
	want := "1,a\n2,b\n3,c\n1,alice,10\n2,bob,20\n"
	for _, codec := range []string{"", "none", "gzip"} {
		out, res := mergeFiles(t, paths, shoal.MergeOptions{Mode: shoal.ModeRewrite, Codec: codec})
		got := string(out)
		if codec == "gzip" {
			got = gunzip(t, out)
		}
		if got != want || res.Rows != 5 || len(res.Segments) != 0 {
			t.Errorf("codec %q: output %q, %d rows, %d segments; want %q, 5 rows, none", codec, got, res.Rows, len(res.Segments), want)
		}
		meta, err := m.Verify(context.Background(), shoal.MergeInput{Name: "out", Size: int64(len(out)), R: bytes.NewReader(out)})
		if err != nil || meta.Rows != 5 {
			t.Errorf("codec %q: Verify %v, %v", codec, meta, err)
		}
	}
	if _, err := tryMerge(t, paths, shoal.MergeOptions{Mode: shoal.ModeRewrite, Codec: "zstd"}); err == nil {
		t.Errorf("rewrite into zstd accepted")
	}
}

// TestInspect checks what Inspect reports.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		data   []byte
		format shoal.Format
		codec  string
		rows   int64
		units  int
	}{
		{"empty", nil, shoal.FormatText, "none", 0, 0},
		{"one line", []byte("a"), shoal.FormatText, "none", 1, 1},
		{"blank lines", []byte("\n\n\n"), shoal.FormatText, "none", 3, 1},
		{"mixed terminators", []byte("a\rb\r\nc\nd"), shoal.FormatText, "none", 4, 1},
		{"text starting like ORC", []byte("ORCHARD,1\n"), shoal.FormatText, "none", 1, 1},
		{"gzip", gzipped(t, "a\nb\n"), shoal.FormatTextGzip, "gzip", 2, 1},
		{"gzip members", gzipped(t, "a\n", "b\r", "\nc"), shoal.FormatTextGzip, "gzip", 3, 3},
		{"gzip empty", gzipped(t, ""), shoal.FormatTextGzip, "gzip", 0, 1},
		{"bzip2", readFile(t, "testdata/multi-stream.csv.bz2"), shoal.FormatTextBzip2, "bzip2", 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-"), tc.data)
			meta := inspect(t, text.New(), p)
			if meta.Format != tc.format || meta.Codec != tc.codec || meta.Rows != tc.rows || meta.Units != tc.units ||
				meta.UnitBytes != int64(len(tc.data)) || meta.Schema != "" || meta.HeaderLines != 0 {
				t.Errorf("got %v (unit bytes %d, header %d), want %s %s rows=%d units=%d",
					meta, meta.UnitBytes, meta.HeaderLines, tc.format, tc.codec, tc.rows, tc.units)
			}
		})
	}
}

// TestInspectRefusals checks the reasons given for files a text table
// must not merge.
func TestInspectRefusals(t *testing.T) {
	for _, p := range negatives(t) {
		want := map[string]string{
			"binary.csv":          "NUL byte at offset 3",
			"utf16.csv":           "NUL byte",
			"truncated.csv.gz":    "gzip stream truncated",
			"corrupt.csv.gz":      "corrupt gzip data",
			"bad-crc.csv.gz":      "gzip checksum mismatch",
			"trailing.csv.gz":     "data after gzip member 1 is not gzip",
			"sequencefile":        "SequenceFile needs the Hive SQL strategy",
			"rcfile":              "RCFile needs the Hive SQL strategy",
			"parquet.csv":         "a file in parquet format, not text",
			"avro.csv":            "a file in avro format, not text",
			"truncated.csv.bz2":   "bzip2 stream truncated",
			"corrupt.csv.bz2":     "corrupt bzip2 data",
			"gzip-nul.csv.gz":     "NUL byte at offset 2",
			"not-gzip-method.gz":  "invalid gzip header",
			"bzip2-garbage.bz2":   "corrupt bzip2 data",
			"orc.csv":             "a file in orc format, not text",
			"sequencefile-v5":     "SequenceFile",
			"truncated-header.gz": "gzip stream truncated",
		}[filepath.Base(p)]
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, size := open(t, p)
			_, err := text.New().Inspect(context.Background(), shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f})
			var refusal *shoal.RefusalError
			if !errors.As(err, &refusal) || !strings.Contains(err.Error(), want) {
				t.Errorf("Inspect = %v, want a refusal containing %q", err, want)
			}
		})
	}
}

// TestChangedInput: Merge fails when an input no longer matches its
// FileMeta.
func TestChangedInput(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.csv", []byte("1\n2\n"))
	m := text.New()
	meta := inspect(t, m, p)
	meta.Rows = 3
	f, size := open(t, p)
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		_, err := m.Merge(context.Background(), io.Discard, []shoal.MergeInput{{Name: "a.csv", Size: size, R: f}}, []*shoal.FileMeta{meta}, shoal.MergeOptions{Mode: mode})
		if err == nil || !strings.Contains(err.Error(), "changed since it was inspected") {
			t.Errorf("%s: %v, want the change reported", mode, err)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.csv.gz", gzipped(t, "1\n2\n"))
	m := text.New()
	meta := inspect(t, m, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, size := open(t, p)
	in := shoal.MergeInput{Name: "a.csv.gz", Size: size, R: f}
	if _, err := m.Inspect(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Inspect: %v, want context.Canceled", err)
	}
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		_, err := m.Merge(ctx, io.Discard, []shoal.MergeInput{in}, []*shoal.FileMeta{meta}, shoal.MergeOptions{Mode: mode})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", mode, err)
		}
	}
}

// negatives writes the files Inspect must refuse.
func negatives(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	gz := gzipped(t, strings.Repeat("1,abc,2\n", 200))
	corrupt := bytes.Clone(gz)
	corrupt[10] ^= 0xff // the first deflate block's header
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xff
	notDeflate := bytes.Clone(gz)
	notDeflate[2] = 7 // compression method other than deflate
	bz := readFile(t, "testdata/multi-stream.csv.bz2")
	corruptBz := bytes.Clone(bz)
	corruptBz[20] ^= 0xff
	files := map[string][]byte{
		"binary.csv":          []byte("abc\x00def\n"),
		"utf16.csv":           {0xff, 0xfe, 'a', 0, ',', 0, 'b', 0, '\n', 0},
		"truncated.csv.gz":    gz[:len(gz)/2],
		"truncated-header.gz": gz[:5],
		"corrupt.csv.gz":      corrupt,
		"bad-crc.csv.gz":      badCRC,
		"not-gzip-method.gz":  notDeflate,
		"trailing.csv.gz":     append(bytes.Clone(gz), "garbage after the member"...),
		"gzip-nul.csv.gz":     gzipped(t, "ab\x00"),
		"sequencefile":        []byte("SEQ\x06\x19org.apache.hadoop.io.Text"),
		"sequencefile-v5":     []byte("SEQ\x05"),
		"rcfile":              []byte("RCF\x01\x00\x00"),
		"parquet.csv":         []byte("PAR1\x15\x04\x15"),
		"orc.csv":             []byte("ORC\x08\x03"),
		"avro.csv":            []byte("Obj\x01\x04\x14avro.codec"),
		"truncated.csv.bz2":   bz[:len(bz)-20],
		"corrupt.csv.bz2":     corruptBz,
		"bzip2-garbage.bz2":   []byte("BZh9garbage, not a block"),
	}
	var paths []string
	for name, data := range files {
		paths = append(paths, writeFile(t, dir, name, data))
	}
	return paths
}

// rows reads a text file independently of the merger: the gzip and bzip2
// tools decompress it when they are installed (Go's readers otherwise),
// and lines are split by rewriting "\r\n" and then "\r" as "\n".
func rows(t *testing.T, path string) []string {
	t.Helper()
	data := readFile(t, path)
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		data = decompress(t, data, "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
	case bytes.HasPrefix(data, []byte("BZh")):
		data = decompress(t, data, "bzip2", func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil })
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func decompress(t *testing.T, data []byte, tool string, open func(io.Reader) (io.Reader, error)) []byte {
	t.Helper()
	if cli, err := exec.LookPath(tool); err == nil {
		cmd := exec.Command(cli, "-dc")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s -dc: %v", tool, err)
		}
		return out
	}
	r, err := open(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gzipped returns one gzip member per part, concatenated.
func gzipped(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts {
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func gunzip(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func countMembers(t *testing.T, data []byte) int {
	t.Helper()
	r := bytes.NewReader(data)
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			t.Fatal(err)
		}
		n++
		if err := zr.Reset(r); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// mergeFiles merges paths and returns the output, failing on an error.
func mergeFiles(t *testing.T, paths []string, opts shoal.MergeOptions) ([]byte, *shoal.MergeResult) {
	t.Helper()
	var out bytes.Buffer
	res, err := mergeInto(t, &out, paths, opts)
	if err != nil {
		t.Fatalf("Merge(%+v): %v", opts, err)
	}
	if res.Bytes != int64(out.Len()) {
		t.Errorf("Merge reported %d bytes, wrote %d", res.Bytes, out.Len())
	}
	return out.Bytes(), res
}

func tryMerge(t *testing.T, paths []string, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	t.Helper()
	return mergeInto(t, io.Discard, paths, opts)
}

func mergeInto(t *testing.T, w io.Writer, paths []string, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	t.Helper()
	m := text.New()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	for i, p := range paths {
		f, size := open(t, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		metas[i] = inspect(t, m, p)
		metas[i].ApplyHeader(opts.HeaderLines)
	}
	return m.Merge(context.Background(), w, inputs, metas, opts)
}

func inspect(t testing.TB, m shoal.Merger, p string) *shoal.FileMeta {
	t.Helper()
	f, size := open(t, p)
	meta, err := m.Inspect(context.Background(), shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f})
	if err != nil {
		t.Fatalf("Inspect(%s): %v", p, err)
	}
	return meta
}

func open(t testing.TB, p string) (*os.File, int64) {
	t.Helper()
	f, err := os.Open(p)
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

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

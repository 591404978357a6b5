package avro_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	havro "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/realdata"
	"github.com/shoalhq/shoal/merge/avro"
	"github.com/shoalhq/shoal/merge/mergetest"
)

// readable are the real files every reader decodes.
var readable = []string{
	"avro-1237-good.avro",
	"avro-1279-codec.avro",
	"avro-1279-no-codec.avro",
	"mapreduce-part-r-00000.avro",
	"person-10.avro",
	"schemas-simple-data.avro",
	"schemas-withUnion-data.avro",
	"syncInMeta.avro",
	"weather-deflate.avro",
	"weather-snappy.avro",
	"weather-sorted.avro",
	"weather-zstd.avro",
	"weather.avro",
}

func TestConformance(t *testing.T) {
	dir := realdata.Path(t, "avro")
	var groups [][]string
	for _, name := range readable {
		groups = append(groups, []string{filepath.Join(dir, name)})
	}
	groups = append(groups,
		// avro.codec "null" and absent mean the same.
		[]string{filepath.Join(dir, "avro-1279-codec.avro"), filepath.Join(dir, "avro-1279-no-codec.avro")},
		// Same schema and codec (deflate), different records.
		[]string{filepath.Join(dir, "weather-deflate.avro"), filepath.Join(dir, "weather-sorted.avro")},
	)
	negative, err := filepath.Glob(filepath.Join(dir, "negative", "*"))
	if err != nil || len(negative) == 0 {
		t.Fatalf("no negative files in %s: %v", dir, err)
	}
	negative = append(negative,
		// A stray byte after the last block: the start of a block that
		// is cut off.
		filepath.Join(dir, "person-10.no-codec.avro"),
		truncatedCopy(t, filepath.Join(dir, "syncInMeta.avro"), 5000),
		truncatedCopy(t, filepath.Join(dir, "weather.avro"), 3),
		writeFile(t, "empty.avro", nil),
		writeFile(t, "text.avro", []byte("a,b,c\n1,2,3\n")),
	)
	mergetest.Run(t, avro.New(), mergetest.Corpus{Groups: groups, Rows: rows, Negative: negative})
}

// TestRewriteMixedCodecs merges the same records stored with four codecs:
// concat refuses them, rewrite writes them with the first input's codec.
func TestRewriteMixedCodecs(t *testing.T) {
	dir := realdata.Path(t, "avro")
	var paths []string
	for _, name := range []string{"weather.avro", "weather-deflate.avro", "weather-snappy.avro", "weather-zstd.avro"} {
		paths = append(paths, filepath.Join(dir, name))
	}
	m := avro.New()
	metas := make([]*shoal.FileMeta, len(paths))
	for i, p := range paths {
		metas[i] = inspect(t, m, p)
	}
	err := shoal.ConcatCompatible(metas[0], metas[1])
	if err == nil || !strings.Contains(err.Error(), "compression differs: null and deflate") {
		t.Fatalf("ConcatCompatible(weather, weather-deflate) = %v, want compression differs", err)
	}
	res, err := merge(t, m, paths, shoal.MergeOptions{Mode: shoal.ModeConcat})
	var refusal *shoal.RefusalError
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), "compression differs") {
		t.Fatalf("concat of mixed codecs: %v, %v; want a refusal", res, err)
	}

	out := mergetest.MergeAndCheck(t, m, paths, shoal.ModeRewrite, mergetest.Corpus{Rows: rows})
	got := rows(t, out)
	if len(got) != 20 {
		t.Fatalf("rewrite wrote %d rows, want 20", len(got))
	}
	if meta := inspect(t, m, out); meta.Codec != "null" || meta.Rows != 20 {
		t.Errorf("output: %v, want codec null (the first input's) and 20 rows", meta)
	}
	// Every input holds the same five records.
	for i := range 5 {
		for j := 1; j < 4; j++ {
			if got[i] != got[5*j+i] {
				t.Errorf("record %d of input %d = %s, of input 0 = %s", i, j, got[5*j+i], got[i])
			}
		}
	}
}

// TestRewriteCodecOption writes the output with the codec of the options.
func TestRewriteCodecOption(t *testing.T) {
	dir := realdata.Path(t, "avro")
	paths := []string{filepath.Join(dir, "syncInMeta.avro"), filepath.Join(dir, "syncInMeta.avro")}
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard"} {
		t.Run(codec, func(t *testing.T) {
			m := avro.New()
			out := filepath.Join(t.TempDir(), "out.avro")
			res, err := mergeTo(t, m, paths, out, shoal.MergeOptions{Mode: shoal.ModeRewrite, Codec: codec, RowGroupSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			meta := inspect(t, m, out)
			if meta.Codec != codec || meta.Rows != 12002 || res.Rows != 12002 {
				t.Errorf("output %v, result rows %d; want codec %s and 12002 rows", meta, res.Rows, codec)
			}
			if meta.Units < 2 {
				t.Errorf("output has %d blocks; 64 KiB blocks should make several", meta.Units)
			}
		})
	}
	_, err := merge(t, avro.New(), paths, shoal.MergeOptions{Mode: shoal.ModeRewrite, Codec: "bzip2"})
	if err == nil || !strings.Contains(err.Error(), `"bzip2"`) {
		t.Errorf("rewrite to bzip2: %v, want a refusal", err)
	}
}

const (
	schemaV1 = `{"type":"record","name":"Event","namespace":"shoal","fields":[
		{"name":"id","type":"int"},
		{"name":"name","type":"string"},
		{"name":"dropped","type":"string"}]}`
	// schemaV2 promotes id to long, drops a field and adds one with a
	// default.
	schemaV2 = `{"type":"record","name":"Event","namespace":"shoal","fields":[
		{"name":"id","type":"long"},
		{"name":"name","type":"string"},
		{"name":"note","type":["null","string"],"default":null}]}`
	// schemaV3 adds a field without a default: V1 files cannot be read
	// with it.
	schemaV3 = `{"type":"record","name":"Event","namespace":"shoal","fields":[
		{"name":"id","type":"long"},
		{"name":"name","type":"string"},
		{"name":"required","type":"int"}]}`
)

// TestRewriteSchemaEvolution merges files written with an older schema
// into one with the first input's newer schema.
func TestRewriteSchemaEvolution(t *testing.T) {
	dir := t.TempDir()
	v1 := writeAvro(t, filepath.Join(dir, "v1.avro"), schemaV1, "deflate", 3, func(i int) any {
		return map[string]any{"id": i, "name": fmt.Sprint("old", i), "dropped": "x"}
	})
	v2 := writeAvro(t, filepath.Join(dir, "v2.avro"), schemaV2, "snappy", 2, func(i int) any {
		return map[string]any{"id": int64(100 + i), "name": fmt.Sprint("new", i), "note": "n"}
	})
	m := avro.New()
	out := filepath.Join(dir, "out.avro")
	res, err := mergeTo(t, m, []string{v2, v1}, out, shoal.MergeOptions{Mode: shoal.ModeRewrite})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 5 {
		t.Errorf("rewrote %d rows, want 5", res.Rows)
	}
	want := []string{
		`{"id":100,"name":"new0","note":"n"}`,
		`{"id":101,"name":"new1","note":"n"}`,
		`{"id":0,"name":"old0","note":null}`,
		`{"id":1,"name":"old1","note":null}`,
		`{"id":2,"name":"old2","note":null}`,
	}
	if got := rows(t, out); !mergetest.SameRows(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	v2Meta, outMeta := inspect(t, m, v2), inspect(t, m, out)
	if outMeta.Schema != v2Meta.Schema || outMeta.Codec != "snappy" {
		t.Errorf("output schema %s codec %s, want the first input's %s, snappy", outMeta.Schema, outMeta.Codec, v2Meta.Schema)
	}

	v3 := writeAvro(t, filepath.Join(dir, "v3.avro"), schemaV3, "null", 1, func(i int) any {
		return map[string]any{"id": int64(i), "name": "v3", "required": 7}
	})
	_, err = merge(t, m, []string{v3, v1}, shoal.MergeOptions{Mode: shoal.ModeRewrite})
	var refusal *shoal.RefusalError
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), "v1.avro") {
		t.Errorf("rewrite of V1 records with V3's schema: %v, want a refusal naming v1.avro", err)
	}
}

// TestSchemaDetails: files whose schemas differ only in docs and defaults
// have the same Schema and can be concatenated; a logical type is part of
// Schema.
func TestSchemaDetails(t *testing.T) {
	dir := t.TempDir()
	gen := func(i int) any { return map[string]any{"ts": int64(i)} }
	plain := writeAvro(t, filepath.Join(dir, "plain.avro"), `{"type":"record","name":"r","fields":[{"name":"ts","type":"long"}]}`, "null", 2, gen)
	doc := writeAvro(t, filepath.Join(dir, "doc.avro"), `{"type":"record","name":"r","doc":"d","fields":[{"name":"ts","type":"long","default":0,"doc":"x"}]}`, "null", 2, gen)
	logical := writeAvro(t, filepath.Join(dir, "logical.avro"), `{"type":"record","name":"r","fields":[{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]}`, "null", 2, func(i int) any {
		return map[string]any{"ts": int64(i)}
	})
	m := avro.New()
	a, b, c := inspect(t, m, plain), inspect(t, m, doc), inspect(t, m, logical)
	if err := shoal.ConcatCompatible(a, b); err != nil {
		t.Errorf("docs and defaults block concat: %v", err)
	}
	if err := shoal.ConcatCompatible(a, c); err == nil || !strings.Contains(err.Error(), "schemas differ") {
		t.Errorf("a logical type does not change Schema: %v", err)
	}
	out := mergetest.MergeAndCheck(t, m, []string{doc, plain}, shoal.ModeConcat, mergetest.Corpus{Rows: rows})
	// The output keeps the first input's schema text.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := ocf.NewDecoder(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(dec.Metadata()["avro.schema"]); !strings.Contains(got, `"doc":"d"`) {
		t.Errorf("output schema %s lost the first input's doc", got)
	}
}

// TestVerifyRefusesUndecodable: a file whose structure is sound but whose
// records cannot be decoded passes Inspect and fails Verify. The real file
// ends with a stray newline after its last block, which Inspect refuses
// on its own, so the test removes it.
func TestVerifyRefusesUndecodable(t *testing.T) {
	p := realdata.Path(t, "avro", "negative", "avro-1237-bad-union-discriminant.avro")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	m := avro.New()
	if _, err := m.Inspect(context.Background(), shoal.MergeInput{Name: "bad", Size: int64(len(data)), R: bytes.NewReader(data)}); err == nil ||
		!strings.Contains(err.Error(), "1 bytes before the end of the file: its byte size is cut off") {
		t.Fatalf("Inspect of the real file = %v, want the stray byte refused", err)
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	in := shoal.MergeInput{Name: filepath.Base(p), Size: int64(len(data)), R: bytes.NewReader(data)}
	meta, err := m.Inspect(context.Background(), in)
	if err != nil {
		t.Fatalf("Inspect: %v (the blocks are sound; only a record is bad)", err)
	}
	if meta.Rows != 2 {
		t.Errorf("Inspect counted %d rows, want 2", meta.Rows)
	}
	if _, err := m.Verify(context.Background(), in); err == nil || !strings.Contains(err.Error(), "union") {
		t.Errorf("Verify = %v, want an error about the union", err)
	}
}

// TestInspectRefusals checks the reasons given for broken files.
func TestInspectRefusals(t *testing.T) {
	dir := realdata.Path(t, "avro")
	good, err := os.ReadFile(filepath.Join(dir, "syncInMeta.avro"))
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the third block's sync marker.
	corrupt := bytes.Clone(good)
	in := shoal.MergeInput{Name: "x.avro", Size: int64(len(good)), R: bytes.NewReader(good)}
	blocks := blockEnds(t, in)
	corrupt[blocks[2]+5] ^= 0xff
	// The metadata is read in order, so a shorter value shifts nothing
	// that matters.
	withCodec := bytes.Replace(bytes.Clone(good), []byte("\x0edeflate"), []byte("\x0abzip2"), 1)
	legacy, err := os.ReadFile(filepath.Join(dir, "negative", "test.avro12-legacy-Obj00"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"sync", "sync marker mismatch at block 2", corrupt},
		{"truncated", "truncated block 11", good[:len(good)-3]},
		{"tail", "truncated block 12", append(bytes.Clone(good), 0x0a)},
		{"header", "truncated Avro header", good[:40]},
		{"empty", "empty file", nil},
		{"legacy", "Avro 1.2", legacy},
		{"codec", `codec "bzip2" is not supported`, withCodec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := avro.New().Inspect(context.Background(), shoal.MergeInput{Name: tc.name, Size: int64(len(tc.data)), R: bytes.NewReader(tc.data)})
			var refusal *shoal.RefusalError
			if !errors.As(err, &refusal) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Inspect = %v, want a refusal containing %q", err, tc.want)
			}
		})
	}
}

// TestConcatOutput checks the concatenated file's layout: a new sync
// marker, the first input's metadata (avro.sync naming the new marker)
// and the inputs' blocks.
func TestConcatOutput(t *testing.T) {
	p := realdata.Path(t, "avro", "syncInMeta.avro")
	m := avro.New()
	out := filepath.Join(t.TempDir(), "out.avro")
	res, err := mergeTo(t, m, []string{p, p}, out, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 24 || res.Rows != 12002 {
		t.Errorf("%d segments and %d rows, want 24 (one per block) and 12002", len(res.Segments), res.Rows)
	}
	meta := inspect(t, m, out)
	if meta.Units != 24 || meta.Codec != "deflate" {
		t.Errorf("output %v, want 24 deflate blocks", meta)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := ocf.NewDecoder(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sync := data[len(data)-16:]
	if got := dec.Metadata()["avro.sync"]; !bytes.Equal(got, sync) {
		t.Errorf("avro.sync = %x, want the new marker %x", got, sync)
	}
	if bytes.Contains(data, in[len(in)-16:]) {
		t.Errorf("the output still holds the input's sync marker")
	}
}

// TestContextCancelled: a cancelled merge stops with the context's error.
func TestContextCancelled(t *testing.T) {
	p := realdata.Path(t, "avro", "weather.avro")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		m := avro.New()
		meta := inspect(t, m, p)
		f, size := open(t, p)
		_, err := m.Merge(ctx, new(bytes.Buffer), []shoal.MergeInput{{Name: "w", Size: size, R: f}}, []*shoal.FileMeta{meta}, shoal.MergeOptions{Mode: mode})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", mode, err)
		}
	}
}

// rows renders each record of a file as JSON with sorted keys, decoded by
// hamba/avro's container reader into generic values.
func rows(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := ocf.NewDecoder(f, ocf.WithDecoderSchemaCache(&havro.SchemaCache{}))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer dec.Close()
	var out []string
	for dec.HasNext() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: record %d: %v", path, len(out), err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			b = fmt.Appendf(nil, "%#v", v)
		}
		out = append(out, string(b))
	}
	if err := dec.Error(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// writeAvro writes n records made by gen with hamba/avro's encoder.
func writeAvro(t testing.TB, path, schema, codec string, n int, gen func(int) any) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc, err := ocf.NewEncoder(schema, f, ocf.WithCodec(ocf.CodecName(codec)), ocf.WithEncoderSchemaCache(&havro.SchemaCache{}),
		ocf.WithSchemaMarshaler(ocf.FullSchemaMarshaler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := enc.Encode(gen(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// blockEnds returns the offsets of the blocks' sync markers, found by
// decoding block heads independently of the merger.
func blockEnds(t *testing.T, in shoal.MergeInput) []int64 {
	t.Helper()
	data := make([]byte, in.Size)
	if _, err := in.R.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	// The header ends with the first occurrence of the sync marker after
	// the metadata; syncInMeta.avro holds the marker in its metadata too,
	// so search from the file's last 16 bytes backwards.
	sync := data[len(data)-16:]
	var ends []int64
	for off := 0; ; {
		i := bytes.Index(data[off:], sync)
		if i < 0 {
			break
		}
		ends = append(ends, int64(off+i))
		off += i + 16
	}
	// The first two occurrences are the metadata's and the header's.
	return ends[2:]
}

func inspect(t *testing.T, m shoal.Merger, p string) *shoal.FileMeta {
	t.Helper()
	f, size := open(t, p)
	meta, err := m.Inspect(context.Background(), shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f})
	if err != nil {
		t.Fatalf("Inspect(%s): %v", p, err)
	}
	return meta
}

func merge(t *testing.T, m shoal.Merger, paths []string, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	t.Helper()
	return mergeTo(t, m, paths, filepath.Join(t.TempDir(), "out.avro"), opts)
}

func mergeTo(t *testing.T, m shoal.Merger, paths []string, out string, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	t.Helper()
	inputs := make([]shoal.MergeInput, len(paths))
	metas := make([]*shoal.FileMeta, len(paths))
	for i, p := range paths {
		f, size := open(t, p)
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: size, R: f}
		metas[i] = inspect(t, m, p)
	}
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return m.Merge(context.Background(), w, inputs, metas, opts)
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

func truncatedCopy(t *testing.T, p string, n int) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "truncated-"+filepath.Base(p), data[:len(data)-n])
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEmptyBlock: a block of zero records (which Java writers never write)
// counts as a unit; concat drops it, and hamba/avro's reader, which stops
// at it, then reads every record of the output.
func TestEmptyBlock(t *testing.T) {
	dir := t.TempDir()
	p := writeAvro(t, filepath.Join(dir, "in.avro"), schemaV1, "null", 3, func(i int) any {
		return map[string]any{"id": i, "name": "n", "dropped": "d"}
	})
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// The header ends with the sync marker, which also ends the file.
	sync := data[len(data)-16:]
	headerEnd := bytes.Index(data, sync) + 16
	withEmpty := append(append(bytes.Clone(data[:headerEnd]), append([]byte{0, 0}, sync...)...), data[headerEnd:]...)
	p = writeFile(t, "empty-block.avro", withEmpty)

	m := avro.New()
	meta := inspect(t, m, p)
	if meta.Rows != 3 || meta.Units != 2 {
		t.Errorf("Inspect: %v, want 3 rows in 2 blocks", meta)
	}
	f, size := open(t, p)
	if _, err := m.Verify(context.Background(), shoal.MergeInput{Name: "in", Size: size, R: f}); err == nil ||
		!strings.Contains(err.Error(), "decoded 0 records, but the blocks hold 3") {
		t.Errorf("Verify = %v, want the early stop reported", err)
	}
	out := filepath.Join(dir, "out.avro")
	res, err := mergeTo(t, m, []string{p, p}, out, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Segments) != 2 || res.Rows != 6 {
		t.Errorf("%d segments, %d rows; want 2 and 6", len(res.Segments), res.Rows)
	}
	if got := rows(t, out); len(got) != 6 {
		t.Errorf("output holds %d records, want 6", len(got))
	}
}

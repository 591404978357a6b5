package avro_test

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/avro"
)

// TestConcatLargeBlocks concatenates files whose blocks are larger than the
// merger's 4 MiB copy buffer, mixed with smaller ones: every record arrives
// once and in order, and each segment's CRC-32C is that of the output bytes
// it names.
func TestConcatLargeBlocks(t *testing.T) {
	const schema = `{"type": "record", "name": "r", "fields": [{"name": "id", "type": "long"}, {"name": "payload", "type": "string"}]}`
	dir := t.TempDir()
	// 100 records of 64 KiB make a block of about 6.4 MiB (hamba/avro
	// writes 100 records per block); the 50 left make a smaller one.
	gen := func(base int) func(int) any {
		return func(i int) any {
			return map[string]any{"id": int64(base + i), "payload": strings.Repeat(string(rune('a'+(base+i)%26)), 64<<10)}
		}
	}
	a := writeAvro(t, filepath.Join(dir, "a.avro"), schema, "null", 150, gen(0))
	b := writeAvro(t, filepath.Join(dir, "b.avro"), schema, "null", 150, gen(1000))

	m := avro.New()
	out := filepath.Join(dir, "out.avro")
	res, err := mergeTo(t, m, []string{a, b}, out, shoal.MergeOptions{Mode: shoal.ModeConcat})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 300 || len(res.Segments) != 4 {
		t.Fatalf("%d rows in %d segments, want 300 in 4 (two blocks per input)", res.Rows, len(res.Segments))
	}
	if got, want := rows(t, out), slices.Concat(rows(t, a), rows(t, b)); !slices.Equal(got, want) {
		t.Fatalf("output holds %d records that differ from the inputs' %d", len(got), len(want))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(len(data)) {
		t.Errorf("result says %d bytes, the file has %d", res.Bytes, len(data))
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	large := 0
	for i, s := range res.Segments {
		if s.Offset < 0 || s.Offset+s.Length > int64(len(data)) {
			t.Fatalf("segment %d [%d, +%d) is outside the %d-byte output", i, s.Offset, s.Length, len(data))
		}
		if got := crc32.Checksum(data[s.Offset:s.Offset+s.Length], table); got != s.CRC {
			t.Errorf("segment %d: CRC %08x of its bytes, result says %08x", i, got, s.CRC)
		}
		if s.Length > 4<<20 {
			large++
		}
	}
	if large != 2 {
		t.Errorf("%d segments over 4 MiB, want 2: the test no longer reaches the large-block path", large)
	}
	if meta := inspect(t, m, out); meta.Rows != 300 || meta.Units != 4 {
		t.Errorf("output inspected as %d rows in %d blocks, want 300 in 4", meta.Rows, meta.Units)
	}
}

// Package avro merges Avro object container files.
//
// Inspect reads a file's header and walks its data blocks without
// decompressing them, checking every block's sync marker. Concat writes a
// new header (the first input's metadata with a new sync marker) and copies
// every data block verbatim; rewrite decodes the records with
// github.com/hamba/avro/v2 and encodes them again with the first input's
// schema. Verify decodes every record.
package avro

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"sync"

	havro "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/shoalhq/shoal"
)

// Bounds on what decoding one value may allocate, so that a corrupt length
// fails instead of exhausting memory. hamba/avro's default of 1 MiB for a
// string or bytes value is too small for real tables, and its default for
// arrays is no bound at all.
const (
	maxValueSize     = 256 << 20 // bytes of one string or bytes value
	maxArrayElements = 16 << 20  // elements of one array
)

// api is the hamba/avro configuration used to decode and encode records.
var api = havro.Config{MaxByteSliceSize: maxValueSize, MaxSliceAllocSize: maxArrayElements}.Freeze()

// Merger merges Avro object container files. The zero value is ready to
// use; a Merger is safe for concurrent use.
type Merger struct {
	schemas schemaCache
}

// Bounds on the canonical schemas a Merger remembers: the files of a table
// usually share one schema, but a long-running process sees many tables.
const (
	maxCachedSchemas     = 256
	maxCachedSchemaBytes = 16 << 20
)

// schemaCache maps the schema of a file, as stored, to its canonical form,
// so that the files of a table do not each parse the same schema. It is
// emptied when it grows past its bounds.
type schemaCache struct {
	mu    sync.Mutex
	m     map[string]string
	bytes int
}

// canonical returns the canonical form of the schema raw, parsing it
// unless it was seen before.
func (c *schemaCache) canonical(name string, raw []byte) (string, error) {
	c.mu.Lock()
	s, ok := c.m[string(raw)]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	schema, err := parseSchema(name, raw)
	if err != nil {
		return "", err
	}
	s = schema.String()
	size := len(raw) + len(s)
	if size > maxCachedSchemaBytes/4 {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedSchemas || c.bytes+size > maxCachedSchemaBytes {
		c.m, c.bytes = map[string]string{}, 0
	}
	if _, ok := c.m[string(raw)]; !ok {
		c.m[string(raw)] = s
		c.bytes += size
	}
	return s, nil
}

var _ shoal.Merger = (*Merger)(nil)

// New returns an Avro merger.
func New() *Merger { return &Merger{} }

// Formats returns shoal.FormatAvro.
func (*Merger) Formats() []shoal.Format { return []shoal.Format{shoal.FormatAvro} }

// Inspect reads the header and walks the data blocks. Rows is the sum of
// the blocks' record counts, Units the number of blocks and UnitBytes
// their serialized size. Schema is the schema's canonical form as
// github.com/hamba/avro/v2 renders it: the Parsing Canonical Form plus
// logical types (which Hive reads as decimal, date and timestamp types).
// Docs, aliases and defaults are left out: they do not change how records
// are encoded, so files that differ only in them are concatenated, under
// the first file's header.
func (m *Merger) Inspect(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	h, err := readHeader(in)
	if err != nil {
		return nil, err
	}
	schema, err := m.schemas.canonical(in.Name, h.schema)
	if err != nil {
		return nil, err
	}
	meta := &shoal.FileMeta{Format: shoal.FormatAvro, Schema: schema, Codec: h.codec}
	w := newWalker(in, h)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, ok, err := w.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return meta, nil
		}
		if b.count > math.MaxInt64-meta.Rows {
			return nil, shoal.Refusef("%s: the record counts of the blocks overflow at block %d", in.Name, b.index)
		}
		meta.Rows += b.count
		meta.Units++
		meta.UnitBytes += b.end - b.data
	}
}

// Verify checks the file's structure as Inspect does, then decodes every
// record with hamba/avro's container reader. Rows is the number of
// records decoded, which must equal the blocks' counts.
func (m *Merger) Verify(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	meta, err := m.Inspect(ctx, in)
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder(in)
	if err != nil {
		return nil, err
	}
	defer func() { _ = dec.Close() }()
	var n int64
	for dec.HasNext() {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: decoding record %d: %w", in.Name, n, err)
		}
		n++
	}
	if err := dec.Error(); err != nil {
		return nil, fmt.Errorf("%s: reading after record %d: %w", in.Name, n, err)
	}
	if n != meta.Rows {
		return nil, fmt.Errorf("%s: decoded %d records, but the blocks hold %d", in.Name, n, meta.Rows)
	}
	return meta, nil
}

// parseSchema parses a file's schema. Each file gets its own schema cache:
// the shared default cache would let one file's named types leak into
// another's schema.
func parseSchema(name string, raw []byte) (havro.Schema, error) {
	s, err := havro.ParseBytesWithCache(raw, "", &havro.SchemaCache{})
	if err != nil {
		return nil, shoal.Refusef("%s: invalid Avro schema: %v", name, err)
	}
	return s, nil
}

// newDecoder opens hamba/avro's container reader over the whole input.
func newDecoder(in shoal.MergeInput) (*ocf.Decoder, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(in.R, 0, in.Size), readBufSize)
	dec, err := ocf.NewDecoder(r, ocf.WithDecoderConfig(api), ocf.WithDecoderSchemaCache(&havro.SchemaCache{}))
	if err != nil {
		return nil, fmt.Errorf("%s: opening the Avro reader: %w", in.Name, err)
	}
	return dec, nil
}

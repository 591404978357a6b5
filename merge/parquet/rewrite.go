package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/shoalhq/shoal"
)

// rewrite decodes the inputs' rows and encodes them again with parquet-go.
func rewrite(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (res *shoal.MergeResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("parquet-go panicked while rewriting: %v", r)
		}
	}()
	codec, err := codecFor(opts.Codec)
	if err != nil {
		return nil, err
	}
	src, want, err := rewriteInputs(inputs, metas)
	if err != nil {
		return nil, err
	}
	first, err := openFile(inputs[0], pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%s: parquet-go cannot open the file: %w", inputs[0].Name, err)
	}
	schema := outputSchema(first, src, codec)
	strip, err := checkSchemaKept(schema, src)
	if err != nil {
		return nil, shoal.Refusef("%s: cannot rewrite: %v", inputs[0].Name, err)
	}
	target := opts.RowGroupSize
	if target <= 0 {
		target = DefaultRowGroupSize
	}

	// The pages of the row group being written are buffered in temporary
	// files rather than on the heap, which would hold a whole row group
	// (target bytes, 128 MiB by default) until it is written.
	pages := &tempPages{open: map[*os.File]bool{}}
	defer pages.closeAll()

	o := newOutput(w)
	tail := &tailWriter{w: o}
	pw := pq.NewGenericWriter[any](tail, append([]pq.WriterOption{schema, pq.ColumnPageBuffers(pages)}, writerOptions...)...)
	rows, err := copyRows(ctx, pw, first, inputs, target)
	if err != nil {
		return nil, err
	}
	if rows != want {
		return nil, fmt.Errorf("rewrite read %d rows, the inputs' row groups hold %d", rows, want)
	}
	// Everything after the last row group (page indexes and footer) is
	// held back so that the footer can be given the inputs' schema.
	if err := pw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the last row group: %w", err)
	}
	tail.hold, tail.start = true, o.n
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("closing the parquet-go writer: %w", err)
	}
	if err := o.writePatchedTail(tail.held.Bytes(), tail.start, src, strip); err != nil {
		return nil, fmt.Errorf("giving the output the inputs' schema: %w", err)
	}
	if err := o.bw.Flush(); err != nil {
		return nil, err
	}
	return &shoal.MergeResult{Rows: rows, Bytes: o.n}, nil
}

// rewriteInputs reads the inputs' footers, checks that they share one
// schema, and returns the first footer and the rows expected.
func rewriteInputs(inputs []shoal.MergeInput, metas []*shoal.FileMeta) (*fileMeta, int64, error) {
	var first *fileMeta
	var schema string
	var rows int64
	for i, in := range inputs {
		fm, err := readFooter(in)
		if err != nil {
			return nil, 0, err
		}
		meta, err := fm.meta()
		if err != nil {
			return nil, 0, shoal.Refusef("%s: %v", in.Name, err)
		}
		if metas[i] != nil && (metas[i].Schema != meta.Schema || metas[i].Rows != meta.Rows) {
			return nil, 0, fmt.Errorf("%s changed since it was inspected", in.Name)
		}
		if i == 0 {
			first, schema = fm, meta.Schema
		} else if meta.Schema != schema {
			return nil, 0, shoal.Refusef("cannot rewrite %s and %s together: schemas differ: %s and %s",
				inputs[0].Name, in.Name, schema, meta.Schema)
		}
		rows += meta.Rows
	}
	return first, rows, nil
}

// copyRows streams every row of every input into pw, starting a new row
// group whenever the buffered one reaches target bytes. The inputs are
// decoded in a goroutine of their own (see readRows) while this one
// encodes, so that the two run on two cores.
func copyRows(ctx context.Context, pw *pq.GenericWriter[any], first *pq.File, inputs []shoal.MergeInput, target int64) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	full := make(chan *ownedRows, batchesInFlight)
	free := make(chan *ownedRows, batchesInFlight)
	for range batchesInFlight {
		free <- new(ownedRows)
	}
	done := make(chan error, 1)
	go func() {
		defer close(full)
		done <- readRows(ctx, first, inputs, full, free)
	}()
	// On an early return, stop the reader and wait for it: it must not
	// use the inputs once Merge has returned.
	defer func() {
		cancel()
		for b := range full {
			_ = b // drained
		}
	}()

	var rows, base int64
	for b := range full {
		// The size is checked every rowBatch rows, so that small targets
		// are kept to.
		for batch := range slices.Chunk(b.rows(), rowBatch) {
			if _, err := pw.WriteRows(batch); err != nil {
				return rows, fmt.Errorf("encoding rows: %w", err)
			}
			rows += int64(len(batch))
			if pw.Size()-base >= target {
				if err := pw.Flush(); err != nil {
					return rows, fmt.Errorf("writing a row group: %w", err)
				}
				base = pw.Size()
			}
		}
		free <- b
	}
	return rows, <-done
}

// batchesInFlight is how many batches of rows the decoding goroutine of a
// rewrite may be ahead of the encoding one, plus one.
const batchesInFlight = 4

// batchRows is how many rows a batch passed between the goroutines of a
// rewrite holds at most.
const batchRows = 16 * rowBatch

// arenaChunk is the size of the chunks of memory that hold the bytes of a
// batch's values.
const arenaChunk = 1 << 20

// ownedRows is a batch of decoded rows that owns its memory: the rows'
// values are in slices of its own, kept from batch to batch, and the bytes
// of their BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY values are in its chunks.
type ownedRows struct {
	slots  []pq.Row // batchRows rows, of which the first n are in use
	n      int
	chunks [][]byte // chunks[cur] is being filled
	cur    int
}

// rows returns the rows in b.
func (b *ownedRows) rows() []pq.Row { return b.slots[:b.n] }

// reset empties b, keeping its memory.
func (b *ownedRows) reset() {
	if b.slots == nil {
		b.slots = make([]pq.Row, batchRows)
	}
	b.n, b.cur = 0, 0
	for i := range b.chunks {
		b.chunks[i] = b.chunks[i][:0]
	}
}

// own copies the bytes of the values of b's rows from n onwards into b's
// chunks: the decoder's values point into its page buffers, which it
// reuses.
func (b *ownedRows) own(n int) {
	for _, row := range b.slots[n:b.n] {
		for j := range row {
			v := &row[j]
			k := v.Kind()
			if k != pq.ByteArray && k != pq.FixedLenByteArray || v.IsNull() {
				continue
			}
			bs := b.copyBytes(v.ByteArray())
			c := pq.ByteArrayValue(bs)
			if k == pq.FixedLenByteArray {
				c = pq.FixedLenByteArrayValue(bs)
			}
			// The setters, unlike Level, are inlined.
			c.SetRepetitionLevel(v.RepetitionLevel())
			c.SetDefinitionLevel(v.DefinitionLevel())
			c.SetColumnIndex(v.Column())
			*v = c
		}
	}
}

// copyBytes returns a copy of p in b's chunks.
func (b *ownedRows) copyBytes(p []byte) []byte {
	if len(p) > arenaChunk/4 {
		return bytes.Clone(p)
	}
	if b.cur == len(b.chunks) {
		b.chunks = append(b.chunks, make([]byte, 0, arenaChunk))
	}
	c := b.chunks[b.cur]
	if len(c)+len(p) > cap(c) {
		b.cur++
		if b.cur == len(b.chunks) {
			b.chunks = append(b.chunks, make([]byte, 0, arenaChunk))
		}
		c = b.chunks[b.cur]
	}
	off := len(c)
	c = append(c, p...)
	b.chunks[b.cur] = c
	return c[off:len(c):len(c)]
}

// readRows decodes every row of every input in batches, taking empty
// batches from free and sending full ones to full, until ctx is done.
func readRows(ctx context.Context, first *pq.File, inputs []shoal.MergeInput, full, free chan *ownedRows) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet-go panicked while decoding: %v", r)
		}
	}()
	var b *ownedRows
	// next returns the batch to decode into, sending the current one when
	// it is full.
	next := func() (*ownedRows, error) {
		if b != nil && b.n == len(b.slots) {
			select {
			case full <- b:
				b = nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if b == nil {
			select {
			case b = <-free:
				b.reset()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return b, nil
	}
	for i, in := range inputs {
		f := first
		if i > 0 {
			if f, err = openFile(in, pq.SkipPageIndex(true), pq.SkipBloomFilters(true)); err != nil {
				return fmt.Errorf("%s: parquet-go cannot open the file: %w", in.Name, err)
			}
		}
		for gi, g := range f.RowGroups() {
			if err := readGroup(ctx, g, next); err != nil {
				return fmt.Errorf("%s: row group %d: %w", in.Name, gi, err)
			}
		}
	}
	if b != nil && b.n > 0 {
		select {
		case full <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// readGroup decodes the rows of g into the batches next returns.
func readGroup(ctx context.Context, g pq.RowGroup, next func() (*ownedRows, error)) error {
	rows := g.Rows()
	defer rows.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := next()
		if err != nil {
			return err
		}
		n := b.n
		k, err := rows.ReadRows(b.slots[n:min(n+rowBatch, len(b.slots))])
		b.n += k
		b.own(n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decoding rows: %w", err)
		}
	}
}

// codecFor maps MergeOptions.Codec to a parquet-go codec; nil keeps each
// column's codec.
func codecFor(name string) (compress.Codec, error) {
	switch strings.ToLower(name) {
	case "":
		return nil, nil
	case "none", "uncompressed":
		return &pq.Uncompressed, nil
	case "snappy":
		return fastSnappy, nil
	case "gzip":
		return &pq.Gzip, nil
	case "zstd":
		return &pq.Zstd, nil
	case "brotli":
		return &pq.Brotli, nil
	case "lz4", "lz4_raw":
		return &pq.Lz4Raw, nil
	}
	return nil, shoal.Refusef("unsupported Parquet codec %q (use none, snappy, gzip, zstd, brotli or lz4_raw)", name)
}

// outputSchema is the first input's schema as parquet-go sees it, with
// each column's codec (codec when not nil) and an encoding chosen from the
// column's encodings in the first row group of src.
func outputSchema(f *pq.File, src *fileMeta, codec compress.Codec) *pq.Schema {
	root := f.Root()
	var encs [][]int32
	if len(src.rowGroups) > 0 {
		for _, c := range src.rowGroups[0].columns {
			encs = append(encs, c.encodings)
		}
	}
	leaf := 0
	return pq.NewSchema(root.Name(), wrapNode(root, encs, codec, &leaf))
}

// wrapNode wraps a node and its descendants so that every leaf has an
// explicit codec and encoding. Groups keep their fields in order
// (parquet.Group would sort them).
func wrapNode(f pq.Field, encs [][]int32, codec compress.Codec, leaf *int) pq.Field {
	if f.Leaf() {
		c := codec
		if c == nil {
			c = f.Compression()
		}
		if c != nil && c.CompressionCodec() == format.Snappy {
			c = fastSnappy
		}
		var e []int32
		if *leaf < len(encs) {
			e = encs[*leaf]
		}
		*leaf++
		return &leafNode{Field: f, codec: c, enc: chooseEncoding(f.Type().Kind(), e)}
	}
	fields := f.Fields()
	wrapped := make([]pq.Field, len(fields))
	for i, c := range fields {
		wrapped[i] = wrapNode(c, encs, codec, leaf)
	}
	return &groupNode{Field: f, fields: wrapped}
}

type leafNode struct {
	pq.Field
	codec compress.Codec
	enc   encoding.Encoding
}

func (n *leafNode) Compression() compress.Codec { return n.codec }
func (n *leafNode) Encoding() encoding.Encoding { return n.enc }

type groupNode struct {
	pq.Field
	fields []pq.Field
}

func (n *groupNode) Fields() []pq.Field { return n.fields }

// plainDictionary is PLAIN_DICTIONARY, deprecated in favour of
// RLE_DICTIONARY but still written by legacy writers.
const plainDictionary format.Encoding = 2

// chooseEncoding picks the data encoding of a rewritten column from the
// encodings its chunk used: a dictionary if it had one, else the delta or
// byte-stream-split encoding it used, else PLAIN. The encodings list of a
// chunk also names the levels' encodings (RLE, BIT_PACKED), so RLE counts
// as a data encoding only for booleans.
func chooseEncoding(kind pq.Kind, encs []int32) encoding.Encoding {
	has := func(e format.Encoding) bool { return slices.Contains(encs, int32(e)) }
	var e encoding.Encoding = &pq.Plain
	switch {
	case kind == pq.Boolean:
		if has(format.RLE) {
			e = &pq.RLE
		}
	case has(plainDictionary) || has(format.RLEDictionary):
		return &pq.RLEDictionary
	case has(format.DeltaBinaryPacked):
		e = &pq.DeltaBinaryPacked
	case has(format.DeltaByteArray):
		e = &pq.DeltaByteArray
	case has(format.DeltaLengthByteArray):
		e = &pq.DeltaLengthByteArray
	case has(format.ByteStreamSplit):
		e = &pq.ByteStreamSplit
	}
	if !canEncode(e, kind) {
		return &pq.Plain
	}
	return e
}

func canEncode(e encoding.Encoding, kind pq.Kind) bool {
	switch kind {
	case pq.Boolean:
		return encoding.CanEncodeBoolean(e)
	case pq.Int32:
		return encoding.CanEncodeInt32(e)
	case pq.Int64:
		return encoding.CanEncodeInt64(e)
	case pq.Int96:
		return encoding.CanEncodeInt96(e)
	case pq.Float:
		return encoding.CanEncodeFloat(e)
	case pq.Double:
		return encoding.CanEncodeDouble(e)
	case pq.ByteArray:
		return encoding.CanEncodeByteArray(e)
	case pq.FixedLenByteArray:
		return encoding.CanEncodeFixedLenByteArray(e)
	}
	return false
}

// writerOptions configure the rewrite's parquet-go writer. Page headers get
// no statistics: their min and max follow parquet-go's reading of the
// schema, which the footer patch may correct (see minMaxKept), and they
// cannot be removed once written.
var writerOptions = []pq.WriterOption{pq.DataPageStatistics(false)}

// checkSchemaKept writes an empty file with schema and checks that its
// schema has the structure of src's: the same elements, names, nesting,
// physical types and repetition. Annotations may differ; the footer gets
// src's schema elements. It returns, for each leaf column, whether its
// min/max statistics must be dropped (see minMaxKept).
func checkSchemaKept(schema *pq.Schema, src *fileMeta) ([]bool, error) {
	var buf bytes.Buffer
	pw := pq.NewGenericWriter[any](&buf, append([]pq.WriterOption{schema}, writerOptions...)...)
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("parquet-go cannot write the schema: %w", err)
	}
	got, err := readFooter(shoal.MergeInput{Name: "probe", Size: int64(buf.Len()), R: bytes.NewReader(buf.Bytes())})
	if err != nil {
		return nil, fmt.Errorf("parquet-go writes an unreadable footer: %w", err)
	}
	if len(got.schema) != len(src.schema) {
		return nil, fmt.Errorf("parquet-go would write %d schema elements instead of %d", len(got.schema), len(src.schema))
	}
	for i := range src.schema {
		if err := sameStructure(&got.schema[i], &src.schema[i], i == 0); err != nil {
			return nil, fmt.Errorf("parquet-go would change schema element %d (%q): %w", i, src.schema[i].name, err)
		}
	}
	strip := make([]bool, len(src.leaves))
	for i := range src.leaves {
		strip[i] = !minMaxKept(src.leaves[i].elem, got.leaves[i].elem)
	}
	return strip, nil
}

// minMaxKept reports whether the min/max statistics parquet-go computes for
// a column, which follow its own reading of the schema (got), are right for
// the inputs' schema element (want). They are when both sort the same way,
// except for decimals stored as bytes, which parquet-go compares as
// unsigned bytes where the format compares them as signed numbers, and for
// INT96, whose order is undefined.
func minMaxKept(want, got *schemaElement) bool {
	o := sortOrder(want)
	if o == "undefined" || o != sortOrder(got) {
		return false
	}
	isDecimal := want.hasConverted && want.converted == 5 || strings.HasPrefix(want.logical, "DECIMAL")
	return !isDecimal || (want.typ != 6 && want.typ != 7)
}

// sortOrder is the order of a column's values for statistics, as
// parquet.thrift defines it for each type.
func sortOrder(e *schemaElement) string {
	unsigned := e.hasConverted && e.converted >= 11 && e.converted <= 14 || strings.HasPrefix(e.logical, "INT(") && strings.Contains(e.logical, "2=false")
	switch e.typ {
	case 0, 1, 2, 4, 5:
		if unsigned {
			return "unsigned"
		}
		return "signed"
	case 6, 7:
		switch {
		case e.hasConverted && e.converted == 5, strings.HasPrefix(e.logical, "DECIMAL"):
			return "signed"
		case e.logical == "FLOAT16":
			return "float16"
		case e.hasConverted && e.converted == 21:
			return "undefined" // INTERVAL
		case e.logical != "" && !knownBinaryLogical(e.logical):
			return "undefined"
		}
		return "unsigned"
	}
	return "undefined"
}

// knownBinaryLogical reports whether a logical type on bytes sorts as
// unsigned bytes.
func knownBinaryLogical(l string) bool {
	switch l {
	case "STRING", "ENUM", "JSON", "BSON", "UUID":
		return true
	}
	return false
}

func sameStructure(got, want *schemaElement, root bool) error {
	switch {
	case got.name != want.name && !root:
		return fmt.Errorf("name %q", got.name)
	case got.numChildren != want.numChildren:
		return fmt.Errorf("%d children instead of %d", got.numChildren, want.numChildren)
	case got.hasType != want.hasType || got.typ != want.typ:
		return fmt.Errorf("physical type %s instead of %s", physicalName(got.typ), physicalName(want.typ))
	case want.typ == 7 && got.typeLength != want.typeLength:
		return fmt.Errorf("type length %d instead of %d", got.typeLength, want.typeLength)
	case !root && got.repetition != want.repetition:
		return fmt.Errorf("repetition %s instead of %s", repetitionName(got), repetitionName(want))
	}
	return nil
}

func repetitionName(e *schemaElement) string {
	if e.hasRepetition && e.repetition >= 0 && int(e.repetition) < len(repetitionNames) {
		return repetitionNames[e.repetition]
	}
	return "none"
}

// tailWriter passes writes through until hold is set, then keeps them;
// start is the output offset of the first byte kept.
type tailWriter struct {
	w     io.Writer
	hold  bool
	start int64
	held  bytes.Buffer
}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.hold {
		return t.held.Write(p)
	}
	return t.w.Write(p)
}

// fastSnappy is the SNAPPY codec of a rewrite. parquet-go's compresses
// with klauspost/compress's "better" snappy encoder, which takes most of a
// rewrite's time; this one uses its fast encoder. Both write standard
// Snappy blocks.
var fastSnappy compress.Codec = &snappyCodec{}

type snappyCodec struct{ snappy.Codec }

func (c *snappyCodec) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst, src), nil
}

// tempPages is a parquet-go buffer pool of temporary files. A file is
// removed as soon as it is created where the system allows it (it lives
// until it is closed), so that none is left behind by a process that
// dies; closeAll closes the files the writer has not given back.
type tempPages struct {
	mu   sync.Mutex
	open map[*os.File]bool // the files given out, and whether each is still to be removed
}

func (p *tempPages) GetBuffer() io.ReadWriteSeeker {
	f, err := os.CreateTemp("", "shoal-rewrite-pages-*")
	if err != nil {
		return &failedBuffer{err: fmt.Errorf("creating a page buffer: %w", err)}
	}
	named := os.Remove(f.Name()) != nil
	p.mu.Lock()
	p.open[f] = named
	p.mu.Unlock()
	return f
}

func (p *tempPages) PutBuffer(b io.ReadWriteSeeker) {
	if f, ok := b.(*os.File); ok {
		p.mu.Lock()
		named, ok := p.open[f]
		delete(p.open, f)
		p.mu.Unlock()
		if ok {
			release(f, named)
		}
	}
}

func (p *tempPages) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for f, named := range p.open {
		release(f, named)
	}
	clear(p.open)
}

func release(f *os.File, named bool) {
	_ = f.Close()
	if named {
		_ = os.Remove(f.Name())
	}
}

// failedBuffer is a page buffer that could not be created.
type failedBuffer struct{ err error }

func (b *failedBuffer) Read([]byte) (int, error)       { return 0, b.err }
func (b *failedBuffer) Write([]byte) (int, error)      { return 0, b.err }
func (b *failedBuffer) Seek(int64, int) (int64, error) { return 0, b.err }

package avro

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	havro "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/shoalhq/shoal"
)

const (
	// readBufSize is the read buffer of the record decoder.
	readBufSize = 1 << 20
	// writeBufSize is the output buffer; verbatim copies are read
	// straight into it.
	writeBufSize = 1 << 20
	// defaultBlockSize is the uncompressed size of the blocks rewrite
	// writes when MergeOptions.RowGroupSize is 0; maxBlockSize bounds it.
	defaultBlockSize = 1 << 20
	maxBlockSize     = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Merge writes the inputs, in order, as one container file.
//
// ModeConcat needs inputs with the same schema and codec. It writes the
// first input's metadata under a new sync marker and copies each data
// block (its count, size and serialized records) verbatim, followed by the
// new marker; blocks of zero records are dropped. Each copied block is a
// Segment.
//
// ModeRewrite decodes every record and encodes it with the first input's
// schema (written exactly as stored) into blocks of about
// opts.RowGroupSize uncompressed bytes, compressed with opts.Codec or the
// first input's codec. An input with another schema is read through Avro
// schema resolution: fields the output schema lacks are dropped, missing
// ones take their defaults, numbers are promoted; an input that cannot be
// resolved is refused before its first record is written.
func (*Merger) Merge(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	if len(inputs) == 0 {
		return nil, errors.New("avro: no inputs to merge")
	}
	if len(metas) != len(inputs) {
		return nil, fmt.Errorf("avro: %d inputs but %d metas", len(inputs), len(metas))
	}
	switch opts.Mode {
	case shoal.ModeConcat:
		return concat(ctx, w, inputs, metas)
	case shoal.ModeRewrite:
		return rewrite(ctx, w, inputs, metas, opts)
	default:
		return nil, fmt.Errorf("avro: merge mode %q is neither concat nor rewrite", opts.Mode)
	}
}

func concat(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta) (*shoal.MergeResult, error) {
	for i := 1; i < len(metas); i++ {
		if err := shoal.ConcatCompatible(metas[0], metas[i]); err != nil {
			return nil, shoal.Refusef("cannot concatenate %s with %s: %v", inputs[i].Name, inputs[0].Name, err)
		}
	}
	first, err := readHeader(inputs[0])
	if err != nil {
		return nil, err
	}
	sync := newSync()
	out := newOutput(w)
	if _, err := out.Write(encodeHeader(outputMeta(first.meta, sync), sync)); err != nil {
		return nil, fmt.Errorf("avro: writing the header: %w", err)
	}
	res := &shoal.MergeResult{}
	for i, in := range inputs {
		h := first
		if i > 0 {
			if h, err = readHeader(in); err != nil {
				return nil, err
			}
			if h.codec != first.codec {
				return nil, fmt.Errorf("%s: codec %s differs from %s's %s: the file changed since it was inspected", in.Name, h.codec, inputs[0].Name, first.codec)
			}
		}
		rows, err := copyBlocks(ctx, out, in, h, sync, res)
		if err != nil {
			return nil, err
		}
		if rows != metas[i].Rows {
			return nil, fmt.Errorf("%s: holds %d records, %d when inspected: the file changed", in.Name, rows, metas[i].Rows)
		}
		res.Rows += rows
	}
	if err := out.flush(); err != nil {
		return nil, fmt.Errorf("avro: writing the output: %w", err)
	}
	res.Bytes = out.n
	return res, nil
}

// copyBlocks copies the data blocks of one input verbatim, each followed by
// the output's sync marker, appending a Segment per block to res. It reads
// the input sequentially through one buffer and returns the number of
// records copied.
func copyBlocks(ctx context.Context, out *output, in shoal.MergeInput, h *header, sync [syncSize]byte, res *shoal.MergeResult) (int64, error) {
	var rows int64
	p := newBlockParser(in, h)
	br := bufio.NewReaderSize(io.NewSectionReader(in.R, h.size, in.Size-h.size), readBufSize)
	var inSync [syncSize]byte
	for !p.done() {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		head, err := br.Peek(int(min(maxBlockHead, p.size-p.off)))
		if err != nil {
			return 0, fmt.Errorf("%s: reading block %d: %w", in.Name, p.index, err)
		}
		b, err := p.parseHead(head)
		if err != nil {
			return 0, err
		}
		if b.count == 0 { // no records; hamba/avro's reader would stop at it
			_, err = br.Discard(int(b.end - b.start))
		} else {
			var seg shoal.Segment
			if seg, err = out.copyFrom(br, b.end-b.start); err == nil {
				res.Segments = append(res.Segments, seg)
				_, err = out.Write(sync[:])
			}
		}
		if err == nil {
			_, err = io.ReadFull(br, inSync[:])
		}
		if err != nil {
			return 0, fmt.Errorf("%s: copying block %d: %w", in.Name, b.index, err)
		}
		if err := p.endBlock(b, inSync[:]); err != nil {
			return 0, err
		}
		rows += b.count
	}
	return rows, nil
}

func rewrite(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	first, err := readHeader(inputs[0])
	if err != nil {
		return nil, err
	}
	schema, err := parseSchema(inputs[0].Name, first.schema)
	if err != nil {
		return nil, err
	}
	codec := first.codec
	if opts.Codec != "" {
		codec = opts.Codec
	}
	if !codecs[codec] {
		return nil, shoal.Refusef("cannot write Avro codec %q (supported: null, deflate, snappy, zstandard)", codec)
	}
	blockSize := int64(defaultBlockSize)
	if opts.RowGroupSize > 0 {
		blockSize = min(opts.RowGroupSize, maxBlockSize)
	}
	sync := newSync()
	meta := map[string][]byte{}
	for _, e := range outputMeta(first.meta, sync) {
		if e.key != schemaKey && e.key != codecKey {
			meta[e.key] = e.value
		}
	}
	out := newOutput(w)
	enc, err := ocf.NewEncoderWithSchema(schema, out,
		ocf.WithCodec(ocf.CodecName(codec)),
		ocf.WithBlockLength(0), // blocks end by size only
		ocf.WithBlockSize(int(blockSize)),
		ocf.WithMetadata(meta),
		ocf.WithSyncBlock(sync),
		ocf.WithEncodingConfig(api),
		ocf.WithEncoderSchemaCache(&havro.SchemaCache{}),
		// Keep the schema exactly as the first input stores it, with its
		// docs, defaults and properties.
		ocf.WithSchemaMarshaler(func(havro.Schema) ([]byte, error) { return first.schema, nil }),
	)
	if err != nil {
		return nil, fmt.Errorf("avro: starting the output: %w", err)
	}
	res := &shoal.MergeResult{}
	for i, in := range inputs {
		rows, err := rewriteInput(ctx, enc, in, schema)
		if err != nil {
			_ = enc.Close()
			return nil, err
		}
		if rows != metas[i].Rows {
			_ = enc.Close()
			return nil, fmt.Errorf("%s: holds %d records, %d when inspected: the file changed", in.Name, rows, metas[i].Rows)
		}
		res.Rows += rows
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("avro: writing the last block: %w", err)
	}
	if err := out.flush(); err != nil {
		return nil, fmt.Errorf("avro: writing the output: %w", err)
	}
	res.Bytes = out.n
	return res, nil
}

// rewriteInput decodes the records of one input and encodes them with enc,
// whose schema is schema. It returns the number of records.
func rewriteInput(ctx context.Context, enc *ocf.Encoder, in shoal.MergeInput, schema havro.Schema) (int64, error) {
	dec, err := newDecoder(in)
	if err != nil {
		return 0, err
	}
	defer func() { _ = dec.Close() }()
	convert, err := converter(in.Name, dec.Schema(), schema)
	if err != nil {
		return 0, err
	}
	var n int64
	for dec.HasNext() {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return 0, fmt.Errorf("%s: decoding record %d: %w", in.Name, n, err)
		}
		if v, err = convert(v); err != nil {
			return 0, fmt.Errorf("%s: resolving record %d against the output schema: %w", in.Name, n, err)
		}
		if err := enc.Encode(v); err != nil {
			return 0, fmt.Errorf("%s: record %d cannot be written with the output schema: %w", in.Name, n, err)
		}
		n++
	}
	if err := dec.Error(); err != nil {
		return 0, fmt.Errorf("%s: reading after record %d: %w", in.Name, n, err)
	}
	return n, nil
}

// converter returns a function that turns a record decoded with the
// writer schema into one of the reader schema. Equal schemas need no
// conversion; others go through Avro schema resolution: the record is
// encoded again with its writer schema and decoded with the resolved
// schema.
func converter(name string, writer, reader havro.Schema) (func(any) (any, error), error) {
	if writer.String() == reader.String() {
		return func(v any) (any, error) { return v, nil }, nil
	}
	resolved, err := havro.NewSchemaCompatibility().Resolve(reader, writer)
	if err != nil {
		return nil, shoal.Refusef("%s: its records cannot be read with the output schema: %v", name, err)
	}
	return func(v any) (any, error) {
		b, err := api.Marshal(writer, v)
		if err != nil {
			return nil, err
		}
		var out any
		if err := api.Unmarshal(resolved, b, &out); err != nil {
			return nil, err
		}
		return out, nil
	}, nil
}

// newSync returns a random sync marker.
func newSync() [syncSize]byte {
	var s [syncSize]byte
	_, _ = rand.Read(s[:]) // never fails: crypto/rand crashes the program instead
	return s
}

// output is the buffered output of a merge, counting the bytes written.
type output struct {
	bw *bufio.Writer
	n  int64
}

// writerOnly hides the output's ReadFrom (an *os.File has one), so that
// verbatim copies are read straight into the 1 MiB buffer rather than
// through io.Copy's small one.
type writerOnly struct{ io.Writer }

func newOutput(w io.Writer) *output {
	return &output{bw: bufio.NewWriterSize(writerOnly{w}, writeBufSize)}
}

func (o *output) Write(p []byte) (int, error) {
	n, err := o.bw.Write(p)
	o.n += int64(n)
	return n, err
}

// ReadFrom copies r to the output through the buffer.
func (o *output) ReadFrom(r io.Reader) (int64, error) {
	n, err := o.bw.ReadFrom(r)
	o.n += n
	return n, err
}

// copyFrom copies the next n bytes of r verbatim and returns the Segment
// describing them, with the CRC-32C of the bytes as read.
func (o *output) copyFrom(r io.Reader, n int64) (shoal.Segment, error) {
	crc := crc32.New(castagnoli)
	seg := shoal.Segment{Offset: o.n, Length: n}
	copied, err := o.ReadFrom(io.TeeReader(io.LimitReader(r, n), crc))
	if err != nil {
		return shoal.Segment{}, err
	}
	if copied != n {
		return shoal.Segment{}, fmt.Errorf("copied %d of %d bytes: %w", copied, n, io.ErrUnexpectedEOF)
	}
	seg.CRC = crc.Sum32()
	return seg, nil
}

func (o *output) flush() error { return o.bw.Flush() }

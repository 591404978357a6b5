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
	// writeBufSize is the output buffer of rewrite.
	writeBufSize = 1 << 20
	// concatBufSize is the one buffer of a concat merge: blocks are read
	// into it, given the new sync marker in place and written from it, so
	// that each byte is copied only by the reads and writes. Writes are of
	// at least a quarter of it.
	concatBufSize = 4 << 20
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
	out := &concatOutput{w: w, buf: make([]byte, concatBufSize)}
	if err := out.write(encodeHeader(outputMeta(first.meta, sync), sync)); err != nil {
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

// concatOutput is the output of a concat merge. buf[:done] is ready to be
// written; the inputs are read into the rest of buf.
type concatOutput struct {
	w    io.Writer
	buf  []byte
	done int
	n    int64 // bytes written to w
}

// offset returns the output offset of buf[done].
func (o *concatOutput) offset() int64 { return o.n + int64(o.done) }

// write appends p to the output.
func (o *concatOutput) write(p []byte) error {
	if len(p) > len(o.buf)-o.done {
		if err := o.flush(); err != nil {
			return err
		}
		if len(p) > len(o.buf) {
			n, err := o.w.Write(p)
			o.n += int64(n)
			return err
		}
	}
	o.done += copy(o.buf[o.done:], p)
	return nil
}

// flush writes buf[:done].
func (o *concatOutput) flush() error {
	if o.done == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf[:o.done])
	o.n += int64(n)
	if err == nil && n < o.done {
		err = io.ErrShortWrite
	}
	o.done = 0
	return err
}

// copyBlocks copies the data blocks of one input verbatim, each followed by
// the output's sync marker, appending a Segment per block to res, and
// returns the number of records copied. It reads the input in large
// ranges into the output's buffer, just after the bytes waiting to be
// written, and puts the new sync marker in place of each block's; a block
// larger than the buffer is streamed through it.
func copyBlocks(ctx context.Context, out *concatOutput, in shoal.MergeInput, h *header, sync [syncSize]byte, res *shoal.MergeResult) (int64, error) {
	var rows int64
	p := newBlockParser(in, h)
	// win holds the input's bytes from p.off; it is out.buf[out.done:].
	var win []byte
	need := int64(0) // bytes of the next block that win must hold, when known
	for !p.done() {
		headLen := min(maxBlockHead, p.size-p.off)
		if int64(len(win)) < max(headLen, need) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if need > int64(len(out.buf)) {
				if err := copyLarge(out, in, &p, sync, res, &rows); err != nil {
					return 0, err
				}
				win, need = nil, 0
				continue
			}
			free := len(out.buf) - out.done
			if int64(free) < max(headLen, need) || free < len(out.buf)/4 {
				if err := out.flush(); err != nil {
					return 0, fmt.Errorf("avro: writing the output: %w", err)
				}
				free = len(out.buf)
			}
			win = out.buf[out.done : out.done+int(min(int64(free), p.size-p.off))]
			if err := readAt(in.R, win, p.off); err != nil {
				return 0, fmt.Errorf("%s: reading block %d: %w", in.Name, p.index, err)
			}
		}
		b, err := p.parseHead(win[:headLen])
		if err != nil {
			return 0, err
		}
		total := b.end + syncSize - b.start
		if int64(len(win)) < total {
			need = total
			continue
		}
		need = 0
		data, inSync := win[:total-syncSize], win[total-syncSize:total]
		if err := p.endBlock(b, inSync); err != nil {
			return 0, err
		}
		rows += b.count
		if b.count == 0 { // no records; hamba/avro's reader would stop at it
			win = out.buf[out.done : out.done+copy(win, win[total:])]
			continue
		}
		res.Segments = append(res.Segments, shoal.Segment{
			Offset: out.offset(),
			Length: int64(len(data)),
			CRC:    crc32.Checksum(data, castagnoli),
		})
		copy(inSync, sync[:])
		out.done += int(total)
		win = win[total:]
	}
	return rows, nil
}

// copyLarge copies the next block, which is larger than the output's
// buffer, through the buffer.
func copyLarge(out *concatOutput, in shoal.MergeInput, p *blockParser, sync [syncSize]byte, res *shoal.MergeResult, rows *int64) error {
	if err := out.flush(); err != nil {
		return fmt.Errorf("avro: writing the output: %w", err)
	}
	head := out.buf[:min(maxBlockHead, p.size-p.off)]
	if err := readAt(in.R, head, p.off); err != nil {
		return fmt.Errorf("%s: reading block %d: %w", in.Name, p.index, err)
	}
	b, err := p.parseHead(head)
	if err != nil {
		return err
	}
	seg := shoal.Segment{Offset: out.offset(), Length: b.end - b.start}
	for off := b.start; off < b.end; {
		chunk := out.buf[:min(int64(len(out.buf)), b.end-off)]
		if err := readAt(in.R, chunk, off); err != nil {
			return fmt.Errorf("%s: copying block %d: %w", in.Name, b.index, err)
		}
		off += int64(len(chunk))
		if b.count == 0 {
			continue
		}
		seg.CRC = crc32.Update(seg.CRC, castagnoli, chunk)
		out.done = len(chunk)
		if err := out.flush(); err != nil {
			return fmt.Errorf("avro: writing the output: %w", err)
		}
	}
	var inSync [syncSize]byte
	if err := readAt(in.R, inSync[:], b.end); err != nil {
		return fmt.Errorf("%s: reading the sync marker of block %d: %w", in.Name, b.index, err)
	}
	if err := p.endBlock(b, inSync[:]); err != nil {
		return err
	}
	*rows += b.count
	if b.count == 0 {
		return nil
	}
	res.Segments = append(res.Segments, seg)
	return out.write(sync[:])
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

// output is the buffered output of a rewrite, counting the bytes written.
type output struct {
	bw *bufio.Writer
	n  int64
}

func newOutput(w io.Writer) *output {
	return &output{bw: bufio.NewWriterSize(w, writeBufSize)}
}

func (o *output) Write(p []byte) (int, error) {
	n, err := o.bw.Write(p)
	o.n += int64(n)
	return n, err
}

func (o *output) flush() error { return o.bw.Flush() }

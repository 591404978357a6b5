package text

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/klauspost/compress/gzip"
	"github.com/shoalhq/shoal"
)

// writeBufSize is the output buffer; verbatim copies are read straight
// into it.
const writeBufSize = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// gzipNewline is a gzip member holding "\n", appended after a gzip input
// whose data does not end with one.
var gzipNewline = func() []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(lf)
	_ = zw.Close() // writes to memory: cannot fail
	return b.Bytes()
}()

// bzip2Newline is a bzip2 stream holding "\n", as `printf '\n' | bzip2 -9`
// (bzip2 1.0.8) writes it; Go has no bzip2 compressor to make one.
var bzip2Newline = []byte{
	0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x9e, 0x7d,
	0x96, 0x9d, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x10, 0x20, 0x00, 0x21,
	0x18, 0x46, 0x82, 0xee, 0x48, 0xa7, 0x0a, 0x12, 0x13, 0xcf, 0xb2, 0xd3,
	0xa0,
}

// Merge writes the inputs, in order, as one text file.
//
// Each input's data ends with "\n" in the output: one is added after an
// input whose last line has no terminator, or ends with a lone "\r" (which
// a following "\n" would join), so that its last line does not run into
// the next input's first line. This is done after the last input too;
// Hadoop reads the same lines either way.
//
// With opts.HeaderLines = n > 0 the output has one header: all of the
// first input that has at least n lines is kept; the inputs before it
// (fewer than n lines: no rows) are left out, and the first n lines of the
// inputs after it are dropped.
//
// ModeConcat needs inputs of one codec. Plain text is copied verbatim,
// after the dropped header lines. Gzip inputs are copied verbatim as gzip
// members (Hadoop's GzipCodec and Go read multi-member gzip), followed,
// when their data does not end with "\n", by a tiny member holding one;
// the data after an input's dropped header lines is recompressed as a
// member of its own. Bzip2 inputs are copied verbatim as concatenated
// bzip2 streams (read by Hadoop's BZip2Codec and Go), followed when needed
// by a stream holding "\n"; dropping the header lines of a bzip2 input
// needs a bzip2 compressor, which Go lacks, so it is refused. Compressed
// inputs are decompressed as they are copied, to count their lines and see
// how their data ends; verbatim copies are Segments.
//
// ModeRewrite decompresses the inputs, which may differ in codec, and
// writes one stream in opts.Codec or the first input's codec: "none" or
// "gzip" (one member). A bzip2 output is refused. The caller names the
// output after its codec: Hadoop picks a text file's codec by its
// extension.
//
// Both modes count the lines they write, and fail if an input's count
// differs from its FileMeta (the file changed since it was inspected).
// Rows counts the lines written, less the header's.
func (*Merger) Merge(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	if len(inputs) == 0 {
		return nil, errors.New("text: no inputs to merge")
	}
	if len(metas) != len(inputs) {
		return nil, fmt.Errorf("text: %d inputs but %d metas", len(inputs), len(metas))
	}
	if opts.HeaderLines < 0 {
		return nil, fmt.Errorf("text: negative header line count %d", opts.HeaderLines)
	}
	roles, header := plan(metas, opts.HeaderLines)
	mg := &merger{
		ctx:    ctx,
		out:    newOutput(w),
		header: opts.HeaderLines,
		res:    &shoal.MergeResult{},
		buf:    make([]byte, copyBufSize),
	}
	var err error
	switch opts.Mode {
	case shoal.ModeConcat:
		err = mg.concat(inputs, metas, roles)
	case shoal.ModeRewrite:
		err = mg.rewrite(inputs, metas, roles, opts.Codec)
	default:
		err = fmt.Errorf("text: merge mode %q is neither concat nor rewrite", opts.Mode)
	}
	if err != nil {
		return nil, err
	}
	if err := mg.out.flush(); err != nil {
		return nil, fmt.Errorf("text: writing the output: %w", err)
	}
	mg.res.Bytes = mg.out.n
	mg.res.Rows = mg.lines
	if header {
		mg.res.Rows -= int64(opts.HeaderLines)
	}
	return mg.res, nil
}

// role says what part of an input goes to the output.
type role int

const (
	roleWhole role = iota // all lines: no header, or the header kept
	roleBody              // the lines after the header
	roleNone              // nothing: fewer lines than a header, before the kept one
)

// plan returns the role of each input for a table with the given number of
// header lines, and whether the output has a header.
func plan(metas []*shoal.FileMeta, headerLines int) ([]role, bool) {
	roles := make([]role, len(metas))
	header := false
	for i, m := range metas {
		switch {
		case headerLines == 0:
			roles[i] = roleWhole
		case header:
			roles[i] = roleBody
		case lines(m) >= int64(headerLines):
			roles[i] = roleWhole
			header = true
		default:
			roles[i] = roleNone
		}
	}
	return roles, header
}

// lines returns the number of lines of a file, header included.
func lines(m *shoal.FileMeta) int64 { return m.Rows + int64(m.HeaderLines) }

// merger holds the state of one merge.
type merger struct {
	ctx    context.Context
	out    *output
	header int // lines
	res    *shoal.MergeResult
	lines  int64 // lines written
	buf    []byte
}

func (mg *merger) concat(inputs []shoal.MergeInput, metas []*shoal.FileMeta, roles []role) error {
	for i := 1; i < len(metas); i++ {
		if err := shoal.ConcatCompatible(metas[0], metas[i]); err != nil {
			return shoal.Refusef("cannot concatenate %s with %s: %v", inputs[i].Name, inputs[0].Name, err)
		}
	}
	codec := metas[0].Codec
	if codec == codecBzip2 && slices.Contains(roles, roleBody) {
		return shoal.Refusef("cannot drop the header lines of bzip2 files: that needs a bzip2 compressor, which Go lacks")
	}
	for i, in := range inputs {
		if roles[i] == roleNone {
			continue
		}
		if err := checkCodec(in, metas[i].Codec); err != nil {
			return err
		}
		var n int64
		var err error
		switch {
		case codec == codecNone:
			n, err = mg.copyPlain(in, roles[i])
		case roles[i] == roleWhole && metas[i].Terminated:
			// Inspect saw the data end with a line terminator: copy the
			// compressed bytes without inflating them again.
			n, err = mg.copyVerbatim(in, metas[i])
		case roles[i] == roleWhole:
			n, err = mg.copyCompressed(in, codec)
		default:
			n, err = mg.recompressBody(in)
		}
		if err != nil {
			return err
		}
		if err := mg.count(in, metas[i], roles[i], n); err != nil {
			return err
		}
	}
	return nil
}

// count adds the lines written from one input, checking them against its
// FileMeta.
func (mg *merger) count(in shoal.MergeInput, meta *shoal.FileMeta, r role, n int64) error {
	want := lines(meta)
	if r == roleBody {
		want = max(want-int64(mg.header), 0)
	}
	if n != want {
		return fmt.Errorf("%s: wrote %d lines of it, want %d: the file changed since it was inspected", in.Name, n, want)
	}
	mg.lines += n
	return nil
}

// copyPlain copies a plain text input verbatim, after its header when r is
// roleBody, and returns the number of lines copied.
func (mg *merger) copyPlain(in shoal.MergeInput, r role) (int64, error) {
	var start int64
	if r == roleBody {
		var err error
		if start, err = skipLines(bufio.NewReaderSize(newSource(mg.ctx, in, 0), copyBufSize), mg.header); err != nil {
			return 0, readError(in.Name, codecNone, err)
		}
	}
	lc := &lineCounter{}
	if start < in.Size {
		seg, err := mg.out.copyRange(newSource(mg.ctx, in, start), in.Size-start, lc)
		if err != nil {
			return 0, readError(in.Name, codecNone, err)
		}
		mg.res.Segments = append(mg.res.Segments, seg)
	}
	if !lc.newlineSafe() {
		if _, err := mg.out.Write(lf); err != nil {
			return 0, fmt.Errorf("text: writing the output: %w", err)
		}
	}
	return lc.lines(), nil
}

// copyVerbatim copies a compressed input that Inspect found terminated by
// a newline, without decompressing it. The lines are Inspect's: the
// engine checked that the file still lists as planned, and validation
// counts the output's lines.
func (mg *merger) copyVerbatim(in shoal.MergeInput, meta *shoal.FileMeta) (int64, error) {
	if in.Size == 0 {
		return 0, nil
	}
	seg, err := mg.out.copyRange(newSource(mg.ctx, in, 0), in.Size, io.Discard)
	if err != nil {
		return 0, readError(in.Name, meta.Codec, err)
	}
	mg.res.Segments = append(mg.res.Segments, seg)
	return lines(meta), nil
}

// copyCompressed copies a gzip or bzip2 input verbatim, decompressing it
// on the way to count its lines, and follows it with a compressed "\n"
// when its data does not end with one.
func (mg *merger) copyCompressed(in shoal.MergeInput, codec string) (int64, error) {
	lc := &lineCounter{}
	crc := crc32.New(castagnoli)
	start := mg.out.n
	raw := bufio.NewReaderSize(io.TeeReader(newSource(mg.ctx, in, 0), io.MultiWriter(mg.out, crc)), readBufSize)
	var err error
	if codec == codecGzip {
		_, err = scanGzip(raw, lc, mg.buf)
	} else {
		_, err = io.CopyBuffer(lc, bzip2.NewReader(raw), mg.buf)
	}
	if err == nil {
		// Whatever the decompressor left unread still goes through the
		// tee (nothing, for a file Inspect accepted).
		_, err = io.Copy(io.Discard, raw)
	}
	if err != nil {
		return 0, readError(in.Name, codec, err)
	}
	if n := mg.out.n - start; n != in.Size {
		return 0, fmt.Errorf("%s: copied %d of %d bytes: %w", in.Name, n, in.Size, io.ErrUnexpectedEOF)
	}
	mg.res.Segments = append(mg.res.Segments, shoal.Segment{Offset: start, Length: in.Size, CRC: crc.Sum32()})
	if !lc.newlineSafe() {
		nl := gzipNewline
		if codec == codecBzip2 {
			nl = bzip2Newline
		}
		if _, err := mg.out.Write(nl); err != nil {
			return 0, fmt.Errorf("text: writing the output: %w", err)
		}
	}
	return lc.lines(), nil
}

// recompressBody writes the lines of a gzip input after its header as a
// new gzip member; nothing when there are none.
func (mg *merger) recompressBody(in shoal.MergeInput) (int64, error) {
	r, err := openDecompressed(mg.ctx, in, codecGzip)
	if err != nil {
		return 0, readError(in.Name, codecGzip, err)
	}
	br := bufio.NewReaderSize(r, copyBufSize)
	if _, err := skipLines(br, mg.header); err != nil {
		return 0, readError(in.Name, codecGzip, err)
	}
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return 0, nil
	}
	zw := gzip.NewWriter(mg.out)
	n, err := mg.copyLines(zw, br, in.Name, codecGzip)
	if err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("text: writing the output: %w", err)
	}
	return n, nil
}

func (mg *merger) rewrite(inputs []shoal.MergeInput, metas []*shoal.FileMeta, roles []role, codec string) error {
	if codec == "" {
		codec = metas[0].Codec
	}
	var dst io.Writer = mg.out
	var zw *gzip.Writer
	switch codec {
	case codecNone:
	case codecGzip:
		zw = gzip.NewWriter(mg.out)
		dst = zw
	case codecBzip2:
		return shoal.Refusef("cannot rewrite into bzip2: Go has no bzip2 compressor (concat merges bzip2 files, or rewrite into gzip or none)")
	default:
		return shoal.Refusef("unknown text codec %q (want none or gzip)", codec)
	}
	for i, in := range inputs {
		if roles[i] == roleNone {
			continue
		}
		if err := checkCodec(in, metas[i].Codec); err != nil {
			return err
		}
		r, err := openDecompressed(mg.ctx, in, metas[i].Codec)
		if err != nil {
			return readError(in.Name, metas[i].Codec, err)
		}
		br := bufio.NewReaderSize(r, copyBufSize)
		if roles[i] == roleBody {
			if _, err := skipLines(br, mg.header); err != nil {
				return readError(in.Name, metas[i].Codec, err)
			}
		}
		n, err := mg.copyLines(dst, br, in.Name, metas[i].Codec)
		if err != nil {
			return err
		}
		if err := mg.count(in, metas[i], roles[i], n); err != nil {
			return err
		}
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("text: writing the output: %w", err)
		}
	}
	return nil
}

// copyLines copies the rest of r to dst, then "\n" if the data does not
// end with one, and returns the number of lines copied.
func (mg *merger) copyLines(dst io.Writer, r io.Reader, name, codec string) (int64, error) {
	lc := &lineCounter{}
	if _, err := io.CopyBuffer(io.MultiWriter(lc, dst), r, mg.buf); err != nil {
		return 0, readError(name, codec, err)
	}
	if !lc.newlineSafe() {
		if _, err := dst.Write(lf); err != nil {
			return 0, fmt.Errorf("text: writing the output: %w", err)
		}
	}
	return lc.lines(), nil
}

// openDecompressed returns a reader of an input's decompressed data.
func openDecompressed(ctx context.Context, in shoal.MergeInput, codec string) (io.Reader, error) {
	src := bufio.NewReaderSize(newSource(ctx, in, 0), readBufSize)
	switch codec {
	case codecGzip:
		return gzip.NewReader(src)
	case codecBzip2:
		return bzip2.NewReader(src), nil
	default:
		return src, nil
	}
}

// checkCodec sniffs an input again and compares its codec with the one
// Inspect saw.
func checkCodec(in shoal.MergeInput, want string) error {
	got, err := inputCodec(in)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: codec %s, %s when inspected: the file changed", in.Name, got, want)
	}
	return nil
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

// copyRange copies n bytes of r verbatim, also writing them to tee, and
// returns the Segment describing them, with the CRC-32C of the bytes as
// read.
func (o *output) copyRange(r io.Reader, n int64, tee io.Writer) (shoal.Segment, error) {
	crc := crc32.New(castagnoli)
	seg := shoal.Segment{Offset: o.n, Length: n}
	copied, err := o.ReadFrom(io.TeeReader(io.LimitReader(r, n), io.MultiWriter(crc, tee)))
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

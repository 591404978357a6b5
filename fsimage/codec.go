package fsimage

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec class names Hadoop writes into FileSummary.codec (the value of
// dfs.image.compression.codec). Each compressed section is one stream of
// the codec.
const (
	// CodecDefault is zlib (RFC 1950).
	CodecDefault = "org.apache.hadoop.io.compress.DefaultCodec"
	// CodecGzip is gzip (RFC 1952), possibly several members.
	CodecGzip = "org.apache.hadoop.io.compress.GzipCodec"
	// CodecSnappy is raw snappy blocks in Hadoop's block framing.
	CodecSnappy = "org.apache.hadoop.io.compress.SnappyCodec"
	// CodecLz4 is raw LZ4 blocks in Hadoop's block framing.
	CodecLz4 = "org.apache.hadoop.io.compress.Lz4Codec"
	// CodecBZip2 is a bzip2 stream, possibly several concatenated.
	CodecBZip2 = "org.apache.hadoop.io.compress.BZip2Codec"
	// CodecZstd is one or more Zstandard frames.
	CodecZstd = "org.apache.hadoop.io.compress.ZStandardCodec"
)

// Codecs lists the codec class names Open accepts, besides "" (none).
var Codecs = []string{CodecDefault, CodecGzip, CodecSnappy, CodecLz4, CodecBZip2, CodecZstd}

func knownCodec(c string) bool {
	if c == "" {
		return true
	}
	for _, k := range Codecs {
		if k == c {
			return true
		}
	}
	return false
}

// maxBlock bounds the uncompressed length of one block of Hadoop's block
// framing (Hadoop's buffers default to 64 to 256 KiB).
const maxBlock = 64 << 20

// maxZstdWindow bounds the window a zstd frame header may ask for.
const maxZstdWindow = 256 << 20

// srcErr marks an error of the underlying file, so that it is not
// reported as malformed data.
type srcErr struct{ err error }

func (e *srcErr) Error() string { return e.err.Error() }
func (e *srcErr) Unwrap() error { return e.err }

// srcReader tags the errors of the raw section bytes other than io.EOF.
type srcReader struct{ r io.Reader }

func (s srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &srcErr{err}
	}
	return n, err
}

// codecReader wraps a decompressor: any error it reports that did not
// come from the file is malformed data, and a panic of a decompressor on
// hostile input is turned into an error.
type codecReader struct {
	codec string
	r     io.Reader
	err   error
}

func (c *codecReader) Read(p []byte) (n int, err error) {
	if c.err != nil {
		return 0, c.err
	}
	defer func() {
		if v := recover(); v != nil {
			n, err = 0, formatErr("%s: decompressor failed: %v", shortCodec(c.codec), v)
			c.err = err
		}
	}()
	n, err = c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		var se *srcErr
		switch {
		case errors.As(err, &se):
			err = se.err
		case errors.Is(err, ErrFormat):
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = formatErr("%s: truncated compressed stream", shortCodec(c.codec))
		default:
			err = formatErr("%s: %v", shortCodec(c.codec), err)
		}
		c.err = err
	}
	return n, err
}

// shortCodec returns the class name without its package.
func shortCodec(c string) string {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == '.' {
			return c[i+1:]
		}
	}
	return c
}

// decompress returns a reader of the uncompressed bytes of one section
// stored with codec, and a function releasing it.
func decompress(codec string, raw io.Reader) (io.Reader, func(), error) {
	src := bufio.NewReaderSize(srcReader{raw}, 256<<10)
	var (
		r       io.Reader
		release = func() {}
		err     error
	)
	switch codec {
	case CodecDefault:
		var zr io.ReadCloser
		zr, err = zlib.NewReader(src)
		if zr != nil {
			r = zr
		}
	case CodecGzip:
		var gr *gzip.Reader
		gr, err = gzip.NewReader(src)
		if gr != nil {
			r = gr
		}
	case CodecSnappy:
		r = &blockReader{src: src, codec: codec, decode: decodeSnappy}
	case CodecLz4:
		r = &blockReader{src: src, codec: codec, decode: decodeLz4}
	case CodecBZip2:
		r = bzip2.NewReader(src)
	case CodecZstd:
		var zr *zstd.Decoder
		zr, err = zstd.NewReader(src, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderLowmem(true))
		if zr != nil {
			r, release = zr, zr.Close
		}
	default:
		return nil, nil, fmt.Errorf("unsupported codec %q", codec)
	}
	if err != nil {
		var se *srcErr
		if errors.As(err, &se) {
			return nil, nil, se.err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErr("%s: truncated compressed stream", shortCodec(codec))
		}
		return nil, nil, formatErr("%s: %v", shortCodec(codec), err)
	}
	return &codecReader{codec: codec, r: r}, release, nil
}

// blockReader decodes Hadoop's BlockCompressorStream framing: a 4-byte
// big-endian uncompressed block length, then [4-byte compressed length,
// chunk] pairs until the block is complete. A clean end of input, or a
// block length of 0, ends the stream.
type blockReader struct {
	src    *bufio.Reader
	codec  string
	decode func(dst, src []byte) (int, error)

	left  int    // uncompressed bytes of the current block not yet decoded
	chunk []byte // compressed chunk buffer
	out   []byte // decoded bytes
	pos   int    // read position in out
	eof   bool
}

func decodeSnappy(dst, src []byte) (int, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return 0, err
	}
	if n > len(dst) {
		return 0, fmt.Errorf("chunk decodes to %d bytes, more than the %d left in its block", n, len(dst))
	}
	out, err := snappy.Decode(dst[:n], src)
	return len(out), err
}

func decodeLz4(dst, src []byte) (int, error) {
	return lz4.UncompressBlock(src, dst)
}

func (b *blockReader) readInt(what string, eofOK bool) (int, error) {
	var w [4]byte
	n, err := io.ReadFull(b.src, w[:])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) && eofOK {
			return 0, io.EOF
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, formatErr("%s: truncated %s", shortCodec(b.codec), what)
		}
		return 0, err
	}
	v := binary.BigEndian.Uint32(w[:])
	if v > maxBlock+maxBlock/4 {
		return 0, formatErr("%s: %s %d exceeds %d", shortCodec(b.codec), what, v, maxBlock)
	}
	return int(v), nil
}

func (b *blockReader) Read(p []byte) (int, error) {
	for b.pos == len(b.out) {
		if b.eof {
			return 0, io.EOF
		}
		if err := b.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				b.eof = true
				continue
			}
			return 0, err
		}
	}
	n := copy(p, b.out[b.pos:])
	b.pos += n
	return n, nil
}

// fill decodes the next chunk into out.
func (b *blockReader) fill() error {
	if b.left == 0 {
		n, err := b.readInt("block length", true)
		if err != nil {
			return err
		}
		if n == 0 {
			return io.EOF
		}
		if n > maxBlock {
			return formatErr("%s: block length %d exceeds %d", shortCodec(b.codec), n, maxBlock)
		}
		b.left = n
	}
	c, err := b.readInt("chunk length", false)
	if err != nil {
		return err
	}
	// Grow the chunk buffer as bytes arrive, so that a corrupt length
	// cannot allocate much more than the stream holds.
	b.chunk = b.chunk[:0]
	for len(b.chunk) < c {
		step := min(c-len(b.chunk), 1<<20)
		start := len(b.chunk)
		b.chunk = append(b.chunk, make([]byte, step)...)
		if _, err := io.ReadFull(b.src, b.chunk[start:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return formatErr("%s: truncated chunk", shortCodec(b.codec))
			}
			return err
		}
	}
	// An LZ4 or snappy chunk expands at most ~255 times.
	room := min(b.left, 256*c+64)
	if cap(b.out) < room {
		b.out = make([]byte, room)
	}
	n, err := b.decode(b.out[:room], b.chunk)
	if err != nil {
		return formatErr("%s: corrupt chunk: %v", shortCodec(b.codec), err)
	}
	b.left -= n
	b.out, b.pos = b.out[:n], 0
	return nil
}

// blockWriter writes Hadoop's block framing with one chunk per block.
type blockWriter struct {
	w      io.Writer
	encode func(dst, src []byte) ([]byte, error)
	buf    []byte
	dst    []byte
	size   int
}

// hadoopBlockSize is the uncompressed size of a block written by
// blockWriter: Hadoop's default io.compression.codec.*.buffersize (256
// KiB) less the compressor's overhead.
const hadoopBlockSize = 256<<10 - 256<<10/6 - 32

func newBlockWriter(w io.Writer, encode func(dst, src []byte) ([]byte, error)) *blockWriter {
	return &blockWriter{w: w, encode: encode, size: hadoopBlockSize, buf: make([]byte, 0, hadoopBlockSize)}
}

func (b *blockWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), b.size-len(b.buf))
		b.buf = append(b.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(b.buf) == b.size {
			if err := b.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (b *blockWriter) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	out, err := b.encode(b.dst[:0], b.buf)
	if err != nil {
		return err
	}
	b.dst = out
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(b.buf)))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(out)))
	if _, err := b.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := b.w.Write(out); err != nil {
		return err
	}
	b.buf = b.buf[:0]
	return nil
}

func (b *blockWriter) Close() error { return b.flush() }

func encodeSnappy(dst, src []byte) ([]byte, error) {
	return snappy.Encode(dst[:cap(dst)], src), nil
}

func encodeLz4(dst, src []byte) ([]byte, error) {
	bound := lz4.CompressBlockBound(len(src))
	if cap(dst) < bound {
		dst = make([]byte, bound)
	}
	n, err := lz4.CompressBlock(src, dst[:bound], nil)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// compressor returns a writer compressing one section with codec. It
// cannot write BZip2 (Go's standard library has no bzip2 compressor):
// pass WriterOptions.NewCompressor for it.
func compressor(codec string, w io.Writer) (io.WriteCloser, error) {
	switch codec {
	case CodecDefault:
		return zlib.NewWriter(w), nil
	case CodecGzip:
		return gzip.NewWriter(w), nil
	case CodecSnappy:
		return newBlockWriter(w, encodeSnappy), nil
	case CodecLz4:
		return newBlockWriter(w, encodeLz4), nil
	case CodecZstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	case CodecBZip2:
		return nil, errors.New("no bzip2 compressor in Go's standard library: set WriterOptions.NewCompressor")
	}
	return nil, fmt.Errorf("unsupported codec %q", codec)
}

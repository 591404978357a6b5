package text

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/shoalhq/shoal"
)

const (
	// readBufSize is the read buffer over an input.
	readBufSize = 1 << 20
	// copyBufSize is the buffer between a decompressor and a line
	// counter.
	copyBufSize = 256 << 10
	// headSize is how much of a file sniff looks at.
	headSize = 8
)

// binaryMagics are the magics of the binary formats a text table can hold
// by mistake. A text file whose first line starts with the same letters
// ("ORCHARD,…") is told apart by the byte after the magic, which in these
// formats is not text.
var binaryMagics = []struct {
	magic  string
	format shoal.Format
}{
	{"SEQ", shoal.FormatSequence},
	{"RCF", shoal.FormatRCFile},
	{"ORC", shoal.FormatORC},
	{"PAR1", shoal.FormatParquet},
	{"PARE", shoal.FormatParquet},
	{"Obj\x01", shoal.FormatAvro},
}

// sniff returns the codec of a file from its first bytes, or a refusal
// for a binary format.
func sniff(name string, head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return codecGzip, nil
	case len(head) >= 4 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9':
		return codecBzip2, nil
	}
	for _, b := range binaryMagics {
		if len(head) > len(b.magic) && bytes.HasPrefix(head, []byte(b.magic)) && !isText(head[len(b.magic)]) {
			switch b.format {
			case shoal.FormatSequence:
				return "", shoal.Refusef("%s: a Hadoop SequenceFile, not text: SequenceFile needs the Hive SQL strategy", name)
			case shoal.FormatRCFile:
				return "", shoal.Refusef("%s: an RCFile, not text: RCFile needs the Hive SQL strategy", name)
			default:
				return "", shoal.Refusef("%s: a file in %s format, not text", name, b.format)
			}
		}
	}
	return codecNone, nil
}

// isText reports whether c can appear in text: anything but the control
// characters other than tab, line feed and carriage return.
func isText(c byte) bool {
	return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'
}

// readHead returns the first bytes of an input.
func readHead(in shoal.MergeInput) ([]byte, error) {
	head := make([]byte, min(headSize, in.Size))
	n, err := in.R.ReadAt(head, 0)
	if n < len(head) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%s: reading the first bytes: %w", in.Name, err)
	}
	return head, nil
}

// inputCodec sniffs the codec of an input.
func inputCodec(in shoal.MergeInput) (string, error) {
	if in.Size == 0 {
		return codecNone, nil
	}
	head, err := readHead(in)
	if err != nil {
		return "", err
	}
	return sniff(in.Name, head)
}

// scan reads a whole input, decompressing it, and returns its FileMeta.
func scan(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	codec, err := inputCodec(in)
	if err != nil {
		return nil, err
	}
	meta := &shoal.FileMeta{Format: formats[codec], Codec: codec, UnitBytes: in.Size}
	if in.Size == 0 {
		meta.Terminated = true
		return meta, nil
	}
	lc := &lineCounter{}
	buf := make([]byte, copyBufSize)
	src := newSource(ctx, in, 0)
	switch codec {
	case codecGzip:
		meta.Units, err = scanGzip(bufio.NewReaderSize(src, readBufSize), lc, buf)
	case codecBzip2:
		meta.Units = 1
		_, err = io.CopyBuffer(lc, bzip2.NewReader(bufio.NewReaderSize(src, readBufSize)), buf)
	default:
		meta.Units = 1
		_, err = io.CopyBuffer(lc, src, buf)
	}
	if err != nil {
		return nil, readError(in.Name, codec, err)
	}
	meta.Rows = lc.lines()
	meta.Terminated = lc.newlineSafe()
	return meta, nil
}

// scanGzip decompresses the gzip members of r into w and returns how many
// there are.
func scanGzip(r *bufio.Reader, w io.Writer, buf []byte) (int, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, err
	}
	members := 0
	for {
		zr.Multistream(false)
		// Streamed to w, a line counter: a bomb costs time, not memory.
		if _, err := io.CopyBuffer(w, zr, buf); err != nil { //nolint:gosec // G110, see above
			return members, err
		}
		members++
		switch err := zr.Reset(r); {
		case errors.Is(err, io.EOF):
			return members, nil
		case errors.Is(err, gzip.ErrHeader):
			return members, &trailingError{members: members}
		case err != nil:
			return members, err
		}
	}
}

// trailingError reports bytes after the last gzip member that are not
// another member.
type trailingError struct{ members int }

func (e *trailingError) Error() string {
	return fmt.Sprintf("data after gzip member %d is not gzip", e.members)
}

// readError turns an error met while reading an input into a refusal
// that says what is wrong with the file, or wraps it (an I/O error, a
// cancelled context).
func readError(name, codec string, err error) error {
	var corrupt flate.CorruptInputError
	var structural bzip2.StructuralError
	var nul *nulError
	var trailing *trailingError
	switch {
	case errors.As(err, &trailing):
		return shoal.Refusef("%s: %v", name, trailing)
	case errors.As(err, &nul) && codec == codecNone:
		return shoal.Refusef("%s: a NUL byte at offset %d: binary data, not text", name, nul.offset)
	case errors.As(err, &nul):
		return shoal.Refusef("%s: a NUL byte at offset %d of the decompressed data: binary data, not text", name, nul.offset)
	case errors.Is(err, io.ErrUnexpectedEOF) && codec != codecNone:
		return shoal.Refusef("%s: %s stream truncated", name, codec)
	case errors.Is(err, gzip.ErrChecksum):
		return shoal.Refusef("%s: gzip checksum mismatch: the data is corrupt", name)
	case errors.Is(err, gzip.ErrHeader):
		return shoal.Refusef("%s: invalid gzip header", name)
	case errors.As(err, &corrupt):
		return shoal.Refusef("%s: corrupt gzip data: %v", name, err)
	case errors.As(err, &structural):
		return shoal.Refusef("%s: corrupt bzip2 data: %v", name, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%s: reading: %w", name, err)
}

// nulError reports the offset of a NUL byte.
type nulError struct{ offset int64 }

func (e *nulError) Error() string { return fmt.Sprintf("NUL byte at offset %d", e.offset) }

// lineCounter counts the lines written to it the way Hadoop's LineReader
// splits them: "\n", "\r" and "\r\n" end a line, and a last line without
// a terminator counts. It refuses NUL bytes, which text does not hold.
type lineCounter struct {
	terminators int64
	size        int64
	last        byte
}

var (
	lf   = []byte{'\n'}
	cr   = []byte{'\r'}
	crlf = []byte("\r\n")
)

func (c *lineCounter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if i := bytes.IndexByte(p, 0); i >= 0 {
		return 0, &nulError{offset: c.size + int64(i)}
	}
	c.terminators += int64(bytes.Count(p, lf))
	if n := bytes.Count(p, cr); n > 0 {
		c.terminators += int64(n - bytes.Count(p, crlf))
	}
	if c.last == '\r' && p[0] == '\n' {
		c.terminators-- // a "\r\n" split between two writes
	}
	c.last = p[len(p)-1]
	c.size += int64(len(p))
	return len(p), nil
}

// lines returns the number of lines written so far.
func (c *lineCounter) lines() int64 {
	if c.size > 0 && !c.terminated() {
		return c.terminators + 1
	}
	return c.terminators
}

// terminated reports whether the data written so far is empty or ends
// with a line terminator.
func (c *lineCounter) terminated() bool {
	return c.size == 0 || c.last == '\n' || c.last == '\r'
}

// newlineSafe reports whether more lines can follow the data written so
// far without joining its last line: it is empty or ends with "\n". A
// lone "\r" ends a line too, but a "\n" after it would be taken as part
// of the same terminator, so it needs a "\n" as well.
func (c *lineCounter) newlineSafe() bool {
	return c.size == 0 || c.last == '\n'
}

// source reads an input from an offset to its end, checking the context
// before each read.
type source struct {
	ctx context.Context
	r   *io.SectionReader
}

func newSource(ctx context.Context, in shoal.MergeInput, off int64) *source {
	return &source{ctx: ctx, r: io.NewSectionReader(in.R, off, in.Size-off)}
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	return s.r.Read(p)
}

// skipLines consumes n lines from r (fewer if r ends first) and returns
// the number of bytes they took.
func skipLines(r *bufio.Reader, n int) (int64, error) {
	var off int64
	for done := 0; done < n; {
		buf, err := r.Peek(max(r.Buffered(), 1))
		if len(buf) == 0 {
			if errors.Is(err, io.EOF) {
				return off, nil
			}
			return off, err
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			_, _ = r.Discard(len(buf))
			off += int64(len(buf))
			continue
		}
		c := buf[i]
		_, _ = r.Discard(i + 1)
		off += int64(i + 1)
		done++
		if c == '\r' {
			next, err := r.Peek(1)
			if err == nil && next[0] == '\n' {
				_, _ = r.Discard(1)
				off++
			} else if err != nil && !errors.Is(err, io.EOF) {
				return off, err
			}
		}
	}
	return off, nil
}

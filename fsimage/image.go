package fsimage

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// Magic is the 8-byte header of every protobuf fsimage.
const Magic = "HDFSIMG1"

// Section names this package reads.
const (
	SectionNSInfo      = "NS_INFO"
	SectionStringTable = "STRING_TABLE"
	SectionInode       = "INODE"
	SectionInodeDir    = "INODE_DIR"
	SectionInodeRef    = "INODE_REFERENCE"
)

// Codec class names Hadoop writes into FileSummary.codec that this package
// can decode.
const (
	CodecDefault = "org.apache.hadoop.io.compress.DefaultCodec"
	CodecGzip    = "org.apache.hadoop.io.compress.GzipCodec"
)

// maxSummary bounds the FileSummary length read from the file trailer.
const maxSummary = 16 << 20

// maxMessage bounds a single length-delimited message inside a section.
const maxMessage = 128 << 20

// ErrFormat is wrapped by every error caused by malformed image bytes.
var ErrFormat = errors.New("malformed fsimage")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Section is one entry of the FileSummary: a named byte range of the file.
type Section struct {
	Name   string
	Offset uint64 // absolute offset in the file
	Length uint64 // stored (possibly compressed) length
}

// Image is an opened fsimage. It holds the summary, the string table and
// the INODE_REFERENCE list; inodes are streamed from the reader on each
// Walk. An Image is safe for sequential use only.
type Image struct {
	r    io.ReaderAt
	size int64

	// OndiskVersion is FileSummary.ondiskVersion (1 for every known image).
	OndiskVersion uint32
	// LayoutVersion is the NameNode layout version, e.g. -60 (Hadoop 2.6),
	// -63 (2.7 to 2.10) or -65 (3.x).
	LayoutVersion int32
	// Codec is the Hadoop codec class name, or "" when sections are stored
	// uncompressed.
	Codec string
	// Sections lists every section in file order as named by the summary.
	Sections []Section
	// TransactionID is NS_INFO.transactionId (0 when the section is absent).
	TransactionID uint64

	// BatchSize is how many non-directory inodes Walk holds in memory
	// while it resolves their parents with one pass over INODE_DIR.
	// 0 means the default, 65536.
	BatchSize int

	maskBits uint32
	strs     map[uint32]string
	refs     []ref
}

type ref struct {
	referred uint64
	name     []byte
}

// Open reads the summary, NS_INFO, STRING_TABLE and INODE_REFERENCE
// sections of the fsimage held by r, which is size bytes long.
func Open(r io.ReaderAt, size int64) (*Image, error) {
	if size < int64(len(Magic))+4 {
		return nil, formatErr("file is %d bytes, too short for an fsimage", size)
	}
	var magic [len(Magic)]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("read magic: %w", err)
	}
	if string(magic[:]) != Magic {
		return nil, formatErr("bad magic %q, want %q", magic[:], Magic)
	}
	var tail [4]byte
	if _, err := r.ReadAt(tail[:], size-4); err != nil {
		return nil, fmt.Errorf("read summary length: %w", err)
	}
	n := int64(binary.BigEndian.Uint32(tail[:]))
	if n <= 0 || n > maxSummary || n > size-4-int64(len(Magic)) {
		return nil, formatErr("summary length %d out of range for a %d-byte file", n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-4-n); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	msgLen, k := protowire.ConsumeVarint(buf)
	if k < 0 || msgLen != uint64(len(buf)-k) {
		return nil, formatErr("summary length prefix does not match trailer length %d", n)
	}
	im := &Image{r: r, size: size}
	if err := im.parseSummary(buf[k:]); err != nil {
		return nil, fmt.Errorf("parse summary: %w", err)
	}
	summaryStart := uint64(size - 4 - n)
	for _, s := range im.Sections {
		if s.Offset < uint64(len(Magic)) || s.Offset > summaryStart || s.Length > summaryStart-s.Offset {
			return nil, formatErr("section %s [%d, +%d) lies outside the file body [%d, %d)",
				s.Name, s.Offset, s.Length, len(Magic), summaryStart)
		}
	}
	switch im.Codec {
	case "", CodecDefault, CodecGzip:
	default:
		return nil, fmt.Errorf("unsupported codec %q (supported: none, %s, %s)", im.Codec, CodecDefault, CodecGzip)
	}
	if err := im.readNSInfo(); err != nil {
		return nil, fmt.Errorf("read %s: %w", SectionNSInfo, err)
	}
	if err := im.readStringTable(); err != nil {
		return nil, fmt.Errorf("read %s: %w", SectionStringTable, err)
	}
	if err := im.readRefs(); err != nil {
		return nil, fmt.Errorf("read %s: %w", SectionInodeRef, err)
	}
	return im, nil
}

func (im *Image) parseSummary(b []byte) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			im.OndiskVersion = uint32(v)
		case num == 2 && typ == protowire.VarintType:
			im.LayoutVersion = int32(uint32(v))
		case num == 3 && typ == protowire.BytesType:
			im.Codec = string(data)
		case num == 4 && typ == protowire.BytesType:
			var s Section
			err := eachField(data, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					s.Name = string(data)
				case num == 2 && typ == protowire.VarintType:
					s.Length = v
				case num == 3 && typ == protowire.VarintType:
					s.Offset = v
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("section: %w", err)
			}
			im.Sections = append(im.Sections, s)
		}
		return nil
	})
}

// section returns the first section with the given name.
func (im *Image) section(name string) (Section, bool) {
	for _, s := range im.Sections {
		if s.Name == name {
			return s, true
		}
	}
	return Section{}, false
}

// eachField calls fn for every field of the protobuf message b. For varint
// and fixed fields v holds the value; for length-delimited fields data
// holds the bytes (aliasing b).
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return formatErr("bad field tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var data []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v32 uint32
			v32, n = protowire.ConsumeFixed32(b)
			v = uint64(v32)
		case protowire.BytesType:
			data, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return formatErr("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, data); err != nil {
			return err
		}
	}
	return nil
}

// msgReader reads the varint-delimited messages of one section.
type msgReader struct {
	br    *bufio.Reader
	close func() error
	limit uint64
	buf   []byte
}

// open returns a reader over the decompressed bytes of section s.
func (im *Image) open(s Section) (*msgReader, error) {
	sr := io.NewSectionReader(im.r, int64(s.Offset), int64(s.Length))
	m := &msgReader{close: func() error { return nil }, limit: maxMessage}
	switch im.Codec {
	case "":
		m.br = bufio.NewReaderSize(sr, 64<<10)
		m.limit = min(s.Length, maxMessage)
	case CodecDefault, CodecGzip:
		if s.Length == 0 {
			m.br = bufio.NewReader(bytes.NewReader(nil))
			break
		}
		var (
			zr  io.ReadCloser
			err error
		)
		src := bufio.NewReaderSize(sr, 64<<10)
		if im.Codec == CodecDefault {
			zr, err = zlib.NewReader(src)
		} else {
			zr, err = gzip.NewReader(src)
		}
		if err != nil {
			return nil, fmt.Errorf("section %s: %w: %w", s.Name, ErrFormat, err)
		}
		m.br = bufio.NewReaderSize(zr, 64<<10)
		m.close = zr.Close
	default:
		return nil, fmt.Errorf("unsupported codec %q", im.Codec)
	}
	return m, nil
}

// next returns the next message, valid until the following call, or
// io.EOF at a clean end of section.
func (m *msgReader) next() ([]byte, error) {
	n, err := binary.ReadUvarint(m.br)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, readErr("message length", err)
	}
	if n > m.limit {
		return nil, formatErr("message of %d bytes exceeds limit %d", n, m.limit)
	}
	// Grow the buffer as bytes arrive, so that a corrupt length cannot make
	// us allocate far more than the section holds.
	m.buf = m.buf[:0]
	for uint64(len(m.buf)) < n {
		chunk := min(n-uint64(len(m.buf)), 1<<20)
		m.buf = slices.Grow(m.buf, int(chunk))
		start := len(m.buf)
		m.buf = m.buf[:start+int(chunk)]
		if _, err := io.ReadFull(m.br, m.buf[start:]); err != nil {
			return nil, readErr("message body", err)
		}
	}
	return m.buf, nil
}

func readErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr("truncated %s", what)
	}
	var ce flate.CorruptInputError
	if errors.As(err, &ce) || errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) ||
		errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return formatErr("%s: %v", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// must is next with io.EOF reported as truncation.
func (m *msgReader) must(what string) ([]byte, error) {
	b, err := m.next()
	if errors.Is(err, io.EOF) {
		return nil, formatErr("truncated section: missing %s", what)
	}
	return b, err
}

// withSection opens the named section for fn and closes it after. A missing
// section calls nothing, or is an error when required.
func (im *Image) withSection(name string, required bool, fn func(m *msgReader) error) error {
	s, ok := im.section(name)
	if !ok {
		if required {
			return formatErr("no %s section", name)
		}
		return nil
	}
	m, err := im.open(s)
	if err != nil {
		return err
	}
	defer func() { _ = m.close() }() // a decompressor of a read-only section
	return fn(m)
}

// each calls fn with every remaining message of the section.
func (m *msgReader) each(fn func(b []byte) error) error {
	for {
		b, err := m.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
}

func (im *Image) readNSInfo() error {
	return im.withSection(SectionNSInfo, false, func(m *msgReader) error {
		b, err := m.must("header")
		if err != nil {
			return err
		}
		return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
			if num == 6 && typ == protowire.VarintType {
				im.TransactionID = v
			}
			return nil
		})
	})
}

func (im *Image) readStringTable() error {
	im.strs = make(map[uint32]string)
	return im.withSection(SectionStringTable, false, im.readStrings)
}

// readStrings reads the string table's header and entries.
func (im *Image) readStrings(m *msgReader) error {
	b, err := m.must("header")
	if err != nil {
		return err
	}
	var num uint64
	err = eachField(b, func(f protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
		switch {
		case f == 1 && typ == protowire.VarintType:
			num = v
		case f == 2 && typ == protowire.VarintType:
			im.maskBits = uint32(v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if im.maskBits > 8 {
		return formatErr("maskBits %d out of range", im.maskBits)
	}
	for i := uint64(0); i < num; i++ {
		b, err := m.must("entry")
		if err != nil {
			return err
		}
		var id uint32
		var str string
		err = eachField(b, func(f protowire.Number, typ protowire.Type, v uint64, data []byte) error {
			switch {
			case f == 1 && typ == protowire.VarintType:
				id = uint32(v)
			case f == 2 && typ == protowire.BytesType:
				str = string(data)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		im.strs[id] = str
	}
	return nil
}

func (im *Image) readRefs() error {
	return im.withSection(SectionInodeRef, false, func(m *msgReader) error {
		return m.each(func(b []byte) error {
			var r ref
			err := eachField(b, func(f protowire.Number, typ protowire.Type, v uint64, data []byte) error {
				switch {
				case f == 1 && typ == protowire.VarintType:
					r.referred = v
				case f == 2 && typ == protowire.BytesType:
					r.name = append([]byte(nil), data...)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("reference %d: %w", len(im.refs), err)
			}
			im.refs = append(im.refs, r)
			return nil
		})
	})
}

// owner resolves the user and group of a permission word.
func (im *Image) owner(perm uint64) (user, group string) {
	u := uint32(perm>>40) & 0xFFFFFF
	g := uint32(perm>>16) & 0xFFFFFF
	if im.maskBits > 0 {
		shift := 32 - im.maskBits
		u |= 1 << shift
		g |= 2 << shift
	}
	return im.strs[u], im.strs[g]
}

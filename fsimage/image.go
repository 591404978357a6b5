package fsimage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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

	// BatchSize bounds how many runs of consecutive non-directory inode
	// ids (16 bytes each) Walk and Stats hold while they join INODE with
	// INODE_DIR. An image that needs more is processed in windows of
	// inode ids, reading INODE_DIR and INODE once per window. 0 means the
	// default, 1<<22.
	BatchSize int

	maskBits uint32
	strs     map[uint32]string
	users    nameTab
	groups   nameTab
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
	if !knownCodec(im.Codec) {
		return nil, fmt.Errorf("unsupported codec %q (supported: none, %s)", im.Codec, strings.Join(Codecs, ", "))
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

// bufSize is the read buffer of a section: messages up to this size are
// returned without copying.
const bufSize = 1 << 20

// msgReader reads the varint-delimited messages of one section.
type msgReader struct {
	br      *bufio.Reader
	release func()
	limit   uint64
	buf     []byte
	skip    int // bytes of the previous message still to discard
}

// open returns a reader over the decompressed bytes of section s.
func (im *Image) open(s Section) (*msgReader, error) {
	sr := io.NewSectionReader(im.r, int64(s.Offset), int64(s.Length))
	m := &msgReader{release: func() {}, limit: maxMessage}
	switch {
	case s.Length == 0:
		m.br = bufio.NewReaderSize(bytes.NewReader(nil), 16)
	case im.Codec == "":
		m.br = bufio.NewReaderSize(sr, bufSize)
		m.limit = min(s.Length, maxMessage)
	default:
		r, release, err := decompress(im.Codec, sr)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		m.br = bufio.NewReaderSize(r, bufSize)
		m.release = release
	}
	return m, nil
}

// next returns the next message, valid until the following call, or
// io.EOF at a clean end of section.
func (m *msgReader) next() ([]byte, error) {
	if m.skip > 0 {
		if _, err := m.br.Discard(m.skip); err != nil {
			return nil, readErr("message body", err)
		}
		m.skip = 0
	}
	hdr, perr := m.br.Peek(binary.MaxVarintLen64)
	if len(hdr) == 0 {
		if errors.Is(perr, io.EOF) {
			return nil, io.EOF
		}
		return nil, readErr("message length", perr)
	}
	n, k := protowire.ConsumeVarint(hdr)
	if k < 0 {
		if perr != nil && len(hdr) < binary.MaxVarintLen64 {
			return nil, readErr("message length", perr)
		}
		return nil, formatErr("bad message length: %v", protowire.ParseError(k))
	}
	_, _ = m.br.Discard(k) // k bytes are buffered
	if n > m.limit {
		return nil, formatErr("message of %d bytes exceeds limit %d", n, m.limit)
	}
	if n <= uint64(m.br.Size()) {
		b, err := m.br.Peek(int(n))
		if err != nil {
			return nil, readErr("message body", err)
		}
		m.skip = int(n)
		return b, nil
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
	defer m.release()
	if err := fn(m); err != nil {
		return err
	}
	if im.Codec != "" {
		// Read a compressed stream to its end, so that its checksum (zlib,
		// gzip, bzip2, zstd) is verified even when the messages end early.
		if m.skip > 0 {
			if _, err := m.br.Discard(m.skip); err != nil {
				return readErr("message body", err)
			}
			m.skip = 0
		}
		if _, err := io.Copy(io.Discard, m.br); err != nil {
			return readErr("end of compressed section", err)
		}
	}
	return nil
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
	if err := im.withSection(SectionStringTable, false, im.readStrings); err != nil {
		return err
	}
	im.indexNames()
	return nil
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

// nameTab resolves the 24-bit user or group serial of a permission word.
type nameTab struct {
	dense  []string
	sparse map[uint32]string
}

func (t *nameTab) set(serial uint32, name string) {
	if serial >= 1<<24 {
		return // a permission word cannot name it
	}
	if serial < 1<<20 {
		if int(serial) >= len(t.dense) {
			t.dense = append(t.dense, make([]string, int(serial)+1-len(t.dense))...)
		}
		t.dense[serial] = name
		return
	}
	if t.sparse == nil {
		t.sparse = make(map[uint32]string)
	}
	t.sparse[serial] = name
}

func (t *nameTab) get(serial uint32) string {
	if int(serial) < len(t.dense) {
		return t.dense[serial]
	}
	return t.sparse[serial] // "" when absent, also for a nil map
}

// indexNames builds the user and group tables from the string table. With
// maskBits > 0 an entry id carries its kind in the top maskBits bits
// (1 user, 2 group); otherwise users and groups share one id space.
func (im *Image) indexNames() {
	for id, s := range im.strs {
		if im.maskBits == 0 {
			im.users.set(id, s)
			im.groups.set(id, s)
			continue
		}
		shift := 32 - im.maskBits
		serial := id & (1<<shift - 1)
		switch id >> shift {
		case 1:
			im.users.set(serial, s)
		case 2:
			im.groups.set(serial, s)
		}
	}
}

// userOf and groupOf resolve the owner fields of a permission word.
func (im *Image) userOf(perm uint64) string  { return im.users.get(uint32(perm>>40) & 0xFFFFFF) }
func (im *Image) groupOf(perm uint64) string { return im.groups.get(uint32(perm>>16) & 0xFFFFFF) }

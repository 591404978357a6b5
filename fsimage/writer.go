package fsimage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// RootID is the inode id of "/" (Hadoop's INodeId.ROOT_INODE_ID).
const RootID = 16385

// firstBlockID is the first block id Hadoop allocates (1<<30 + 1).
const firstBlockID = 1<<30 + 1

// WriterOptions configures a Writer.
type WriterOptions struct {
	// LayoutVersion is written in the summary: -63 (Hadoop 2.7 to 2.10)
	// writes a 2.x image (string table ids used directly, no
	// ERASURE_CODING section); -64 and below a 3.x image with an
	// ERASURE_CODING section. 0 means -66.
	LayoutVersion int32
	// MaskBits of the string table; by default 3 for layout versions -65
	// and below (user ids tagged 1<<29, group ids 2<<29), else 0.
	MaskBits int
	// Codec compresses every section: "" or one of Codecs.
	Codec string
	// NewCompressor, when set, compresses each section instead of the
	// package's own compressor for Codec (needed for CodecBZip2, which the
	// Go standard library cannot write).
	NewCompressor func(w io.Writer) (io.WriteCloser, error)
	// TransactionID and NamespaceID go into NS_INFO.
	TransactionID uint64
	NamespaceID   uint32
}

// Writer writes a protobuf fsimage section by section, streaming: call
// BeginInodes, WriteInode for each inode, BeginDirs, WriteDir for each
// directory with children, then Close. It holds only the string table
// in memory.
//
// Each inode is written from an Entry: its name is Entry.Path after the
// last slash (so "" for "/", and a bare name works too), user and group are interned in the string
// table, and a file's Size is split into Blocks blocks of at most
// PreferredBlockSize bytes (the last one takes the rest), with fresh
// block ids.
type Writer struct {
	w        *countWriter
	bw       *bufio.Writer
	o        WriterOptions
	sections []Section
	cur      *sectionWriter
	state    int
	left     uint64 // inodes announced but not yet written

	strIDs   map[[2]string]uint32 // (kind, name) -> serial
	strs     []stringEntry
	serials  [3]uint32 // next serial per kind (0 shared when maskBits == 0)
	nextBlk  uint64
	genStamp uint64
	msg      []byte
	body     []byte
	blk      []byte
}

type stringEntry struct {
	id  uint32
	str string
}

const (
	stateInit = iota
	stateInodes
	stateDirs
	stateClosed
)

type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// sectionWriter writes the delimited messages of one section.
type sectionWriter struct {
	name  string
	start uint64
	w     *bufio.Writer
	comp  io.WriteCloser
}

// NewWriter writes the magic and the NS_INFO (and, for Hadoop 3 layouts,
// ERASURE_CODING) sections to w.
func NewWriter(w io.Writer, o WriterOptions) (*Writer, error) {
	if o.LayoutVersion == 0 {
		o.LayoutVersion = -66
	}
	if o.LayoutVersion > -51 {
		return nil, fmt.Errorf("layout version %d is not a protobuf image (want -51 or below)", o.LayoutVersion)
	}
	if o.MaskBits == 0 && o.LayoutVersion <= -65 {
		o.MaskBits = 3
	}
	if o.MaskBits < 0 || o.MaskBits > 8 {
		return nil, fmt.Errorf("mask bits %d out of range", o.MaskBits)
	}
	if !knownCodec(o.Codec) {
		return nil, fmt.Errorf("unsupported codec %q", o.Codec)
	}
	if o.Codec == CodecBZip2 && o.NewCompressor == nil {
		return nil, errors.New("writing " + CodecBZip2 + " needs WriterOptions.NewCompressor (no bzip2 compressor in Go's standard library)")
	}
	cw := &countWriter{w: w}
	wr := &Writer{
		w: cw, o: o, bw: bufio.NewWriterSize(cw, 1<<20),
		strIDs: make(map[[2]string]uint32), serials: [3]uint32{1, 1, 1},
		nextBlk: firstBlockID, genStamp: 1001,
	}
	if _, err := wr.bw.WriteString(Magic); err != nil {
		return nil, err
	}
	var m []byte
	m = appendVarintField(m, 1, uint64(o.NamespaceID))
	m = appendVarintField(m, 2, 1000)
	m = appendVarintField(m, 3, wr.genStamp)
	m = appendVarintField(m, 4, 0)
	m = appendVarintField(m, 6, o.TransactionID)
	if err := wr.section(SectionNSInfo, m); err != nil {
		return nil, err
	}
	if o.LayoutVersion <= -64 {
		if err := wr.section("ERASURE_CODING", []byte{}); err != nil {
			return nil, err
		}
	}
	return wr, nil
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendFixed64Field(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

// begin starts a section.
func (w *Writer) begin(name string) error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	s := &sectionWriter{name: name, start: w.w.n}
	var dst io.Writer = w.w
	if w.o.Codec != "" {
		var err error
		if w.o.NewCompressor != nil {
			s.comp, err = w.o.NewCompressor(w.w)
		} else {
			s.comp, err = compressor(w.o.Codec, w.w)
		}
		if err != nil {
			return fmt.Errorf("section %s: %w", name, err)
		}
		dst = s.comp
	}
	s.w = bufio.NewWriterSize(dst, 1<<20)
	w.cur = s
	return nil
}

// put writes one delimited message to the current section.
func (w *Writer) put(m []byte) error {
	var l [binary.MaxVarintLen64]byte
	if _, err := w.cur.w.Write(protowire.AppendVarint(l[:0], uint64(len(m)))); err != nil {
		return err
	}
	_, err := w.cur.w.Write(m)
	return err
}

// end finishes the current section and records it in the summary.
func (w *Writer) end() error {
	s := w.cur
	w.cur = nil
	if err := s.w.Flush(); err != nil {
		return err
	}
	if s.comp != nil {
		if err := s.comp.Close(); err != nil {
			return err
		}
	}
	w.sections = append(w.sections, Section{Name: s.name, Offset: s.start, Length: w.w.n - s.start})
	return nil
}

// section writes a section of the given messages (nil: empty).
func (w *Writer) section(name string, msgs ...[]byte) error {
	if err := w.begin(name); err != nil {
		return err
	}
	for _, m := range msgs {
		if err := w.put(m); err != nil {
			return err
		}
	}
	return w.end()
}

// BeginInodes starts the INODE section, which will hold numInodes inodes.
// lastInodeID is the largest id in use.
func (w *Writer) BeginInodes(numInodes, lastInodeID uint64) error {
	if w.state != stateInit {
		return errors.New("fsimage writer: BeginInodes called twice")
	}
	w.state = stateInodes
	if err := w.begin(SectionInode); err != nil {
		return err
	}
	w.left = numInodes
	var m []byte
	m = appendVarintField(m, 1, lastInodeID)
	m = appendVarintField(m, 2, numInodes)
	return w.put(m)
}

// intern returns the serial of a user (kind 1) or group (kind 2) name.
func (w *Writer) intern(kind int, name string) uint32 {
	k := [2]string{"", name}
	if w.o.MaskBits > 0 {
		k[0] = string(rune('0' + kind))
	}
	if s, ok := w.strIDs[k]; ok {
		return s
	}
	slot := 0
	if w.o.MaskBits > 0 {
		slot = kind
	}
	s := w.serials[slot]
	w.serials[slot]++
	w.strIDs[k] = s
	id := s
	if w.o.MaskBits > 0 {
		id |= uint32(kind) << (32 - w.o.MaskBits)
	}
	w.strs = append(w.strs, stringEntry{id, name})
	return s
}

func (w *Writer) perm(e *Entry) uint64 {
	u := uint64(w.intern(1, e.User)) & 0xFFFFFF
	g := uint64(w.intern(2, e.Group)) & 0xFFFFFF
	return u<<40 | g<<16 | uint64(e.Mode)
}

// WriteInode writes one inode of the INODE section.
func (w *Writer) WriteInode(e *Entry) error {
	if w.state != stateInodes {
		return errors.New("fsimage writer: WriteInode outside the INODE section")
	}
	if w.left == 0 {
		return errors.New("fsimage writer: more inodes than BeginInodes announced")
	}
	w.left--
	name := e.Path[strings.LastIndexByte(e.Path, '/')+1:]
	b := w.body[:0]
	var field protowire.Number
	switch e.Type {
	case File:
		field = 4
		b = appendVarintField(b, 1, uint64(e.Replication))
		b = appendVarintField(b, 2, uint64(max(e.ModTime.UnixMilli(), 0)))
		b = appendVarintField(b, 3, uint64(max(e.AccessTime.UnixMilli(), 0)))
		b = appendVarintField(b, 4, e.PreferredBlockSize)
		b = appendFixed64Field(b, 5, w.perm(e))
		left := e.Size
		for i := 0; i < e.Blocks; i++ {
			n := left
			if i < e.Blocks-1 {
				n = min(left, e.PreferredBlockSize)
			}
			left -= n
			blk := w.blk[:0]
			blk = appendVarintField(blk, 1, w.nextBlk)
			blk = appendVarintField(blk, 2, w.genStamp)
			blk = appendVarintField(blk, 3, n)
			w.blk = blk
			w.nextBlk++
			w.genStamp++
			b = appendBytesField(b, 6, blk)
		}
		if e.UnderConstruction {
			b = appendBytesField(b, 7, nil)
		}
	case Directory:
		field = 5
		b = appendVarintField(b, 1, uint64(max(e.ModTime.UnixMilli(), 0)))
		b = appendVarintField(b, 2, uint64(e.NsQuota))
		b = appendVarintField(b, 3, uint64(e.DsQuota))
		b = appendFixed64Field(b, 4, w.perm(e))
	case Symlink:
		field = 6
		b = appendFixed64Field(b, 1, w.perm(e))
		b = appendBytesField(b, 2, []byte(e.Target))
		b = appendVarintField(b, 3, uint64(max(e.ModTime.UnixMilli(), 0)))
		b = appendVarintField(b, 4, uint64(max(e.AccessTime.UnixMilli(), 0)))
	default:
		return fmt.Errorf("fsimage writer: inode %d has unknown type %d", e.ID, e.Type)
	}
	w.body = b
	m := w.msg[:0]
	m = appendVarintField(m, 1, uint64(e.Type))
	m = appendVarintField(m, 2, e.ID)
	m = protowire.AppendTag(m, 3, protowire.BytesType)
	m = protowire.AppendString(m, name)
	m = appendBytesField(m, field, b)
	w.msg = m
	return w.put(m)
}

// BeginDirs ends the INODE section and starts INODE_DIR.
func (w *Writer) BeginDirs() error {
	if w.state != stateInodes {
		return errors.New("fsimage writer: BeginDirs before BeginInodes")
	}
	if w.left != 0 {
		return fmt.Errorf("fsimage writer: %d announced inodes were not written", w.left)
	}
	w.state = stateDirs
	if err := w.end(); err != nil {
		return err
	}
	return w.begin(SectionInodeDir)
}

// WriteDir writes the children of one directory. Hadoop lists them in
// the byte order of their names.
func (w *Writer) WriteDir(parent uint64, children []uint64) error {
	if w.state != stateDirs {
		return errors.New("fsimage writer: WriteDir outside INODE_DIR")
	}
	m := appendVarintField(w.msg[:0], 1, parent)
	b := w.body[:0]
	for _, c := range children {
		b = protowire.AppendVarint(b, c)
	}
	w.body = b
	m = appendBytesField(m, 2, b)
	w.msg = m
	return w.put(m)
}

// Close writes the remaining sections, the string table and the summary,
// and flushes. It does not close the underlying writer.
func (w *Writer) Close() error {
	switch w.state {
	case stateClosed:
		return nil
	case stateInit:
		return errors.New("fsimage writer: Close before BeginInodes")
	case stateInodes:
		if err := w.BeginDirs(); err != nil {
			return err
		}
	}
	w.state = stateClosed
	if err := w.end(); err != nil { // INODE_DIR
		return err
	}
	if err := w.section("FILES_UNDERCONSTRUCTION"); err != nil {
		return err
	}
	if err := w.section("SNAPSHOT", appendVarintField(appendVarintField(nil, 1, 0), 3, 0)); err != nil {
		return err
	}
	// Like the real 2.9 and 3.x images, no SNAPSHOT_DIFF without snapshots.
	if err := w.section(SectionInodeRef); err != nil {
		return err
	}
	var sm []byte
	for f := protowire.Number(1); f <= 4; f++ {
		sm = appendVarintField(sm, f, 0)
	}
	if err := w.section("SECRET_MANAGER", sm); err != nil {
		return err
	}
	cm := appendVarintField(appendVarintField(appendVarintField(nil, 1, 1), 2, 0), 3, 0)
	if err := w.section("CACHE_MANAGER", cm); err != nil {
		return err
	}
	// STRING_TABLE
	if err := w.begin(SectionStringTable); err != nil {
		return err
	}
	h := appendVarintField(nil, 1, uint64(len(w.strs)))
	if w.o.MaskBits > 0 {
		h = appendVarintField(h, 2, uint64(w.o.MaskBits))
	}
	if err := w.put(h); err != nil {
		return err
	}
	for _, s := range w.strs {
		m := appendVarintField(nil, 1, uint64(s.id))
		m = protowire.AppendTag(m, 2, protowire.BytesType)
		m = protowire.AppendString(m, s.str)
		if err := w.put(m); err != nil {
			return err
		}
	}
	if err := w.end(); err != nil {
		return err
	}
	// FileSummary
	var m []byte
	m = appendVarintField(m, 1, 1)
	m = appendVarintField(m, 2, uint64(uint32(w.o.LayoutVersion)))
	if w.o.Codec != "" {
		m = protowire.AppendTag(m, 3, protowire.BytesType)
		m = protowire.AppendString(m, w.o.Codec)
	}
	for _, s := range w.sections {
		var sec []byte
		sec = protowire.AppendTag(sec, 1, protowire.BytesType)
		sec = protowire.AppendString(sec, s.Name)
		sec = appendVarintField(sec, 2, s.Length)
		sec = appendVarintField(sec, 3, s.Offset)
		m = appendBytesField(m, 4, sec)
	}
	out := protowire.AppendBytes(nil, m)
	out = binary.BigEndian.AppendUint32(out, uint32(len(out)))
	if _, err := w.bw.Write(out); err != nil {
		return err
	}
	return w.bw.Flush()
}

// Sections returns the sections written so far.
func (w *Writer) Sections() []Section { return w.sections }

// CommandCompressor returns a WriterOptions.NewCompressor that pipes each
// section through an external command writing the compressed stream to its
// standard output, such as CommandCompressor("bzip2", "-c") for CodecBZip2.
func CommandCompressor(name string, args ...string) func(io.Writer) (io.WriteCloser, error) {
	return func(w io.Writer) (io.WriteCloser, error) {
		cmd := exec.Command(name, args...) //nolint:gosec // the caller names the command
		cmd.Stdout = w
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return &cmdWriter{in, cmd}, nil
	}
}

type cmdWriter struct {
	io.WriteCloser
	cmd *exec.Cmd
}

// Close ends the command's input and waits for it to finish writing.
func (c *cmdWriter) Close() error {
	if err := c.WriteCloser.Close(); err != nil {
		return err
	}
	return c.cmd.Wait()
}

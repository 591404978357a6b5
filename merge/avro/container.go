package avro

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/shoalhq/shoal"
)

// Layout of an Avro object container file (Avro specification, "Object
// Container Files"): the magic, a metadata map (string keys, bytes
// values), a 16-byte sync marker, then data blocks. Each block is a record
// count (long), a byte size (long), the serialized (possibly compressed)
// records and the file's sync marker again. Longs are zig-zag varints, the
// encoding of encoding/binary's Varint.
const (
	magic       = "Obj\x01"
	legacyMagic = "Obj\x00"
	syncSize    = 16

	schemaKey = "avro.schema"
	codecKey  = "avro.codec"
	// syncKey is not defined by the specification, but some files carry
	// their sync marker in the metadata too (Avro's syncInMeta.avro test
	// file). A merged file gets a new marker, so the value is replaced.
	syncKey = "avro.sync"

	// maxBlockHead is the most bytes a block's count and size can take.
	maxBlockHead = 2 * binary.MaxVarintLen64
	// headerBufSize is the read buffer for the header, which is small
	// except for very wide schemas (whose long strings are read past the
	// buffer). What it holds after the header is the start of the blocks.
	headerBufSize = 8 << 10
	// walkWindow is what the walker reads at a time among small blocks;
	// among blocks of smallBlock bytes or more it reads only a sync marker
	// and the head of the next block.
	walkWindow = 64 << 10
	smallBlock = 8 << 10
)

// codecs lists the avro.codec values the merger accepts. All of them can
// be decoded by github.com/hamba/avro/v2, which Verify and rewrite use;
// "bzip2" and "xz" are legal Avro codecs that it cannot decode, so files
// using them are refused rather than merged unverified.
var codecs = map[string]bool{"null": true, "deflate": true, "snappy": true, "zstandard": true}

// metaEntry is one entry of the header's metadata map, kept in file order.
type metaEntry struct {
	key   string
	value []byte
}

// header is a parsed container header.
type header struct {
	meta   []metaEntry
	schema []byte // the avro.schema value, as stored
	codec  string // avro.codec, "null" when absent
	sync   [syncSize]byte
	// size is the header's length: the offset of the first block.
	size int64
	// rest is what was read past the header: the file's bytes from size.
	rest []byte
}

// readHeader parses the header of a container file. Problems with the
// file's content are refusals naming the file.
func readHeader(in shoal.MergeInput) (*header, error) {
	if in.Size == 0 {
		return nil, shoal.Refusef("%s: empty file, not an Avro object container file", in.Name)
	}
	r := &headerReader{
		br:   bufio.NewReaderSize(io.NewSectionReader(in.R, 0, in.Size), headerBufSize),
		size: in.Size,
	}
	h, err := r.header()
	if err == nil {
		h.rest, _ = r.br.Peek(r.br.Buffered()) // never fails: the bytes are buffered
		return h, nil
	}
	var refusal *shoal.RefusalError
	switch {
	case errors.As(err, &refusal):
		return nil, shoal.Refusef("%s: %s", in.Name, refusal.Reason)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, shoal.Refusef("%s: truncated Avro header (%d bytes)", in.Name, in.Size)
	default:
		return nil, fmt.Errorf("%s: reading the Avro header: %w", in.Name, err)
	}
}

// headerReader reads the header sequentially, counting the bytes read so
// that lengths can be checked against what is left of the file before
// anything is allocated.
type headerReader struct {
	br   *bufio.Reader
	off  int64
	size int64
}

func (r *headerReader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		r.off++
	}
	return b, err
}

// long reads a zig-zag varint.
func (r *headerReader) long() (int64, error) {
	v, err := binary.ReadVarint(r)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, shoal.Refusef("bad varint at offset %d in the header", r.off)
	}
	return v, err
}

// bytes reads a length-prefixed byte string.
func (r *headerReader) bytes(what string) ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, shoal.Refusef("bad %s length %d at offset %d in the header", what, n, r.off)
	}
	if n > r.size-r.off {
		return nil, io.ErrUnexpectedEOF // reported as a truncated header
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, err
	}
	r.off += n
	return b, nil
}

func (r *headerReader) header() (*header, error) {
	var m [len(magic)]byte
	if _, err := io.ReadFull(r.br, m[:]); err != nil {
		return nil, shoal.Refusef("too short (%d bytes) to be an Avro object container file", r.size)
	}
	r.off += int64(len(m))
	switch string(m[:]) {
	case magic:
	case legacyMagic:
		return nil, shoal.Refusef("Avro 1.2 container file (magic Obj\\x00) is not supported; rewrite it with a current Avro writer")
	default:
		return nil, shoal.Refusef("not an Avro object container file (magic %q)", m[:])
	}
	h := &header{codec: "null"}
	if err := r.meta(h); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r.br, h.sync[:]); err != nil {
		return nil, err
	}
	r.off += syncSize
	h.size = r.off
	if h.schema == nil {
		return nil, shoal.Refusef("the header has no avro.schema")
	}
	if !codecs[h.codec] {
		return nil, shoal.Refusef("Avro codec %q is not supported (supported: null, deflate, snappy, zstandard)", h.codec)
	}
	return h, nil
}

// meta reads the metadata map: blocks of entries, each block prefixed
// with its entry count (negative when followed by the block's byte size),
// ended by a block of count 0.
func (r *headerReader) meta(h *header) error {
	seen := map[string]bool{}
	for {
		n, err := r.long()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < 0 {
			if n == math.MinInt64 {
				return shoal.Refusef("bad metadata block count at offset %d", r.off)
			}
			n = -n
			if _, err := r.long(); err != nil { // the block's byte size
				return err
			}
		}
		// Every entry takes at least two bytes (two empty strings).
		if n > (r.size-r.off)/2 {
			return io.ErrUnexpectedEOF
		}
		for range n {
			key, err := r.bytes("metadata key")
			if err != nil {
				return err
			}
			value, err := r.bytes("metadata value")
			if err != nil {
				return err
			}
			k := string(key)
			if seen[k] {
				return shoal.Refusef("metadata key %q appears twice in the header", k)
			}
			seen[k] = true
			h.meta = append(h.meta, metaEntry{key: k, value: value})
			switch k {
			case schemaKey:
				h.schema = value
			case codecKey:
				h.codec = string(value)
			}
		}
	}
}

// encodeHeader returns a header with the given metadata and sync marker.
func encodeHeader(meta []metaEntry, sync [syncSize]byte) []byte {
	b := []byte(magic)
	if len(meta) > 0 {
		b = binary.AppendVarint(b, int64(len(meta)))
		for _, e := range meta {
			b = binary.AppendVarint(b, int64(len(e.key)))
			b = append(b, e.key...)
			b = binary.AppendVarint(b, int64(len(e.value)))
			b = append(b, e.value...)
		}
	}
	b = append(b, 0) // end of the map
	return append(b, sync[:]...)
}

// outputMeta returns the metadata of a merged file: the first input's,
// with avro.sync (if present) naming the new sync marker.
func outputMeta(meta []metaEntry, sync [syncSize]byte) []metaEntry {
	out := make([]metaEntry, len(meta))
	for i, e := range meta {
		if e.key == syncKey {
			e.value = bytes.Clone(sync[:])
		}
		out[i] = e
	}
	return out
}

// block is the position of one data block.
type block struct {
	index int
	// start is the offset of the block's record count; data is the
	// offset of its serialized records and end that of its sync marker.
	start, data, end int64
	count            int64
}

// blockParser checks the blocks of one file, in order, whichever way they
// are read.
type blockParser struct {
	name  string
	size  int64 // of the file
	sync  [syncSize]byte
	off   int64 // of the next block
	index int   // of the next block
}

func newBlockParser(in shoal.MergeInput, h *header) blockParser {
	return blockParser{name: in.Name, size: in.Size, sync: h.sync, off: h.size}
}

// done reports whether the last block has been read.
func (p *blockParser) done() bool { return p.off >= p.size }

// parseHead decodes the record count and size of the next block from head,
// the bytes at its offset (all of them up to maxBlockHead), and checks that
// the block and its sync marker fit in the file.
func (p *blockParser) parseHead(head []byte) (block, error) {
	b := block{index: p.index, start: p.off}
	count, k1 := binary.Varint(head)
	if k1 == 0 {
		return block{}, p.truncated(b, "its record count is cut off")
	}
	size, k2 := binary.Varint(head[max(k1, 0):])
	switch {
	case k1 < 0 || k2 < 0:
		return block{}, shoal.Refusef("%s: bad varint in the head of block %d at offset %d", p.name, b.index, b.start)
	case k2 == 0:
		return block{}, p.truncated(b, "its byte size is cut off")
	case count < 0:
		return block{}, shoal.Refusef("%s: block %d at offset %d has a negative record count %d", p.name, b.index, b.start, count)
	case size < 0:
		return block{}, shoal.Refusef("%s: block %d at offset %d has a negative size %d", p.name, b.index, b.start, size)
	}
	b.count = count
	b.data = b.start + int64(k1+k2)
	if left := p.size - b.data; size > left || left-size < syncSize {
		return block{}, p.truncated(b, fmt.Sprintf("its %d bytes of data and the sync marker do not fit", size))
	}
	b.end = b.data + size
	return b, nil
}

// endBlock checks the sync marker read after block b and moves to the
// next block.
func (p *blockParser) endBlock(b block, sync []byte) error {
	if !bytes.Equal(sync, p.sync[:]) {
		return shoal.Refusef("%s: sync marker mismatch at block %d (offset %d): the file is corrupt", p.name, b.index, b.end)
	}
	p.off = b.end + syncSize
	p.index++
	return nil
}

func (p *blockParser) truncated(b block, why string) error {
	return shoal.Refusef("%s: truncated block %d at offset %d, %d bytes before the end of the file: %s",
		p.name, b.index, b.start, p.size-b.start, why)
}

// walker steps through the data blocks of a file without reading their
// data. Among large blocks it makes one small read per block, of its sync
// marker and the head of the block after it; among small blocks it reads
// windows of walkWindow bytes, which hold many of them.
type walker struct {
	blockParser
	r io.ReaderAt
	// win holds the file's bytes from winOff: what was read past the
	// header, then the last read.
	win    []byte
	winOff int64
	buf    []byte
	small  bool // the last block was smaller than smallBlock
}

func newWalker(in shoal.MergeInput, h *header) *walker {
	return &walker{blockParser: newBlockParser(in, h), r: in.R, win: h.rest, winOff: h.size}
}

// at returns the n bytes of the file at off, which the caller has checked
// are in the file, reading them unless the window holds them.
func (w *walker) at(off int64, n int) ([]byte, error) {
	if off >= w.winOff && off+int64(n) <= w.winOff+int64(len(w.win)) {
		return w.win[off-w.winOff:][:n], nil
	}
	want := n
	if w.small {
		want = int(max(int64(n), min(walkWindow, w.size-off)))
	}
	if cap(w.buf) < want {
		w.buf = make([]byte, max(want, syncSize+maxBlockHead))
	}
	w.win, w.winOff = nil, off
	if err := readAt(w.r, w.buf[:want], off); err != nil {
		return nil, err
	}
	w.win = w.buf[:want]
	return w.win[:n], nil
}

// next returns the next block; ok is false at the end of the file.
// A block that does not fit in the file or is not followed by the sync
// marker is a refusal.
func (w *walker) next() (b block, ok bool, err error) {
	if w.done() {
		return block{}, false, nil
	}
	head, err := w.at(w.off, int(min(maxBlockHead, w.size-w.off)))
	if err != nil {
		return block{}, false, fmt.Errorf("%s: reading block %d: %w", w.name, w.index, err)
	}
	if b, err = w.parseHead(head); err != nil {
		return block{}, false, err
	}
	w.small = b.end-b.start < smallBlock
	// The sync marker, and the head of the next block.
	buf, err := w.at(b.end, int(min(syncSize+maxBlockHead, w.size-b.end)))
	if err != nil {
		return block{}, false, fmt.Errorf("%s: reading the sync marker of block %d: %w", w.name, b.index, err)
	}
	if err := w.endBlock(b, buf[:syncSize]); err != nil {
		return block{}, false, err
	}
	return b, true, nil
}

// readAt fills p from offset off; reaching the end of the input after
// filling p is not an error.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

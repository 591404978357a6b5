package parquet

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/shoalhq/shoal"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// copyBufferSize is the size of the output buffer and of each read.
const copyBufferSize = 1 << 20

// output counts and buffers what a merge writes and records the ranges
// copied verbatim from the inputs.
type output struct {
	bw   *bufio.Writer
	n    int64
	buf  []byte
	segs []shoal.Segment
}

func newOutput(w io.Writer) *output {
	return &output{bw: bufio.NewWriterSize(w, copyBufferSize), buf: make([]byte, copyBufferSize)}
}

func (o *output) Write(p []byte) (int, error) {
	n, err := o.bw.Write(p)
	o.n += int64(n)
	return n, err
}

// copyRange copies n bytes at off of r to the output, as a Segment with the
// CRC-32C of the bytes read.
func (o *output) copyRange(r io.ReaderAt, off, n int64, name string) error {
	if n == 0 {
		return nil
	}
	start := o.n
	h := crc32.New(castagnoli)
	copied, err := io.CopyBuffer(io.MultiWriter(o, h), io.NewSectionReader(r, off, n), o.buf)
	if err != nil {
		return fmt.Errorf("copying bytes %d to %d of %s: %w", off, off+n, name, err)
	}
	if copied != n {
		return fmt.Errorf("copying bytes %d to %d of %s: the file ends after %d of them", off, off+n, name, copied)
	}
	o.segs = append(o.segs, shoal.Segment{Offset: start, Length: n, CRC: h.Sum32()})
	return nil
}

// inputPlan records where the parts of one input go in the output.
type inputPlan struct {
	in     shoal.MergeInput
	fm     *fileMeta
	groups []groupPlan
}

type groupPlan struct {
	outStart int64 // offset of the row group's first chunk in the output
	chunks   []chunkPlan
}

// chunkPlan says where a column chunk and its index structures go. delta is
// added to every offset inside the chunk.
type chunkPlan struct {
	c     *columnChunk
	delta int64

	keepBloom bool
	bloomLen  int64
	bloomOut  int64

	keepColumnIndex bool
	columnIndexOut  int64

	keepOffsetIndex bool
	offsetIndexOut  int64
	offsetIndexLen  int32
}

// concat copies the inputs' row groups without decoding them and writes a
// footer that lists them all.
func concat(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta) (*shoal.MergeResult, error) {
	plans, tmpl, rows, err := planConcat(inputs, metas)
	if err != nil {
		return nil, err
	}
	o := newOutput(w)
	if _, err := io.WriteString(o, magic); err != nil {
		return nil, err
	}
	for _, p := range plans {
		for gi := range p.groups {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := o.copyGroup(p, &p.groups[gi]); err != nil {
				return nil, err
			}
		}
	}
	if err := o.copyIndexes(ctx, plans); err != nil {
		return nil, err
	}
	footer, err := encodeFooter(plans, tmpl, rows)
	if err != nil {
		return nil, fmt.Errorf("encoding the merged footer: %w", err)
	}
	if err := o.writeFooter(footer); err != nil {
		return nil, err
	}
	if err := o.bw.Flush(); err != nil {
		return nil, err
	}
	return &shoal.MergeResult{Rows: rows, Bytes: o.n, Segments: o.segs}, nil
}

// planConcat reads the inputs' footers, checks that they can be
// concatenated and plans their bloom filters and page indexes. It returns
// the index of the input whose footer is the template of the output's: the
// first with row groups. Files without row groups (as engines write for
// empty partitions) hold no chunk, so only their schema must match.
func planConcat(inputs []shoal.MergeInput, metas []*shoal.FileMeta) (plans []*inputPlan, tmpl int, rows int64, err error) {
	plans = make([]*inputPlan, len(inputs))
	fileMetas := make([]*shoal.FileMeta, len(inputs))
	tmpl = -1
	for i, in := range inputs {
		fm, err := readFooter(in)
		if err != nil {
			return nil, 0, 0, err
		}
		meta, err := fm.meta()
		if err != nil {
			return nil, 0, 0, shoal.Refusef("%s: %v", in.Name, err)
		}
		if metas[i] != nil && (metas[i].Schema != meta.Schema || metas[i].Rows != meta.Rows) {
			return nil, 0, 0, fmt.Errorf("%s changed since it was inspected", in.Name)
		}
		if rows > math.MaxInt64-meta.Rows {
			return nil, 0, 0, errors.New("row count overflows")
		}
		rows += meta.Rows
		if tmpl < 0 && meta.Units > 0 {
			tmpl = i
		}
		fileMetas[i] = meta
		plans[i] = planInput(in, fm)
	}
	tmpl = max(tmpl, 0)
	for i, meta := range fileMetas {
		err := shoal.ConcatCompatible(fileMetas[tmpl], meta)
		if meta.Units == 0 && meta.Schema == fileMetas[tmpl].Schema {
			err = nil
		}
		if err != nil {
			return nil, 0, 0, shoal.Refusef("cannot concatenate %s and %s: %v", inputs[tmpl].Name, inputs[i].Name, err)
		}
	}
	return plans, tmpl, rows, nil
}

func planInput(in shoal.MergeInput, fm *fileMeta) *inputPlan {
	p := &inputPlan{in: in, fm: fm, groups: make([]groupPlan, len(fm.rowGroups))}
	for gi := range fm.rowGroups {
		g := &fm.rowGroups[gi]
		chunks := make([]chunkPlan, len(g.columns))
		for ci := range g.columns {
			chunks[ci] = planChunk(in, fm, &g.columns[ci])
		}
		p.groups[gi].chunks = chunks
	}
	return p
}

// planChunk decides which of a chunk's bloom filter and page indexes can be
// carried over: those whose location in the input is valid.
func planChunk(in shoal.MergeInput, fm *fileMeta, c *columnChunk) chunkPlan {
	p := chunkPlan{c: c}
	within := func(off, n int64) bool {
		return off >= int64(len(magic)) && n > 0 && n <= fm.footerStart-off
	}
	p.keepColumnIndex = within(c.columnIndexOffset, int64(c.columnIndexLength))
	p.keepOffsetIndex = within(c.offsetIndexOffset, int64(c.offsetIndexLength))
	if c.bloomOffset > 0 {
		p.bloomLen = bloomFilterSize(in, fm, c)
		p.keepBloom = within(c.bloomOffset, p.bloomLen)
	}
	return p
}

// bloomFilterSize returns the size of a chunk's bloom filter: its recorded
// length, or its header plus the bitset the header announces; 0 when the
// header cannot be read.
func bloomFilterSize(in shoal.MergeInput, fm *fileMeta, c *columnChunk) int64 {
	if c.bloomLength > 0 {
		return int64(c.bloomLength)
	}
	if c.bloomOffset < int64(len(magic)) || c.bloomOffset >= fm.footerStart {
		return 0
	}
	hdr := make([]byte, min(64, fm.footerStart-c.bloomOffset))
	if err := readFull(in.R, hdr, c.bloomOffset); err != nil {
		return 0
	}
	d := &decoder{b: hdr}
	var numBytes int64
	err := d.fields(bloomHeaderType, func(id int16, typ byte) error {
		if id == 1 {
			var err error
			numBytes, err = d.integer(typ)
			return err
		}
		return d.skip(typ)
	})
	if err != nil || numBytes <= 0 {
		return 0
	}
	return int64(d.pos) + numBytes
}

// copyGroup copies a row group's column chunks, one range per run of
// adjacent chunks, and records by how much each chunk moved.
func (o *output) copyGroup(p *inputPlan, g *groupPlan) error {
	chunks := g.chunks
	for i := 0; i < len(chunks); {
		runStart := chunks[i].c.start()
		end := runStart + chunks[i].c.totalCompressed
		j := i + 1
		for j < len(chunks) && chunks[j].c.start() == end {
			end += chunks[j].c.totalCompressed
			j++
		}
		for k := i; k < j; k++ {
			chunks[k].delta = o.n - runStart
		}
		if i == 0 {
			g.outStart = o.n
		}
		if err := o.copyRange(p.in.R, runStart, end-runStart, p.in.Name); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// copyIndexes copies the bloom filters and column indexes verbatim, then
// writes the offset indexes with their page offsets rebased. They follow
// the data, as writers place them.
func (o *output) copyIndexes(ctx context.Context, plans []*inputPlan) error {
	each := func(fn func(p *inputPlan, c *chunkPlan) error) error {
		for _, p := range plans {
			if err := ctx.Err(); err != nil {
				return err
			}
			for gi := range p.groups {
				for ci := range p.groups[gi].chunks {
					if err := fn(p, &p.groups[gi].chunks[ci]); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	err := each(func(p *inputPlan, c *chunkPlan) error {
		if !c.keepBloom {
			return nil
		}
		c.bloomOut = o.n
		return o.copyRange(p.in.R, c.c.bloomOffset, c.bloomLen, p.in.Name)
	})
	if err != nil {
		return err
	}
	err = each(func(p *inputPlan, c *chunkPlan) error {
		if !c.keepColumnIndex {
			return nil
		}
		c.columnIndexOut = o.n
		return o.copyRange(p.in.R, c.c.columnIndexOffset, int64(c.c.columnIndexLength), p.in.Name)
	})
	if err != nil {
		return err
	}
	var buf []byte
	return each(func(p *inputPlan, c *chunkPlan) error {
		if !c.keepOffsetIndex {
			return nil
		}
		if n := int(c.c.offsetIndexLength); cap(buf) < n {
			buf = make([]byte, n)
		} else {
			buf = buf[:n]
		}
		if err := readFull(p.in.R, buf, c.c.offsetIndexOffset); err != nil {
			return fmt.Errorf("reading an offset index of %s: %w", p.in.Name, err)
		}
		b, err := rebaseOffsetIndex(buf, c.delta)
		n := len(b)
		if err != nil || n > math.MaxInt32 {
			// A corrupt index is dropped; readers treat a missing offset
			// index as absent.
			c.keepOffsetIndex = false
			return nil
		}
		c.offsetIndexOut, c.offsetIndexLen = o.n, int32(n)
		_, err = o.Write(b)
		return err
	})
}

// writeFooter writes the footer, its length and the closing magic.
func (o *output) writeFooter(footer []byte) error {
	n := len(footer)
	if n > math.MaxUint32 {
		return errors.New("merged footer exceeds 4 GiB")
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(n))
	copy(tail[4:], magic)
	if _, err := o.Write(footer); err != nil {
		return err
	}
	_, err := o.Write(tail[:])
	return err
}

// rewriteStructList re-encodes a list of structs with fn, which must
// consume and write one struct per call.
func rewriteStructList(d *decoder, e *encoder, typ byte, fn func(i int) error) error {
	if typ != tList && typ != tSet {
		return fmt.Errorf("thrift type %d is not a list", typ)
	}
	elem, n, err := d.listHeader()
	if err != nil {
		return err
	}
	if n > 0 && elem != tStruct {
		return fmt.Errorf("thrift list holds type %d, want structs", elem)
	}
	e.listHeader(tStruct, n)
	for i := range n {
		if err := fn(i); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// rebaseOffsetIndex adds delta to every page offset of an encoded
// OffsetIndex.
func rebaseOffsetIndex(b []byte, delta int64) ([]byte, error) {
	d := &decoder{b: b}
	e := &encoder{b: make([]byte, 0, len(b)+16)}
	err := rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		if id != 1 {
			return false, nil
		}
		w.header(1, tList)
		return true, rewriteStructList(d, e, typ, func(int) error {
			return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
				return rebaseField(d, w, id, typ, 1, delta, false)
			})
		})
	})
	if err == nil && d.remaining() != 0 {
		err = errors.New("trailing bytes after the offset index")
	}
	return e.b, err
}

// rebaseField rewrites field want, an i64 offset, adding delta; with
// positiveOnly, zero or negative offsets (meaning "absent") are kept. It
// reports false for other fields.
func rebaseField(d *decoder, w *structWriter, id int16, typ byte, want int16, delta int64, positiveOnly bool) (bool, error) {
	if id != want || !isInteger(typ) {
		return false, nil
	}
	v, err := d.integer(typ)
	if err != nil {
		return true, err
	}
	if v > 0 || !positiveOnly {
		v += delta
	}
	w.i64(id, tI64, v)
	return true, nil
}

// encodeFooter encodes the merged FileMetaData: that of input tmpl, with
// every input's row groups, rebased, and the summed row count.
func encodeFooter(plans []*inputPlan, tmpl int, rows int64) ([]byte, error) {
	groups := &encoder{}
	ordinal := 0
	for _, p := range plans {
		if err := p.encodeRowGroups(groups, &ordinal); err != nil {
			return nil, fmt.Errorf("%s: %w", p.in.Name, err)
		}
	}
	first := plans[tmpl].fm
	d := &decoder{b: first.raw}
	e := &encoder{b: make([]byte, 0, len(first.raw)+len(groups.b))}
	err := rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch id {
		case 3:
			if !isInteger(typ) {
				return false, nil
			}
			if _, err := d.integer(typ); err != nil {
				return true, err
			}
			w.i64(3, tI64, rows)
			return true, nil
		case 4:
			if err := d.skip(typ); err != nil {
				return true, err
			}
			w.header(4, tList)
			e.listHeader(tStruct, ordinal)
			e.b = append(e.b, groups.b...)
			return true, nil
		}
		return false, nil
	})
	return e.b, err
}

// encodeRowGroups appends the input's row groups, rebased, to e.
func (p *inputPlan) encodeRowGroups(e *encoder, ordinal *int) error {
	d := &decoder{b: p.fm.raw}
	return d.structFields(func(id int16, typ byte) error {
		if id != 4 {
			return d.skip(typ)
		}
		if typ != tList {
			return fmt.Errorf("row groups have thrift type %d", typ)
		}
		elem, n, err := d.listHeader()
		if err != nil {
			return err
		}
		if n != len(p.groups) || (n > 0 && elem != tStruct) {
			return errors.New("row groups changed while merging")
		}
		for gi := range n {
			if err := rewriteRowGroup(d, e, &p.groups[gi], *ordinal); err != nil {
				return fmt.Errorf("row group %d: %w", gi, err)
			}
			*ordinal++
		}
		return nil
	})
}

// rewriteRowGroup re-encodes a RowGroup with its chunks' new offsets, its
// new file offset and ordinal.
func rewriteRowGroup(d *decoder, e *encoder, g *groupPlan, ordinal int) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch id {
		case 1:
			w.header(1, tList)
			return true, rewriteStructList(d, e, typ, func(i int) error {
				if i >= len(g.chunks) {
					return errors.New("more column chunks than planned")
				}
				return rewriteColumnChunk(d, e, &g.chunks[i])
			})
		case 5:
			if !isInteger(typ) {
				return false, nil
			}
			if _, err := d.integer(typ); err != nil {
				return true, err
			}
			w.i64(5, tI64, g.outStart)
			return true, nil
		case 7:
			if !isInteger(typ) {
				return false, nil
			}
			if _, err := d.integer(typ); err != nil {
				return true, err
			}
			if ordinal <= math.MaxInt16 {
				w.i64(7, tI16, int64(ordinal))
			}
			return true, nil
		}
		return false, nil
	})
}

// rewriteColumnChunk re-encodes a ColumnChunk with rebased offsets; a page
// index not carried over is left out.
func rewriteColumnChunk(d *decoder, e *encoder, c *chunkPlan) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch id {
		case 2:
			return rebaseField(d, w, id, typ, 2, c.delta, true)
		case 3:
			if typ != tStruct {
				return false, nil
			}
			w.header(3, tStruct)
			return true, rewriteColumnMetaData(d, e, c)
		case 4, 5, 6, 7:
			if !isInteger(typ) {
				return false, nil
			}
			if _, err := d.integer(typ); err != nil {
				return true, err
			}
			switch {
			case id == 4 && c.keepOffsetIndex:
				w.i64(4, tI64, c.offsetIndexOut)
			case id == 5 && c.keepOffsetIndex:
				w.i64(5, tI32, int64(c.offsetIndexLen))
			case id == 6 && c.keepColumnIndex:
				w.i64(6, tI64, c.columnIndexOut)
			case id == 7 && c.keepColumnIndex:
				w.i64(7, tI32, int64(c.c.columnIndexLength))
			}
			return true, nil
		}
		return false, nil
	})
}

// rewriteColumnMetaData re-encodes a ColumnMetaData with its page offsets
// rebased and its bloom filter's new location.
func rewriteColumnMetaData(d *decoder, e *encoder, c *chunkPlan) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch id {
		case 9, 10, 11:
			// A zero page offset means "none" (see columnChunk.start).
			return rebaseField(d, w, id, typ, id, c.delta, true)
		case 14, 15:
			if !isInteger(typ) {
				return false, nil
			}
			v, err := d.integer(typ)
			if err != nil {
				return true, err
			}
			switch {
			case id == 14 && c.keepBloom:
				w.i64(14, tI64, c.bloomOut)
			case id == 15 && c.keepBloom:
				w.i64(15, tI32, v)
			}
			return true, nil
		}
		return false, nil
	})
}

package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A rewrite's last bytes (the end of the last row group, the page indexes
// and the footer that parquet-go writes on Close) are held back, and
// written again with the footer patched: the inputs' schema elements and
// key-value metadata replace parquet-go's, and the columns whose min/max
// parquet-go gets wrong for that schema (see minMaxKept) lose their min/max
// statistics and column index. The page indexes are laid out again, back to
// back in column-chunk order, because parquet-go's reader expects each kind
// of page index to fill one contiguous range.

// indexPlan is where a column chunk's page indexes go in the output.
type indexPlan struct {
	keepColumnIndex, keepOffsetIndex bool
	columnIndexOut, offsetIndexOut   int64
}

// writePatchedTail writes tail, which starts at output offset tailStart and
// ends with parquet-go's footer, with the footer patched for src.
func (o *output) writePatchedTail(tail []byte, tailStart int64, src *fileMeta, strip []bool) error {
	if len(tail) < 8 || string(tail[len(tail)-4:]) != magic {
		return errors.New("parquet-go wrote no footer")
	}
	n := int(binary.LittleEndian.Uint32(tail[len(tail)-8:]))
	if n > len(tail)-8 {
		return errors.New("parquet-go's footer was not held back")
	}
	footerAt := len(tail) - 8 - n
	footer := tail[footerAt : len(tail)-8]
	pg, err := parseFileMetaData(footer)
	if err != nil {
		return fmt.Errorf("reading parquet-go's footer: %w", err)
	}
	regionAt, err := indexRegion(pg, tailStart, footerAt)
	if err != nil {
		return err
	}
	if _, err := o.Write(tail[:regionAt]); err != nil {
		return err
	}
	plans := make([][]indexPlan, len(pg.rowGroups))
	for gi, g := range pg.rowGroups {
		if len(g.columns) != len(strip) {
			return fmt.Errorf("parquet-go wrote %d columns in row group %d, not %d", len(g.columns), gi, len(strip))
		}
		plans[gi] = make([]indexPlan, len(g.columns))
	}
	// Column indexes first, then offset indexes, as parquet-go writes them.
	for gi, g := range pg.rowGroups {
		for ci, c := range g.columns {
			if c.columnIndexLength <= 0 || strip[ci] {
				continue
			}
			p := &plans[gi][ci]
			p.keepColumnIndex, p.columnIndexOut = true, o.n
			if _, err := o.Write(held(tail, tailStart, c.columnIndexOffset, c.columnIndexLength)); err != nil {
				return err
			}
		}
	}
	for gi, g := range pg.rowGroups {
		for ci, c := range g.columns {
			if c.offsetIndexLength <= 0 {
				continue
			}
			p := &plans[gi][ci]
			p.keepOffsetIndex, p.offsetIndexOut = true, o.n
			if _, err := o.Write(held(tail, tailStart, c.offsetIndexOffset, c.offsetIndexLength)); err != nil {
				return err
			}
		}
	}
	patched, err := patchFooter(footer, src, strip, plans)
	if err != nil {
		return err
	}
	return o.writeFooter(patched)
}

// indexRegion checks that the page indexes parquet-go wrote fill the held
// bytes just before the footer, and returns where they start in tail.
func indexRegion(pg *fileMeta, tailStart int64, footerAt int) (int, error) {
	regionAt, total := footerAt, 0
	for _, g := range pg.rowGroups {
		for _, c := range g.columns {
			for _, ix := range [...]struct {
				off int64
				n   int32
			}{{c.columnIndexOffset, c.columnIndexLength}, {c.offsetIndexOffset, c.offsetIndexLength}} {
				if ix.n <= 0 {
					continue
				}
				r := ix.off - tailStart
				if r < 0 || r+int64(ix.n) > int64(footerAt) {
					return 0, fmt.Errorf("parquet-go wrote a page index at %d+%d, outside the held bytes %d to %d", ix.off, ix.n, tailStart, tailStart+int64(footerAt))
				}
				regionAt = min(regionAt, int(r))
				total += int(ix.n)
			}
		}
	}
	if footerAt-regionAt != total {
		return 0, fmt.Errorf("parquet-go's page indexes take %d bytes of a %d-byte range", total, footerAt-regionAt)
	}
	return regionAt, nil
}

// held returns the held bytes at output offset off.
func held(tail []byte, tailStart, off int64, n int32) []byte {
	r := off - tailStart
	return tail[r : r+int64(n)]
}

// patchFooter re-encodes parquet-go's FileMetaData with src's schema (field
// 2) and key-value metadata (field 5) and the page index locations of plans;
// the columns marked in strip lose their min/max statistics.
func patchFooter(footer []byte, src *fileMeta, strip []bool, plans [][]indexPlan) ([]byte, error) {
	d := &decoder{b: footer}
	e := &encoder{b: make([]byte, 0, len(footer)+len(src.schemaRaw)+len(src.kvRaw))}
	kvDone := false
	writeKV := func(w *structWriter) {
		if !kvDone && src.kvRaw != nil {
			w.raw(5, tList, src.kvRaw)
		}
		kvDone = true
	}
	err := rewriteStructFinish(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch {
		case id == 2:
			w.raw(2, tList, src.schemaRaw)
			return true, d.skip(typ)
		case id == 4:
			w.header(4, tList)
			return true, rewriteStructList(d, e, typ, func(gi int) error {
				if gi >= len(plans) {
					return errors.New("more row groups than planned")
				}
				return patchRowGroup(d, e, strip, plans[gi])
			})
		case id == 5:
			writeKV(w)
			return true, d.skip(typ)
		case id > 5:
			writeKV(w)
		}
		return false, nil
	}, writeKV)
	if err == nil && d.remaining() != 0 {
		err = errors.New("trailing bytes after parquet-go's footer")
	}
	return e.b, err
}

func patchRowGroup(d *decoder, e *encoder, strip []bool, plans []indexPlan) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		if id != 1 {
			return false, nil
		}
		w.header(1, tList)
		return true, rewriteStructList(d, e, typ, func(ci int) error {
			if ci >= len(plans) {
				return errors.New("more column chunks than planned")
			}
			return patchColumnChunk(d, e, strip[ci], plans[ci])
		})
	})
}

func patchColumnChunk(d *decoder, e *encoder, strip bool, p indexPlan) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		switch id {
		case 3:
			if !strip || typ != tStruct {
				return false, nil
			}
			w.header(3, tStruct)
			return true, stripMinMax(d, e)
		case 4, 5, 6, 7:
			if !isInteger(typ) {
				return false, nil
			}
			v, err := d.integer(typ)
			if err != nil {
				return true, err
			}
			switch {
			case id == 4 && p.keepOffsetIndex:
				w.i64(4, tI64, p.offsetIndexOut)
			case id == 5 && p.keepOffsetIndex:
				w.i64(5, tI32, v)
			case id == 6 && p.keepColumnIndex:
				w.i64(6, tI64, p.columnIndexOut)
			case id == 7 && p.keepColumnIndex:
				w.i64(7, tI32, v)
			}
			return true, nil
		}
		return false, nil
	})
}

// stripMinMax re-encodes a ColumnMetaData without the min and max of its
// statistics; the null and distinct counts stay.
func stripMinMax(d *decoder, e *encoder) error {
	return rewriteStruct(d, e, func(w *structWriter, id int16, typ byte) (bool, error) {
		if id != 12 || typ != tStruct {
			return false, nil
		}
		w.header(12, tStruct)
		return true, rewriteStruct(d, e, func(_ *structWriter, id int16, typ byte) (bool, error) {
			switch id {
			case 1, 2, 5, 6, 7, 8: // max, min, max_value, min_value and their exactness
				return true, d.skip(typ)
			}
			return false, nil
		})
	})
}

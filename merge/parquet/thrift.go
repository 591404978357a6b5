package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Parquet metadata is serialised with the Thrift compact protocol. This file
// holds a small, defensive reader and writer for it. The reader never
// allocates in proportion to a length it has not checked against the bytes
// that remain, and it limits nesting, so a corrupt or hostile footer gives an
// error, never a panic or a huge allocation. The writer lets the concat merge
// copy the fields it does not change byte for byte and re-encode only the
// offsets it moves.

// Compact protocol type codes.
const (
	tStop   byte = 0
	tTrue   byte = 1
	tFalse  byte = 2
	tByte   byte = 3
	tI16    byte = 4
	tI32    byte = 5
	tI64    byte = 6
	tDouble byte = 7
	tBinary byte = 8
	tList   byte = 9
	tSet    byte = 10
	tMap    byte = 11
	tStruct byte = 12
)

// maxDepth bounds struct and container nesting; Parquet metadata nests a
// handful of levels, so anything deeper is corrupt.
const maxDepth = 64

var errTruncated = errors.New("unexpected end of thrift data")

// decoder reads compact-protocol values from a byte slice.
type decoder struct {
	b     []byte
	pos   int
	depth int
}

func (d *decoder) remaining() int { return len(d.b) - d.pos }

func (d *decoder) readByte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, errTruncated
	}
	c := d.b[d.pos]
	d.pos++
	return c, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.pos:])
	if n == 0 {
		return 0, errTruncated
	}
	if n < 0 {
		return 0, errors.New("thrift varint overflows 64 bits")
	}
	d.pos += n
	return v, nil
}

// varint reads a zigzag-encoded signed integer.
func (d *decoder) varint() (int64, error) {
	u, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	return int64(u>>1) ^ -int64(u&1), nil //nolint:gosec // zigzag decoding reinterprets the bits by design
}

// length reads a collection or binary length and checks that at least
// minBytes per element remain.
func (d *decoder) length(minBytes int) (int, error) {
	u, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	limit := d.remaining()
	if minBytes > 1 {
		limit /= minBytes
	}
	if u > uint64(limit) { //nolint:gosec // remaining() is never negative
		return 0, fmt.Errorf("thrift length %d exceeds the %d bytes that remain", u, d.remaining())
	}
	return int(u), nil //nolint:gosec // u <= limit, an int
}

// integer reads an integer field of any width as int64.
func (d *decoder) integer(typ byte) (int64, error) {
	switch typ {
	case tByte:
		c, err := d.readByte()
		return int64(int8(c)), err //nolint:gosec // a thrift byte is signed
	case tI16, tI32, tI64:
		return d.varint()
	}
	return 0, fmt.Errorf("thrift type %d is not an integer", typ)
}

// i32 reads an integer field that must fit in 32 bits.
func (d *decoder) i32(typ byte) (int32, error) {
	v, err := d.integer(typ)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("thrift i32 value %d out of range", v)
	}
	return int32(v), nil
}

func (d *decoder) binary(typ byte) ([]byte, error) {
	if typ != tBinary {
		return nil, fmt.Errorf("thrift type %d is not binary", typ)
	}
	n, err := d.length(0)
	if err != nil {
		return nil, err
	}
	b := d.b[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

// fieldHeader reads a struct field header; typ is tStop at the end of the
// struct.
func (d *decoder) fieldHeader(last int16) (id int16, typ byte, err error) {
	c, err := d.readByte()
	if err != nil {
		return 0, 0, err
	}
	if c == tStop {
		return 0, tStop, nil
	}
	typ = c & 0x0f
	if delta := int16(c >> 4); delta != 0 {
		id = last + delta
	} else {
		v, err := d.varint()
		if err != nil {
			return 0, 0, err
		}
		if v < math.MinInt16 || v > math.MaxInt16 {
			return 0, 0, fmt.Errorf("thrift field id %d out of range", v)
		}
		id = int16(v)
	}
	if typ == tStop || typ > tStruct {
		return 0, 0, fmt.Errorf("unknown thrift type %d for field %d", typ, id)
	}
	return id, typ, nil
}

// listHeader reads a list or set header.
func (d *decoder) listHeader() (elem byte, n int, err error) {
	c, err := d.readByte()
	if err != nil {
		return 0, 0, err
	}
	elem = c & 0x0f
	if elem > tStruct || elem == tStop {
		return 0, 0, fmt.Errorf("unknown thrift list element type %d", elem)
	}
	if short := int(c >> 4); short != 0x0f {
		n = short
		if n > d.remaining() {
			return 0, 0, errTruncated
		}
		return elem, n, nil
	}
	// Every element takes at least one byte, except bools packed into a
	// struct field header, which lists do not use.
	n, err = d.length(1)
	return elem, n, err
}

// structFields calls fn for each field of the struct at the cursor; fn must
// consume the field's value (or call skip).
func (d *decoder) structFields(fn func(id int16, typ byte) error) error {
	if d.depth++; d.depth > maxDepth {
		return errors.New("thrift structures nest too deeply")
	}
	defer func() { d.depth-- }()
	var last int16
	for {
		id, typ, err := d.fieldHeader(last)
		if err != nil {
			return err
		}
		if typ == tStop {
			return nil
		}
		if err := fn(id, typ); err != nil {
			return fmt.Errorf("field %d: %w", id, err)
		}
		last = id
	}
}

// fields is structFields for a struct whose known fields have the wire
// types in expect (any integer width matches tI64). Like other Thrift
// readers, it skips a known field sent with another type, as if absent.
// A known field that appears twice is an error.
func (d *decoder) fields(expect map[int16]byte, fn func(id int16, typ byte) error) error {
	var seen uint64
	return d.structFields(func(id int16, typ byte) error {
		want, ok := expect[id]
		if !ok {
			return fn(id, typ)
		}
		if !typeMatches(typ, want) {
			return d.skip(typ)
		}
		if id >= 0 && id < 64 {
			bit := uint64(1) << id
			if seen&bit != 0 {
				return errors.New("field repeated")
			}
			seen |= bit
		}
		return fn(id, typ)
	})
}

func typeMatches(typ, want byte) bool {
	switch want {
	case tI64:
		return isInteger(typ)
	case tList:
		return typ == tList || typ == tSet
	case tTrue:
		return typ == tTrue || typ == tFalse
	}
	return typ == want
}

func isInteger(typ byte) bool {
	return typ == tByte || typ == tI16 || typ == tI32 || typ == tI64
}

// listElems calls fn for each element of the list at the cursor, after
// checking that the elements have type want.
func (d *decoder) listElems(typ, want byte, fn func(i int) error) error {
	if typ != tList && typ != tSet {
		return fmt.Errorf("thrift type %d is not a list", typ)
	}
	elem, n, err := d.listHeader()
	if err != nil {
		return err
	}
	if n > 0 && elem != want {
		return fmt.Errorf("thrift list holds type %d, want %d", elem, want)
	}
	for i := range n {
		if err := fn(i); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// skip consumes one value of type typ.
func (d *decoder) skip(typ byte) error {
	switch typ {
	case tTrue, tFalse:
		// A bool field carries its value in the field header.
		return nil
	case tByte:
		_, err := d.readByte()
		return err
	case tI16, tI32, tI64:
		_, err := d.uvarint()
		return err
	case tDouble:
		if d.remaining() < 8 {
			return errTruncated
		}
		d.pos += 8
		return nil
	case tBinary:
		_, err := d.binary(typ)
		return err
	case tList, tSet:
		return d.skipList()
	case tMap:
		return d.skipMap()
	case tStruct:
		return d.structFields(func(_ int16, typ byte) error { return d.skip(typ) })
	}
	return fmt.Errorf("unknown thrift type %d", typ)
}

func (d *decoder) skipList() error {
	if d.depth++; d.depth > maxDepth {
		return errors.New("thrift structures nest too deeply")
	}
	defer func() { d.depth-- }()
	elem, n, err := d.listHeader()
	if err != nil {
		return err
	}
	for range n {
		if err := d.skipElem(elem); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) skipMap() error {
	if d.depth++; d.depth > maxDepth {
		return errors.New("thrift structures nest too deeply")
	}
	defer func() { d.depth-- }()
	n, err := d.length(2)
	if err != nil || n == 0 {
		return err
	}
	kv, err := d.readByte()
	if err != nil {
		return err
	}
	key, val := kv>>4, kv&0x0f
	for range n {
		if err := d.skipElem(key); err != nil {
			return err
		}
		if err := d.skipElem(val); err != nil {
			return err
		}
	}
	return nil
}

// skipElem skips a collection element: unlike struct fields, bools in
// collections take one byte.
func (d *decoder) skipElem(typ byte) error {
	switch typ {
	case tTrue, tFalse:
		_, err := d.readByte()
		return err
	case tStop:
		return errors.New("thrift collection of type stop")
	}
	return d.skip(typ)
}

// encoder appends compact-protocol values to a byte slice.
type encoder struct {
	b []byte
}

// fieldHeader writes the header of field id after field last.
func (e *encoder) fieldHeader(last, id int16, typ byte) {
	if delta := int(id) - int(last); delta > 0 && delta <= 15 {
		e.b = append(e.b, byte(delta)<<4|typ)
		return
	}
	e.b = append(e.b, typ)
	e.varint(int64(id))
}

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// varint writes a zigzag-encoded signed integer.
func (e *encoder) varint(v int64) {
	e.uvarint(uint64(v<<1) ^ uint64(v>>63)) //nolint:gosec // zigzag encoding reinterprets the bits by design
}

// listHeader writes a list header for n elements of type elem.
func (e *encoder) listHeader(elem byte, n int) {
	if n >= 0 && n < 15 {
		e.b = append(e.b, byte(n)<<4|elem) //nolint:gosec // 0 <= n < 15
		return
	}
	e.b = append(e.b, 0xf0|elem)
	e.uvarint(uint64(n)) //nolint:gosec // a length, never negative
}

func (e *encoder) stop() { e.b = append(e.b, tStop) }

// structWriter re-encodes a struct field by field, tracking the last field
// id for the delta-encoded headers.
type structWriter struct {
	e    *encoder
	last int16
}

// raw writes field id with the already encoded value bytes v (empty for a
// bool, whose value is its type).
func (w *structWriter) raw(id int16, typ byte, v []byte) {
	w.e.fieldHeader(w.last, id, typ)
	w.e.b = append(w.e.b, v...)
	w.last = id
}

// header writes the header of field id, whose value the caller encodes.
func (w *structWriter) header(id int16, typ byte) {
	w.e.fieldHeader(w.last, id, typ)
	w.last = id
}

// i64 writes an integer field of type typ (i16, i32 or i64).
func (w *structWriter) i64(id int16, typ byte, v int64) {
	w.e.fieldHeader(w.last, id, typ)
	w.e.varint(v)
	w.last = id
}

func (w *structWriter) end() { w.e.stop() }

// rewriteStruct copies the struct at the cursor of d to e, field by field.
// For each field, edit may write a replacement through w and return true;
// otherwise the field's bytes are copied unchanged.
func rewriteStruct(d *decoder, e *encoder, edit func(w *structWriter, id int16, typ byte) (bool, error)) error {
	return rewriteStructFinish(d, e, edit, nil)
}

// rewriteStructFinish is rewriteStruct with finish, when not nil, called to
// append fields after the last one.
func rewriteStructFinish(d *decoder, e *encoder, edit func(w *structWriter, id int16, typ byte) (bool, error), finish func(w *structWriter)) error {
	w := &structWriter{e: e}
	err := d.structFields(func(id int16, typ byte) error {
		start := d.pos
		done, err := edit(w, id, typ)
		if err != nil || done {
			return err
		}
		if d.pos != start {
			return errors.New("internal error: edit consumed a field it did not write")
		}
		if err := d.skip(typ); err != nil {
			return err
		}
		w.raw(id, typ, d.b[start:d.pos])
		return nil
	})
	if err != nil {
		return err
	}
	if finish != nil {
		finish(w)
	}
	w.end()
	return nil
}

package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// magic is the four bytes at both ends of a plain Parquet file; encMagic
// marks a file whose footer is encrypted.
const (
	magic    = "PAR1"
	encMagic = "PARE"
)

// maxFooter bounds the footer length read into memory (Parquet writers
// refuse far smaller footers; a larger length means a corrupt file).
const maxFooter = 256 << 20

// fileMeta is the part of a Parquet footer (the thrift FileMetaData) that
// the merger needs, with the byte spans of the fields the rewrite carries
// over verbatim.
type fileMeta struct {
	// raw is the footer; footerStart is its offset in the file.
	raw         []byte
	footerStart int64

	schema    []schemaElement
	numRows   int64 // the footer total, which some writers get wrong
	rowGroups []rowGroup
	createdBy string
	// columnOrders renders field 7 (ColumnOrder list); "" when absent.
	columnOrders []string
	// schemaRaw and kvRaw are the encoded values of fields 2 and 5.
	schemaRaw []byte
	kvRaw     []byte
	kv        []keyValue
	encrypted bool
	signed    bool

	// leaves are the leaf columns in schema order, with their paths.
	leaves []leaf
}

type keyValue struct {
	key, value string
}

// schemaElement is one node of the flattened schema tree.
type schemaElement struct {
	name                                     string
	typ, typeLength, repetition, numChildren int32
	converted, scale, precision, fieldID     int32
	hasType, hasTypeLength, hasRepetition    bool
	hasChildren, hasConverted, hasScale      bool
	hasPrecision, hasFieldID                 bool
	logical                                  string // rendered LogicalType, "" when absent
}

type leaf struct {
	path []string
	elem *schemaElement
}

type rowGroup struct {
	numRows int64
	columns []columnChunk
}

// columnChunk holds the location of a column chunk and of its page index
// and bloom filter.
type columnChunk struct {
	filePath  string
	encrypted bool
	hasMeta   bool

	typ             int32
	encodings       []int32
	path            []string
	codec           int32
	numValues       int64
	totalCompressed int64
	dataPageOffset  int64
	indexPageOffset int64
	dictPageOffset  int64
	hasDictOffset   bool
	bloomOffset     int64
	bloomLength     int32

	offsetIndexOffset int64
	offsetIndexLength int32
	columnIndexOffset int64
	columnIndexLength int32
}

// start returns the offset of the chunk's first page: the dictionary page
// when there is one before the first data page. Some writers store a
// dictionary_page_offset of 0 for chunks without a dictionary (see
// dict-page-offset-zero.parquet); that 0 is ignored. index_page_offset is
// never written by known writers and, like other readers, ignored.
// Writers also store a data_page_offset of 0 for a chunk that holds only a
// dictionary page (see column_chunk_key_value_metadata.parquet).
func (c *columnChunk) start() int64 {
	s := c.dataPageOffset
	if c.hasDictOffset && c.dictPageOffset > 0 && (c.dictPageOffset < s || s <= 0) {
		s = c.dictPageOffset
	}
	return s
}

// readFooter reads and parses the footer of a Parquet file. Every failure is
// a RefusalError that says what is wrong with the file.
func readFooter(in shoal.MergeInput) (*fileMeta, error) {
	if in.Size == 0 {
		return nil, shoal.Refusef("%s: empty file, not Parquet", in.Name)
	}
	if in.Size < int64(2*len(magic)+4) {
		return nil, shoal.Refusef("%s: %d bytes is too small for a Parquet file (truncated?)", in.Name, in.Size)
	}
	var head, tail [8]byte
	if err := readFull(in.R, head[:4], 0); err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", in.Name, err)
	}
	if err := readFull(in.R, tail[:], in.Size-8); err != nil {
		return nil, fmt.Errorf("%s: reading the footer: %w", in.Name, err)
	}
	switch {
	case string(head[:4]) == encMagic || string(tail[4:]) == encMagic:
		return nil, shoal.Refusef("%s: encrypted Parquet (PARE footer) cannot be merged", in.Name)
	case string(head[:4]) != magic:
		return nil, shoal.Refusef("%s: not a Parquet file: header magic is %q, want %q", in.Name, head[:4], magic)
	case string(tail[4:]) != magic:
		return nil, shoal.Refusef("%s: truncated or corrupt Parquet file: footer magic is %q, want %q", in.Name, tail[4:], magic)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n == 0 || n > in.Size-12 || n > maxFooter {
		return nil, shoal.Refusef("%s: corrupt Parquet footer length %d in a %d-byte file", in.Name, n, in.Size)
	}
	raw := make([]byte, n)
	start := in.Size - 8 - n
	if err := readFull(in.R, raw, start); err != nil {
		return nil, fmt.Errorf("%s: reading the footer: %w", in.Name, err)
	}
	fm, err := parseFileMetaData(raw)
	if err != nil {
		return nil, shoal.Refusef("%s: corrupt Parquet footer: %v", in.Name, err)
	}
	fm.raw, fm.footerStart = raw, start
	if err := fm.validate(); err != nil {
		return nil, shoal.Refusef("%s: %v", in.Name, err)
	}
	return fm, nil
}

// readFull reads len(p) bytes at off, treating a short read as truncation.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Wire types of the fields read, by struct (parquet.thrift).
var (
	fileMetaTypes   = map[int16]byte{2: tList, 3: tI64, 4: tList, 5: tList, 6: tBinary, 7: tList}
	keyValueTypes   = map[int16]byte{1: tBinary, 2: tBinary}
	schemaTypes     = map[int16]byte{1: tI64, 2: tI64, 3: tI64, 4: tBinary, 5: tI64, 6: tI64, 7: tI64, 8: tI64, 9: tI64, 10: tStruct}
	rowGroupTypes   = map[int16]byte{1: tList, 3: tI64}
	chunkTypes      = map[int16]byte{1: tBinary, 3: tStruct, 4: tI64, 5: tI64, 6: tI64, 7: tI64}
	chunkMetaTypes  = map[int16]byte{1: tI64, 2: tList, 3: tList, 4: tI64, 5: tI64, 7: tI64, 9: tI64, 10: tI64, 11: tI64, 14: tI64, 15: tI64}
	bloomHeaderType = map[int16]byte{1: tI64}
)

// parseFileMetaData decodes a thrift FileMetaData.
func parseFileMetaData(b []byte) (*fileMeta, error) {
	d := &decoder{b: b}
	m := &fileMeta{}
	var have [10]bool
	err := d.fields(fileMetaTypes, func(id int16, typ byte) error {
		if id > 0 && int(id) < len(have) {
			have[id] = true
		}
		var err error
		switch id {
		case 2:
			start := d.pos
			err = d.listElems(typ, tStruct, func(int) error {
				e, err := parseSchemaElement(d)
				m.schema = append(m.schema, e)
				return err
			})
			m.schemaRaw = b[start:d.pos]
		case 3:
			m.numRows, err = d.integer(typ)
		case 4:
			err = d.listElems(typ, tStruct, func(int) error {
				g, err := parseRowGroup(d)
				m.rowGroups = append(m.rowGroups, g)
				return err
			})
		case 5:
			start := d.pos
			err = d.listElems(typ, tStruct, func(int) error {
				kv, err := parseKeyValue(d)
				m.kv = append(m.kv, kv)
				return err
			})
			m.kvRaw = b[start:d.pos]
		case 6:
			var s []byte
			s, err = d.binary(typ)
			m.createdBy = string(s)
		case 7:
			err = d.listElems(typ, tStruct, func(int) error {
				o, err := parseUnion(d, map[int16]string{1: "type-defined"})
				m.columnOrders = append(m.columnOrders, o)
				return err
			})
		case 8:
			m.encrypted = true
			err = d.skip(typ)
		case 9:
			m.signed = true
			err = d.skip(typ)
		default:
			err = d.skip(typ)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.remaining() != 0 && !m.encrypted {
		return nil, fmt.Errorf("%d unexpected bytes after the file metadata", d.remaining())
	}
	for _, id := range []int{2, 3, 4} {
		if !have[id] {
			return nil, fmt.Errorf("file metadata lacks required field %d", id)
		}
	}
	return m, nil
}

func parseKeyValue(d *decoder) (keyValue, error) {
	var kv keyValue
	err := d.fields(keyValueTypes, func(id int16, typ byte) error {
		switch id {
		case 1, 2:
			s, err := d.binary(typ)
			if id == 1 {
				kv.key = string(s)
			} else {
				kv.value = string(s)
			}
			return err
		}
		return d.skip(typ)
	})
	return kv, err
}

func parseSchemaElement(d *decoder) (schemaElement, error) {
	var e schemaElement
	err := d.fields(schemaTypes, func(id int16, typ byte) error {
		var err error
		switch id {
		case 1:
			e.typ, err = d.i32(typ)
			e.hasType = true
		case 2:
			e.typeLength, err = d.i32(typ)
			e.hasTypeLength = true
		case 3:
			e.repetition, err = d.i32(typ)
			e.hasRepetition = true
		case 4:
			var s []byte
			s, err = d.binary(typ)
			e.name = string(s)
		case 5:
			e.numChildren, err = d.i32(typ)
			e.hasChildren = true
		case 6:
			e.converted, err = d.i32(typ)
			e.hasConverted = true
		case 7:
			e.scale, err = d.i32(typ)
			e.hasScale = true
		case 8:
			e.precision, err = d.i32(typ)
			e.hasPrecision = true
		case 9:
			e.fieldID, err = d.i32(typ)
			e.hasFieldID = true
		case 10:
			e.logical, err = parseLogicalType(d)
		default:
			err = d.skip(typ)
		}
		return err
	})
	return e, err
}

func parseRowGroup(d *decoder) (rowGroup, error) {
	var g rowGroup
	var haveRows bool
	err := d.fields(rowGroupTypes, func(id int16, typ byte) error {
		var err error
		switch id {
		case 1:
			err = d.listElems(typ, tStruct, func(int) error {
				c, err := parseColumnChunk(d)
				g.columns = append(g.columns, c)
				return err
			})
		case 3:
			g.numRows, err = d.integer(typ)
			haveRows = true
		default:
			err = d.skip(typ)
		}
		return err
	})
	if err == nil && !haveRows {
		err = errors.New("row group lacks num_rows")
	}
	return g, err
}

func parseColumnChunk(d *decoder) (columnChunk, error) {
	var c columnChunk
	err := d.fields(chunkTypes, func(id int16, typ byte) error {
		var err error
		switch id {
		case 1:
			var s []byte
			s, err = d.binary(typ)
			c.filePath = string(s)
		case 3:
			c.hasMeta = true
			err = parseColumnMetaData(d, &c)
		case 4:
			c.offsetIndexOffset, err = d.integer(typ)
		case 5:
			c.offsetIndexLength, err = d.i32(typ)
		case 6:
			c.columnIndexOffset, err = d.integer(typ)
		case 7:
			c.columnIndexLength, err = d.i32(typ)
		case 8, 9:
			c.encrypted = true
			err = d.skip(typ)
		default:
			err = d.skip(typ)
		}
		return err
	})
	return c, err
}

func parseColumnMetaData(d *decoder, c *columnChunk) error {
	var have [10]bool
	err := d.fields(chunkMetaTypes, func(id int16, typ byte) error {
		if id > 0 && int(id) < len(have) {
			have[id] = true
		}
		var err error
		switch id {
		case 1:
			c.typ, err = d.i32(typ)
		case 2:
			err = d.listElems(typ, tI32, func(int) error {
				v, err := d.i32(tI32)
				c.encodings = append(c.encodings, v)
				return err
			})
		case 3:
			err = d.listElems(typ, tBinary, func(int) error {
				s, err := d.binary(tBinary)
				c.path = append(c.path, string(s))
				return err
			})
		case 4:
			c.codec, err = d.i32(typ)
		case 5:
			c.numValues, err = d.integer(typ)
		case 7:
			c.totalCompressed, err = d.integer(typ)
		case 9:
			c.dataPageOffset, err = d.integer(typ)
		case 10:
			c.indexPageOffset, err = d.integer(typ)
		case 11:
			c.dictPageOffset, err = d.integer(typ)
			c.hasDictOffset = true
		case 14:
			c.bloomOffset, err = d.integer(typ)
		case 15:
			c.bloomLength, err = d.i32(typ)
		default:
			err = d.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, id := range []int{1, 3, 4, 5, 7, 9} {
		if !have[id] {
			return fmt.Errorf("column metadata lacks required field %d", id)
		}
	}
	return nil
}

// parseUnion reads a thrift union whose members are empty structs, such as
// ColumnOrder or a time unit, and names the member set.
func parseUnion(d *decoder, names map[int16]string) (string, error) {
	var s string
	err := d.structFields(func(id int16, typ byte) error {
		if n, ok := names[id]; ok {
			s = n
		} else {
			s = "#" + strconv.Itoa(int(id))
		}
		return d.skip(typ)
	})
	return s, err
}

// parseLogicalType renders a LogicalType union canonically, parameters
// included, e.g. "TIMESTAMP(utc=true,unit=MICROS)".
func parseLogicalType(d *decoder) (string, error) {
	var s string
	err := d.structFields(func(id int16, typ byte) error {
		if typ != tStruct {
			return fmt.Errorf("logical type member %d has thrift type %d", id, typ)
		}
		var err error
		s, err = parseLogicalMember(d, id)
		return err
	})
	return s, err
}

var simpleLogical = map[int16]string{
	1: "STRING", 2: "MAP", 3: "LIST", 4: "ENUM", 6: "DATE", 11: "UNKNOWN",
	12: "JSON", 13: "BSON", 14: "UUID", 15: "FLOAT16",
}

var timeUnits = map[int16]string{1: "MILLIS", 2: "MICROS", 3: "NANOS"}

// parseLogicalMember renders one member of the LogicalType union; every
// parameter is rendered, so two annotations render alike only when equal.
func parseLogicalMember(d *decoder, member int16) (string, error) {
	name, ok := simpleLogical[member]
	if !ok {
		switch member {
		case 5:
			name = "DECIMAL"
		case 7:
			name = "TIME"
		case 8:
			name = "TIMESTAMP"
		case 10:
			name = "INT"
		case 16:
			name = "VARIANT"
		case 17:
			name = "GEOMETRY"
		case 18:
			name = "GEOGRAPHY"
		default:
			name = "LOGICAL#" + strconv.Itoa(int(member))
		}
	}
	var params []string
	err := d.structFields(func(id int16, typ byte) error {
		p, err := renderValue(d, typ, member, id)
		if err == nil {
			params = append(params, strconv.Itoa(int(id))+"="+p)
		}
		return err
	})
	if len(params) > 0 {
		name += "(" + strings.Join(params, ",") + ")"
	}
	return name, err
}

// renderValue renders a logical type parameter; time units are unions.
func renderValue(d *decoder, typ byte, member, id int16) (string, error) {
	switch typ {
	case tTrue, tFalse:
		return strconv.FormatBool(typ == tTrue), nil
	case tByte, tI16, tI32, tI64:
		v, err := d.integer(typ)
		return strconv.FormatInt(v, 10), err
	case tBinary:
		b, err := d.binary(typ)
		return strconv.Quote(string(b)), err
	case tStruct:
		if (member == 7 || member == 8) && id == 2 {
			return parseUnion(d, timeUnits)
		}
	}
	start := d.pos
	if err := d.skip(typ); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", d.b[start:d.pos]), nil
}

// validate checks the schema tree and the row groups against each other and
// the file size, and refuses encrypted files.
func (m *fileMeta) validate() error {
	if m.encrypted || m.signed {
		return errors.New("encrypted Parquet (plaintext footer with encryption) cannot be merged")
	}
	if len(m.schema) == 0 {
		return errors.New("corrupt Parquet footer: empty schema")
	}
	next, err := m.walkSchema(0, nil, 0)
	if err != nil {
		return fmt.Errorf("corrupt Parquet schema: %w", err)
	}
	if next != len(m.schema) {
		return fmt.Errorf("corrupt Parquet schema: %d elements after the root's children", len(m.schema)-next)
	}
	for i := range m.rowGroups {
		if err := m.validateRowGroup(i); err != nil {
			return err
		}
	}
	return nil
}

// walkSchema checks the subtree at element i and collects its leaves; it
// returns the index after the subtree.
func (m *fileMeta) walkSchema(i int, path []string, depth int) (int, error) {
	if depth > maxDepth {
		return 0, errors.New("schema nests too deeply")
	}
	e := &m.schema[i]
	if i > 0 && e.hasRepetition && (e.repetition < 0 || e.repetition > 2) {
		return 0, fmt.Errorf("element %q has unknown repetition %d", e.name, e.repetition)
	}
	if !e.hasChildren || e.numChildren == 0 {
		if i == 0 {
			return i + 1, nil // a schema without columns
		}
		if !e.hasType {
			return 0, fmt.Errorf("element %q has neither children nor a type", e.name)
		}
		if e.typ < 0 || e.typ > 7 {
			return 0, fmt.Errorf("element %q has unknown physical type %d", e.name, e.typ)
		}
		m.leaves = append(m.leaves, leaf{path: path, elem: e})
		return i + 1, nil
	}
	if e.numChildren < 0 || int(e.numChildren) > len(m.schema)-i-1 {
		return 0, fmt.Errorf("element %q claims %d children", e.name, e.numChildren)
	}
	next := i + 1
	for range e.numChildren {
		if next >= len(m.schema) {
			return 0, fmt.Errorf("element %q has fewer children than it claims", e.name)
		}
		child := append(path[:len(path):len(path)], m.schema[next].name)
		var err error
		if next, err = m.walkSchema(next, child, depth+1); err != nil {
			return 0, err
		}
	}
	return next, nil
}

func (m *fileMeta) validateRowGroup(i int) error {
	g := &m.rowGroups[i]
	if g.numRows < 0 {
		return fmt.Errorf("corrupt Parquet footer: row group %d has %d rows", i, g.numRows)
	}
	if len(g.columns) != len(m.leaves) {
		return fmt.Errorf("corrupt Parquet footer: row group %d has %d column chunks for %d columns", i, len(g.columns), len(m.leaves))
	}
	for j := range g.columns {
		c := &g.columns[j]
		switch {
		case c.encrypted:
			return errors.New("encrypted Parquet (encrypted column metadata) cannot be merged")
		case c.filePath != "":
			return fmt.Errorf("row group %d keeps column %d in another file (%q); such files cannot be merged", i, j, c.filePath)
		case !c.hasMeta:
			return fmt.Errorf("corrupt Parquet footer: row group %d column %d has no metadata", i, j)
		case !slices.Equal(c.path, m.leaves[j].path):
			return fmt.Errorf("corrupt Parquet footer: row group %d column %d is %s, the schema's is %s",
				i, j, strings.Join(c.path, "."), strings.Join(m.leaves[j].path, "."))
		case c.typ != m.leaves[j].elem.typ:
			return fmt.Errorf("corrupt Parquet footer: column %s is %s in row group %d but %s in the schema",
				strings.Join(c.path, "."), physicalName(c.typ), i, physicalName(m.leaves[j].elem.typ))
		case c.numValues < 0 || c.totalCompressed < 0:
			return fmt.Errorf("corrupt Parquet footer: column %s of row group %d has negative sizes", strings.Join(c.path, "."), i)
		}
		if s := c.start(); s < int64(len(magic)) || c.totalCompressed > m.footerStart-s {
			return fmt.Errorf("truncated or corrupt Parquet file: column %s of row group %d spans bytes %d+%d, outside the data (4 to %d)",
				strings.Join(c.path, "."), i, s, c.totalCompressed, m.footerStart)
		}
	}
	return nil
}

// rows sums the row groups' row counts; the footer's total is not trusted.
func (m *fileMeta) rows() (int64, error) {
	var n int64
	for _, g := range m.rowGroups {
		if n > math.MaxInt64-g.numRows {
			return 0, errors.New("row count overflows")
		}
		n += g.numRows
	}
	return n, nil
}

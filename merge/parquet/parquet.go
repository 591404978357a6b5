// Package parquet merges Parquet files for shoal.
//
// Inspect reads only the footer, with a small bounds-checked Thrift reader
// of its own (thrift.go), so a corrupt file is refused with a reason rather
// than crashing the process. It refuses encrypted files (magic PARE, or a
// plaintext footer with encrypted columns), truncated files, files whose
// column chunks live in other files, and files that the verifying reader
// (github.com/parquet-go/parquet-go) cannot decode, such as the deprecated
// LZ4 and the LZO codecs. Rows is the sum of the row groups' num_rows, never
// the footer's total, which some writers get wrong. Schema renders the whole
// schema tree canonically (names, physical types, repetition, converted and
// logical types with their parameters, type lengths, scale, precision,
// field IDs); the root's name is left out, as writers name it freely and no
// reader looks at it.
//
// # Concat
//
// ModeConcat copies each row group's column chunks, dictionary pages
// included, byte for byte, and writes a new footer. The footer is the
// FileMetaData of the first input that has row groups, re-encoded field by
// field: every field the merge does
// not move (schema, key-value metadata, created_by, column orders, column
// statistics, encodings, unknown future fields) is copied as encoded, and
// only offsets are rebased (data, dictionary and index page offsets, chunk
// and row-group file offsets) and the row count summed. Column indexes and
// bloom filters are copied verbatim after the data; offset indexes, which
// hold absolute page offsets, are decoded, rebased and re-encoded. An index
// or bloom filter whose location is invalid in the input is dropped, which
// readers treat as absent.
//
// Besides Schema and Codec, concat requires equal Concat properties: the
// writer (created_by without its build hash), because readers apply
// writer-specific workarounds (statistics, delta encodings, chunk sizes) to
// every row group of a file by the footer's created_by; the column orders,
// which say how statistics compare; and the per-column codecs when a file
// mixes codecs (Codec is then "mixed:…"). Key-value metadata may differ; the
// output keeps the first input's. A file without row groups, as engines
// write for empty tasks, holds no chunk: Merge accepts it in a concat when
// its schema matches, whatever its writer (a Units of 0 tells the planner).
//
// # Rewrite
//
// ModeRewrite decodes the rows of every row group with parquet-go and writes
// them again, cutting row groups at MergeOptions.RowGroupSize bytes
// (default 128 MiB) of buffered, mostly compressed data, with each column's
// codec and encoding from the first input unless MergeOptions.Codec names
// another codec. parquet-go normalises schema annotations (it adds logical
// types to legacy converted types, for example), so the merger checks that
// parquet-go keeps the structure of the schema (names, nesting, physical
// types, repetition) and then writes the inputs' exact schema elements and
// key-value metadata into the output footer. The values are copied at the
// physical level, so the annotations stay true. created_by is parquet-go's,
// since parquet-go wrote the data. parquet-go computes min/max statistics by
// its own reading of the schema, which is wrong for some annotations it
// drops or mis-orders (decimals stored as bytes, which it compares as
// unsigned bytes; FLOAT16; INT96, whose order is undefined): such columns
// lose their min/max and column index, and pages carry no statistics. No
// real file in the test corpus needs a refusal; a file whose schema
// structure parquet-go would change is refused with the reason.
//
// Verify opens a file with parquet-go (page indexes and bloom filter
// headers included), checks that offset indexes point into their chunks,
// decodes every page of every row group and counts the rows.
package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	pq "github.com/parquet-go/parquet-go"

	"github.com/shoalhq/shoal"
)

// DefaultRowGroupSize is the target row-group size of a rewrite.
const DefaultRowGroupSize = 128 << 20

// Merger merges Parquet files; it is safe for concurrent use.
type Merger struct{}

// New returns a Parquet merger.
func New() *Merger { return &Merger{} }

var _ shoal.Merger = (*Merger)(nil)

// Formats implements shoal.Merger.
func (*Merger) Formats() []shoal.Format { return []shoal.Format{shoal.FormatParquet} }

// Inspect implements shoal.Merger: it reads the footer and checks that the
// verifying reader can open the file.
func (*Merger) Inspect(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fm, err := readFooter(in)
	if err != nil {
		return nil, err
	}
	meta, err := fm.meta()
	if err != nil {
		return nil, shoal.Refusef("%s: %v", in.Name, err)
	}
	if err := fm.checkCodecs(); err != nil {
		return nil, shoal.Refusef("%s: %v", in.Name, err)
	}
	if _, err := openFile(in, pq.SkipPageIndex(true), pq.SkipBloomFilters(true)); err != nil {
		return nil, shoal.Refusef("%s: the Parquet reader used to verify merges cannot open it: %v", in.Name, err)
	}
	return meta, nil
}

// Merge implements shoal.Merger.
func (m *Merger) Merge(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	if len(inputs) == 0 {
		return nil, errors.New("parquet merge: no inputs")
	}
	if len(metas) != len(inputs) {
		return nil, fmt.Errorf("parquet merge: %d metas for %d inputs", len(metas), len(inputs))
	}
	switch opts.Mode {
	case shoal.ModeConcat:
		return concat(ctx, w, inputs, metas)
	case shoal.ModeRewrite:
		return rewrite(ctx, w, inputs, metas, opts)
	}
	return nil, fmt.Errorf("parquet merge: unsupported mode %q", opts.Mode)
}

// Verify implements shoal.Merger: it decodes every page of every row group
// with parquet-go and counts the rows.
func (*Merger) Verify(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	fm, err := readFooter(in)
	if err != nil {
		return nil, err
	}
	meta, err := fm.meta()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	f, err := openFile(in)
	if err != nil {
		return nil, fmt.Errorf("%s: parquet-go cannot open the file: %w", in.Name, err)
	}
	if err := checkOffsetIndexes(f, fm); err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	rows, err := readAllRows(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	meta.Rows = rows
	return meta, nil
}

// openFile opens a file with parquet-go, turning a panic on a malformed file
// into an error.
func openFile(in shoal.MergeInput, options ...pq.FileOption) (f *pq.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("parquet-go panicked: %v", r)
		}
	}()
	return pq.OpenFile(in.R, in.Size, options...)
}

// rowBatch is how many rows are decoded at a time.
const rowBatch = 256

// readAllRows decodes every row of f and checks each row group's count
// against its metadata.
func readAllRows(ctx context.Context, f *pq.File) (n int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet-go panicked while decoding: %v", r)
		}
	}()
	buf := make([]pq.Row, rowBatch)
	for i, g := range f.RowGroups() {
		got, err := readRowGroup(ctx, g, buf, nil)
		if err != nil {
			return n, fmt.Errorf("row group %d: %w", i, err)
		}
		if got != g.NumRows() {
			return n, fmt.Errorf("row group %d holds %d rows, its metadata says %d", i, got, g.NumRows())
		}
		n += got
	}
	return n, nil
}

// readRowGroup reads the rows of g in batches, passing each batch to fn when
// fn is not nil.
func readRowGroup(ctx context.Context, g pq.RowGroup, buf []pq.Row, fn func([]pq.Row) error) (int64, error) {
	rows := g.Rows()
	defer rows.Close()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := rows.ReadRows(buf)
		if k > 0 && fn != nil {
			if ferr := fn(buf[:k]); ferr != nil {
				return n, ferr
			}
		}
		n += int64(k)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("decoding rows: %w", err)
		}
	}
}

// checkOffsetIndexes checks that every page an offset index lists lies in
// its column chunk, which catches a wrongly rebased index.
func checkOffsetIndexes(f *pq.File, fm *fileMeta) error {
	idx := f.OffsetIndexes()
	if len(idx) == 0 {
		return nil
	}
	k := 0
	for i, g := range fm.rowGroups {
		for j := range g.columns {
			c := &g.columns[j]
			if k >= len(idx) {
				return nil
			}
			if c.offsetIndexOffset > 0 {
				start, end := c.start(), c.start()+c.totalCompressed
				for _, p := range idx[k].PageLocations {
					if p.Offset < start || p.Offset+int64(p.CompressedPageSize) > end {
						return fmt.Errorf("offset index of column %s in row group %d lists a page at %d+%d, outside the chunk at %d to %d",
							strings.Join(c.path, "."), i, p.Offset, p.CompressedPageSize, start, end)
					}
				}
			}
			k++
		}
	}
	return nil
}

// meta builds the FileMeta shared by Inspect and Verify.
func (m *fileMeta) meta() (*shoal.FileMeta, error) {
	rows, err := m.rows()
	if err != nil {
		return nil, err
	}
	var unitBytes int64
	for _, g := range m.rowGroups {
		for _, c := range g.columns {
			unitBytes += c.totalCompressed
		}
	}
	codec, columnCodecs := m.codecs()
	props := []shoal.Prop{
		{Name: "created_by", Value: writerOf(m.createdBy)},
		{Name: "column orders", Value: m.columnOrderString()},
	}
	if columnCodecs != "" {
		props = append(props, shoal.Prop{Name: "column codecs", Value: columnCodecs})
	}
	return &shoal.FileMeta{
		Format:    shoal.FormatParquet,
		Rows:      rows,
		Schema:    m.schemaString(),
		Codec:     codec,
		Units:     len(m.rowGroups),
		UnitBytes: unitBytes,
		Concat:    props,
	}, nil
}

// writerOf strips the build hash from created_by ("parquet-mr version
// 1.12.3 (build f8dced1…)" → "parquet-mr version 1.12.3"): builds of one
// version write alike.
func writerOf(createdBy string) string {
	if i := strings.Index(createdBy, " (build "); i >= 0 {
		return createdBy[:i]
	}
	return createdBy
}

func (m *fileMeta) columnOrderString() string {
	if len(m.columnOrders) == 0 {
		return "undefined"
	}
	same := true
	for _, o := range m.columnOrders {
		same = same && o == m.columnOrders[0]
	}
	if same && len(m.columnOrders) == len(m.leaves) {
		return m.columnOrders[0]
	}
	return strings.Join(m.columnOrders, ",")
}

// codecs returns the file's codec and, when the file mixes codecs, the
// codec of each leaf column ("a=snappy,b=gzip|zstd").
func (m *fileMeta) codecs() (codec, perColumn string) {
	all := map[int32]bool{}
	cols := make([][]int32, len(m.leaves))
	for _, g := range m.rowGroups {
		for j, c := range g.columns {
			all[c.codec] = true
			if !slices.Contains(cols[j], c.codec) {
				cols[j] = append(cols[j], c.codec)
			}
		}
	}
	switch len(all) {
	case 0:
		return "none", "" // no column chunks: nothing is compressed
	case 1:
		for c := range all {
			return codecName(c), ""
		}
	}
	names := make([]string, 0, len(all))
	for c := range all {
		names = append(names, codecName(c))
	}
	slices.Sort(names)
	parts := make([]string, len(cols))
	for j, cs := range cols {
		ns := make([]string, len(cs))
		for k, c := range cs {
			ns[k] = codecName(c)
		}
		parts[j] = strings.Join(m.leaves[j].path, ".") + "=" + strings.Join(ns, "|")
	}
	return "mixed:" + strings.Join(names, ","), strings.Join(parts, ",")
}

var codecNames = []string{"none", "snappy", "gzip", "lzo", "brotli", "lz4", "zstd", "lz4_raw"}

func codecName(c int32) string {
	if c >= 0 && int(c) < len(codecNames) {
		return codecNames[c]
	}
	return "codec#" + strconv.Itoa(int(c))
}

// checkCodecs refuses codecs that parquet-go cannot decompress, since the
// merged file could not be verified.
func (m *fileMeta) checkCodecs() error {
	for _, g := range m.rowGroups {
		for _, c := range g.columns {
			switch c.codec {
			case 0, 1, 2, 4, 6, 7:
			case 5:
				return fmt.Errorf("column %s uses the deprecated LZ4 codec (ambiguous framing), which the verifying Parquet reader cannot decode", strings.Join(c.path, "."))
			default:
				return fmt.Errorf("column %s uses the %s codec, which the verifying Parquet reader cannot decode", strings.Join(c.path, "."), strings.ToUpper(codecName(c.codec)))
			}
		}
	}
	return nil
}

var physicalNames = []string{"boolean", "int32", "int64", "int96", "float", "double", "binary", "fixed_len_byte_array"}

func physicalName(t int32) string {
	if t >= 0 && int(t) < len(physicalNames) {
		return physicalNames[t]
	}
	return "type#" + strconv.Itoa(int(t))
}

var convertedNames = []string{
	"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS", "TIME_MICROS",
	"TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8",
	"INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL",
}

var repetitionNames = []string{"required", "optional", "repeated"}

// schemaString renders the schema tree canonically, e.g.
// "message {required int32 id (id=1); optional group l (LIST) {…}}".
func (m *fileMeta) schemaString() string {
	var b strings.Builder
	b.WriteString("message")
	m.renderChildren(&b, 0)
	return b.String()
}

// renderChildren writes the children of element i in braces and returns the
// index after its subtree.
func (m *fileMeta) renderChildren(b *strings.Builder, i int) int {
	e := &m.schema[i]
	next := i + 1
	if !e.hasChildren || e.numChildren == 0 {
		if i == 0 {
			b.WriteString(" {}")
		}
		return next
	}
	b.WriteString(" {")
	for k := range e.numChildren {
		if k > 0 {
			b.WriteString("; ")
		}
		next = m.renderElement(b, next)
	}
	b.WriteString("}")
	return next
}

func (m *fileMeta) renderElement(b *strings.Builder, i int) int {
	e := &m.schema[i]
	if e.hasRepetition && int(e.repetition) < len(repetitionNames) {
		b.WriteString(repetitionNames[e.repetition])
	} else {
		b.WriteString("no-repetition")
	}
	b.WriteByte(' ')
	group := e.hasChildren && e.numChildren > 0
	if group {
		b.WriteString("group")
	} else {
		b.WriteString(physicalName(e.typ))
		if e.typ == 7 && e.hasTypeLength {
			fmt.Fprintf(b, "(%d)", e.typeLength)
		}
	}
	b.WriteByte(' ')
	b.WriteString(quoteName(e.name))
	var notes []string
	if e.hasConverted {
		if e.converted >= 0 && int(e.converted) < len(convertedNames) {
			notes = append(notes, convertedNames[e.converted])
		} else {
			notes = append(notes, "CONVERTED#"+strconv.Itoa(int(e.converted)))
		}
	}
	if e.logical != "" {
		notes = append(notes, "logical="+e.logical)
	}
	if e.hasTypeLength && (group || e.typ != 7) {
		notes = append(notes, "length="+strconv.Itoa(int(e.typeLength)))
	}
	if e.hasPrecision {
		notes = append(notes, "precision="+strconv.Itoa(int(e.precision)))
	}
	if e.hasScale {
		notes = append(notes, "scale="+strconv.Itoa(int(e.scale)))
	}
	if e.hasFieldID {
		notes = append(notes, "id="+strconv.Itoa(int(e.fieldID)))
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	return m.renderChildren(b, i)
}

// quoteName quotes a column name that holds characters of the rendering.
func quoteName(s string) string {
	if s == "" || strings.ContainsAny(s, " ;{}()\",=\\") || strconv.Quote(s) != `"`+s+`"` {
		return strconv.Quote(s)
	}
	return s
}

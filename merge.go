package shoal

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// MergeMode says how a format merger combines files.
type MergeMode string

// Merge modes.
const (
	// ModeAuto picks concat or rewrite per partition from the average size
	// of the inputs' row groups, stripes or blocks.
	ModeAuto MergeMode = "auto"
	// ModeConcat copies row groups, stripes, blocks or bytes without
	// decoding them, and writes a new footer.
	ModeConcat MergeMode = "concat"
	// ModeRewrite decodes the rows and encodes them again, to the target
	// row-group or stripe size.
	ModeRewrite MergeMode = "rewrite"
)

// Valid reports whether m is a known mode.
func (m MergeMode) Valid() bool {
	switch m {
	case ModeAuto, ModeConcat, ModeRewrite:
		return true
	}
	return false
}

// MergeInput is one file to merge, opened for random access: Parquet and
// ORC keep their metadata at the end of the file.
type MergeInput struct {
	// Name identifies the file in messages; usually its base name.
	Name string
	Size int64
	R    io.ReaderAt
}

// Prop is one named property of a file that must be equal across the inputs
// of a byte-level merge, such as an ORC file's compression block size.
type Prop struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FileMeta is what a format merger learns about a file from its footer or
// header, without decoding rows.
type FileMeta struct {
	Format Format `json:"format"`
	// Rows is the number of rows, counted from row groups, stripes, blocks
	// or lines (never from a file-level total that can be wrong).
	Rows int64 `json:"rows"`
	// Schema is a canonical rendering of the file's schema. Two files with
	// the same Schema hold the same columns with the same types, names,
	// nullability and field IDs.
	Schema string `json:"schema,omitempty"`
	// Codec is the compression codec, lower case ("snappy", "zlib",
	// "none", "gzip").
	Codec string `json:"codec"`
	// Units is the number of row groups, stripes, blocks or compressed
	// members; UnitBytes is their total size in the file. Auto mode
	// compares UnitBytes/Units with the target.
	Units     int   `json:"units"`
	UnitBytes int64 `json:"unit_bytes"`
	// Concat lists the properties that must be equal, besides Schema and
	// Codec, for a byte-level merge of this file with others.
	Concat []Prop `json:"concat,omitempty"`
	// HeaderLines is the number of header lines skipped at the start of a
	// text file (skip.header.line.count); Rows excludes them.
	HeaderLines int `json:"header_lines,omitempty"`
	// Terminated is set for a text file whose (decompressed) data is empty
	// or ends with a line terminator, so that another file can follow it
	// without gluing two rows together.
	Terminated bool `json:"terminated,omitempty"`
}

// ApplyHeader applies a table's skip.header.line.count to the metadata of
// a text file, whose merger counts every line as a row (it cannot know the
// table's header count): the first n lines are header, not rows. n = 0
// leaves m as it is.
func (m *FileMeta) ApplyHeader(n int) {
	if n <= 0 {
		return
	}
	lines := m.Rows + int64(m.HeaderLines)
	m.HeaderLines = int(min(int64(n), lines))
	m.Rows = lines - int64(m.HeaderLines)
}

// ConcatCompatible reports why two files cannot be merged byte for byte,
// or nil when they can.
func ConcatCompatible(a, b *FileMeta) error {
	if a.Format != b.Format {
		return fmt.Errorf("formats differ: %s and %s", a.Format, b.Format)
	}
	if a.Schema != b.Schema {
		return fmt.Errorf("schemas differ: %s and %s", shorten(a.Schema), shorten(b.Schema))
	}
	if a.Codec != b.Codec {
		return fmt.Errorf("compression differs: %s and %s", a.Codec, b.Codec)
	}
	if len(a.Concat) != len(b.Concat) {
		return fmt.Errorf("file properties differ: %v and %v", a.Concat, b.Concat)
	}
	for i, p := range a.Concat {
		q := b.Concat[i]
		if p != q {
			if p.Name != q.Name {
				return fmt.Errorf("file properties differ: %s and %s", p.Name, q.Name)
			}
			return fmt.Errorf("%s differs: %s and %s", p.Name, p.Value, q.Value)
		}
	}
	return nil
}

func shorten(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// MergeOptions controls one merge of several inputs into one output.
type MergeOptions struct {
	// Mode is ModeConcat or ModeRewrite; ModeAuto is resolved by the
	// planner before a merger sees it.
	Mode MergeMode
	// RowGroupSize is the target row-group or stripe size in bytes for
	// ModeRewrite; 0 means the merger's default.
	RowGroupSize int64
	// Codec overrides the output codec for ModeRewrite; empty keeps the
	// inputs' codec.
	Codec string
	// HeaderLines is the table's skip.header.line.count. Text mergers keep
	// the header of the first input and drop it from the others.
	HeaderLines int
}

// Segment is a byte range of the output that was copied verbatim from an
// input. CRC is the CRC-32C (Castagnoli) of the bytes as they were read from
// the input; validation re-reads the output range and compares.
type Segment struct {
	Offset int64
	Length int64
	CRC    uint32
}

// MergeResult describes an output written by a merger.
type MergeResult struct {
	Rows  int64
	Bytes int64
	// Segments are the verbatim-copied ranges; empty for ModeRewrite.
	Segments []Segment
}

// Merger merges files of one storage format. Implementations live in
// merge/parquet, merge/orc, merge/avro and merge/text; one conformance suite
// (merge/mergetest) runs them all.
type Merger interface {
	// Formats lists the formats the merger handles.
	Formats() []Format
	// Inspect reads a file's metadata. A file the merger cannot merge
	// (corrupt, encrypted, truncated, of an unsupported version) gives an
	// error whose message says why; Inspect never changes the file.
	Inspect(ctx context.Context, in MergeInput) (*FileMeta, error)
	// Merge writes the inputs, in order, as one file to w. metas are the
	// inputs' Inspect results. It streams: memory use does not grow with
	// input size beyond one row group, stripe or block.
	Merge(ctx context.Context, w io.Writer, inputs []MergeInput, metas []*FileMeta, opts MergeOptions) (*MergeResult, error)
	// Verify reads a whole file back with the format's reader, decoding
	// every row, and returns its metadata with Rows counted while reading.
	Verify(ctx context.Context, in MergeInput) (*FileMeta, error)
}

// RefusalError is returned when something cannot be merged for a reason a
// user can act on (ACID table, mixed formats, encrypted file, …).
type RefusalError struct {
	Reason string
}

func (e *RefusalError) Error() string { return e.Reason }

// Refusef returns a RefusalError with a formatted reason.
func Refusef(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// joinProps renders properties as "name=value, …" for messages.
func joinProps(ps []Prop) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Name + "=" + p.Value)
	}
	return b.String()
}

// String renders the properties for messages.
func (m *FileMeta) String() string {
	return fmt.Sprintf("%s rows=%d codec=%s units=%d %s", m.Format, m.Rows, m.Codec, m.Units, joinProps(m.Concat))
}

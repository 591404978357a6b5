// Package text merges the files of text tables: delimited text and JSON
// lines, stored plain, gzip- or bzip2-compressed (shoal.FormatText,
// FormatTextGzip and FormatTextBzip2).
//
// Text has no rows apart from lines, and lines end as Hadoop's LineReader
// (under TextInputFormat) ends them: at "\n", "\r" or "\r\n"; a last line
// without a terminator is a line too. Inspect and Verify count lines;
// they cannot know a table's skip.header.line.count, so they report every
// line as a row, with HeaderLines 0. The merge engine applies the table's
// header count with shoal.FileMeta.ApplyHeader to every FileMeta of such a
// table, from Inspect and from Verify alike; Merge gets the count in
// MergeOptions.HeaderLines and reports MergeResult.Rows without the header.
// Then, as for every format, the rows of the inputs, of the merge and of
// the output read back agree.
//
// Compression is recognized by its magic, not by the file name; the
// engine keeps the first input's name (and so its .gz or .bz2 extension,
// by which Hadoop picks the codec) for the output.
package text

import (
	"context"

	"github.com/shoalhq/shoal"
)

// Codec names, as FileMeta.Codec reports them.
const (
	codecNone  = "none"
	codecGzip  = "gzip"
	codecBzip2 = "bzip2"
)

// formats maps a codec to its format.
var formats = map[string]shoal.Format{
	codecNone:  shoal.FormatText,
	codecGzip:  shoal.FormatTextGzip,
	codecBzip2: shoal.FormatTextBzip2,
}

// Merger merges text files. The zero value is ready to use.
type Merger struct{}

var _ shoal.Merger = (*Merger)(nil)

// New returns a text merger.
func New() *Merger { return &Merger{} }

// Formats returns the plain, gzip and bzip2 text formats.
func (*Merger) Formats() []shoal.Format {
	return []shoal.Format{shoal.FormatText, shoal.FormatTextGzip, shoal.FormatTextBzip2}
}

// Inspect reads the whole file, decompressing it, and counts its lines.
// Schema is empty: a text file has none (the table's columns are in the
// metastore). Units is the number of gzip members (1 for a plain or bzip2
// file, 0 for an empty one) and UnitBytes the file's size.
//
// Refused: files in a binary format (SequenceFile and RCFile need the Hive
// SQL strategy; ORC, Parquet and Avro files do not belong in a text
// table), data with a NUL byte (binary, or UTF-16 text), and truncated or
// corrupt compressed data.
func (*Merger) Inspect(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	return scan(ctx, in)
}

// Verify reads the whole file, decompressing it, and counts its lines, as
// Inspect does: JSON lines are not parsed, and delimited lines are not
// split into fields.
func (*Merger) Verify(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	return scan(ctx, in)
}

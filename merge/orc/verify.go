package orc

import (
	"context"
	"fmt"
	"io"

	sorc "github.com/scritchley/orc"

	"github.com/shoalhq/shoal"
)

// Verify reads an ORC file back and checks it as a merge output:
//
//   - the tail is parsed fully, as Inspect does, including every stripe's
//     statistics in the metadata, which must number one per stripe (or
//     none);
//   - the stripes must lie back to back from the header to the metadata,
//     as Merge writes them (a file that an ORC writer padded to HDFS block
//     boundaries fails this check);
//   - every stripe footer is decoded: its streams must add up to the
//     stripe's index and data lengths, refer to existing columns, and it
//     must have one column encoding per column;
//   - every row is decoded with github.com/scritchley/orc, an independent
//     reader, and counted stripe by stripe against the footer.
//
// Rows are decoded only where that reader can: files compressed with none,
// zlib or snappy, of file version 0.11 or 0.12, whose root type is a struct
// of the kinds it knows. For LZ4, ZSTD and LZO files, version 1.9999 files
// and other roots, Verify checks the structure only and reports the row
// count of the stripe list; stripe footers compressed with LZO are not
// decoded at all.
func (m *Merger) Verify(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	t, err := readTail(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := t.checkLayout(); err != nil {
		return nil, err
	}
	for i := range t.footer.stripes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := t.checkStripeFooter(in, i); err != nil {
			return nil, err
		}
	}
	meta := t.meta()
	if t.decodable() {
		rows, err := decodeRows(ctx, in, t)
		if err != nil {
			return nil, err
		}
		meta.Rows = rows
	}
	return meta, nil
}

// checkLayout checks that the metadata covers every stripe and that the
// stripes fill the file from the header to the metadata.
func (t *tail) checkLayout() error {
	stripes := t.footer.stripes
	if n := len(t.metadata); n != 0 && n != len(stripes) {
		return fmt.Errorf("%s: ORC metadata has statistics for %d stripes, the footer lists %d", t.name, n, len(stripes))
	}
	pos := uint64(len(magic))
	for i := range stripes {
		if stripes[i].offset != pos {
			return fmt.Errorf("%s: ORC stripe %d starts at %d, not at %d where the previous one ends", t.name, i, stripes[i].offset, pos)
		}
		pos = stripes[i].end()
	}
	if pos != uint64(t.dataEnd) { //nolint:gosec // positive
		return fmt.Errorf("%s: ORC stripes end at %d, but the metadata starts at %d", t.name, pos, t.dataEnd)
	}
	return nil
}

// checkStripeFooter decodes stripe i's footer and checks its stream list.
func (t *tail) checkStripeFooter(in shoal.MergeInput, i int) error {
	s := &t.footer.stripes[i]
	if s.footerLength > maxSectionLen {
		return fmt.Errorf("%s: ORC stripe %d has a %d-byte stripe footer", t.name, i, s.footerLength)
	}
	raw := make([]byte, s.footerLength)
	if err := readAt(in, raw, int64(s.offset+s.indexLength+s.dataLength)); err != nil { //nolint:gosec // within the file
		return err
	}
	content, err := decompress(t.ps.compression, t.ps.blockSize, raw)
	if isUnsupportedCodec(err) {
		return nil // structure-only for codecs the merger cannot decompress
	}
	if err != nil {
		return fmt.Errorf("%s: ORC stripe %d: corrupt stripe footer: %w", t.name, i, err)
	}
	sf, err := parseStripeFooter(content)
	if err != nil {
		return fmt.Errorf("%s: ORC stripe %d: %w", t.name, i, err)
	}
	columns := uint64(len(t.schema.types))
	var total uint64
	for _, st := range sf.streams {
		if st.column >= columns {
			return fmt.Errorf("%s: ORC stripe %d has a stream for column %d of %d", t.name, i, st.column, columns)
		}
		if st.length > s.indexLength+s.dataLength {
			return fmt.Errorf("%s: ORC stripe %d has a %d-byte stream in %d bytes of index and data", t.name, i, st.length, s.indexLength+s.dataLength)
		}
		total += st.length
	}
	if total != s.indexLength+s.dataLength {
		return fmt.Errorf("%s: ORC stripe %d: streams add up to %d bytes, the stripe holds %d of index and data", t.name, i, total, s.indexLength+s.dataLength)
	}
	if !sf.encrypted && uint64(len(sf.encodings)) != columns {
		return fmt.Errorf("%s: ORC stripe %d has %d column encodings for %d columns", t.name, i, len(sf.encodings), columns)
	}
	return nil
}

// decodable reports whether github.com/scritchley/orc can read the rows.
func (t *tail) decodable() bool {
	switch t.ps.compression {
	case kindNone, kindZlib, kindSnappy:
	default:
		return false
	}
	if t.version != "0.11" && t.version != "0.12" {
		return false
	}
	root := t.schema.types[0]
	if root.kind != kindStruct || len(root.subtypes) == 0 {
		return false
	}
	for _, ty := range t.schema.types {
		if ty.kind > kindChar {
			return false
		}
	}
	return true
}

// decodeRows reads every row with github.com/scritchley/orc and returns how
// many there are, checking each stripe's count. That reader panics on some
// corrupt data; a panic is reported as an error.
func decodeRows(ctx context.Context, in shoal.MergeInput, t *tail) (rows int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: ORC reader failed on corrupt data: %v", in.Name, r)
		}
	}()
	r, err := sorc.NewReader(sizedReaderAt{in.R, in.Size})
	if err != nil {
		return 0, fmt.Errorf("%s: ORC reader: %w", in.Name, err)
	}
	c := r.Select(r.Schema().Columns()...)
	stripes := t.footer.stripes
	i := 0
	for ; c.Stripes(); i++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if i >= len(stripes) {
			return 0, fmt.Errorf("%s: ORC reader found more than %d stripes", in.Name, len(stripes))
		}
		var n uint64
		for c.Next() {
			if err := valueError(c.Row()); err != nil {
				return 0, fmt.Errorf("%s: ORC stripe %d row %d: %w", in.Name, i, n, err)
			}
			n++
		}
		if err := c.Err(); err != nil {
			return 0, fmt.Errorf("%s: ORC stripe %d: %w", in.Name, i, err)
		}
		if n != stripes[i].rows {
			return 0, fmt.Errorf("%s: ORC stripe %d: read %d rows, the footer lists %d", in.Name, i, n, stripes[i].rows)
		}
		rows += int64(n) //nolint:gosec // bounded by the footer's count
	}
	if err := c.Err(); err != nil {
		return 0, fmt.Errorf("%s: ORC reader: %w", in.Name, err)
	}
	if i != len(stripes) {
		return 0, fmt.Errorf("%s: ORC reader read %d of %d stripes", in.Name, i, len(stripes))
	}
	return rows, nil
}

// valueError finds an error that github.com/scritchley/orc returned as a
// value (it does so for a union whose chosen child has no value).
func valueError(v any) error {
	switch v := v.(type) {
	case error:
		return v
	case []any:
		for _, e := range v {
			if err := valueError(e); err != nil {
				return err
			}
		}
	case sorc.Struct:
		for _, e := range v {
			if err := valueError(e); err != nil {
				return err
			}
		}
	case []sorc.MapEntry:
		for _, e := range v {
			if err := valueError(e.Key); err != nil {
				return err
			}
			if err := valueError(e.Value); err != nil {
				return err
			}
		}
	case sorc.UnionValue:
		return valueError(v.Value)
	}
	return nil
}

// sizedReaderAt adds the size that github.com/scritchley/orc asks for.
type sizedReaderAt struct {
	io.ReaderAt
	size int64
}

func (s sizedReaderAt) Size() int64 { return s.size }

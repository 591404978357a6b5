// Package orc merges ORC files by concatenating their stripes.
//
// A merge copies every input's stripes (row index, data and stripe footer)
// byte for byte into one file after the "ORC" header, then writes a new
// file tail: a Metadata section with the inputs' stripe statistics in order,
// a Footer whose stripe list points at the copied stripes and whose
// file-level column statistics combine the inputs' (see stats.go), and a
// PostScript with the inputs' compression, block size, file and writer
// version. The new footer and metadata are stored as "original"
// (uncompressed) chunks, which the ORC format allows for every codec.
//
// Stripes can only be concatenated when the files agree on everything the
// tail states once for all stripes: schema, compression kind and block size,
// file version, row index stride, writer and writer version (readers apply
// per-writer workarounds to every stripe) and calendar. Inspect reports
// these as FileMeta.Concat properties. ORC has no byte-level rewrite here:
// ModeRewrite is refused.
//
// The protobuf messages of the tail are decoded by hand (proto.go); fields
// the merger does not interpret are copied as their wire bytes.
package orc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// Merger merges ORC files; it has no state and is safe for concurrent use.
type Merger struct{}

// New returns an ORC merger.
func New() *Merger { return &Merger{} }

var _ shoal.Merger = (*Merger)(nil)

const (
	magic = "ORC"
	// tailReadLen is how much of a file's end Inspect reads at once: the
	// postscript and, for most files, the footer and metadata too.
	tailReadLen = 16 << 10
	// copyBufSize is the buffer for copying stripes, and the output buffer.
	copyBufSize = 1 << 20
	// maxPostScriptLen is the largest postscript: its length is one byte.
	maxPostScriptLen = 255
)

// Names of the FileMeta.Concat properties, in the order they are listed.
const (
	propBlockSize     = "ORC compression block size"
	propFileVersion   = "ORC file version"
	propStride        = "ORC row index stride"
	propWriter        = "ORC writer"
	propWriterVersion = "ORC writer version" //nolint:gosec // a property name, not a credential
	propCalendar      = "ORC calendar"
)

// knownVersions are the file versions ORC's own readers accept: Hive 0.11,
// Hive 0.12 and later, and 1.9999 ("UNSTABLE-PRE-2.0").
var knownVersions = map[string]bool{"0.11": true, "0.12": true, "1.9999": true}

// writerNames are the registered Footer.writer codes.
var writerNames = map[uint64]string{
	0: "ORC_JAVA", 1: "ORC_CPP", 2: "PRESTO", 3: "SCRITCHLEY_GO", 4: "TRINO", 5: "CUDF",
}

// Formats lists ORC.
func (m *Merger) Formats() []shoal.Format { return []shoal.Format{shoal.FormatORC} }

// Inspect reads an ORC file's postscript, footer and metadata. It refuses
// files it cannot merge safely: empty, truncated or corrupt files, files
// without the ORC magic or with a file version other than 0.11, 0.12 or
// 1.9999, compressed files without a compression block size, encrypted
// files, and files whose footer or metadata use a codec it cannot
// decompress (LZO, Brotli). Rows is the sum of the stripes' row counts; a
// footer row count that disagrees with it is reported as corruption.
func (m *Merger) Inspect(ctx context.Context, in shoal.MergeInput) (*shoal.FileMeta, error) {
	t, err := readTail(ctx, in)
	if err != nil {
		return nil, err
	}
	return t.meta(), nil
}

// tail is what the merger reads from the end of an ORC file.
type tail struct {
	name     string
	ps       *postScript
	footer   *footer
	schema   *schema
	version  string
	rows     int64
	bytes    int64 // total size of the stripes
	dataEnd  int64 // offset of the metadata section: the end of the stripe area
	metaLen  int64 // stored length of the metadata section
	metadata [][]byte
}

// refusef returns a refusal that names the file.
func refusef(name, format string, args ...any) error {
	return shoal.Refusef("%s: %s", name, fmt.Sprintf(format, args...))
}

// readTail reads and checks an ORC file's tail.
func readTail(ctx context.Context, in shoal.MergeInput) (*tail, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	size := in.Size
	if size == 0 {
		return nil, refusef(in.Name, "empty file (0 bytes) is not an ORC file")
	}
	if size < int64(len(magic))+2 {
		return nil, refusef(in.Name, "truncated ORC file: only %d bytes", size)
	}
	end := make([]byte, min(size, tailReadLen))
	endOff := size - int64(len(end))
	if err := readAt(in, end, endOff); err != nil {
		return nil, err
	}
	psLen := int64(end[len(end)-1])
	if psLen == 0 || psLen+1+int64(len(magic)) > size {
		return nil, refusef(in.Name, "not an ORC file or truncated: postscript length %d does not fit in the %d-byte file", psLen, size)
	}
	ps, err := parsePostScript(end[int64(len(end))-1-psLen : len(end)-1])
	if err != nil {
		return nil, refusef(in.Name, "not an ORC file or corrupt: %v", err)
	}
	t := &tail{name: in.Name, ps: ps}
	if err := t.checkPostScript(); err != nil {
		return nil, err
	}
	if ps.footerLength > uint64(size) || ps.metadataLength > uint64(size) ||
		int64(len(magic))+int64(ps.footerLength)+int64(ps.metadataLength)+psLen+1 > size { //nolint:gosec // both at most size
		return nil, refusef(in.Name, "truncated ORC file: the postscript declares a %d-byte footer and %d bytes of metadata, but the file has only %d bytes",
			ps.footerLength, ps.metadataLength, size)
	}
	tailLen := int64(ps.footerLength) + int64(ps.metadataLength) + psLen + 1 //nolint:gosec // checked above
	head := make([]byte, len(magic))
	if err := readAt(in, head, 0); err != nil {
		return nil, err
	}
	if string(head) != magic {
		return nil, refusef(in.Name, "not an ORC file: it does not start with %q", magic)
	}
	t.dataEnd = size - tailLen
	t.metaLen = int64(ps.metadataLength) //nolint:gosec // bounded by size
	footerOff := t.dataEnd + t.metaLen
	raw, err := readSection(in, end, endOff, footerOff, int64(ps.footerLength)) //nolint:gosec // bounded by size
	if err != nil {
		return nil, err
	}
	if err := t.readFooter(raw); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.metaLen > 0 {
		raw, err := readSection(in, end, endOff, t.dataEnd, t.metaLen)
		if err != nil {
			return nil, err
		}
		content, err := decompress(ps.compression, ps.blockSize, raw)
		if err != nil {
			return nil, refuseCodec(in.Name, "metadata", err)
		}
		if t.metadata, err = parseMetadata(content); err != nil {
			return nil, refusef(in.Name, "corrupt ORC metadata: %v", err)
		}
	}
	return t, nil
}

// checkPostScript refuses postscripts the merger cannot trust.
func (t *tail) checkPostScript() error {
	ps := t.ps
	switch {
	case !ps.hasMagic:
		return refusef(t.name, "ORC postscript has no magic and no usable file version (a pre-release ORC file, or not ORC)")
	case ps.magic != magic:
		return refusef(t.name, "not an ORC file: postscript magic is %q", ps.magic)
	}
	if len(ps.version) == 0 {
		return refusef(t.name, "ORC postscript has no file version")
	}
	parts := make([]string, len(ps.version))
	for i, v := range ps.version {
		parts[i] = strconv.FormatUint(v, 10)
	}
	t.version = strings.Join(parts, ".")
	if !knownVersions[t.version] {
		return refusef(t.name, "unsupported ORC file version %s (known: 0.11, 0.12, 1.9999)", t.version)
	}
	codec, ok := codecNames[ps.compression]
	if !ok {
		return refusef(t.name, "unknown ORC compression kind %d", ps.compression)
	}
	if ps.compression != kindNone {
		if !ps.hasBlockSize || ps.blockSize == 0 {
			return refusef(t.name, "ORC file is compressed with %s but its postscript has no compression block size", codec)
		}
		if ps.blockSize > maxBlockSize {
			return refusef(t.name, "ORC compression block size %d is larger than %d", ps.blockSize, maxBlockSize)
		}
	}
	if ps.stripeStatsLength > 0 {
		return refusef(t.name, "ORC file has an encrypted stripe-statistics section; encrypted ORC files cannot be merged")
	}
	if ps.footerLength == 0 {
		return refusef(t.name, "corrupt ORC postscript: footer length is 0")
	}
	return nil
}

// readFooter decodes the footer and checks its schema and stripes.
func (t *tail) readFooter(raw []byte) error {
	content, err := decompress(t.ps.compression, t.ps.blockSize, raw)
	if err != nil {
		return refuseCodec(t.name, "footer", err)
	}
	ft, err := parseFooter(content)
	if err != nil {
		return refusef(t.name, "corrupt ORC %v", err)
	}
	if ft.encrypted {
		return refusef(t.name, "ORC file uses column encryption; encrypted ORC files cannot be merged")
	}
	if t.schema, err = parseSchema(ft.types); err != nil {
		return refusef(t.name, "corrupt ORC schema: %v", err)
	}
	t.footer = ft
	prevEnd := uint64(len(magic))
	var rows uint64
	for i := range ft.stripes {
		s := &ft.stripes[i]
		switch {
		case s.encrypted:
			return refusef(t.name, "ORC stripe %d is encrypted; encrypted ORC files cannot be merged", i)
		case s.footerLength == 0:
			return refusef(t.name, "corrupt ORC footer: stripe %d has no stripe footer", i)
		case s.offset < prevEnd:
			return refusef(t.name, "corrupt ORC footer: stripe %d at offset %d overlaps the header or the previous stripe (ending at %d)", i, s.offset, prevEnd)
		case s.end() > uint64(t.dataEnd): //nolint:gosec // dataEnd is positive
			return refusef(t.name, "truncated or corrupt ORC file: stripe %d (bytes %d to %d) extends past the stripe area, which ends at %d", i, s.offset, s.end(), t.dataEnd)
		}
		prevEnd = s.end()
		rows += s.rows
		if rows > 1<<62 {
			return refusef(t.name, "corrupt ORC footer: row count out of range")
		}
		t.bytes += int64(s.length()) //nolint:gosec // bounded by the file size
	}
	if ft.hasRows && ft.rows != rows {
		return refusef(t.name, "corrupt ORC footer: it counts %d rows but its stripes hold %d", ft.rows, rows)
	}
	t.rows = int64(rows) //nolint:gosec // checked above
	return nil
}

// meta is the FileMeta that Inspect reports.
func (t *tail) meta() *shoal.FileMeta {
	return &shoal.FileMeta{
		Format:    shoal.FormatORC,
		Rows:      t.rows,
		Schema:    t.schema.String(),
		Codec:     codecNames[t.ps.compression],
		Units:     len(t.footer.stripes),
		UnitBytes: t.bytes,
		Concat:    t.props(),
	}
}

// props lists what the tail states once for all stripes.
func (t *tail) props() []shoal.Prop {
	ps, ft := t.ps, t.footer
	blockSize := "n/a (uncompressed)"
	if ps.compression != kindNone {
		blockSize = strconv.FormatUint(ps.blockSize, 10)
	}
	writer, ok := writerNames[ft.writer] // absent means ORC Java
	if !ok {
		writer = "writer " + strconv.FormatUint(ft.writer, 10)
	}
	calendar := "julian-gregorian"
	if ft.calendar == 2 {
		calendar = "proleptic-gregorian"
	}
	return []shoal.Prop{
		{Name: propBlockSize, Value: blockSize},
		{Name: propFileVersion, Value: t.version},
		{Name: propStride, Value: strconv.FormatUint(ft.rowIndexStride, 10)},
		{Name: propWriter, Value: writer},
		{Name: propWriterVersion, Value: strconv.FormatUint(ps.writerVersion, 10)},
		{Name: propCalendar, Value: calendar},
	}
}

// readAt fills p from offset off of the input.
func readAt(in shoal.MergeInput, p []byte, off int64) error {
	n, err := in.R.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return refusef(in.Name, "truncated ORC file: %d bytes at offset %d are missing", len(p)-n, off+int64(n))
	}
	return fmt.Errorf("read %s at %d: %w", in.Name, off, err)
}

// readSection returns length bytes at off, from the already read end of
// the file when they lie in it.
func readSection(in shoal.MergeInput, end []byte, endOff, off, length int64) ([]byte, error) {
	if length > maxSectionLen {
		return nil, refusef(in.Name, "ORC file section of %d bytes at offset %d is larger than %d bytes", length, off, maxSectionLen)
	}
	if off >= endOff {
		return end[off-endOff : off-endOff+length], nil
	}
	p := make([]byte, length)
	if err := readAt(in, p, off); err != nil {
		return nil, err
	}
	return p, nil
}

// Merge concatenates the inputs' stripes into one ORC file written to w
// (see the package comment). It reads each input's tail again, checks that
// the inputs are concat-compatible and unchanged since metas were taken,
// then copies the stripes through a 1 MiB buffer, recording each copied
// range with its CRC-32C as a Segment. ModeAuto means concat, the only
// mode ORC has here; ModeRewrite is refused.
func (m *Merger) Merge(ctx context.Context, w io.Writer, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) (*shoal.MergeResult, error) {
	switch opts.Mode {
	case shoal.ModeConcat, shoal.ModeAuto:
	case shoal.ModeRewrite:
		return nil, shoal.Refusef("ORC rewrite is not supported; use concat")
	default:
		return nil, fmt.Errorf("unknown merge mode %q", opts.Mode)
	}
	if len(inputs) == 0 {
		return nil, errors.New("orc merge: no inputs")
	}
	if metas != nil && len(metas) != len(inputs) {
		return nil, fmt.Errorf("orc merge: %d metas for %d inputs", len(metas), len(inputs))
	}
	tails, err := readTails(ctx, inputs, metas, opts)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, copyBufSize)
	out := &countingWriter{w: bw}
	if _, err := io.WriteString(out, magic); err != nil {
		return nil, fmt.Errorf("write ORC header: %w", err)
	}
	res := &shoal.MergeResult{}
	var stripes []stripeInfo
	buf := make([]byte, copyBufSize)
	for i, in := range inputs {
		t := tails[i]
		moved, segs, err := copyStripes(ctx, out, in, t.footer.stripes, buf)
		if err != nil {
			return nil, err
		}
		stripes = append(stripes, moved...)
		res.Segments = append(res.Segments, segs...)
		res.Rows += t.rows
	}
	end, err := buildTail(tails, stripes, uint64(res.Rows), uint64(out.n)) //nolint:gosec // both non-negative
	if err != nil {
		return nil, err
	}
	if _, err := out.Write(end); err != nil {
		return nil, fmt.Errorf("write ORC tail: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write ORC output: %w", err)
	}
	res.Bytes = out.n
	return res, nil
}

// readTails reads every input's tail and checks that they can be
// concatenated.
func readTails(ctx context.Context, inputs []shoal.MergeInput, metas []*shoal.FileMeta, opts shoal.MergeOptions) ([]*tail, error) {
	tails := make([]*tail, len(inputs))
	var first *shoal.FileMeta
	for i, in := range inputs {
		t, err := readTail(ctx, in)
		if err != nil {
			return nil, err
		}
		meta := t.meta()
		if metas != nil && metas[i] != nil && (metas[i].Rows != meta.Rows || metas[i].Schema != meta.Schema) {
			return nil, fmt.Errorf("%s changed since it was inspected: %d rows and schema %s, now %d rows and schema %s",
				in.Name, metas[i].Rows, metas[i].Schema, meta.Rows, meta.Schema)
		}
		if opts.Codec != "" && opts.Codec != meta.Codec {
			return nil, shoal.Refusef("ORC concat keeps the inputs' compression (%s of %s); it cannot write %s", meta.Codec, in.Name, opts.Codec)
		}
		if i == 0 {
			first = meta
		} else if err := shoal.ConcatCompatible(first, meta); err != nil {
			return nil, shoal.Refusef("cannot concatenate ORC files %s and %s: %v", inputs[0].Name, in.Name, err)
		}
		tails[i] = t
	}
	return tails, nil
}

// copyStripes copies an input's stripes to out, one range per run of
// adjacent stripes, and returns them with their offsets in the output.
func copyStripes(ctx context.Context, out *countingWriter, in shoal.MergeInput, stripes []stripeInfo, buf []byte) ([]stripeInfo, []shoal.Segment, error) {
	moved := make([]stripeInfo, 0, len(stripes))
	var segs []shoal.Segment
	for i := 0; i < len(stripes); {
		j := i + 1
		for j < len(stripes) && stripes[j].offset == stripes[j-1].end() {
			j++
		}
		start, end := stripes[i].offset, stripes[j-1].end()
		seg, err := copyRange(ctx, out, in, int64(start), int64(end-start), buf) //nolint:gosec // within the file
		if err != nil {
			return nil, nil, err
		}
		for _, s := range stripes[i:j] {
			s.offset = uint64(seg.Offset) + s.offset - start //nolint:gosec // non-negative
			moved = append(moved, s)
		}
		segs = append(segs, seg)
		i = j
	}
	return moved, segs, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// copyRange copies length bytes at off of the input to out, hashing them.
func copyRange(ctx context.Context, out *countingWriter, in shoal.MergeInput, off, length int64, buf []byte) (shoal.Segment, error) {
	seg := shoal.Segment{Offset: out.n, Length: length}
	src := io.NewSectionReader(in.R, off, length)
	for left := length; left > 0; {
		if err := ctx.Err(); err != nil {
			return seg, err
		}
		n, err := io.ReadFull(src, buf[:min(left, int64(len(buf)))])
		if err != nil {
			return seg, fmt.Errorf("read stripes of %s at %d: %w", in.Name, off+length-left, err)
		}
		seg.CRC = crc32.Update(seg.CRC, castagnoli, buf[:n])
		if _, err := out.Write(buf[:n]); err != nil {
			return seg, fmt.Errorf("write ORC output: %w", err)
		}
		left -= int64(n)
	}
	return seg, nil
}

// buildTail encodes the merged metadata, footer and postscript. dataEnd is
// the output offset just past the last stripe.
func buildTail(tails []*tail, stripes []stripeInfo, rows, dataEnd uint64) ([]byte, error) {
	first := tails[0]
	kind, blockSize := first.ps.compression, first.ps.blockSize

	// Stripe statistics are kept only when every input has them for each
	// of its stripes; otherwise they would be attributed to wrong stripes.
	var md []byte
	for _, t := range tails {
		if len(t.metadata) != len(t.footer.stripes) {
			md = nil
			break
		}
		for _, s := range t.metadata {
			md = append(md, s...)
		}
	}
	metadata := storeChunks(kind, blockSize, md)

	var ft []byte
	ft = appendUintField(ft, ftHeaderLength, uint64(len(magic)))
	ft = appendUintField(ft, ftContentLength, dataEnd)
	for i := range stripes {
		ft = appendBytesField(ft, ftStripes, stripes[i].marshal())
	}
	ft = append(ft, first.footer.typesRaw...)
	ft = append(ft, first.footer.userMetaRaw...)
	ft = appendUintField(ft, ftNumberOfRows, rows)
	for _, s := range mergeStats(tails) {
		ft = appendBytesField(ft, ftStatistics, s)
	}
	ft = append(ft, first.footer.keptRaw...)
	footer := storeChunks(kind, blockSize, ft)

	ps := *first.ps
	ps.footerLength = uint64(len(footer))
	ps.metadataLength = uint64(len(metadata))
	ps.stripeStatsLength = 0
	post := ps.marshal()
	if len(post) > maxPostScriptLen {
		return nil, fmt.Errorf("merged ORC postscript is %d bytes, more than %d", len(post), maxPostScriptLen)
	}

	out := make([]byte, 0, len(metadata)+len(footer)+len(post)+1)
	out = append(out, metadata...)
	out = append(out, footer...)
	out = append(out, post...)
	return append(out, byte(len(post))), nil //nolint:gosec // at most maxPostScriptLen
}

// mergeStats merges the inputs' file-level column statistics, or returns
// none when an input does not have one per column or has a corrupt one.
func mergeStats(tails []*tail) [][]byte {
	columns := len(tails[0].footer.types)
	mergers := make([]*statsMerger, columns)
	for i := range mergers {
		mergers[i] = newStatsMerger()
	}
	for _, t := range tails {
		if len(t.footer.stats) != columns {
			return nil
		}
		for i, s := range t.footer.stats {
			if err := mergers[i].add(s); err != nil {
				return nil
			}
		}
	}
	out := make([][]byte, columns)
	for i, m := range mergers {
		out[i] = m.marshal()
	}
	return out
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

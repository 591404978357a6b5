package orc

// Hand-written decoding and encoding of the ORC protobuf messages of the file
// tail (orc_proto.proto in Apache ORC). protoc is not part of the toolchain,
// and the merger needs only a few messages; fields it does not interpret are
// kept as their wire bytes, so a rewritten footer loses nothing it copies.

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the ORC messages, as in orc_proto.proto.
const (
	// PostScript.
	psFooterLength           = 1
	psCompression            = 2
	psCompressionBlockSize   = 3
	psVersion                = 4
	psMetadataLength         = 5
	psWriterVersion          = 6
	psStripeStatisticsLength = 7
	psMagic                  = 8000

	// Footer.
	ftHeaderLength    = 1
	ftContentLength   = 2
	ftStripes         = 3
	ftTypes           = 4
	ftMetadata        = 5
	ftNumberOfRows    = 6
	ftStatistics      = 7
	ftRowIndexStride  = 8
	ftWriter          = 9
	ftEncryption      = 10
	ftCalendar        = 11
	ftSoftwareVersion = 12

	// StripeInformation.
	siOffset             = 1
	siIndexLength        = 2
	siDataLength         = 3
	siFooterLength       = 4
	siNumberOfRows       = 5
	siEncryptStripeID    = 6
	siEncryptedLocalKeys = 7

	// Type.
	tyKind          = 1
	tySubtypes      = 2
	tyFieldNames    = 3
	tyMaximumLength = 4
	tyPrecision     = 5
	tyScale         = 6
	tyAttributes    = 7

	// Metadata and StripeStatistics.
	mdStripeStats = 1

	// StripeFooter and Stream.
	sfStreams    = 1
	sfColumns    = 2
	sfEncryption = 4
	stKind       = 1
	stColumn     = 2
	stLength     = 3
	ceKind       = 1
)

// wireField is one field of a protobuf message as it was on the wire.
type wireField struct {
	num protowire.Number
	typ protowire.Type
	val uint64 // value of a varint, fixed32 or fixed64 field
	buf []byte // payload of a length-delimited field
	raw []byte // the whole field, tag included, for verbatim copies
}

// forEachField calls fn for each field of msg, in wire order.
func forEachField(msg []byte, fn func(f wireField) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, msg[n:])
		if m < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
		}
		f := wireField{num: num, typ: typ, raw: msg[:n+m]}
		v := msg[n : n+m]
		switch typ {
		case protowire.VarintType:
			f.val, _ = protowire.ConsumeVarint(v)
		case protowire.Fixed32Type:
			x, _ := protowire.ConsumeFixed32(v)
			f.val = uint64(x)
		case protowire.Fixed64Type:
			f.val, _ = protowire.ConsumeFixed64(v)
		case protowire.BytesType:
			f.buf, _ = protowire.ConsumeBytes(v)
		}
		if err := fn(f); err != nil {
			return err
		}
		msg = msg[n+m:]
	}
	return nil
}

// uint returns the value of a varint field.
func (f wireField) uint() (uint64, error) {
	if f.typ != protowire.VarintType {
		return 0, fmt.Errorf("field %d has wire type %d, want varint", f.num, f.typ)
	}
	return f.val, nil
}

// bytes returns the payload of a length-delimited field.
func (f wireField) bytes() ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, fmt.Errorf("field %d has wire type %d, want length-delimited", f.num, f.typ)
	}
	return f.buf, nil
}

// uints returns the values of a repeated varint field, packed or not.
func (f wireField) uints() ([]uint64, error) {
	switch f.typ {
	case protowire.VarintType:
		return []uint64{f.val}, nil
	case protowire.BytesType:
		var out []uint64
		for b := f.buf; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("field %d: packed varint: %w", f.num, protowire.ParseError(n))
			}
			out = append(out, v)
			b = b[n:]
		}
		return out, nil
	}
	return nil, fmt.Errorf("field %d has wire type %d, want varint", f.num, f.typ)
}

func appendUintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendSintField(b []byte, num protowire.Number, v int64) []byte {
	return appendUintField(b, num, protowire.EncodeZigZag(v))
}

// postScript is the uncompressed last message of an ORC file.
type postScript struct {
	footerLength      uint64
	compression       uint64
	blockSize         uint64
	hasBlockSize      bool
	version           []uint64
	metadataLength    uint64
	writerVersion     uint64
	hasWriterVersion  bool
	stripeStatsLength uint64
	magic             string
	hasMagic          bool
	unknown           []byte
}

func parsePostScript(b []byte) (*postScript, error) {
	ps := &postScript{}
	err := forEachField(b, func(f wireField) error {
		var err error
		switch f.num {
		case psFooterLength:
			ps.footerLength, err = f.uint()
		case psCompression:
			ps.compression, err = f.uint()
		case psCompressionBlockSize:
			ps.blockSize, err = f.uint()
			ps.hasBlockSize = true
		case psVersion:
			var v []uint64
			v, err = f.uints()
			ps.version = append(ps.version, v...)
		case psMetadataLength:
			ps.metadataLength, err = f.uint()
		case psWriterVersion:
			ps.writerVersion, err = f.uint()
			ps.hasWriterVersion = true
		case psStripeStatisticsLength:
			ps.stripeStatsLength, err = f.uint()
		case psMagic:
			var m []byte
			m, err = f.bytes()
			ps.magic, ps.hasMagic = string(m), true
		default:
			ps.unknown = append(ps.unknown, f.raw...)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postscript: %w", err)
	}
	return ps, nil
}

// marshal encodes the postscript; the magic stays last, as the format asks.
func (ps *postScript) marshal() []byte {
	var b []byte
	b = appendUintField(b, psFooterLength, ps.footerLength)
	b = appendUintField(b, psCompression, ps.compression)
	if ps.hasBlockSize {
		b = appendUintField(b, psCompressionBlockSize, ps.blockSize)
	}
	if len(ps.version) > 0 {
		var packed []byte
		for _, v := range ps.version {
			packed = protowire.AppendVarint(packed, v)
		}
		b = appendBytesField(b, psVersion, packed)
	}
	b = appendUintField(b, psMetadataLength, ps.metadataLength)
	if ps.hasWriterVersion {
		b = appendUintField(b, psWriterVersion, ps.writerVersion)
	}
	b = append(b, ps.unknown...)
	if ps.hasMagic {
		b = appendBytesField(b, psMagic, []byte(ps.magic))
	}
	return b
}

// stripeInfo is a footer's StripeInformation.
type stripeInfo struct {
	offset       uint64
	indexLength  uint64
	dataLength   uint64
	footerLength uint64
	rows         uint64
	encrypted    bool
	unknown      []byte
}

// length is the stripe's size in the file: index, data and stripe footer.
func (s *stripeInfo) length() uint64 { return s.indexLength + s.dataLength + s.footerLength }

// end is the offset just past the stripe.
func (s *stripeInfo) end() uint64 { return s.offset + s.length() }

func parseStripeInfo(b []byte) (stripeInfo, error) {
	var s stripeInfo
	err := forEachField(b, func(f wireField) error {
		var err error
		switch f.num {
		case siOffset:
			s.offset, err = f.uint()
		case siIndexLength:
			s.indexLength, err = f.uint()
		case siDataLength:
			s.dataLength, err = f.uint()
		case siFooterLength:
			s.footerLength, err = f.uint()
		case siNumberOfRows:
			s.rows, err = f.uint()
		case siEncryptStripeID, siEncryptedLocalKeys:
			s.encrypted = true
			s.unknown = append(s.unknown, f.raw...)
		default:
			s.unknown = append(s.unknown, f.raw...)
		}
		return err
	})
	if err != nil {
		return s, err
	}
	// Each part is bounded so that sums of them cannot overflow.
	const limit = 1 << 62
	if s.offset > limit || s.indexLength > limit || s.dataLength > limit || s.footerLength > limit {
		return s, errors.New("stripe offset or length out of range")
	}
	return s, nil
}

func (s *stripeInfo) marshal() []byte {
	var b []byte
	b = appendUintField(b, siOffset, s.offset)
	b = appendUintField(b, siIndexLength, s.indexLength)
	b = appendUintField(b, siDataLength, s.dataLength)
	b = appendUintField(b, siFooterLength, s.footerLength)
	b = appendUintField(b, siNumberOfRows, s.rows)
	return append(b, s.unknown...)
}

// footer is an ORC file footer. Types, user metadata and the fields the
// merger copies from the first input are kept as wire bytes.
type footer struct {
	headerLength    uint64
	contentLength   uint64
	stripes         []stripeInfo
	types           [][]byte // Type payloads
	typesRaw        []byte   // the types fields, tags included
	userMetaRaw     []byte   // the metadata (UserMetadataItem) fields
	rows            uint64
	hasRows         bool
	stats           [][]byte // ColumnStatistics payloads
	rowIndexStride  uint64
	writer          uint64
	hasWriter       bool
	calendar        uint64
	encrypted       bool
	softwareVersion string
	keptRaw         []byte // row index stride, writer, calendar, software version and unknown fields
}

func parseFooter(b []byte) (*footer, error) {
	ft := &footer{}
	err := forEachField(b, func(f wireField) error {
		var err error
		switch f.num {
		case ftHeaderLength:
			ft.headerLength, err = f.uint()
		case ftContentLength:
			ft.contentLength, err = f.uint()
		case ftStripes:
			var p []byte
			if p, err = f.bytes(); err != nil {
				return err
			}
			var s stripeInfo
			if s, err = parseStripeInfo(p); err != nil {
				return fmt.Errorf("stripe %d: %w", len(ft.stripes), err)
			}
			ft.stripes = append(ft.stripes, s)
		case ftTypes:
			var p []byte
			p, err = f.bytes()
			ft.types = append(ft.types, p)
			ft.typesRaw = append(ft.typesRaw, f.raw...)
		case ftMetadata:
			_, err = f.bytes()
			ft.userMetaRaw = append(ft.userMetaRaw, f.raw...)
		case ftNumberOfRows:
			ft.rows, err = f.uint()
			ft.hasRows = true
		case ftStatistics:
			var p []byte
			p, err = f.bytes()
			ft.stats = append(ft.stats, p)
		case ftEncryption:
			ft.encrypted = true
		default:
			err = ft.parseKept(f)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	return ft, nil
}

// parseKept reads a field that the merged footer copies from the first
// input as it is.
func (ft *footer) parseKept(f wireField) error {
	var err error
	switch f.num {
	case ftRowIndexStride:
		ft.rowIndexStride, err = f.uint()
	case ftWriter:
		ft.writer, err = f.uint()
		ft.hasWriter = true
	case ftCalendar:
		ft.calendar, err = f.uint()
	case ftSoftwareVersion:
		var v []byte
		v, err = f.bytes()
		ft.softwareVersion = string(v)
	}
	ft.keptRaw = append(ft.keptRaw, f.raw...)
	return err
}

// orcType is a footer's Type.
type orcType struct {
	kind       uint64
	subtypes   []uint64
	fieldNames []string
	maxLength  uint64
	hasMaxLen  bool
	precision  uint64
	hasPrec    bool
	scale      uint64
	hasScale   bool
	attrs      [][2]string
	unknown    []byte
}

func parseType(b []byte) (*orcType, error) {
	t := &orcType{}
	err := forEachField(b, func(f wireField) error {
		var err error
		switch f.num {
		case tyKind:
			t.kind, err = f.uint()
		case tySubtypes:
			var v []uint64
			v, err = f.uints()
			t.subtypes = append(t.subtypes, v...)
		case tyFieldNames:
			var v []byte
			v, err = f.bytes()
			t.fieldNames = append(t.fieldNames, string(v))
		case tyMaximumLength:
			t.maxLength, err = f.uint()
			t.hasMaxLen = true
		case tyPrecision:
			t.precision, err = f.uint()
			t.hasPrec = true
		case tyScale:
			t.scale, err = f.uint()
			t.hasScale = true
		case tyAttributes:
			var p []byte
			if p, err = f.bytes(); err != nil {
				return err
			}
			var kv [2]string
			if kv, err = parseStringPair(p); err != nil {
				return fmt.Errorf("attribute: %w", err)
			}
			t.attrs = append(t.attrs, kv)
		default:
			t.unknown = append(t.unknown, f.raw...)
		}
		return err
	})
	return t, err
}

func parseStringPair(b []byte) ([2]string, error) {
	var kv [2]string
	err := forEachField(b, func(f wireField) error {
		if f.num != 1 && f.num != 2 {
			return nil
		}
		v, err := f.bytes()
		kv[f.num-1] = string(v)
		return err
	})
	return kv, err
}

// parseMetadata returns the StripeStatistics fields of a Metadata message,
// tags included, so that several inputs' can be concatenated.
func parseMetadata(b []byte) ([][]byte, error) {
	var stats [][]byte
	err := forEachField(b, func(f wireField) error {
		if f.num != mdStripeStats {
			return nil
		}
		p, err := f.bytes()
		if err != nil {
			return err
		}
		if err := forEachField(p, func(wireField) error { return nil }); err != nil {
			return fmt.Errorf("stripe statistics %d: %w", len(stats), err)
		}
		stats = append(stats, f.raw)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return stats, nil
}

// stream is one entry of a stripe footer's stream list.
type stream struct {
	kind   uint64
	column uint64
	length uint64
}

// stripeFooter is the part of a StripeFooter that Verify checks.
type stripeFooter struct {
	streams   []stream
	encodings []uint64 // ColumnEncoding kinds
	encrypted bool
}

func parseStripeFooter(b []byte) (*stripeFooter, error) {
	sf := &stripeFooter{}
	err := forEachField(b, func(f wireField) error {
		switch f.num {
		case sfStreams:
			p, err := f.bytes()
			if err != nil {
				return err
			}
			var s stream
			err = forEachField(p, func(g wireField) error {
				var err error
				switch g.num {
				case stKind:
					s.kind, err = g.uint()
				case stColumn:
					s.column, err = g.uint()
				case stLength:
					s.length, err = g.uint()
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("stream %d: %w", len(sf.streams), err)
			}
			sf.streams = append(sf.streams, s)
		case sfColumns:
			p, err := f.bytes()
			if err != nil {
				return err
			}
			var kind uint64
			err = forEachField(p, func(g wireField) error {
				var err error
				if g.num == ceKind {
					kind, err = g.uint()
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("column encoding %d: %w", len(sf.encodings), err)
			}
			sf.encodings = append(sf.encodings, kind)
		case sfEncryption:
			sf.encrypted = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stripe footer: %w", err)
	}
	return sf, nil
}

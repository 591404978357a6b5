// Package shoal holds the domain vocabulary of Shoal, a platform that finds
// and fixes small files in Hive data warehouses.
//
// The root package declares the entities that flow through the system
// (databases, tables, partitions, files, statistics and scans) and the
// interfaces that have several implementations: Catalog, FileSystem and
// Store. It imports only the standard library; every outside system lives in
// a subpackage named after it (warehouse, localfs, sqlite, postgres, ...).
package shoal

import (
	"strings"
)

// Format is the storage format of a table or a data file.
type Format string

// Known formats. FormatUnknown is used when neither the catalog nor the file
// bytes identify the format.
const (
	FormatUnknown  Format = "unknown"
	FormatParquet  Format = "parquet"
	FormatORC      Format = "orc"
	FormatAvro     Format = "avro"
	FormatText     Format = "text"
	FormatTextGzip Format = "text+gzip"
	// FormatTextBzip2 is bzip2-compressed delimited or JSON-lines text.
	FormatTextBzip2 Format = "text+bzip2"
	FormatSequence  Format = "sequencefile"
	FormatRCFile    Format = "rcfile"
	// FormatMixed marks a table or partition whose files have several formats.
	FormatMixed Format = "mixed"
)

// Valid reports whether f is one of the known format names.
func (f Format) Valid() bool {
	switch f {
	case FormatUnknown, FormatParquet, FormatORC, FormatAvro, FormatText,
		FormatTextGzip, FormatTextBzip2, FormatSequence, FormatRCFile, FormatMixed:
		return true
	}
	return false
}

// DetectFormat identifies a data file from its first bytes. Callers pass at
// least the first four bytes of the file when it has them; shorter slices are
// accepted (a zero-byte file is FormatUnknown).
func DetectFormat(head []byte) Format {
	switch {
	case len(head) == 0:
		return FormatUnknown
	case hasPrefix(head, "PAR1"), hasPrefix(head, "PARE"):
		return FormatParquet
	case hasPrefix(head, "ORC"):
		return FormatORC
	case hasPrefix(head, "Obj\x01"):
		return FormatAvro
	case hasPrefix(head, "\x1f\x8b"):
		return FormatTextGzip
	case hasPrefix(head, "BZh"):
		return FormatTextBzip2
	case hasPrefix(head, "SEQ"):
		return FormatSequence
	case hasPrefix(head, "RCF"):
		return FormatRCFile
	}
	for _, c := range head {
		// Text: printable bytes, whitespace and UTF-8 continuation bytes.
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x01 && c != 0x02 && c != 0x03 {
			return FormatUnknown
		}
	}
	return FormatText
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// IsHidden reports whether a file or directory name is hidden from Hive
// readers. Hive's FileInputFormat skips names starting with '.' or '_'
// (for example _SUCCESS, .staging, _temporary), and so does Shoal.
func IsHidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// Byte sizes used for defaults.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

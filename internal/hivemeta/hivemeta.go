// Package hivemeta maps Hive Metastore metadata to Shoal's domain types. It
// is shared by the catalogs that read a metastore, whether through its
// backend database (hmsdb) or its Thrift API (hms), so that both return the
// same shoal.Table for the same metadata.
package hivemeta

import (
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// TableMaterializedView is the Hive table type of materialized views, which
// like views are not scanned for partitions.
const TableMaterializedView shoal.TableType = "MATERIALIZED_VIEW"

// Table is a table's metadata as the metastore stores it: TBLS, its SDS and
// SERDES rows, TABLE_PARAMS, SERDE_PARAMS, BUCKETING_COLS and
// PARTITION_KEYS, or the Thrift Table struct that carries the same.
type Table struct {
	Database, Name string
	Type           string // TBL_TYPE
	Owner          string
	Location       string
	InputFormat    string
	OutputFormat   string
	SerDe          string // SERDES.SLIB
	NumBuckets     int    // -1 or 0 when not bucketed
	BucketColumns  []string
	PartitionKeys  []string
	Params         map[string]string // TABLE_PARAMS
	SerDeParams    map[string]string // SERDE_PARAMS
}

// Shoal maps the metadata to a shoal.Table. Empty slices and maps become
// nil. The result keeps Params; do not change it afterwards.
func (m *Table) Shoal() shoal.Table {
	t := shoal.Table{
		Database:     m.Database,
		Name:         m.Name,
		Location:     m.Location,
		Format:       FormatOf(m.InputFormat, m.SerDe),
		InputFormat:  m.InputFormat,
		OutputFormat: m.OutputFormat,
		SerDe:        m.SerDe,
		Type:         shoal.TableType(m.Type),
		Owner:        m.Owner,
	}
	if m.NumBuckets > 0 {
		t.NumBuckets = m.NumBuckets
	}
	if len(m.BucketColumns) > 0 {
		t.BucketColumns = m.BucketColumns
	}
	if len(m.PartitionKeys) > 0 {
		t.PartitionKeys = m.PartitionKeys
	}
	if len(m.Params) > 0 {
		t.Params = m.Params
	}
	p := m.Params
	t.Transactional = strings.EqualFold(strings.TrimSpace(p["transactional"]), "true")
	t.TransactionalProperties = p["transactional_properties"]
	// The SerDe property is where Hive reads it; older DDL put it in the
	// table properties.
	hdr, ok := m.SerDeParams["skip.header.line.count"]
	if !ok {
		hdr = p["skip.header.line.count"]
	}
	if n, err := strconv.Atoi(strings.TrimSpace(hdr)); err == nil && n > 0 {
		t.HeaderLines = n
	}
	t.LastDDLTime = UnixTime(p["transient_lastDdlTime"])
	return t
}

// Scanned reports whether a table of this type has partitions to scan:
// views and materialized views do not.
func Scanned(t *shoal.Table) bool {
	return t.Partitioned() && t.Type != shoal.TableView && t.Type != TableMaterializedView
}

// FormatOf maps Hive's input format and SerDe class names to a format.
func FormatOf(inputFormat, serde string) shoal.Format {
	switch simpleName(inputFormat) {
	case "MapredParquetInputFormat", "ParquetInputFormat", "DeprecatedParquetInputFormat":
		return shoal.FormatParquet
	case "OrcInputFormat":
		return shoal.FormatORC
	case "AvroContainerInputFormat":
		return shoal.FormatAvro
	case "TextInputFormat":
		return shoal.FormatText
	case "SequenceFileInputFormat":
		return shoal.FormatSequence
	case "RCFileInputFormat":
		return shoal.FormatRCFile
	}
	switch simpleName(serde) {
	case "ParquetHiveSerDe":
		return shoal.FormatParquet
	case "OrcSerde":
		return shoal.FormatORC
	case "AvroSerDe":
		return shoal.FormatAvro
	}
	return shoal.FormatUnknown
}

func simpleName(class string) string {
	class = strings.TrimSpace(class)
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// UnixTime reads transient_lastDdlTime, seconds since the epoch; the zero
// time when it is missing or not a positive number.
func UnixTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// ValuesFromName decodes the values of a partition name "k1=v1/k2=v2".
func ValuesFromName(spec string, n int) []string {
	parts := strings.Split(spec, "/")
	vals := make([]string, 0, n)
	for _, p := range parts {
		_, v, ok := shoal.ParsePartitionDir(p)
		if !ok {
			v = shoal.UnescapePartitionValue(p)
		}
		vals = append(vals, v)
	}
	return vals
}

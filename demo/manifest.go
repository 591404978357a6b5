package demo

import (
	"time"

	"github.com/shoalhq/shoal"
)

// Class is the file-size profile a demo table was generated with.
type Class string

// Size classes of the demo tables. With Thresholds, every file of a
// streaming or batch table is small and no file of a healthy table is.
const (
	// ClassStreaming tables have tens to hundreds of 1–50 KiB files per
	// partition, written by streaming sinks.
	ClassStreaming Class = "streaming"
	// ClassBatch tables have a few files of up to 640 KiB per partition (some
	// of them zero-byte), written by nightly jobs.
	ClassBatch Class = "batch"
	// ClassHealthy tables have one or two files of 2.2–3.8 MiB per
	// partition: nothing to merge at Thresholds.TargetFileSize.
	ClassHealthy Class = "healthy"
)

// Thresholds are the size settings to scan the demo warehouse with. The
// demo's files are far below shoal.DefaultThresholds, so the small-file
// size is scaled down to 1 MiB and the merge target to 4 MiB; the block
// size keeps the HDFS default.
var Thresholds = shoal.Thresholds{
	SmallFileSize:  1 * shoal.MiB,
	TargetFileSize: 4 * shoal.MiB,
	BlockSize:      128 * shoal.MiB,
}

// Manifest is the ground truth of a generated warehouse: what Generate wrote
// and where. Counts and sizes cover visible files only; hidden files and
// directories (names starting with '_' or '.') are counted apart.
type Manifest struct {
	// Root is the warehouse directory, Options.Dir made absolute.
	Root  string    `json:"root"`
	Seed  int64     `json:"seed"`
	Now   time.Time `json:"now"`
	Scale float64   `json:"scale"`
	// Tables are sorted by database, then table name.
	Tables []TableManifest `json:"tables"`

	// Totals over all tables. Partitions counts the single partition of an
	// unpartitioned table too.
	Databases   int   `json:"databases"`
	Partitions  int   `json:"partitions"`
	Files       int64 `json:"files"`
	Bytes       int64 `json:"bytes"`
	Rows        int64 `json:"rows"`
	HiddenFiles int64 `json:"hidden_files"`
}

// TableManifest describes one generated table.
type TableManifest struct {
	Database string `json:"database"`
	Table    string `json:"table"`
	// Dir is the table's root directory: <root>/<db>.db/<table>, or
	// <root>/<table> for the default database.
	Dir    string          `json:"dir"`
	Format shoal.Format    `json:"format"`
	Class  Class           `json:"class"`
	Type   shoal.TableType `json:"type"`
	// PartitionKeys are outermost first; empty for an unpartitioned table.
	PartitionKeys []string `json:"partition_keys,omitempty"`
	// HeaderLines is 1 for CSV tables with a header line.
	HeaderLines int `json:"header_lines,omitempty"`
	// Partitions are sorted by Spec. An unpartitioned table has one with an
	// empty Spec and the table's directory.
	Partitions []PartitionManifest `json:"partitions"`

	// Sums over the partitions.
	Files       int64 `json:"files"`
	Bytes       int64 `json:"bytes"`
	Rows        int64 `json:"rows"`
	HiddenFiles int64 `json:"hidden_files"`
}

// PartitionManifest describes one generated partition directory.
type PartitionManifest struct {
	// Spec is the Hive partition name with escaped values, "k1=v1/k2=v2",
	// as it appears in the directory path; empty when unpartitioned.
	Spec string `json:"spec"`
	// Values are the decoded partition values, aligned with the table's
	// keys. A NULL value is Hive's __HIVE_DEFAULT_PARTITION__.
	Values []string `json:"values,omitempty"`
	Dir    string   `json:"dir"`
	// Files and Bytes count the visible data files directly in Dir,
	// zero-byte files included.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// Rows is the number of data rows in the visible files, header lines
	// excluded.
	Rows int64 `json:"rows"`
	// MinSize, MaxSize and the mod times are those of the visible files;
	// zero when there are none.
	MinSize       int64     `json:"min_size"`
	MaxSize       int64     `json:"max_size"`
	OldestModTime time.Time `json:"oldest_mod_time"`
	NewestModTime time.Time `json:"newest_mod_time"`
	// HiddenFiles counts the hidden files written in or below Dir, such as
	// _SUCCESS markers, .crc files and files under _temporary/.
	HiddenFiles int `json:"hidden_files"`
}

// Table returns the table with the given database and name, or nil.
func (m *Manifest) Table(db, name string) *TableManifest {
	for i := range m.Tables {
		if t := &m.Tables[i]; t.Database == db && t.Table == name {
			return t
		}
	}
	return nil
}

// QualifiedName returns "db.table".
func (t *TableManifest) QualifiedName() string { return t.Database + "." + t.Table }

// ShoalTable returns the table as a catalog would describe it.
func (t *TableManifest) ShoalTable() shoal.Table {
	tbl := shoal.Table{
		Database:      t.Database,
		Name:          t.Table,
		Location:      t.Dir,
		Format:        t.Format,
		PartitionKeys: t.PartitionKeys,
		Type:          t.Type,
		HeaderLines:   t.HeaderLines,
		Owner:         "hive",
	}
	switch t.Format {
	case shoal.FormatParquet:
		tbl.InputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
		tbl.OutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
		tbl.SerDe = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	case shoal.FormatORC:
		tbl.InputFormat = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"
		tbl.OutputFormat = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"
		tbl.SerDe = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
	case shoal.FormatAvro:
		tbl.InputFormat = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat"
		tbl.OutputFormat = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat"
		tbl.SerDe = "org.apache.hadoop.hive.serde2.avro.AvroSerDe"
	case shoal.FormatText, shoal.FormatTextGzip:
		tbl.InputFormat = "org.apache.hadoop.mapred.TextInputFormat"
		tbl.OutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
		tbl.SerDe = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
		if t.HeaderLines > 0 {
			tbl.SerDe = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
		}
	}
	if t.HeaderLines > 0 {
		tbl.Params = map[string]string{"skip.header.line.count": "1"}
	}
	return tbl
}

// ShoalPartition returns the partition as a catalog would describe it.
func (p *PartitionManifest) ShoalPartition() shoal.Partition {
	return shoal.Partition{Values: p.Values, Spec: p.Spec, Location: p.Dir}
}

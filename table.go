package shoal

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TableType is the Hive table type.
type TableType string

// Hive table types.
const (
	TableManaged  TableType = "MANAGED_TABLE"
	TableExternal TableType = "EXTERNAL_TABLE"
	TableView     TableType = "VIRTUAL_VIEW"
)

// Database is a Hive database (schema).
type Database struct {
	Name     string
	Location string
	Owner    string
}

// Table is a Hive table as a catalog describes it.
type Table struct {
	Database string
	Name     string
	// Location is the URI or path of the table's root directory.
	Location string
	Format   Format
	// InputFormat, OutputFormat and SerDe are the Hive class names, when the
	// catalog knows them.
	InputFormat  string
	OutputFormat string
	SerDe        string
	// PartitionKeys are the partition column names, outermost first. Empty
	// for an unpartitioned table.
	PartitionKeys []string
	Type          TableType
	// Transactional is true for ACID and insert-only tables
	// (TBLPROPERTIES transactional=true).
	Transactional bool
	// TransactionalProperties is "insert_only" for insert-only tables.
	TransactionalProperties string
	BucketColumns           []string
	NumBuckets              int
	// HeaderLines is skip.header.line.count for text tables.
	HeaderLines int
	Owner       string
	// LastDDLTime is transient_lastDdlTime, zero when unknown.
	LastDDLTime time.Time
	Params      map[string]string
}

// QualifiedName returns "db.table".
func (t *Table) QualifiedName() string { return t.Database + "." + t.Name }

// Partitioned reports whether the table has partition keys.
func (t *Table) Partitioned() bool { return len(t.PartitionKeys) > 0 }

// Partition is one partition of a table. An unpartitioned table is scanned
// as a single partition with an empty Spec located at the table location.
type Partition struct {
	// Values are the partition values, aligned with Table.PartitionKeys and
	// already decoded.
	Values []string
	// Spec is the Hive partition name, "k1=v1/k2=v2", with values escaped as
	// Hive escapes them in directory names.
	Spec     string
	Location string
	// LastDDLTime is transient_lastDdlTime, zero when unknown.
	LastDDLTime time.Time
}

// FileInfo describes one data file.
type FileInfo struct {
	// Path is the full path or URI of the file.
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	// Blocks is the number of storage blocks; 0 when the file system does
	// not have blocks, in which case it is estimated from the block size.
	Blocks      int64
	Replication int
	// BlockSize is the file's block size where the file system has one
	// (HDFS), else 0.
	BlockSize int64
	Owner     string
}

// Name returns the last element of the file's path.
func (fi *FileInfo) Name() string {
	p := strings.TrimRight(fi.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// HiveDefaultPartition is the directory value Hive uses for NULL partition
// values.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// hiveEscape lists the characters Hive's FileUtils.escapePathName escapes.
const hiveEscape = "\"#%'*/:=?\\\x7f{[]^"

// EscapePartitionValue escapes a partition value the way Hive does in
// directory names: control characters and the characters in hiveEscape
// become %XX.
func EscapePartitionValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || strings.IndexByte(hiveEscape, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapePartitionValue decodes a %XX-escaped partition directory value.
// Malformed escapes are kept as they are, as Hive does.
func UnescapePartitionValue(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			if s, err := url.PathUnescape(v[i : i+3]); err == nil {
				b.WriteString(s)
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ParsePartitionDir splits a "key=value" directory name. ok is false when
// the name is not of that form.
func ParsePartitionDir(name string) (key, value string, ok bool) {
	i := strings.IndexByte(name, '=')
	if i <= 0 {
		return "", "", false
	}
	return UnescapePartitionValue(name[:i]), UnescapePartitionValue(name[i+1:]), true
}

// PartitionSpec builds the Hive partition name "k1=v1/k2=v2" from keys and
// decoded values.
func PartitionSpec(keys, values []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		parts[i] = EscapePartitionValue(k) + "=" + EscapePartitionValue(v)
	}
	return strings.Join(parts, "/")
}

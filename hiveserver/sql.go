package hiveserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// Strategy is how a partition is merged by the cluster.
type Strategy string

// Strategies.
const (
	// StrategyConcatenate runs ALTER TABLE … CONCATENATE: Hive merges
	// RCFile blocks or ORC stripes without decoding rows.
	StrategyConcatenate Strategy = "concatenate"
	// StrategyCompact runs ALTER TABLE … COMPACT 'major' and waits for
	// Hive's compactor: the only safe way to merge ACID and insert-only
	// tables.
	StrategyCompact Strategy = "compact"
	// StrategyInsertOverwrite rewrites the partition with INSERT OVERWRITE
	// … SELECT, with Hive's small-file merge settings on.
	StrategyInsertOverwrite Strategy = "insert_overwrite"
)

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool {
	switch s {
	case StrategyConcatenate, StrategyCompact, StrategyInsertOverwrite:
		return true
	}
	return false
}

// Dialect is the SQL engine behind the endpoint.
type Dialect string

// Dialects.
const (
	// DialectHive is HiveServer2, or Kyuubi with the HIVE_SQL engine.
	DialectHive Dialect = "hive"
	// DialectSpark is Kyuubi (or the Spark Thrift server) with the
	// SPARK_SQL engine: no CONCATENATE, no ACID compaction, and Spark's
	// own settings for output file sizes.
	DialectSpark Dialect = "spark"
)

// ChooseOptions tunes Choose.
type ChooseOptions struct {
	// ConcatenateORCAbove sends ORC partitions of at least this many bytes
	// to CONCATENATE (stripe-level, no decoding) instead of INSERT
	// OVERWRITE. 0 never concatenates ORC.
	ConcatenateORCAbove int64
	// Dialect of the endpoint; empty means DialectHive.
	Dialect Dialect
}

// Choose picks the strategy for a partition of t whose files are in format
// f and add up to partitionBytes: COMPACT for ACID and insert-only tables,
// CONCATENATE for RCFile and (when configured) large ORC partitions of
// tables that are not bucketed, INSERT OVERWRITE otherwise. It returns a
// *shoal.RefusalError when no strategy is safe.
func Choose(t *shoal.Table, f shoal.Format, partitionBytes int64, opts ChooseOptions) (Strategy, error) {
	if t.Type == shoal.TableView {
		return "", shoal.Refusef("%s is a view", t.QualifiedName())
	}
	if f == shoal.FormatMixed {
		return "", shoal.Refusef("the partition mixes file formats; Hive reads a partition with one input format")
	}
	spark := opts.Dialect == DialectSpark
	if t.Transactional {
		if spark {
			return "", shoal.Refusef("%s is transactional (ACID); Spark SQL cannot compact Hive ACID tables: use a Hive endpoint", t.QualifiedName())
		}
		return StrategyCompact, nil
	}
	if !spark && !bucketed(t) {
		if f == shoal.FormatRCFile {
			return StrategyConcatenate, nil
		}
		if f == shoal.FormatORC && opts.ConcatenateORCAbove > 0 && partitionBytes >= opts.ConcatenateORCAbove {
			return StrategyConcatenate, nil
		}
	}
	if err := checkOverwrite(t); err != nil {
		return "", err
	}
	if spark && bucketed(t) {
		return "", shoal.Refusef("%s is bucketed: Spark does not write Hive-compatible buckets; use a Hive endpoint", t.QualifiedName())
	}
	return StrategyInsertOverwrite, nil
}

func bucketed(t *shoal.Table) bool { return t.NumBuckets > 0 && len(t.BucketColumns) > 0 }

// checkOverwrite refuses tables that INSERT OVERWRITE would damage.
func checkOverwrite(t *shoal.Table) error {
	if t.HeaderLines > 0 || paramInt(t.Params, "skip.header.line.count") > 0 {
		return shoal.Refusef("%s has skip.header.line.count=%d: INSERT OVERWRITE would drop the header lines of its files", t.QualifiedName(), max(t.HeaderLines, paramInt(t.Params, "skip.header.line.count")))
	}
	if n := paramInt(t.Params, "skip.footer.line.count"); n > 0 {
		return shoal.Refusef("%s has skip.footer.line.count=%d: INSERT OVERWRITE would drop the footer lines of its files", t.QualifiedName(), n)
	}
	return nil
}

func paramInt(params map[string]string, key string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(params[key]))
	return n
}

// QuoteIdent quotes a Hive or Spark identifier with backticks, doubling
// embedded backticks.
func QuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// QuoteString quotes a string literal for Hive and Spark SQL. Backslash and
// single quote are escaped with a backslash. Control characters and '$'
// are written as three-digit octal escapes (\012, \044), which both
// parsers decode: that keeps statements on one line and stops Hive's and
// Spark's ${…} variable substitution, which runs on the raw statement text,
// string literals included.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f || c == '$':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// TableName returns the quoted `db`.`table`.
func TableName(t *shoal.Table) string {
	return QuoteIdent(t.Database) + "." + QuoteIdent(t.Name)
}

func checkPartition(t *shoal.Table, p *shoal.Partition) error {
	if t.Database == "" || t.Name == "" {
		return shoal.Errorf(shoal.EINVALID, "table needs a database and a name")
	}
	if p == nil {
		if t.Partitioned() {
			return shoal.Errorf(shoal.EINVALID, "%s is partitioned: a partition is required", t.QualifiedName())
		}
		return nil
	}
	if len(p.Values) != len(t.PartitionKeys) {
		return shoal.Errorf(shoal.EINVALID, "partition %q of %s has %d values for %d partition keys", p.Spec, t.QualifiedName(), len(p.Values), len(t.PartitionKeys))
	}
	return nil
}

func values(p *shoal.Partition) []string {
	if p == nil {
		return nil
	}
	return p.Values
}

// partitionClause renders " PARTITION (k1='v1', k2='v2')" for ALTER TABLE,
// or "" for an unpartitioned table.
func partitionClause(t *shoal.Table, p *shoal.Partition) string {
	if !t.Partitioned() {
		return ""
	}
	vals := values(p)
	parts := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		parts[i] = QuoteIdent(k) + "=" + QuoteString(vals[i])
	}
	return " PARTITION (" + strings.Join(parts, ", ") + ")"
}

// Predicate renders the WHERE condition selecting partition p of t:
// "`k1`='v1' AND `k2`='2'"; a key whose value is Hive's default partition
// (NULL) becomes "`k` IS NULL". It is "" for an unpartitioned table.
func Predicate(t *shoal.Table, p *shoal.Partition) string {
	vals := values(p)
	parts := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		if vals[i] == shoal.HiveDefaultPartition {
			parts[i] = QuoteIdent(k) + " IS NULL"
			continue
		}
		parts[i] = QuoteIdent(k) + "=" + QuoteString(vals[i])
	}
	return strings.Join(parts, " AND ")
}

// CountSQL is the row count of one partition (of the whole table when it
// is unpartitioned).
func CountSQL(t *shoal.Table, p *shoal.Partition) string {
	s := "SELECT COUNT(*) FROM " + TableName(t)
	if w := Predicate(t, p); w != "" {
		s += " WHERE " + w
	}
	return s
}

// DescribeSQL lists the table's columns.
func DescribeSQL(t *shoal.Table) string { return "DESCRIBE " + TableName(t) }

// ConcatenateSQL is ALTER TABLE … [PARTITION (…)] CONCATENATE.
func ConcatenateSQL(t *shoal.Table, p *shoal.Partition) string {
	return "ALTER TABLE " + TableName(t) + partitionClause(t, p) + " CONCATENATE"
}

// CompactSQL is ALTER TABLE … [PARTITION (…)] COMPACT 'major'.
func CompactSQL(t *shoal.Table, p *shoal.Partition) string {
	return "ALTER TABLE " + TableName(t) + partitionClause(t, p) + " COMPACT 'major'"
}

// ShowCompactionsSQL lists the compactor's queue and history.
const ShowCompactionsSQL = "SHOW COMPACTIONS"

// countSettings makes COUNT(*) read the data instead of answering from
// possibly stale statistics.
var countSettings = []string{"SET hive.compute.query.using.stats=false"}

// Sizes are the file sizes an INSERT OVERWRITE aims at.
type Sizes struct {
	// TargetBytes is the size of the merged files
	// (hive.merge.size.per.task; Spark's advisory partition size).
	TargetBytes int64
	// SmallBytes: Hive adds a merge step when the average output file is
	// below it (hive.merge.smallfiles.avgsize).
	SmallBytes int64
	// PartitionBytes is the partition's size; with Spark it sets the
	// number of output files. 0 when unknown.
	PartitionBytes int64
}

// ConcatenateStatements are the statements of a CONCATENATE merge, SET
// statements first.
func ConcatenateStatements(t *shoal.Table, p *shoal.Partition, f shoal.Format) ([]string, error) {
	if err := checkPartition(t, p); err != nil {
		return nil, err
	}
	if t.Transactional {
		return nil, shoal.Refusef("%s is transactional: Hive refuses CONCATENATE on ACID tables; use compaction", t.QualifiedName())
	}
	if bucketed(t) {
		return nil, shoal.Refusef("%s is bucketed: Hive refuses CONCATENATE on bucketed tables", t.QualifiedName())
	}
	var stmts []string
	if f == shoal.FormatORC {
		stmts = append(stmts, "SET hive.merge.orcfile.stripe.level=true")
	}
	return append(stmts, ConcatenateSQL(t, p)), nil
}

// CompactStatements are the statements of a compaction request. Waiting for
// the compactor is Merge's job.
func CompactStatements(t *shoal.Table, p *shoal.Partition) ([]string, error) {
	if err := checkPartition(t, p); err != nil {
		return nil, err
	}
	if !t.Transactional {
		return nil, shoal.Refusef("%s is not transactional: Hive compacts only ACID and insert-only tables", t.QualifiedName())
	}
	return []string{CompactSQL(t, p)}, nil
}

// InsertOverwriteStatements are the statements that rewrite partition p of
// t: SET statements, then INSERT OVERWRITE … SELECT columns FROM t WHERE
// the partition predicate. columns are the table's non-partition columns,
// in table order (see ParseDescribe). A partition with a NULL
// (__HIVE_DEFAULT_PARTITION__) value is written with a dynamic partition
// clause from that key on, since a static value cannot name NULL.
func InsertOverwriteStatements(t *shoal.Table, p *shoal.Partition, columns []string, sz Sizes, d Dialect) ([]string, error) {
	if err := checkPartition(t, p); err != nil {
		return nil, err
	}
	if t.Transactional {
		return nil, shoal.Refusef("%s is transactional: use compaction", t.QualifiedName())
	}
	if err := checkOverwrite(t); err != nil {
		return nil, err
	}
	if d == DialectSpark && bucketed(t) {
		return nil, shoal.Refusef("%s is bucketed: Spark does not write Hive-compatible buckets; use a Hive endpoint", t.QualifiedName())
	}
	if len(columns) == 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "INSERT OVERWRITE of %s needs the table's columns", t.QualifiedName())
	}
	if sz.TargetBytes <= 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "INSERT OVERWRITE of %s needs a positive target file size", t.QualifiedName())
	}
	small := sz.SmallBytes
	if small <= 0 || small > sz.TargetBytes {
		small = sz.TargetBytes
	}
	keys := map[string]bool{}
	for _, k := range t.PartitionKeys {
		keys[strings.ToLower(k)] = true
	}
	sel := make([]string, 0, len(columns)+len(t.PartitionKeys))
	for _, c := range columns {
		if keys[strings.ToLower(c)] {
			return nil, shoal.Errorf(shoal.EINVALID, "column %q of %s is a partition key; pass only the non-partition columns", c, t.QualifiedName())
		}
		sel = append(sel, QuoteIdent(c))
	}

	// Static values up to the first NULL key, dynamic from there on.
	vals := values(p)
	dynamicFrom := len(t.PartitionKeys)
	for i, v := range vals {
		if v == shoal.HiveDefaultPartition {
			dynamicFrom = i
			break
		}
	}
	var spec []string
	for i, k := range t.PartitionKeys {
		if i < dynamicFrom {
			spec = append(spec, QuoteIdent(k)+"="+QuoteString(vals[i]))
		} else {
			spec = append(spec, QuoteIdent(k))
			sel = append(sel, QuoteIdent(k))
		}
	}

	var stmts []string
	set := func(k string, v any) { stmts = append(stmts, fmt.Sprintf("SET %s=%v", k, v)) }
	switch d {
	case DialectSpark:
		// Hive SerDe path (not the data source conversion), so that Spark
		// may overwrite the partition it reads; AQE sizes the output.
		set("spark.sql.hive.convertMetastoreParquet", false)
		set("spark.sql.hive.convertMetastoreOrc", false)
		set("spark.sql.adaptive.enabled", true)
		set("spark.sql.adaptive.advisoryPartitionSizeInBytes", sz.TargetBytes)
		if dynamicFrom < len(t.PartitionKeys) {
			set("hive.exec.dynamic.partition", true)
			set("hive.exec.dynamic.partition.mode", "nonstrict")
		}
	default:
		set("hive.merge.mapfiles", true)
		set("hive.merge.mapredfiles", true)
		set("hive.merge.tezfiles", true)
		set("hive.merge.sparkfiles", true)
		set("hive.merge.size.per.task", sz.TargetBytes)
		set("hive.merge.smallfiles.avgsize", small)
		if bucketed(t) {
			// Hive 1.x; Hive 2.0+ always enforces bucketing and ignores it.
			set("hive.enforce.bucketing", true)
		}
		if dynamicFrom < len(t.PartitionKeys) {
			set("hive.exec.dynamic.partition", true)
			set("hive.exec.dynamic.partition.mode", "nonstrict")
		}
		set("hive.compute.query.using.stats", false)
	}

	var b strings.Builder
	b.WriteString("INSERT OVERWRITE TABLE ")
	b.WriteString(TableName(t))
	if len(spec) > 0 {
		b.WriteString(" PARTITION (" + strings.Join(spec, ", ") + ")")
	}
	b.WriteString(" SELECT ")
	if d == DialectSpark {
		if sz.PartitionBytes > 0 {
			n := max(1, (sz.PartitionBytes+sz.TargetBytes-1)/sz.TargetBytes)
			fmt.Fprintf(&b, "/*+ COALESCE(%d) */ ", n)
		} else {
			b.WriteString("/*+ REBALANCE */ ")
		}
	}
	b.WriteString(strings.Join(sel, ", "))
	b.WriteString(" FROM ")
	b.WriteString(TableName(t))
	if w := Predicate(t, p); w != "" {
		b.WriteString(" WHERE " + w)
	}
	return append(stmts, b.String()), nil
}

// ParseDescribe takes the column names from DESCRIBE output rows (first
// column of each row): the names before the first row that is empty or
// starts with '#' ("# Partition Information"), with partition keys left
// out.
func ParseDescribe(t *shoal.Table, names []string) ([]string, error) {
	keys := map[string]bool{}
	for _, k := range t.PartitionKeys {
		keys[strings.ToLower(k)] = true
	}
	var cols []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || strings.HasPrefix(n, "#") {
			break
		}
		if keys[strings.ToLower(n)] {
			continue
		}
		cols = append(cols, n)
	}
	if len(cols) == 0 {
		return nil, shoal.Errorf(shoal.EINTERNAL, "DESCRIBE %s returned no columns", t.QualifiedName())
	}
	return cols, nil
}

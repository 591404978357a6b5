package hmsdb_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Hive class names.
const (
	parquetIn  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	parquetOut = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	parquetSer = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	orcIn      = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"
	orcOut     = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"
	orcSer     = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
	textIn     = "org.apache.hadoop.mapred.TextInputFormat"
	textOut    = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
	lazySer    = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
	avroIn     = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat"
	avroOut    = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat"
	avroSer    = "org.apache.hadoop.hive.serde2.avro.AvroSerDe"
	seqIn      = "org.apache.hadoop.mapred.SequenceFileInputFormat"
	seqOut     = "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat"
	rcIn       = "org.apache.hadoop.hive.ql.io.RCFileInputFormat"
	rcOut      = "org.apache.hadoop.hive.ql.io.RCFileOutputFormat"
	rcSer      = "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe"
)

// fxPart is a partition to insert. vals nil means no PARTITION_KEY_VALS
// rows, so the catalog must decode the values from the name.
type fxPart struct {
	name string
	vals []string
	loc  string
	ddl  int64 // 0: no transient_lastDdlTime
	want []string
}

// fxTable is a table to insert together with what the catalog must return.
type fxTable struct {
	catalog     string // "" is hive
	db, name    string
	typ         shoal.TableType
	owner       string
	loc         *string
	in, out     string
	serde       string // "" means no SERDES row
	buckets     int
	bucketCols  []string
	keys        []string
	params      map[string]string
	serdeParams map[string]string
	parts       []fxPart

	format        shoal.Format
	transactional bool
	header        int
}

type fxDB struct {
	catalog, name, loc, owner string
}

func ptr(s string) *string { return &s }

var fixtureDBs = []fxDB{
	{name: "default", loc: "hdfs://nn:8020/warehouse", owner: "public"},
	{name: "sales", loc: "hdfs://nn:8020/warehouse/sales.db", owner: "alice"},
	{name: "logs", loc: "s3a://logs-bucket/logs.db", owner: "bob"},
	{name: "empty_db", loc: "hdfs://nn:8020/warehouse/empty_db.db", owner: "carol"},
	// Another catalog: never listed.
	{catalog: "spark", name: "sparkonly", loc: "/spark/sparkonly.db", owner: "spark"},
	{catalog: "spark", name: "sales", loc: "/spark/sales.db", owner: "spark"},
}

var fixtureTables = []fxTable{
	{
		db: "default", name: "web_events", typ: shoal.TableExternal, owner: "etl",
		loc: ptr("hdfs://nn:8020/data/web_events"), in: parquetIn, out: parquetOut, serde: parquetSer, buckets: -1,
		keys:   []string{"dt", "hr"},
		params: map[string]string{"EXTERNAL": "TRUE", "transient_lastDdlTime": "1700000000", "numFiles": "3"},
		// Inserted out of name order, to check the ORDER BY.
		parts: []fxPart{
			{name: "dt=2024-01-02/hr=00", vals: []string{"2024-01-02", "00"}, loc: "hdfs://nn:8020/data/web_events/dt=2024-01-02/hr=00", ddl: 1700000200},
			{name: "dt=2024-01-01/hr=01", loc: "hdfs://nn:8020/data/web_events/dt=2024-01-01/hr=01", want: []string{"2024-01-01", "01"}},
			{name: "dt=2024-01-01/hr=00", vals: []string{"2024-01-01", "00"}, loc: "hdfs://nn:8020/data/web_events/dt=2024-01-01/hr=00", ddl: 1700000100},
		},
		format: shoal.FormatParquet,
	},
	{
		db: "sales", name: "orders", typ: shoal.TableManaged, owner: "alice",
		loc: ptr("hdfs://nn:8020/warehouse/sales.db/orders"), in: orcIn, out: orcOut, serde: orcSer, buckets: -1,
		keys: []string{"region"},
		params: map[string]string{"transactional": "true", "transactional_properties": "default",
			"bucketing_version": "2", "transient_lastDdlTime": "1710000000"},
		parts: []fxPart{
			{name: "region=us%2Feast", vals: []string{"us/east"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=us%2Feast", ddl: 1710000001},
			{name: "region=__HIVE_DEFAULT_PARTITION__", vals: []string{"__HIVE_DEFAULT_PARTITION__"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=__HIVE_DEFAULT_PARTITION__"},
			{name: "region=eu", loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=eu", want: []string{"eu"}},
			{name: "region=a%3Db%25c", loc: "s3a://elsewhere/orders/a", want: []string{"a=b%c"}},
		},
		format: shoal.FormatORC, transactional: true,
	},
	{
		db: "sales", name: "customers", typ: shoal.TableManaged, owner: "alice",
		loc: ptr("hdfs://nn:8020/warehouse/sales.db/customers"), in: textIn, out: textOut, serde: lazySer, buckets: -1,
		params: map[string]string{"transactional": "true", "transactional_properties": "insert_only"},
		format: shoal.FormatText, transactional: true,
	},
	{
		db: "sales", name: "bucketed", typ: shoal.TableManaged, owner: "dave",
		loc: ptr("hdfs://nn:8020/warehouse/sales.db/bucketed"), in: orcIn, out: orcOut, serde: orcSer, buckets: 8,
		bucketCols: []string{"customer_id", "order_id"},
		params:     map[string]string{"transactional": "false"},
		format:     shoal.FormatORC,
	},
	{
		db: "sales", name: "orders_view", typ: shoal.TableView, owner: "alice",
		keys: []string{"region"}, buckets: -1,
		parts:  []fxPart{{name: "region=eu", vals: []string{"eu"}}},
		format: shoal.FormatUnknown,
	},
	{
		db: "sales", name: "orders_mv", typ: "MATERIALIZED_VIEW", owner: "alice",
		loc: ptr("hdfs://nn:8020/warehouse/sales.db/orders_mv"), in: orcIn, out: orcOut, serde: orcSer, buckets: -1,
		keys:   []string{"region"},
		params: map[string]string{"transactional": "true"},
		parts:  []fxPart{{name: "region=eu", vals: []string{"eu"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders_mv/region=eu"}},
		format: shoal.FormatORC, transactional: true,
	},
	{
		db: "logs", name: "raw_csv", typ: shoal.TableExternal, owner: "bob",
		loc: ptr("s3a://logs-bucket/raw_csv"), in: textIn, out: textOut, serde: lazySer, buckets: -1,
		keys:        []string{"year", "month", "day"},
		params:      map[string]string{"EXTERNAL": "TRUE"},
		serdeParams: map[string]string{"skip.header.line.count": "1", "field.delim": ","},
		parts: []fxPart{
			{name: "year=2024/month=02/day=01", vals: []string{"2024", "02", "01"}, loc: "s3a://logs-bucket/raw_csv/year=2024/month=02/day=01", ddl: 1720000003},
			{name: "year=2024/month=01/day=02", vals: []string{"2024", "01", "02"}, loc: "s3a://logs-bucket/raw_csv/year=2024/month=01/day=02", ddl: 1720000002},
			{name: "year=2024/month=01/day=01", vals: []string{"2024", "01", "01"}, loc: "s3a://logs-bucket/raw_csv/year=2024/month=01/day=01", ddl: 1720000001},
		},
		format: shoal.FormatText, header: 1,
	},
	{
		db: "logs", name: "hdr_tbl", typ: shoal.TableManaged, owner: "bob",
		loc: ptr("s3a://logs-bucket/logs.db/hdr_tbl"), in: textIn, out: textOut, serde: lazySer, buckets: -1,
		params: map[string]string{"skip.header.line.count": "2", "transient_lastDdlTime": "1690000000"},
		format: shoal.FormatText, header: 2,
	},
	{
		db: "logs", name: "events_avro", typ: shoal.TableExternal, owner: "bob",
		loc: ptr("s3a://logs-bucket/events_avro"), in: avroIn, out: avroOut, serde: avroSer, buckets: 0,
		keys:   []string{"dt"},
		format: shoal.FormatAvro,
	},
	{
		db: "logs", name: "seq", typ: shoal.TableManaged, owner: "bob",
		loc: ptr("s3a://logs-bucket/logs.db/seq"), in: seqIn, out: seqOut, serde: lazySer, buckets: -1,
		format: shoal.FormatSequence,
	},
	{
		db: "logs", name: "rc", typ: shoal.TableManaged, owner: "bob",
		loc: ptr("s3a://logs-bucket/logs.db/rc"), in: rcIn, out: rcOut, serde: rcSer, buckets: -1,
		format: shoal.FormatRCFile,
	},
	{
		db: "logs", name: "custom", typ: shoal.TableExternal, owner: "bob",
		loc: ptr("s3a://logs-bucket/custom"), in: "com.example.CustomInputFormat", out: "com.example.CustomOutputFormat", buckets: -1,
		format: shoal.FormatUnknown,
	},
	{
		catalog: "spark", db: "sales", name: "spark_tbl", typ: shoal.TableManaged, owner: "spark",
		loc: ptr("/spark/sales.db/spark_tbl"), in: parquetIn, out: parquetOut, serde: parquetSer, buckets: -1,
	},
}

// fixtureSQL returns the INSERT statements of the fixture.
func fixtureSQL() []string {
	s := []string{insert("CTLGS", []string{"CTLG_ID", "NAME", "DESC", "LOCATION_URI"}, 2, "spark", "Spark catalog", "/spark")}
	dbIDs := map[string]int{}
	for i, d := range fixtureDBs {
		cat := d.catalog
		if cat == "" {
			cat = "hive"
		}
		dbIDs[cat+"."+d.name] = i + 1
		s = append(s, insert("DBS", []string{"DB_ID", "DB_LOCATION_URI", "NAME", "OWNER_NAME", "OWNER_TYPE", "CTLG_NAME"},
			i+1, d.loc, d.name, d.owner, "USER", cat))
	}
	nextSerde, nextSD, nextTbl, nextPart := 100, 1000, 10, 5000
	sd := func(loc *string, in, out, serde string, buckets int, serdeParams map[string]string) int {
		var serdeID any
		if serde != "" {
			nextSerde++
			serdeID = nextSerde
			s = append(s, insert("SERDES", []string{"SERDE_ID", "NAME", "SLIB"}, nextSerde, nil, serde))
			for _, k := range slices.Sorted(maps.Keys(serdeParams)) {
				s = append(s, insert("SERDE_PARAMS", []string{"SERDE_ID", "PARAM_KEY", "PARAM_VALUE"}, nextSerde, k, serdeParams[k]))
			}
		}
		nullable := func(v string) any {
			if v == "" {
				return nil
			}
			return v
		}
		nextSD++
		s = append(s, insert("SDS", []string{"SD_ID", "CD_ID", "INPUT_FORMAT", "IS_COMPRESSED", "IS_STOREDASSUBDIRECTORIES",
			"LOCATION", "NUM_BUCKETS", "OUTPUT_FORMAT", "SERDE_ID"},
			nextSD, nil, nullable(in), raw("FALSE"), raw("FALSE"), loc, buckets, nullable(out), serdeID))
		return nextSD
	}
	for _, t := range fixtureTables {
		cat := t.catalog
		if cat == "" {
			cat = "hive"
		}
		sdID := sd(t.loc, t.in, t.out, t.serde, t.buckets, t.serdeParams)
		for i, c := range t.bucketCols {
			s = append(s, insert("BUCKETING_COLS", []string{"SD_ID", "BUCKET_COL_NAME", "INTEGER_IDX"}, sdID, c, i))
		}
		nextTbl++
		tid := nextTbl
		var viewText any
		if t.typ == shoal.TableView {
			viewText = "SELECT * FROM orders"
		}
		s = append(s, insert("TBLS", []string{"TBL_ID", "CREATE_TIME", "DB_ID", "LAST_ACCESS_TIME", "OWNER", "OWNER_TYPE",
			"RETENTION", "SD_ID", "TBL_NAME", "TBL_TYPE", "VIEW_ORIGINAL_TEXT", "VIEW_EXPANDED_TEXT"},
			tid, 1690000000, dbIDs[cat+"."+t.db], 0, t.owner, "USER", 0, sdID, t.name, string(t.typ), viewText, viewText))
		for _, k := range slices.Sorted(maps.Keys(t.params)) {
			s = append(s, insert("TABLE_PARAMS", []string{"TBL_ID", "PARAM_KEY", "PARAM_VALUE"}, tid, k, t.params[k]))
		}
		// Keys inserted in reverse, so that only INTEGER_IDX gives the order.
		for i := len(t.keys) - 1; i >= 0; i-- {
			s = append(s, insert("PARTITION_KEYS", []string{"TBL_ID", "PKEY_COMMENT", "PKEY_NAME", "PKEY_TYPE", "INTEGER_IDX"},
				tid, nil, t.keys[i], "string", i))
		}
		for _, p := range t.parts {
			var loc *string
			if p.loc != "" {
				loc = ptr(p.loc)
			}
			psd := sd(loc, t.in, t.out, t.serde, t.buckets, nil)
			nextPart++
			s = append(s, insert("PARTITIONS", []string{"PART_ID", "CREATE_TIME", "LAST_ACCESS_TIME", "PART_NAME", "SD_ID", "TBL_ID"},
				nextPart, 1690000000, 0, p.name, psd, tid))
			for i := len(p.vals) - 1; i >= 0; i-- {
				s = append(s, insert("PARTITION_KEY_VALS", []string{"PART_ID", "PART_KEY_VAL", "INTEGER_IDX"}, nextPart, p.vals[i], i))
			}
			if p.ddl != 0 {
				s = append(s, insert("PARTITION_PARAMS", []string{"PART_ID", "PARAM_KEY", "PARAM_VALUE"}, nextPart, "transient_lastDdlTime", strconv.FormatInt(p.ddl, 10)))
			}
			s = append(s, insert("PARTITION_PARAMS", []string{"PART_ID", "PARAM_KEY", "PARAM_VALUE"}, nextPart, "numFiles", "7"))
		}
	}
	return s
}

// wantDatabases returns the databases of the hive catalog, sorted.
func wantDatabases() []shoal.Database {
	var out []shoal.Database
	for _, d := range fixtureDBs {
		if d.catalog == "" {
			out = append(out, shoal.Database{Name: d.name, Location: d.loc, Owner: d.owner})
		}
	}
	slices.SortFunc(out, func(a, b shoal.Database) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// wantTables returns the tables of a hive database, sorted, and the
// partitions of each by name.
func wantTables(db string) ([]shoal.Table, map[string][]shoal.Partition) {
	var out []shoal.Table
	parts := map[string][]shoal.Partition{}
	for _, f := range fixtureTables {
		if f.catalog != "" || f.db != db {
			continue
		}
		t := shoal.Table{
			Database: f.db, Name: f.name, Format: f.format,
			InputFormat: f.in, OutputFormat: f.out, SerDe: f.serde,
			PartitionKeys: f.keys, Type: f.typ, Transactional: f.transactional,
			TransactionalProperties: f.params["transactional_properties"],
			BucketColumns:           f.bucketCols, HeaderLines: f.header, Owner: f.owner,
			Params: f.params,
		}
		if f.loc != nil {
			t.Location = *f.loc
		}
		if f.buckets > 0 {
			t.NumBuckets = f.buckets
		}
		if n, err := strconv.ParseInt(f.params["transient_lastDdlTime"], 10, 64); err == nil {
			t.LastDDLTime = time.Unix(n, 0).UTC()
		}
		out = append(out, t)
		if f.typ == shoal.TableView || f.typ == "MATERIALIZED_VIEW" {
			continue
		}
		var ps []shoal.Partition
		for _, p := range f.parts {
			vals := p.vals
			if vals == nil {
				vals = p.want
			}
			sp := shoal.Partition{Values: vals, Spec: p.name, Location: p.loc}
			if p.ddl != 0 {
				sp.LastDDLTime = time.Unix(p.ddl, 0).UTC()
			}
			ps = append(ps, sp)
		}
		slices.SortFunc(ps, func(a, b shoal.Partition) int { return strings.Compare(a.Spec, b.Spec) })
		parts[f.name] = ps
	}
	slices.SortFunc(out, func(a, b shoal.Table) int { return strings.Compare(a.Name, b.Name) })
	return out, parts
}

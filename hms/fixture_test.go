package hms_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hms/hmstest"
)

// The fixture mirrors hmsdb's fixture_test.go, so that the two catalogs are
// held to the same expectations for the same metadata.

type fxPart struct {
	vals []string
	loc  string
	ddl  int64
	name string // the name Hive gives it
}

type fxTable struct {
	db, name    string
	typ         shoal.TableType
	owner       string
	loc         string
	f           hmstest.StorageFormat
	buckets     int32
	bucketCols  []string
	keys        []string
	params      map[string]string
	serdeParams map[string]string
	parts       []fxPart

	format        shoal.Format
	transactional bool
	header        int
}

type fxDB struct{ name, loc, owner string }

var fixtureDBs = []fxDB{
	{name: "default", loc: "hdfs://nn:8020/warehouse", owner: "public"},
	{name: "sales", loc: "hdfs://nn:8020/warehouse/sales.db", owner: "alice"},
	{name: "logs", loc: "s3a://logs-bucket/logs.db", owner: "bob"},
	{name: "empty_db", loc: "hdfs://nn:8020/warehouse/empty_db.db", owner: "carol"},
}

var fixtureTables = []fxTable{
	{
		db: "default", name: "web_events", typ: shoal.TableExternal, owner: "etl",
		loc: "hdfs://nn:8020/data/web_events", f: hmstest.Parquet, buckets: -1,
		keys:   []string{"dt", "hr"},
		params: map[string]string{"EXTERNAL": "TRUE", "transient_lastDdlTime": "1700000000", "numFiles": "3"},
		parts: []fxPart{
			{name: "dt=2024-01-02/hr=00", vals: []string{"2024-01-02", "00"}, loc: "hdfs://nn:8020/data/web_events/dt=2024-01-02/hr=00", ddl: 1700000200},
			{name: "dt=2024-01-01/hr=01", vals: []string{"2024-01-01", "01"}, loc: "hdfs://nn:8020/data/web_events/dt=2024-01-01/hr=01"},
			{name: "dt=2024-01-01/hr=00", vals: []string{"2024-01-01", "00"}, loc: "hdfs://nn:8020/data/web_events/dt=2024-01-01/hr=00", ddl: 1700000100},
		},
		format: shoal.FormatParquet,
	},
	{
		db: "sales", name: "orders", typ: shoal.TableManaged, owner: "alice",
		loc: "hdfs://nn:8020/warehouse/sales.db/orders", f: hmstest.ORC, buckets: -1,
		keys: []string{"region"},
		params: map[string]string{"transactional": "true", "transactional_properties": "default",
			"bucketing_version": "2", "transient_lastDdlTime": "1710000000"},
		parts: []fxPart{
			{name: "region=us%2Feast", vals: []string{"us/east"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=us%2Feast", ddl: 1710000001},
			{name: "region=__HIVE_DEFAULT_PARTITION__", vals: []string{"__HIVE_DEFAULT_PARTITION__"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=__HIVE_DEFAULT_PARTITION__"},
			{name: "region=eu", vals: []string{"eu"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders/region=eu"},
			{name: "region=a%3Db%25c", vals: []string{"a=b%c"}, loc: "s3a://elsewhere/orders/a"},
		},
		format: shoal.FormatORC, transactional: true,
	},
	{
		db: "sales", name: "customers", typ: shoal.TableManaged, owner: "alice",
		loc: "hdfs://nn:8020/warehouse/sales.db/customers", f: hmstest.Text, buckets: -1,
		params: map[string]string{"transactional": "true", "transactional_properties": "insert_only"},
		format: shoal.FormatText, transactional: true,
	},
	{
		db: "sales", name: "bucketed", typ: shoal.TableManaged, owner: "dave",
		loc: "hdfs://nn:8020/warehouse/sales.db/bucketed", f: hmstest.ORC, buckets: 8,
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
		loc: "hdfs://nn:8020/warehouse/sales.db/orders_mv", f: hmstest.ORC, buckets: -1,
		keys:   []string{"region"},
		params: map[string]string{"transactional": "true"},
		parts:  []fxPart{{name: "region=eu", vals: []string{"eu"}, loc: "hdfs://nn:8020/warehouse/sales.db/orders_mv/region=eu"}},
		format: shoal.FormatORC, transactional: true,
	},
	{
		db: "logs", name: "raw_csv", typ: shoal.TableExternal, owner: "bob",
		loc: "s3a://logs-bucket/raw_csv", f: hmstest.Text, buckets: -1,
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
		loc: "s3a://logs-bucket/logs.db/hdr_tbl", f: hmstest.Text, buckets: -1,
		params: map[string]string{"skip.header.line.count": "2", "transient_lastDdlTime": "1690000000"},
		format: shoal.FormatText, header: 2,
	},
	{
		db: "logs", name: "events_avro", typ: shoal.TableExternal, owner: "bob",
		loc: "s3a://logs-bucket/events_avro", f: hmstest.Avro, buckets: 0,
		keys:   []string{"dt"},
		format: shoal.FormatAvro,
	},
	{
		db: "logs", name: "seq", typ: shoal.TableManaged, owner: "bob",
		loc: "s3a://logs-bucket/logs.db/seq", f: hmstest.SequenceFile, buckets: -1,
		format: shoal.FormatSequence,
	},
	{
		db: "logs", name: "rc", typ: shoal.TableManaged, owner: "bob",
		loc: "s3a://logs-bucket/logs.db/rc", f: hmstest.RCFile, buckets: -1,
		format: shoal.FormatRCFile,
	},
	{
		db: "logs", name: "custom", typ: shoal.TableExternal, owner: "bob",
		loc: "s3a://logs-bucket/custom", buckets: -1,
		f:      hmstest.StorageFormat{InputFormat: "com.example.CustomInputFormat", OutputFormat: "com.example.CustomOutputFormat"},
		format: shoal.FormatUnknown,
	},
}

// thriftTable builds the Thrift table of a fixture table, as a metastore
// returns it.
func (f *fxTable) thriftTable() *hive_metastore.Table {
	t := hmstest.NewTable(f.db, f.name, f.f, f.loc, f.keys...)
	t.TableType = string(f.typ)
	t.Owner = f.owner
	t.Sd.NumBuckets = f.buckets
	if f.bucketCols != nil {
		t.Sd.BucketCols = f.bucketCols
	}
	if f.params != nil {
		t.Parameters = maps.Clone(f.params)
	}
	if f.serdeParams != nil {
		t.Sd.SerdeInfo.Parameters = maps.Clone(f.serdeParams)
	}
	if f.typ == shoal.TableView {
		t.ViewOriginalText = "SELECT * FROM orders"
		t.ViewExpandedText = t.ViewOriginalText
	}
	return t
}

// loadFixture starts a server holding the fixture.
func loadFixture(t *testing.T, opts ...hmstest.Option) *hmstest.Server {
	t.Helper()
	s := hmstest.Start(t, opts...)
	for _, d := range fixtureDBs {
		s.AddDatabase(d.name, d.loc, d.owner)
	}
	for i := range fixtureTables {
		f := &fixtureTables[i]
		tt := f.thriftTable()
		s.AddTable(tt)
		for _, p := range f.parts {
			params := map[string]string{"numFiles": "7"}
			if p.ddl != 0 {
				params["transient_lastDdlTime"] = strconv.FormatInt(p.ddl, 10)
			}
			if got := s.AddPartition(f.db, f.name, hmstest.NewPartition(tt, p.vals, p.loc, params)); got != p.name {
				t.Fatalf("fixture %s.%s: server names partition %q, want %q", f.db, f.name, got, p.name)
			}
		}
	}
	return s
}

// wantTables returns what a catalog must return for the tables of a
// database, built as hmsdb's test builds it.
func wantTables(db string) ([]shoal.Table, map[string][]shoal.Partition) {
	var out []shoal.Table
	parts := map[string][]shoal.Partition{}
	for _, f := range fixtureTables {
		if f.db != db {
			continue
		}
		t := shoal.Table{
			Database: f.db, Name: f.name, Format: f.format, Location: f.loc,
			InputFormat: f.f.InputFormat, OutputFormat: f.f.OutputFormat, SerDe: f.f.SerDe,
			PartitionKeys: f.keys, Type: f.typ, Transactional: f.transactional,
			TransactionalProperties: f.params["transactional_properties"],
			BucketColumns:           f.bucketCols, HeaderLines: f.header, Owner: f.owner,
			Params: f.params,
		}
		if f.buckets > 0 {
			t.NumBuckets = int(f.buckets)
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
			sp := shoal.Partition{Values: p.vals, Spec: p.name, Location: p.loc}
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

func open(t *testing.T, uri string) *hms.Catalog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := hms.Open(ctx, uri)
	if err != nil {
		t.Fatalf("Open(%s): %v", hms.Redact(uri), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func collect(t *testing.T, c *hms.Catalog, tbl *shoal.Table) []shoal.Partition {
	t.Helper()
	var out []shoal.Partition
	if err := c.Partitions(context.Background(), tbl, func(p shoal.Partition) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatalf("Partitions(%s): %v", tbl.QualifiedName(), err)
	}
	return out
}

package hms_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive"
	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hms/hmstest"
)

func TestCatalog_Fixture(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	ctx := context.Background()

	dbs, err := c.Databases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wantDBs []shoal.Database
	for _, name := range []string{"default", "empty_db", "logs", "sales"} {
		for _, d := range fixtureDBs {
			if d.name == name {
				wantDBs = append(wantDBs, shoal.Database{Name: d.name, Location: d.loc, Owner: d.owner})
			}
		}
	}
	if !reflect.DeepEqual(dbs, wantDBs) {
		t.Fatalf("Databases:\n got %+v\nwant %+v", dbs, wantDBs)
	}
	for _, d := range dbs {
		tables, err := c.Tables(ctx, d.Name)
		if err != nil {
			t.Fatalf("Tables(%s): %v", d.Name, err)
		}
		want, wantParts := wantTables(d.Name)
		if len(tables) != len(want) {
			t.Fatalf("Tables(%s): %d tables, want %d", d.Name, len(tables), len(want))
		}
		for i := range tables {
			compareTable(t, &tables[i], &want[i])
			got := collect(t, c, &tables[i])
			if !reflect.DeepEqual(got, wantParts[tables[i].Name]) {
				t.Errorf("Partitions(%s):\n got %+v\nwant %+v", tables[i].QualifiedName(), got, wantParts[tables[i].Name])
			}
		}
	}
}

// compareTable compares field by field, to name the field that differs.
func compareTable(t *testing.T, got, want *shoal.Table) {
	t.Helper()
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("table %s: %s = %#v, want %#v", want.QualifiedName(), gv.Type().Field(i).Name,
				gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

// TestMapTable checks the mapping function alone on the fixture, against
// the expectations hmsdb's tests hold the backend-database catalog to.
func TestMapTable(t *testing.T) {
	for _, f := range fixtureTables {
		want, _ := wantTables(f.db)
		got := hms.MapTable("ignored", f.thriftTable())
		found := false
		for i := range want {
			if want[i].Name == f.name {
				compareTable(t, &got, &want[i])
				found = true
			}
		}
		if !found {
			t.Fatalf("no expectation for %s", f.name)
		}
	}
	// A table without storage descriptor or parameters maps to zero values.
	got := hms.MapTable("db", &hive_metastore.Table{TableName: "v", TableType: "VIRTUAL_VIEW"})
	want := shoal.Table{Database: "db", Name: "v", Type: shoal.TableView, Format: shoal.FormatUnknown}
	compareTable(t, &got, &want)
}

func TestTables_MissingDatabase(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	_, err := c.Tables(context.Background(), "nope")
	if shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatalf("Tables(nope) = %v, want ENOTFOUND", err)
	}
	if !strings.Contains(shoal.ErrorMessage(err), "nope") {
		t.Errorf("message %q does not name the database", shoal.ErrorMessage(err))
	}
}

func TestPartitions_MissingTable(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	tbl := &shoal.Table{Database: "sales", Name: "gone", PartitionKeys: []string{"k"}, Type: shoal.TableManaged}
	err := c.Partitions(context.Background(), tbl, func(shoal.Partition) error { return nil })
	if shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatalf("Partitions(gone) = %v, want ENOTFOUND", err)
	}
}

func TestTables_BatchedAndVanishing(t *testing.T) {
	s := hmstest.Start(t)
	s.AddDatabase("db", "/w/db", "o")
	for i := range 25 {
		s.AddTable(hmstest.NewTable("db", fmt.Sprintf("t%02d", i), hmstest.Parquet, fmt.Sprintf("/w/db/t%02d", i)))
	}
	c := open(t, s.URI()+"?batch_size=10")
	s.ResetCalls()
	s.DropTableAfterList("db", "t13")
	tables, err := c.Tables(context.Background(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 24 {
		t.Fatalf("%d tables, want 24 (t13 dropped after listing)", len(tables))
	}
	for i, tb := range tables {
		if i > 0 && tables[i-1].Name >= tb.Name {
			t.Fatalf("not sorted: %s before %s", tables[i-1].Name, tb.Name)
		}
		if tb.Name == "t13" {
			t.Fatal("dropped table t13 listed")
		}
	}
	if n := s.Calls("get_table_objects_by_name"); n != 3 {
		t.Errorf("get_table_objects_by_name called %d times, want 3 (25 tables, batch 10)", n)
	}
	if n := s.Calls("get_table"); n != 0 {
		t.Errorf("get_table called %d times, want 0", n)
	}
}

func TestTables_FallbackToGetTable(t *testing.T) {
	s := loadFixture(t)
	s.Disable("get_table_objects_by_name")
	c := open(t, s.URI())
	s.ResetCalls()
	s.DropTableAfterList("logs", "rc")
	tables, err := c.Tables(context.Background(), "logs")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := wantTables("logs")
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if got, w := strings.Join(names, ","), "custom,events_avro,hdr_tbl,raw_csv,seq"; got != w {
		t.Fatalf("tables %s, want %s", got, w)
	}
	for i := range tables {
		for j := range want {
			if want[j].Name == tables[i].Name {
				compareTable(t, &tables[i], &want[j])
			}
		}
	}
	if n := s.Calls("get_table_objects_by_name"); n != 1 {
		t.Errorf("get_table_objects_by_name called %d times, want 1 (then remembered as missing)", n)
	}
	if n := s.Calls("get_table"); n != 6 {
		t.Errorf("get_table called %d times, want 6", n)
	}
	// The second listing goes straight to get_table.
	s.ResetCalls()
	if _, err := c.Tables(context.Background(), "logs"); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("get_table_objects_by_name"); n != 0 {
		t.Errorf("get_table_objects_by_name called again %d times", n)
	}
}

func bigTable(t *testing.T, s *hmstest.Server, n int) *hive_metastore.Table {
	t.Helper()
	s.AddDatabase("db", "/w/db", "o")
	tt := hmstest.NewTable("db", "big", hmstest.ORC, "/w/db/big", "dt", "n")
	s.AddTable(tt)
	for i := range n {
		vals := []string{fmt.Sprintf("2024-%02d-01", i%12+1), strconv.Itoa(i)}
		s.AddPartition("db", "big", hmstest.NewPartition(tt, vals, fmt.Sprintf("/w/db/big/p%d", i), nil))
	}
	return tt
}

func TestPartitions_Batching(t *testing.T) {
	s := hmstest.Start(t)
	bigTable(t, s, 2500)
	c := open(t, s.URI()+"?batch_size=1000")
	tables, err := c.Tables(context.Background(), "db")
	if err != nil {
		t.Fatal(err)
	}
	s.ResetCalls()
	parts := collect(t, c, &tables[0])
	if len(parts) != 2500 {
		t.Fatalf("%d partitions, want 2500", len(parts))
	}
	for i := 1; i < len(parts); i++ {
		if parts[i-1].Spec >= parts[i].Spec {
			t.Fatalf("not sorted at %d: %s, %s", i, parts[i-1].Spec, parts[i].Spec)
		}
	}
	p := parts[0]
	if p.Spec != "dt=2024-01-01/n=0" || !reflect.DeepEqual(p.Values, []string{"2024-01-01", "0"}) || p.Location != "/w/db/big/p0" {
		t.Errorf("first partition %+v", p)
	}
	if n := s.Calls("get_partition_names"); n != 1 {
		t.Errorf("get_partition_names called %d times, want 1", n)
	}
	if n := s.Calls("get_partitions_by_names"); n != 3 {
		t.Errorf("get_partitions_by_names called %d times, want 3 (2500 partitions, batch 1000)", n)
	}

	// The callback's error stops the listing, and no more batches are read.
	s.ResetCalls()
	stop := errors.New("stop")
	n := 0
	err = c.Partitions(context.Background(), &tables[0], func(shoal.Partition) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("Partitions = %v after %d, want stop after 10", err, n)
	}
	if got := s.Calls("get_partitions_by_names"); got != 1 {
		t.Errorf("get_partitions_by_names called %d times after stop, want 1", got)
	}
}

func TestPartitions_Vanishing(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	tables, err := c.Tables(context.Background(), "sales")
	if err != nil {
		t.Fatal(err)
	}
	var orders *shoal.Table
	for i := range tables {
		if tables[i].Name == "orders" {
			orders = &tables[i]
		}
	}
	s.DropPartitionAfterNames("sales", "orders", "region=eu")
	got := collect(t, c, orders)
	var specs []string
	for _, p := range got {
		specs = append(specs, p.Spec)
	}
	if g, w := strings.Join(specs, " "), "region=__HIVE_DEFAULT_PARTITION__ region=a%3Db%25c region=us%2Feast"; g != w {
		t.Fatalf("partitions %s, want %s", g, w)
	}
	// Views and materialized views have no partitions, and no calls.
	s.ResetCalls()
	for i := range tables {
		if tables[i].Type == shoal.TableView || tables[i].Type == "MATERIALIZED_VIEW" {
			if ps := collect(t, c, &tables[i]); len(ps) != 0 {
				t.Errorf("%s: %d partitions", tables[i].Name, len(ps))
			}
		}
	}
	if n := s.Calls("get_partition_names"); n != 0 {
		t.Errorf("get_partition_names called %d times for views", n)
	}
}

func TestFailover_ClosedPortFirst(t *testing.T) {
	s := loadFixture(t)
	dead := hmstest.ClosedPort(t)
	start := time.Now()
	c := open(t, "thrift://"+dead+","+s.Addr()+"?connect_timeout=2s")
	if _, err := c.Databases(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failover took %v", d)
	}
	if calls, retries := c.Stats(); retries != 0 || calls < 2 {
		t.Errorf("Stats = %d calls, %d retries", calls, retries)
	}
}

func TestFailover_AllDown(t *testing.T) {
	a, b := hmstest.ClosedPort(t), hmstest.ClosedPort(t)
	_, err := hms.Open(context.Background(), "thrift://"+a+","+b)
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatalf("Open = %v, want EUNAVAILABLE", err)
	}
	for _, h := range []string{a, b} {
		if !strings.Contains(err.Error(), h) {
			t.Errorf("error %q does not name %s", err, h)
		}
	}
}

func TestRetry_DroppedConnectionGoesToNextHost(t *testing.T) {
	s1 := loadFixture(t)
	s2 := loadFixture(t)
	c := open(t, "thrift://"+s1.Addr()+","+s2.Addr())
	s1.FailNext("get_all_tables", hmstest.ErrDropConnection)
	tables, err := c.Tables(context.Background(), "sales")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 5 {
		t.Errorf("%d tables, want 5", len(tables))
	}
	if s1.Calls("get_all_tables") != 1 || s2.Calls("get_all_tables") != 1 {
		t.Errorf("get_all_tables calls: first %d, second %d; want 1 and 1", s1.Calls("get_all_tables"), s2.Calls("get_all_tables"))
	}
	if _, retries := c.Stats(); retries != 1 {
		t.Errorf("%d retries, want 1", retries)
	}
	// Twice in a row on a single host: the error names both attempts.
	c1 := open(t, s1.URI())
	s1.FailNext("get_all_tables", hmstest.ErrDropConnection)
	s1.FailNext("get_all_tables", hmstest.ErrDropConnection)
	_, err = c1.Tables(context.Background(), "sales")
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(err.Error(), "get_all_tables") {
		t.Fatalf("Tables = %v, want EUNAVAILABLE naming get_all_tables", err)
	}
	// The catalog recovers for the next call.
	if _, err := c1.Tables(context.Background(), "sales"); err != nil {
		t.Fatalf("after failures: %v", err)
	}
}

func TestReadTimeout_Blackhole(t *testing.T) {
	bh := hmstest.StartBlackhole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := hms.Open(ctx, "thrift://"+bh.Addr()+"?read_timeout=200ms")
	d := time.Since(start)
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatalf("Open = %v, want EUNAVAILABLE", err)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "read_timeout 200ms") {
		t.Errorf("error %q does not name read_timeout", err)
	}
	if d > 3*time.Second || d < 400*time.Millisecond {
		t.Errorf("Open took %v, want about 2 x 200ms (call and one retry)", d)
	}
	if n := bh.Accepted(); n != 2 {
		t.Errorf("%d connections, want 2 (call and retry)", n)
	}
}

func TestReadTimeout_SlowReplyRetried(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI()+"?read_timeout=300ms")
	s.DelayNext("get_all_tables", 2*time.Second)
	start := time.Now()
	tables, err := c.Tables(context.Background(), "logs")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 6 {
		t.Errorf("%d tables", len(tables))
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %v: the slow reply was waited for", d)
	}
	if n := s.Calls("get_all_tables"); n != 2 {
		t.Errorf("get_all_tables called %d times, want 2", n)
	}
}

func TestConnectTimeout(t *testing.T) {
	// 10.255.255.1 is normally unroutable: the dial hangs until the
	// connect timeout, or fails at once where there is no route.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := hms.Open(ctx, "thrift://10.255.255.1:9083?connect_timeout=300ms")
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatalf("Open = %v, want EUNAVAILABLE", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v with connect_timeout=300ms", d)
	}
}

func TestContextCancelInterruptsCall(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	s.DelayNext("get_all_databases", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Databases(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Databases = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := c.Databases(context.Background()); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestServerErrors(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	ctx := context.Background()

	me := hive_metastore.NewMetaException()
	me.Message = "backend database is down"
	s.FailNext("get_all_tables", me)
	_, err := c.Tables(ctx, "sales")
	if err == nil || !strings.Contains(err.Error(), "MetaException: backend database is down") {
		t.Fatalf("Tables = %v, want the MetaException", err)
	}
	if shoal.ErrorCode(err) != shoal.EINTERNAL {
		t.Errorf("code %s, want internal", shoal.ErrorCode(err))
	}

	// An undeclared error arrives as an application exception.
	s.FailNext("get_all_databases", errors.New("java.lang.NullPointerException"))
	_, err = c.Databases(ctx)
	var ae thrift.TApplicationException
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "NullPointerException") {
		t.Fatalf("Databases = %v, want an application exception", err)
	}

	// A database dropped between get_all_databases and get_database is
	// left out.
	s.AfterNext("get_all_databases", func() { s.DropDatabase("logs") })
	dbs, err := c.Databases(ctx)
	if err != nil || len(dbs) != 3 {
		t.Fatalf("Databases = %v, %v; want 3 without logs", dbs, err)
	}
}

func TestPlainAuth(t *testing.T) {
	s := loadFixture(t, hmstest.WithPlain("alice", "s3cr3t-pw"))
	c := open(t, "thrift://alice:s3cr3t-pw@"+s.Addr()+"?auth=PLAIN")
	tables, err := c.Tables(context.Background(), "sales")
	if err != nil || len(tables) != 5 {
		t.Fatalf("Tables = %d, %v", len(tables), err)
	}
	if strings.Contains(c.String(), "s3cr3t") {
		t.Errorf("String() = %q shows the password", c.String())
	}
	// Credentials as parameters work too.
	open(t, "thrift://"+s.Addr()+"?auth=PLAIN&user=alice&password=s3cr3t-pw")

	_, err = hms.Open(context.Background(), "thrift://alice:wrong-pw-123@"+s.Addr()+"?auth=PLAIN")
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(err.Error(), "authentication") ||
		!strings.Contains(err.Error(), "Error validating the login") {
		t.Fatalf("bad password: Open = %v, want an authentication error", err)
	}
	t.Logf("bad password: %v", err)
	if strings.Contains(err.Error(), "wrong-pw-123") {
		t.Errorf("error shows the password: %v", err)
	}
	// A NOSASL client talking to a SASL server gets a clear failure, not a
	// hang.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = hms.Open(ctx, "thrift://"+s.Addr()+"?read_timeout=1s")
	if err == nil {
		t.Fatal("NOSASL against a PLAIN server succeeded")
	}
	t.Logf("NOSASL against PLAIN: %v", err)
}

func TestKerberosWithoutTag(t *testing.T) {
	if hms.KerberosSupported {
		t.Skip("built with the kerberos tag")
	}
	_, err := hms.Open(context.Background(), "thrift://127.0.0.1:1?auth=KERBEROS")
	if shoal.ErrorCode(err) != shoal.ENOTIMPLEMENTED || !strings.Contains(err.Error(), "built without the kerberos tag") {
		t.Fatalf("Open = %v, want ENOTIMPLEMENTED", err)
	}
}

func partitionOf(t *testing.T, c *hms.Catalog, db, table, spec string) (*shoal.Table, *shoal.Partition) {
	t.Helper()
	tables, err := c.Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tables {
		if tables[i].Name == table {
			for _, p := range collect(t, c, &tables[i]) {
				if p.Spec == spec {
					return &tables[i], &p
				}
			}
			if spec == "" {
				return &tables[i], nil
			}
		}
	}
	t.Fatalf("no %s.%s %s", db, table, spec)
	return nil, nil
}

func TestRelocate_Partition(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	ctx := context.Background()
	tbl, p := partitionOf(t, c, "default", "web_events", "dt=2024-01-01/hr=00")
	before := s.Partition("default", "web_events", p.Spec)

	newLoc := "hdfs://nn:8020/data/web_events/.shoal-merged-1/dt=2024-01-01/hr=00"
	if err := c.Relocate(ctx, tbl, p, p.Location, newLoc); err != nil {
		t.Fatal(err)
	}
	after := s.Partition("default", "web_events", p.Spec)
	if after.Sd.Location != newLoc {
		t.Fatalf("location %q, want %q", after.Sd.Location, newLoc)
	}
	// Nothing else changed.
	after.Sd.Location = before.Sd.Location
	if !reflect.DeepEqual(before, after) {
		t.Errorf("partition changed beyond its location:\nbefore %+v\n after %+v", before, after)
	}
	if env := s.EnvironmentContext("alter_partition_with_environment_context"); env["DO_NOT_UPDATE_STATS"] != "true" {
		t.Errorf("environment context %v, want DO_NOT_UPDATE_STATS=true", env)
	}
	if n := s.Calls("alter_partition"); n != 0 {
		t.Errorf("plain alter_partition called %d times", n)
	}

	// The old location no longer matches: ECONFLICT, nothing changes.
	s.ResetCalls()
	err := c.Relocate(ctx, tbl, p, p.Location, "/elsewhere")
	if shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Fatalf("Relocate with stale location = %v, want ECONFLICT", err)
	}
	if got := s.Partition("default", "web_events", p.Spec).Sd.Location; got != newLoc {
		t.Errorf("location changed to %q on conflict", got)
	}
	if n := s.Calls("alter_partition_with_environment_context"); n != 0 {
		t.Errorf("alter called %d times on conflict", n)
	}

	// A missing partition is ENOTFOUND.
	gone := &shoal.Partition{Spec: "dt=1999-01-01/hr=00"}
	if err := c.Relocate(ctx, tbl, gone, "/a", "/b"); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("Relocate(missing) = %v, want ENOTFOUND", err)
	}
}

func TestRelocate_FallbackWithoutEnvironmentContext(t *testing.T) {
	s := loadFixture(t)
	s.Disable("alter_partition_with_environment_context")
	s.Disable("alter_table_with_environment_context")
	c := open(t, s.URI())
	ctx := context.Background()
	tbl, p := partitionOf(t, c, "sales", "orders", "region=us%2Feast")
	if err := c.Relocate(ctx, tbl, p, p.Location, "/new/us-east"); err != nil {
		t.Fatal(err)
	}
	if got := s.Partition("sales", "orders", p.Spec).Sd.Location; got != "/new/us-east" {
		t.Fatalf("location %q", got)
	}
	if s.Calls("alter_partition") != 1 || s.Calls("alter_partition_with_environment_context") != 1 {
		t.Errorf("calls %v", s.AllCalls())
	}
	// Unpartitioned table: alter_table.
	hdr, _ := partitionOf(t, c, "logs", "hdr_tbl", "")
	if err := c.Relocate(ctx, hdr, nil, "s3a://logs-bucket/logs.db/hdr_tbl/", "s3a://logs-bucket/logs.db/hdr_tbl_v2"); err != nil {
		t.Fatal(err)
	}
	if got := s.Table("logs", "hdr_tbl").Sd.Location; got != "s3a://logs-bucket/logs.db/hdr_tbl_v2" {
		t.Fatalf("table location %q", got)
	}
	if s.Calls("alter_table") != 1 {
		t.Errorf("calls %v", s.AllCalls())
	}
}

func TestRelocate_Table(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	tbl, _ := partitionOf(t, c, "logs", "seq", "")
	before := s.Table("logs", "seq")
	if err := c.Relocate(context.Background(), tbl, nil, "s3a://logs-bucket/logs.db/other", "/x"); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Fatalf("Relocate = %v, want ECONFLICT", err)
	}
	if err := c.Relocate(context.Background(), tbl, nil, tbl.Location, "s3a://logs-bucket/logs.db/seq.merged"); err != nil {
		t.Fatal(err)
	}
	after := s.Table("logs", "seq")
	if after.Sd.Location != "s3a://logs-bucket/logs.db/seq.merged" {
		t.Fatalf("location %q", after.Sd.Location)
	}
	after.Sd.Location = before.Sd.Location
	if !reflect.DeepEqual(before, after) {
		t.Errorf("table changed beyond its location")
	}
	if env := s.EnvironmentContext("alter_table_with_environment_context"); env["DO_NOT_UPDATE_STATS"] != "true" {
		t.Errorf("environment context %v", env)
	}
}

func TestUpdateStats(t *testing.T) {
	s := loadFixture(t)
	c := open(t, s.URI())
	now := time.Unix(1800000000, 0)
	hms.SetNow(c, func() time.Time { return now })
	ctx := context.Background()

	tbl, p := partitionOf(t, c, "default", "web_events", "dt=2024-01-02/hr=00")
	if err := c.UpdateStats(ctx, tbl, p, 3, 123456789); err != nil {
		t.Fatal(err)
	}
	got := s.Partition("default", "web_events", p.Spec).Parameters
	want := map[string]string{"numFiles": "3", "totalSize": "123456789", "transient_lastDdlTime": "1800000000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("partition parameters %v, want %v (numFiles replaced, nothing else)", got, want)
	}
	if env := s.EnvironmentContext("alter_partition_with_environment_context"); env["DO_NOT_UPDATE_STATS"] != "true" {
		t.Errorf("environment context %v", env)
	}

	// Unpartitioned: the table's parameters, others kept.
	hdr, _ := partitionOf(t, c, "logs", "hdr_tbl", "")
	if err := c.UpdateStats(ctx, hdr, nil, 1, 42); err != nil {
		t.Fatal(err)
	}
	got = s.Table("logs", "hdr_tbl").Parameters
	want = map[string]string{"skip.header.line.count": "2", "numFiles": "1", "totalSize": "42", "transient_lastDdlTime": "1800000000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table parameters %v, want %v", got, want)
	}
	// The catalog sees the new DDL time.
	_, p2 := partitionOf(t, c, "default", "web_events", "dt=2024-01-02/hr=00")
	if !p2.LastDDLTime.Equal(now) {
		t.Errorf("LastDDLTime %v, want %v", p2.LastDDLTime, now)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := hmstest.Start(t)
	bigTable(t, s, 300)
	c := open(t, s.URI()+"?batch_size=50&max_conns=2")
	tables, err := c.Tables(context.Background(), "db")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			n := 0
			err := c.Partitions(context.Background(), &tables[0], func(shoal.Partition) error { n++; return nil })
			if err == nil && n != 300 {
				err = fmt.Errorf("%d partitions", n)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestServer_UnknownMethod checks the test server itself: a call it does
// not implement gets UNKNOWN_METHOD, as from a real server, and the
// connection stays usable.
func TestServer_UnknownMethod(t *testing.T) {
	s := loadFixture(t)
	host, portStr, _ := strings.Cut(s.Addr(), ":")
	port, _ := strconv.Atoi(portStr)
	mc, err := gohive.ConnectToMetastore(host, port, "NOSASL", gohive.NewMetastoreConnectConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	ctx := context.Background()
	_, err = mc.Client.GetCatalogs(ctx)
	var ae thrift.TApplicationException
	if !errors.As(err, &ae) || ae.TypeId() != thrift.UNKNOWN_METHOD {
		t.Fatalf("get_catalogs = %v, want UNKNOWN_METHOD", err)
	}
	dbs, err := mc.Client.GetAllDatabases(ctx)
	if err != nil || len(dbs) != 4 {
		t.Fatalf("get_all_databases after unknown method = %v, %v", dbs, err)
	}
	_, err = mc.Client.GetTable(ctx, "sales", "nope")
	var nf *hive_metastore.NoSuchObjectException
	if !errors.As(err, &nf) {
		t.Fatalf("get_table(missing) = %v, want NoSuchObjectException", err)
	}
}

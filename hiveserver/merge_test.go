package hiveserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
	"github.com/shoalhq/shoal/hiveserver/hs2test"
)

// fixture is a test server with a fake catalog:
//
//	sales.orders (id, amount, note) partitioned by dt, country, Parquet
//	sales.events ACID, partitioned by dt
//	default.logs unpartitioned RCFile
type fixture struct {
	srv    *hs2test.Server
	orders *shoal.Table
	events *shoal.Table
	logs   *shoal.Table
}

func newFixture(t *testing.T, opts hs2test.Options) *fixture {
	t.Helper()
	srv := hs2test.New(t, opts)
	f := &fixture{srv: srv, orders: ordersTable(),
		events: &shoal.Table{Database: "sales", Name: "events", Format: shoal.FormatORC, PartitionKeys: []string{"dt"}, Transactional: true},
		logs:   &shoal.Table{Database: "default", Name: "logs", Format: shoal.FormatRCFile},
	}
	srv.Model.AddTable(hs2test.Table{Database: "sales", Name: "orders", Columns: []string{"id", "amount", "note"},
		Types: []string{"bigint", "double", "string"}, PartitionKeys: []string{"dt", "country"}})
	srv.Model.AddPartition("sales", "orders", []string{"2024-01-01", "US"}, 1000, 40)
	srv.Model.AddPartition("sales", "orders", []string{"2024-01-01", "FR"}, 500, 30)
	srv.Model.AddPartition("sales", "orders", []string{"2024-01-02", "US"}, 700, 20)
	srv.Model.AddTable(hs2test.Table{Database: "sales", Name: "events", Columns: []string{"id"}, PartitionKeys: []string{"dt"}, Transactional: true})
	srv.Model.AddPartition("sales", "events", []string{"2024-01-01"}, 300, 12)
	srv.Model.AddTable(hs2test.Table{Database: "default", Name: "logs", Columns: []string{"line"}})
	srv.Model.AddPartition("default", "logs", nil, 42, 9)
	return f
}

// fast are URI parameters that keep tests quick.
const fast = "poll_interval=10ms&compaction_poll=10ms&timeout=20s&connect_timeout=5s&socket_timeout=5s"

func (f *fixture) open(t *testing.T, scheme, query string) *hiveserver.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := hiveserver.Open(ctx, f.srv.URI(scheme, query+"&"+fast))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func settingsOf(srv *hs2test.Server, prefix string) map[string]string {
	for _, s := range srv.Statements() {
		if strings.HasPrefix(s.Text, prefix) {
			return s.Settings
		}
	}
	return nil
}

func TestMergeInsertOverwrite(t *testing.T) {
	for _, auth := range []string{"auth=NOSASL", "auth=NONE&user=etl", "auth=NONE&user=etl&transport=http"} {
		t.Run(auth, func(t *testing.T) {
			f := newFixture(t, hs2test.Options{HTTP: true})
			c := f.open(t, "hive2", auth)
			p := part(f.orders, "2024-01-01", "US")
			res, err := c.Merge(ctxT(t), f.orders, p, hiveserver.Request{Format: shoal.FormatParquet, TargetBytes: 128 * shoal.MiB, SmallBytes: 16 * shoal.MiB})
			if err != nil {
				t.Fatal(err)
			}
			if res.Strategy != hiveserver.StrategyInsertOverwrite || res.RowsBefore != 1000 || res.RowsAfter != 1000 || res.Duration <= 0 {
				t.Fatalf("result %+v", res)
			}
			count := "SELECT COUNT(*) FROM `sales`.`orders` WHERE `dt`='2024-01-01' AND `country`='US'"
			insert := "INSERT OVERWRITE TABLE `sales`.`orders` PARTITION (`dt`='2024-01-01', `country`='US') SELECT `id`, `amount`, `note` FROM `sales`.`orders` WHERE `dt`='2024-01-01' AND `country`='US'"
			want := []string{
				"SET hive.compute.query.using.stats=false", count, "DESCRIBE `sales`.`orders`",
				"SET hive.merge.mapfiles=true", "SET hive.merge.mapredfiles=true", "SET hive.merge.tezfiles=true",
				"SET hive.merge.sparkfiles=true", "SET hive.merge.size.per.task=134217728",
				"SET hive.merge.smallfiles.avgsize=16777216", "SET hive.compute.query.using.stats=false",
				insert, count,
			}
			if !slices.Equal(res.Statements, want) {
				t.Fatalf("result statements:\n%s\nwant\n%s", strings.Join(res.Statements, "\n"), strings.Join(want, "\n"))
			}
			if got := f.srv.Texts(); !slices.Equal(got, want) {
				t.Fatalf("server received:\n%s", strings.Join(got, "\n"))
			}
			set := settingsOf(f.srv, "INSERT OVERWRITE")
			for k, v := range map[string]string{"hive.merge.mapfiles": "true", "hive.merge.tezfiles": "true", "hive.merge.size.per.task": "134217728", "hive.merge.smallfiles.avgsize": "16777216", "hive.compute.query.using.stats": "false"} {
				if set[k] != v {
					t.Errorf("INSERT ran with %s=%q, want %q", k, set[k], v)
				}
			}
			if _, ok := set["hive.exec.dynamic.partition"]; ok {
				t.Error("dynamic partitioning set for a static partition")
			}
			for _, s := range f.srv.Statements() {
				if !s.Async || (strings.Contains(auth, "user=etl") && s.User != "etl") {
					t.Errorf("statement %q: async=%v user=%q", s.Text, s.Async, s.User)
				}
			}
			if pt, _ := f.srv.Model.Partition("sales", "orders", "dt=2024-01-01/country=US"); pt.Files != 1 || pt.Rows != 1000 {
				t.Errorf("merged partition %+v", pt)
			}
			if pt, _ := f.srv.Model.Partition("sales", "orders", "dt=2024-01-01/country=FR"); pt.Files != 30 {
				t.Errorf("other partition touched: %+v", pt)
			}
		})
	}
}

func TestMergeColumnsGivenSkipsDescribe(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	res, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-02", "US"), hiveserver.Request{
		Strategy: hiveserver.StrategyInsertOverwrite, Columns: []string{"id", "amount", "note"}, TargetBytes: shoal.GiB})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Statements {
		if strings.HasPrefix(s, "DESCRIBE") {
			t.Fatalf("DESCRIBE run although columns were given: %v", res.Statements)
		}
	}
	// Wrong columns: the server's error is surfaced.
	_, err = c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-02", "US"), hiveserver.Request{
		Strategy: hiveserver.StrategyInsertOverwrite, Columns: []string{"id"}, TargetBytes: shoal.GiB})
	var se *hiveserver.StatementError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "column number/types are different") {
		t.Fatalf("got %v", err)
	}
}

func TestMergeDefaultPartitionUsesDynamicInsert(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.srv.Model.AddPartition("sales", "orders", []string{"2024-01-03", shoal.HiveDefaultPartition}, 77, 5)
	f.srv.Model.AddPartition("sales", "orders", []string{"2024-01-03", "US"}, 3, 5)
	c := f.open(t, "hive2", "auth=NOSASL")
	res, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-03", shoal.HiveDefaultPartition), hiveserver.Request{TargetBytes: shoal.GiB})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsBefore != 77 || res.RowsAfter != 77 {
		t.Fatalf("counts %d → %d, want 77", res.RowsBefore, res.RowsAfter)
	}
	set := settingsOf(f.srv, "INSERT OVERWRITE")
	if set["hive.exec.dynamic.partition"] != "true" || set["hive.exec.dynamic.partition.mode"] != "nonstrict" {
		t.Fatalf("settings %v", set)
	}
	if pt, _ := f.srv.Model.Partition("sales", "orders", "dt=2024-01-03/country=US"); pt.Files != 5 {
		t.Errorf("sibling partition rewritten: %+v", pt)
	}
}

// Partition values that try to break out of their literal must select
// exactly their partition.
func TestMergeInjectionValues(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	nasty := []string{"it's", `a\b`, `x' OR '1'='1`, "y'; DROP TABLE sales.orders; --", "line\nbreak", "${env:HOME}", `tail\`, "`tick`"}
	for i, v := range nasty {
		f.srv.Model.AddPartition("sales", "orders", []string{"evil", v}, int64(11+i), 7)
	}
	f.srv.Model.AddPartition("sales", "orders", []string{"evil", "it"}, 1, 7)
	f.srv.Model.AddPartition("sales", "orders", []string{"evil", "x"}, 2, 7)
	c := f.open(t, "hive2", "auth=NOSASL")
	for i, v := range nasty {
		res, err := c.Merge(ctxT(t), f.orders, part(f.orders, "evil", v), hiveserver.Request{TargetBytes: shoal.GiB, Columns: []string{"id", "amount", "note"}})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if res.RowsBefore != int64(11+i) {
			t.Errorf("%q: counted %d rows, want %d", v, res.RowsBefore, 11+i)
		}
		if pt, _ := f.srv.Model.Partition("sales", "orders", shoal.PartitionSpec(f.orders.PartitionKeys, []string{"evil", v})); pt.Files != 1 {
			t.Errorf("%q: partition not rewritten: %+v", v, pt)
		}
	}
	for _, v := range []string{"it", "x"} {
		if pt, _ := f.srv.Model.Partition("sales", "orders", "dt=evil/country="+v); pt.Files != 7 {
			t.Errorf("decoy partition %q rewritten", v)
		}
	}
}

func TestMergeConcatenate(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	res, err := c.Merge(ctxT(t), f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SET hive.compute.query.using.stats=false", "SELECT COUNT(*) FROM `default`.`logs`", "ALTER TABLE `default`.`logs` CONCATENATE", "SELECT COUNT(*) FROM `default`.`logs`"}
	if res.Strategy != hiveserver.StrategyConcatenate || !slices.Equal(res.Statements, want) || !slices.Equal(f.srv.Texts(), want) {
		t.Fatalf("got %+v, server %q", res, f.srv.Texts())
	}
	if res.RowsBefore != 42 || res.RowsAfter != 42 {
		t.Fatalf("counts %d %d", res.RowsBefore, res.RowsAfter)
	}
	if pt, _ := f.srv.Model.Partition("default", "logs", ""); pt.Files != 1 {
		t.Errorf("not concatenated: %+v", pt)
	}

	// Large ORC partitions go to CONCATENATE when configured.
	c.Choose.ConcatenateORCAbove = shoal.GiB
	res, err = c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-01", "FR"), hiveserver.Request{Format: shoal.FormatORC, PartitionBytes: 2 * shoal.GiB})
	if err != nil || res.Strategy != hiveserver.StrategyConcatenate || !slices.Contains(res.Statements, "SET hive.merge.orcfile.stripe.level=true") {
		t.Fatalf("orc: %+v %v", res, err)
	}
}

func TestMergeCompaction(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	p := part(f.events, "2024-01-01")
	for round := 1; round <= 2; round++ {
		res, err := c.Merge(ctxT(t), f.events, p, hiveserver.Request{Format: shoal.FormatORC})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// initiated → working → succeeded: three polls. In round 2 the
		// succeeded compaction of round 1 must not be taken for ours.
		if res.Strategy != hiveserver.StrategyCompact || res.Polls != 3 || res.Compaction == nil ||
			res.Compaction.State != "succeeded" || res.Compaction.ID != fmt.Sprint(round) {
			t.Fatalf("round %d: %+v %+v", round, res, res.Compaction)
		}
		if res.RowsBefore != 300 || res.RowsAfter != 300 {
			t.Fatalf("counts %d %d", res.RowsBefore, res.RowsAfter)
		}
	}
	want := []string{"SET hive.compute.query.using.stats=false", "SELECT COUNT(*) FROM `sales`.`events` WHERE `dt`='2024-01-01'",
		"SHOW COMPACTIONS", "ALTER TABLE `sales`.`events` PARTITION (`dt`='2024-01-01') COMPACT 'major'"}
	if got := f.srv.Texts(); !slices.Equal(got[:4], want) || got[len(got)-1] != want[1] {
		t.Fatalf("server received %q", got)
	}
	if pt, _ := f.srv.Model.Partition("sales", "events", "dt=2024-01-01"); pt.Files != 1 {
		t.Errorf("not compacted: %+v", pt)
	}
}

func TestMergeCompactionHive2NoIDs(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.srv.Model.NoCompactionIDs = true
	c := f.open(t, "hive2", "auth=NONE")
	for round := 0; round < 2; round++ {
		res, err := c.Merge(ctxT(t), f.events, part(f.events, "2024-01-01"), hiveserver.Request{})
		if err != nil || res.Compaction == nil || res.Compaction.State != "succeeded" || res.Polls != 3 {
			t.Fatalf("round %d: %+v %v", round, res, err)
		}
	}
}

func TestMergeCompactionFailure(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.srv.Model.CompactionSteps = []string{"initiated", "working", "failed"}
	f.srv.Model.CompactionError = "Major compaction failed: java.lang.OutOfMemoryError"
	c := f.open(t, "hive2", "auth=NONE")
	_, err := c.Merge(ctxT(t), f.events, part(f.events, "2024-01-01"), hiveserver.Request{})
	if err == nil || !strings.Contains(err.Error(), `state "failed"`) || !strings.Contains(err.Error(), "OutOfMemoryError") {
		t.Fatalf("got %v", err)
	}
	f.srv.Model.CompactionSteps = []string{"did not initiate"}
	_, err = c.Merge(ctxT(t), f.events, part(f.events, "2024-01-01"), hiveserver.Request{})
	if err == nil || !strings.Contains(err.Error(), "did not initiate") {
		t.Fatalf("got %v", err)
	}
}

func TestMergeCompactionTimeout(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	steps := []string{"initiated"}
	for range 1000 {
		steps = append(steps, "working")
	}
	f.srv.Model.CompactionSteps = steps
	c := f.open(t, "hive2", "auth=NONE")
	start := time.Now()
	_, err := c.Merge(ctxT(t), f.events, part(f.events, "2024-01-01"), hiveserver.Request{CompactionTimeout: 300 * time.Millisecond})
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(err.Error(), `still "working"`) {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %s", time.Since(start))
	}
}

func TestMergeCountMismatch(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	// The "cluster" loses a row while rewriting.
	f.srv.SetHandler(func(stmt string) ([]string, [][]any, error) {
		if !strings.HasPrefix(stmt, "INSERT OVERWRITE") {
			return nil, nil, hs2test.ErrPass
		}
		if _, err := f.srv.Model.Exec(stmt); err != nil {
			return nil, nil, err
		}
		f.srv.Model.SetRows("sales", "orders", "dt=2024-01-01/country=US", 999)
		return nil, nil, nil
	})
	c := f.open(t, "hive2", "auth=NONE")
	res, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-01", "US"), hiveserver.Request{TargetBytes: shoal.GiB})
	var cm *hiveserver.CountMismatchError
	if !errors.As(err, &cm) || cm.Before != 1000 || cm.After != 999 || shoal.ErrorCode(err) != shoal.EINTERNAL {
		t.Fatalf("got %v", err)
	}
	if res.RowsBefore != 1000 || res.RowsAfter != 999 || !strings.Contains(err.Error(), "1000 rows before, 999 after") {
		t.Fatalf("result %+v, %v", res, err)
	}
}

func TestServerErrorsSurfaced(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	compile := "Error while compiling statement: FAILED: SemanticException [Error 10001]: Table not found sales.orders"
	f.srv.RejectOn("INSERT OVERWRITE", compile)
	_, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-01", "US"), hiveserver.Request{TargetBytes: shoal.GiB})
	var se *hiveserver.StatementError
	if !errors.As(err, &se) || se.Message != compile || !strings.Contains(shoal.ErrorMessage(err), "Table not found") {
		t.Fatalf("compile error: %v", err)
	}

	f2 := newFixture(t, hs2test.Options{})
	c2 := f2.open(t, "hive2", "auth=NONE")
	run := "Error while processing statement: FAILED: Execution Error, return code 2 from org.apache.hadoop.hive.ql.exec.tez.TezTask"
	f2.srv.FailOn("ALTER TABLE", run)
	_, err = c2.Merge(ctxT(t), f2.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile})
	if !errors.As(err, &se) || se.Message != run || se.SQLState != "42000" || !strings.Contains(err.Error(), "CONCATENATE") {
		t.Fatalf("runtime error: %v", err)
	}
	// The session is still usable after a statement error.
	if _, err := c2.Merge(ctxT(t), f2.orders, part(f2.orders, "2024-01-01", "US"), hiveserver.Request{TargetBytes: shoal.GiB}); err != nil {
		t.Fatal(err)
	}
	if f2.srv.SessionsOpened() != 1 {
		t.Errorf("sessions opened %d, want 1 (reused)", f2.srv.SessionsOpened())
	}
}

func TestMergeCancellation(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.srv.DelayOn("INSERT OVERWRITE", time.Minute)
	c := f.open(t, "hive2", "auth=NONE")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Merge(ctx, f.orders, part(f.orders, "2024-01-01", "US"), hiveserver.Request{TargetBytes: shoal.GiB})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancellation took %s", d)
	}
	if got := f.srv.Cancelled(); len(got) != 1 || !strings.HasPrefix(got[0], "INSERT OVERWRITE") {
		t.Fatalf("cancelled on the server: %q", got)
	}
}

func TestStatementTimeout(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.srv.DelayOn("ALTER TABLE", time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := hiveserver.Open(ctx, f.srv.URI("hive2", "auth=NONE&poll_interval=10ms&timeout=300ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Merge(ctx, f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile})
	if !errors.Is(err, context.DeadlineExceeded) || shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	if got := f.srv.Cancelled(); len(got) != 1 || !strings.Contains(got[0], "CONCATENATE") {
		t.Fatalf("cancelled on the server: %q", got)
	}
}

func TestStalledServerHitsSocketTimeout(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	ctx := ctxT(t)
	c, err := hiveserver.Open(ctx, f.srv.URI("hive2", "auth=NONE&poll_interval=10ms&socket_timeout=300ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.srv.DelayRPC("GetOperationStatus", time.Minute)
	start := time.Now()
	_, err = c.Merge(ctx, f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile})
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
	// The broken session is dropped; the next merge opens a new one.
	f.srv.DelayRPC("GetOperationStatus", 0)
	if _, err := c.Merge(ctx, f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	start := time.Now()
	_, err = hiveserver.Open(context.Background(), fmt.Sprintf("hive2://127.0.0.1:%d/default?auth=NONE&user=u&password=s3cret-pw&connect_timeout=2s", port))
	if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || !strings.Contains(err.Error(), "HiveServer2 at 127.0.0.1:") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("password in error: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("too slow")
	}
}

func TestOpenSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // never answers
			mu.Unlock()
		}
	}()
	start := time.Now()
	for _, auth := range []string{"NONE", "NOSASL"} {
		_, err = hiveserver.Open(context.Background(), fmt.Sprintf("hive2://127.0.0.1:%d/?auth=%s&connect_timeout=300ms", ln.Addr().(*net.TCPAddr).Port, auth))
		if shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
			t.Fatalf("%s: got %v", auth, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
	ln.Close()
	wg.Wait()
	mu.Lock()
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, hs2test.Options{Users: map[string]string{"etl": "pa55word"}, HTTP: true})
	ctx := ctxT(t)
	for _, q := range []string{"auth=LDAP&user=etl&password=wrong-pw", "auth=NONE&user=nobody", "auth=LDAP&user=etl&password=wrong-pw&transport=http"} {
		_, err := hiveserver.Open(ctx, f.srv.URI("hive2", q+"&connect_timeout=3s"))
		if shoal.ErrorCode(err) != shoal.EUNAVAILABLE || strings.Contains(err.Error(), "wrong-pw") {
			t.Errorf("%s: got %v", q, err)
		}
	}
	for _, q := range []string{"auth=LDAP&user=etl&password=pa55word", "auth=LDAP&user=etl&password=pa55word&transport=http"} {
		c, err := hiveserver.Open(ctx, f.srv.URI("hive2", q+"&"+fast))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if _, err := c.Merge(ctx, f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		c.Close()
	}
}

func TestKyuubi(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "kyuubi", "auth=NONE&queue=etl&conf.spark.executor.memory=4g")
	res, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-01", "US"), hiveserver.Request{TargetBytes: 128 * shoal.MiB, PartitionBytes: 300 * shoal.MiB})
	if err != nil {
		t.Fatal(err)
	}
	insert := res.Statements[len(res.Statements)-2]
	if !strings.Contains(insert, "/*+ COALESCE(3) */") || slices.Contains(res.Statements, "SET hive.merge.mapfiles=true") {
		t.Fatalf("not the Spark dialect: %q", res.Statements)
	}
	if set := settingsOf(f.srv, "INSERT OVERWRITE"); set["spark.sql.adaptive.advisoryPartitionSizeInBytes"] != "134217728" {
		t.Fatalf("settings %v", set)
	}
	confs := f.srv.SessionConf()
	if len(confs) != 1 || confs[0]["spark.yarn.queue"] != "etl" || confs[0]["spark.executor.memory"] != "4g" {
		t.Fatalf("session conf %v", confs)
	}
	// No compaction through Spark.
	_, err = c.Merge(ctxT(t), f.events, part(f.events, "2024-01-01"), hiveserver.Request{})
	var re *shoal.RefusalError
	if !errors.As(err, &re) {
		t.Fatalf("got %v", err)
	}

	// Kyuubi with the Hive engine: Hive statements and compaction.
	f2 := newFixture(t, hs2test.Options{})
	c2 := f2.open(t, "kyuubi", "auth=NONE&engine=HIVE_SQL&queue=etl")
	if _, err := c2.Merge(ctxT(t), f2.events, part(f2.events, "2024-01-01"), hiveserver.Request{}); err != nil {
		t.Fatal(err)
	}
	if confs := f2.srv.SessionConf(); confs[0]["kyuubi.engine.type"] != "HIVE_SQL" || confs[0]["mapreduce.job.queuename"] != "etl" {
		t.Fatalf("session conf %v", confs)
	}
}

func TestHiveQueueSessionConf(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	f.open(t, "hive2", "auth=NONE&queue=etl&conf.hive.exec.parallel=true")
	confs := f.srv.SessionConf()
	if len(confs) != 1 || confs[0]["set:hiveconf:mapreduce.job.queuename"] != "etl" || confs[0]["set:hiveconf:tez.queue.name"] != "etl" || confs[0]["hive.exec.parallel"] != "true" {
		t.Fatalf("session conf %v", confs)
	}
}

func TestConcurrentMergesAndClose(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	parts := [][]string{{"2024-01-01", "US"}, {"2024-01-01", "FR"}, {"2024-01-02", "US"}}
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i, v := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Merge(ctxT(t), f.orders, part(f.orders, v...), hiveserver.Request{TargetBytes: shoal.GiB})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range parts {
		if pt, _ := f.srv.Model.Partition("sales", "orders", shoal.PartitionSpec(f.orders.PartitionKeys, v)); pt.Files != 1 {
			t.Errorf("%v not merged", v)
		}
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.OpenSessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.srv.OpenSessions(); n != 0 {
		t.Fatalf("%d sessions left open after Close", n)
	}
	if _, err := c.Merge(ctxT(t), f.logs, nil, hiveserver.Request{Format: shoal.FormatRCFile}); shoal.ErrorCode(err) != shoal.EUNAVAILABLE {
		t.Fatalf("merge after close: %v", err)
	}
}

func TestMergeRefusesBeforeConnecting(t *testing.T) {
	f := newFixture(t, hs2test.Options{})
	c := f.open(t, "hive2", "auth=NONE")
	before := len(f.srv.Texts())
	csv := &shoal.Table{Database: "d", Name: "csv", HeaderLines: 1}
	_, err := c.Merge(ctxT(t), csv, nil, hiveserver.Request{Format: shoal.FormatText, TargetBytes: shoal.GiB})
	var re *shoal.RefusalError
	if !errors.As(err, &re) {
		t.Fatalf("got %v", err)
	}
	if _, err := c.Merge(ctxT(t), f.orders, nil, hiveserver.Request{TargetBytes: shoal.GiB}); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Fatalf("partitioned without partition: %v", err)
	}
	if _, err := c.Merge(ctxT(t), f.orders, part(f.orders, "2024-01-01", "US"), hiveserver.Request{}); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Fatalf("no target size: %v", err)
	}
	if len(f.srv.Texts()) != before {
		t.Fatalf("statements sent for refused merges: %q", f.srv.Texts()[before:])
	}
}

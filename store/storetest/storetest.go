package storetest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

// Run runs the contract suite of shoal.Store. open returns a new, migrated
// and empty store; it is called once for each subtest, and subtests run in
// parallel. open should close the store in t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) shoal.Store) {
	s := &suite{open: open}
	s.run(t, "Ping", testPing)
	t.Run("CreateScan", func(t *testing.T) {
		s.run(t, "RoundTrip", testCreateScanRoundTrip)
		s.run(t, "Defaults", testCreateScanDefaults)
		s.run(t, "InvalidState", testCreateScanInvalidState)
	})
	t.Run("GetScan", func(t *testing.T) {
		s.run(t, "NotFound", testGetScanNotFound)
	})
	t.Run("UpdateScan", func(t *testing.T) {
		s.run(t, "Lifecycle", testUpdateScanLifecycle)
		s.run(t, "FinalStateConflict", testUpdateScanFinalStateConflict)
		s.run(t, "NotFound", testUpdateScanNotFound)
		s.run(t, "InvalidState", testUpdateScanInvalidState)
		s.run(t, "Nothing", testUpdateScanNothing)
		s.run(t, "ClearTimes", testUpdateScanClearTimes)
	})
	t.Run("ListScans", func(t *testing.T) {
		s.run(t, "Paging", testListScansPaging)
		s.run(t, "State", testListScansState)
		s.run(t, "BadFilter", testListScansBadFilter)
	})
	t.Run("LatestSnapshot", func(t *testing.T) {
		s.run(t, "None", testLatestSnapshotNone)
		s.run(t, "Succeeded", testLatestSnapshotSucceeded)
		s.run(t, "PerCatalog", testLatestSnapshotPerCatalog)
	})
	t.Run("SnapshotWriter", func(t *testing.T) {
		s.run(t, "NotFound", testSnapshotWriterNotFound)
		s.run(t, "Batches", testSnapshotWriterBatches)
		s.run(t, "Rewrite", testSnapshotWriterRewrite)
		s.run(t, "LargeBatch", testSnapshotWriterLargeBatch)
		s.run(t, "Concurrent", testSnapshotWriterConcurrent)
		s.run(t, "Invisible", testSnapshotWriterInvisible)
		s.run(t, "Empty", testSnapshotWriterEmpty)
	})
	t.Run("ListDatabases", func(t *testing.T) {
		s.run(t, "Sums", testListDatabasesSums)
		s.run(t, "NotFound", testListDatabasesNotFound)
	})
	t.Run("ListTables", func(t *testing.T) {
		s.run(t, "Sort", testListTablesSort)
		s.run(t, "Filter", testListTablesFilter)
		s.run(t, "Paging", testListTablesPaging)
		s.run(t, "BadFilter", testListTablesBadFilter)
	})
	t.Run("GetTable", func(t *testing.T) {
		s.run(t, "Found", testGetTableFound)
		s.run(t, "NotFound", testGetTableNotFound)
	})
	t.Run("ListPartitions", func(t *testing.T) {
		s.run(t, "TableSort", testListPartitionsTableSort)
		s.run(t, "TableFilter", testListPartitionsTableFilter)
		s.run(t, "TablePaging", testListPartitionsTablePaging)
		s.run(t, "TableNotFound", testListPartitionsTableNotFound)
		s.run(t, "SnapshotSort", testListPartitionsSnapshotSort)
		s.run(t, "SnapshotFilter", testListPartitionsSnapshotFilter)
		s.run(t, "SnapshotPaging", testListPartitionsSnapshotPaging)
		s.run(t, "ManyTables", testListPartitionsManyTables)
		s.run(t, "BadFilter", testListPartitionsBadFilter)
	})
	t.Run("Trend", func(t *testing.T) {
		s.run(t, "Table", testTableTrend)
		s.run(t, "Warehouse", testWarehouseTrend)
		s.run(t, "OtherCatalog", testTrendOtherCatalog)
		s.run(t, "Empty", testTrendEmpty)
	})
	t.Run("DeleteSnapshot", func(t *testing.T) {
		s.run(t, "Deletes", testDeleteSnapshot)
		s.run(t, "NotFound", testDeleteSnapshotNotFound)
	})
	t.Run("Merge", s.runMerge)
	t.Run("PruneSnapshots", func(t *testing.T) {
		s.run(t, "KeepsTables", testPruneSnapshots)
		s.run(t, "Invalid", testPruneSnapshotsInvalid)
	})
}

type suite struct {
	open func(t *testing.T) shoal.Store
}

// run runs f as a parallel subtest on a store of its own.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T, st shoal.Store)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f(t, s.open(t))
	})
}

// Helpers.

func ptr[T any](v T) *T { return &v }

// norm returns t as a store returns it: in UTC, truncated to microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := shoal.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func mustCreate(t *testing.T, st shoal.Store, sc *shoal.Scan) *shoal.Scan {
	t.Helper()
	if err := st.CreateScan(t.Context(), sc); err != nil {
		t.Fatalf("CreateScan: %v", err)
	}
	return sc
}

func mustUpdate(t *testing.T, st shoal.Store, id int64, upd shoal.ScanUpdate) *shoal.Scan {
	t.Helper()
	sc, err := st.UpdateScan(t.Context(), id, upd)
	if err != nil {
		t.Fatalf("UpdateScan(%d): %v", id, err)
	}
	return sc
}

// newSnapshot creates a running scan, writes f to it and, when state is
// final, finishes it at finished in that state.
func newSnapshot(t *testing.T, st shoal.Store, f *fixture, state shoal.ScanState, finished time.Time) *shoal.Scan {
	t.Helper()
	sc := mustCreate(t, st, &shoal.Scan{Catalog: "file:///warehouse", Thresholds: fixtureThresholds})
	sc = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanRunning), StartedAt: ptr(finished.Add(-time.Minute))})
	if f != nil {
		f.write(t.Context(), t, st, sc.ID)
	}
	if state.Final() {
		var totals shoal.Totals
		if f != nil {
			for i := range f.tables {
				totals.Add(&f.tables[i])
			}
		}
		sc = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: &state, FinishedAt: &finished, Totals: &totals})
	}
	return sc
}

func listTables(t *testing.T, st shoal.Store, f shoal.TableFilter) ([]shoal.TableStats, int64) {
	t.Helper()
	ts, total, err := st.ListTables(t.Context(), f)
	if err != nil {
		t.Fatalf("ListTables(%+v): %v", f, err)
	}
	return ts, total
}

func listPartitions(t *testing.T, st shoal.Store, f shoal.PartitionFilter) ([]shoal.PartitionStats, int64) {
	t.Helper()
	ps, total, err := st.ListPartitions(t.Context(), f)
	if err != nil {
		t.Fatalf("ListPartitions(%+v): %v", f, err)
	}
	return ps, total
}

func tableNames(ts []shoal.TableStats) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Database + "." + t.Table
	}
	return names
}

func partitionNames(ps []shoal.PartitionStats) []string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Database + "." + p.Table + "/" + p.Spec
	}
	return names
}

// equalTables reports a difference between two lists of tables.
func equalTables(t *testing.T, what string, got, want []shoal.TableStats) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(tableNames(got), tableNames(want)) {
		t.Errorf("%s: got tables\n%v\nwant\n%v", what, tableNames(got), tableNames(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s: table %d:\ngot  %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

// equalPartitions reports a difference between two lists of partitions.
func equalPartitions(t *testing.T, what string, got, want []shoal.PartitionStats) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(partitionNames(got), partitionNames(want)) {
		t.Errorf("%s: got partitions\n%v\nwant\n%v", what, partitionNames(got), partitionNames(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s: partition %d:\ngot  %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

// Scans.

func testPing(t *testing.T, st shoal.Store) {
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// fullScan returns a scan with every field set, times with nanoseconds and
// in a zone other than UTC.
func fullScan() *shoal.Scan {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	sc := &shoal.Scan{
		Catalog:    "thrift://metastore:9083",
		State:      shoal.ScanSucceeded,
		StartedAt:  time.Date(2025, 6, 1, 12, 0, 0, 123456789, zone),
		FinishedAt: time.Date(2025, 6, 1, 12, 30, 1, 999999999, zone),
		Error:      "partial: 3 partitions failed",
		Thresholds: shoal.DefaultThresholds,
		Progress: shoal.ScanProgress{PartitionsDone: 1234567, PartitionsTotal: 1234568, TotalKnown: true,
			TablesDone: 999, TablesTotal: 1000, Files: 1 << 40, Bytes: 1 << 62, Errors: 3,
			Rate: 1234.5678901234567, ETA: 90*time.Second + 123456789},
		Totals: shoal.Totals{Databases: 12, Tables: 1000, Partitions: 1234567, Files: 1 << 40, Bytes: 1 << 62,
			Small: 1 << 39, Blocks: 1 << 41, NameNodeHeap: 150 << 41, FilesAfterMerge: 12345,
			ReducibleFiles: 1<<40 - 12345, ErrorPartitions: 3},
		JobID: 42,
	}
	for i := range sc.Totals.Histogram {
		sc.Totals.Histogram[i] = int64(i*i) << 30
	}
	return sc
}

// normScan returns sc as the store returns it.
func normScan(sc *shoal.Scan) *shoal.Scan {
	c := *sc
	c.CreatedAt, c.StartedAt, c.FinishedAt = norm(c.CreatedAt), norm(c.StartedAt), norm(c.FinishedAt)
	return &c
}

func testCreateScanRoundTrip(t *testing.T, st shoal.Store) {
	before := time.Now()
	sc := fullScan()
	mustCreate(t, st, sc)
	after := time.Now()
	if sc.ID <= 0 {
		t.Errorf("ID = %d, want > 0", sc.ID)
	}
	if sc.CreatedAt.Before(before.Truncate(time.Microsecond)) || sc.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %v, want between %v and %v", sc.CreatedAt, before, after)
	}
	if sc.CreatedAt != norm(sc.CreatedAt) {
		t.Errorf("CreatedAt = %v, want UTC and microseconds", sc.CreatedAt)
	}
	got, err := st.GetScan(t.Context(), sc.ID)
	if err != nil {
		t.Fatalf("GetScan: %v", err)
	}
	if want := normScan(sc); !reflect.DeepEqual(got, want) {
		t.Errorf("GetScan:\ngot  %+v\nwant %+v", got, want)
	}
	second := mustCreate(t, st, &shoal.Scan{})
	if second.ID <= sc.ID {
		t.Errorf("second ID = %d, want > %d", second.ID, sc.ID)
	}
}

func testCreateScanDefaults(t *testing.T, st shoal.Store) {
	sc := mustCreate(t, st, &shoal.Scan{Catalog: "file:///w"})
	if sc.State != shoal.ScanQueued {
		t.Errorf("State = %q, want queued", sc.State)
	}
	got, err := st.GetScan(t.Context(), sc.ID)
	if err != nil {
		t.Fatalf("GetScan: %v", err)
	}
	want := &shoal.Scan{ID: sc.ID, Catalog: "file:///w", State: shoal.ScanQueued, CreatedAt: sc.CreatedAt}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetScan:\ngot  %+v\nwant %+v", got, want)
	}
	if !got.StartedAt.IsZero() || !got.FinishedAt.IsZero() {
		t.Errorf("zero times came back as %v, %v", got.StartedAt, got.FinishedAt)
	}
}

func testCreateScanInvalidState(t *testing.T, st shoal.Store) {
	err := st.CreateScan(t.Context(), &shoal.Scan{State: "paused"})
	wantCode(t, err, shoal.EINVALID, "CreateScan(paused)")
}

func testGetScanNotFound(t *testing.T, st shoal.Store) {
	_, err := st.GetScan(t.Context(), 12345)
	wantCode(t, err, shoal.ENOTFOUND, "GetScan(12345)")
	if err != nil && !strings.Contains(shoal.ErrorMessage(err), "12345") {
		t.Errorf("message %q does not name the scan", shoal.ErrorMessage(err))
	}
}

func testUpdateScanLifecycle(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	sc := mustCreate(t, st, &shoal.Scan{Catalog: "file:///w", Thresholds: shoal.DefaultThresholds})
	want := normScan(sc)

	started := time.Now().Add(-time.Hour)
	got := mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanRunning), StartedAt: &started, JobID: ptr(int64(7))})
	want.State, want.StartedAt, want.JobID = shoal.ScanRunning, norm(started), 7
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("running:\ngot  %+v\nwant %+v", got, want)
	}

	prog := shoal.ScanProgress{PartitionsDone: 10, PartitionsTotal: 20, TablesDone: 1, TablesTotal: 2,
		Files: 100, Bytes: 1000, Errors: 1, Rate: 0.1, ETA: 100 * time.Second}
	got = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{Progress: &prog})
	want.Progress = prog
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("progress:\ngot  %+v\nwant %+v", got, want)
	}

	finished := started.Add(90*time.Minute + 999)
	totals := fullScan().Totals
	got = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanSucceeded), FinishedAt: &finished,
		Totals: &totals, Error: ptr("")})
	want.State, want.FinishedAt, want.Totals = shoal.ScanSucceeded, norm(finished), totals
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("succeeded:\ngot  %+v\nwant %+v", got, want)
	}
	stored, err := st.GetScan(ctx, sc.ID)
	if err != nil {
		t.Fatalf("GetScan: %v", err)
	}
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("GetScan:\ngot  %+v\nwant %+v", stored, want)
	}
}

func testUpdateScanFinalStateConflict(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	for _, final := range []shoal.ScanState{shoal.ScanSucceeded, shoal.ScanFailed, shoal.ScanCancelled} {
		sc := mustCreate(t, st, &shoal.Scan{State: shoal.ScanRunning})
		mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: &final})
		for _, next := range []shoal.ScanState{shoal.ScanQueued, shoal.ScanRunning, shoal.ScanSucceeded, shoal.ScanFailed, shoal.ScanCancelled} {
			if next == final {
				continue
			}
			_, err := st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: &next, Error: ptr("late")})
			wantCode(t, err, shoal.ECONFLICT, fmt.Sprintf("%s -> %s", final, next))
		}
		got, err := st.GetScan(ctx, sc.ID)
		if err != nil {
			t.Fatalf("GetScan: %v", err)
		}
		if got.State != final || got.Error != "" {
			t.Errorf("after conflicts: state %q, error %q; want %q and no error", got.State, got.Error, final)
		}
		// The same state and fields other than the state may still change.
		got = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: &final, Error: ptr("note")})
		if got.State != final || got.Error != "note" {
			t.Errorf("same state: state %q, error %q", got.State, got.Error)
		}
		totals := shoal.Totals{Tables: 3}
		if got = mustUpdate(t, st, sc.ID, shoal.ScanUpdate{Totals: &totals}); got.Totals.Tables != 3 {
			t.Errorf("totals of a final scan: %+v", got.Totals)
		}
	}
}

func testUpdateScanNotFound(t *testing.T, st shoal.Store) {
	_, err := st.UpdateScan(t.Context(), 999, shoal.ScanUpdate{State: ptr(shoal.ScanRunning)})
	wantCode(t, err, shoal.ENOTFOUND, "UpdateScan(999, state)")
	_, err = st.UpdateScan(t.Context(), 999, shoal.ScanUpdate{Error: ptr("x")})
	wantCode(t, err, shoal.ENOTFOUND, "UpdateScan(999, error)")
	_, err = st.UpdateScan(t.Context(), 999, shoal.ScanUpdate{})
	wantCode(t, err, shoal.ENOTFOUND, "UpdateScan(999, nothing)")
}

func testUpdateScanInvalidState(t *testing.T, st shoal.Store) {
	sc := mustCreate(t, st, &shoal.Scan{})
	_, err := st.UpdateScan(t.Context(), sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanState("done"))})
	wantCode(t, err, shoal.EINVALID, "UpdateScan(done)")
}

func testUpdateScanNothing(t *testing.T, st shoal.Store) {
	sc := mustCreate(t, st, fullScan())
	got := mustUpdate(t, st, sc.ID, shoal.ScanUpdate{})
	if want := normScan(sc); !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateScan(nothing):\ngot  %+v\nwant %+v", got, want)
	}
}

func testUpdateScanClearTimes(t *testing.T, st shoal.Store) {
	sc := mustCreate(t, st, fullScan())
	got := mustUpdate(t, st, sc.ID, shoal.ScanUpdate{StartedAt: &time.Time{}, FinishedAt: &time.Time{},
		Progress: &shoal.ScanProgress{}, Totals: &shoal.Totals{}})
	want := normScan(sc)
	want.StartedAt, want.FinishedAt, want.Progress, want.Totals = time.Time{}, time.Time{}, shoal.ScanProgress{}, shoal.Totals{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cleared:\ngot  %+v\nwant %+v", got, want)
	}
}

func testListScansPaging(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	var ids []int64
	for range 7 {
		ids = append(ids, mustCreate(t, st, &shoal.Scan{}).ID)
	}
	slices.Reverse(ids) // newest first
	var got []int64
	for off := 0; off < 10; off += 3 {
		scans, total, err := st.ListScans(ctx, shoal.ScanFilter{Limit: 3, Offset: off})
		if err != nil {
			t.Fatalf("ListScans(offset %d): %v", off, err)
		}
		if total != 7 {
			t.Errorf("offset %d: total %d, want 7", off, total)
		}
		if want := min(3, max(0, 7-off)); len(scans) != want {
			t.Errorf("offset %d: %d scans, want %d", off, len(scans), want)
		}
		for _, sc := range scans {
			got = append(got, sc.ID)
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pages: %v, want %v", got, ids)
	}
	scans, total, err := st.ListScans(ctx, shoal.ScanFilter{})
	if err != nil {
		t.Fatalf("ListScans: %v", err)
	}
	if len(scans) != 7 || total != 7 {
		t.Errorf("default page: %d scans, total %d; want 7, 7", len(scans), total)
	}
}

func testListScansState(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	states := []shoal.ScanState{shoal.ScanQueued, shoal.ScanRunning, shoal.ScanSucceeded, shoal.ScanFailed,
		shoal.ScanSucceeded, shoal.ScanCancelled, shoal.ScanSucceeded}
	want := map[shoal.ScanState][]int64{}
	for _, s := range states {
		sc := mustCreate(t, st, &shoal.Scan{State: s})
		want[s] = append([]int64{sc.ID}, want[s]...)
	}
	for s, ids := range want {
		scans, total, err := st.ListScans(ctx, shoal.ScanFilter{State: s})
		if err != nil {
			t.Fatalf("ListScans(%s): %v", s, err)
		}
		var got []int64
		for _, sc := range scans {
			got = append(got, sc.ID)
			if sc.State != s {
				t.Errorf("ListScans(%s) returned a %s scan", s, sc.State)
			}
		}
		if !slices.Equal(got, ids) || total != int64(len(ids)) {
			t.Errorf("ListScans(%s): %v, total %d; want %v", s, got, total, ids)
		}
	}
	scans, total, err := st.ListScans(ctx, shoal.ScanFilter{State: shoal.ScanSucceeded, Limit: 1, Offset: 1})
	if err != nil {
		t.Fatalf("ListScans: %v", err)
	}
	if len(scans) != 1 || scans[0].ID != want[shoal.ScanSucceeded][1] || total != 3 {
		t.Errorf("second succeeded scan: %d scans, total %d", len(scans), total)
	}
}

func testListScansBadFilter(t *testing.T, st shoal.Store) {
	for _, f := range []shoal.ScanFilter{
		{State: "paused"},
		{Limit: shoal.MaxLimit + 1},
		{Limit: -1},
		{Offset: -1},
	} {
		_, _, err := st.ListScans(t.Context(), f)
		wantCode(t, err, shoal.EINVALID, fmt.Sprintf("ListScans(%+v)", f))
	}
}

func testLatestSnapshotNone(t *testing.T, st shoal.Store) {
	_, err := st.LatestSnapshot(t.Context(), "")
	wantCode(t, err, shoal.ENOTFOUND, "LatestSnapshot(empty store)")
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanRunning})
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanFailed, FinishedAt: base})
	_, err = st.LatestSnapshot(t.Context(), "")
	wantCode(t, err, shoal.ENOTFOUND, "LatestSnapshot(no succeeded scan)")
}

func testLatestSnapshotSucceeded(t *testing.T, st shoal.Store) {
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanSucceeded, FinishedAt: base})
	want := mustCreate(t, st, &shoal.Scan{State: shoal.ScanSucceeded, FinishedAt: base.Add(time.Hour), Totals: fullScan().Totals})
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanFailed, FinishedAt: base.Add(2 * time.Hour)})
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanCancelled, FinishedAt: base.Add(3 * time.Hour)})
	mustCreate(t, st, &shoal.Scan{State: shoal.ScanRunning, StartedAt: base.Add(4 * time.Hour)})
	got, err := st.LatestSnapshot(t.Context(), "")
	if err != nil {
		t.Fatalf("LatestSnapshot: %v", err)
	}
	if !reflect.DeepEqual(got, normScan(want)) {
		t.Errorf("LatestSnapshot:\ngot  %+v\nwant %+v", got, normScan(want))
	}
}

func testLatestSnapshotPerCatalog(t *testing.T, st shoal.Store) {
	a := mustCreate(t, st, &shoal.Scan{Catalog: "a", State: shoal.ScanSucceeded, FinishedAt: base.Add(time.Hour)})
	b := mustCreate(t, st, &shoal.Scan{Catalog: "b", State: shoal.ScanSucceeded, FinishedAt: base.Add(2 * time.Hour)})
	mustCreate(t, st, &shoal.Scan{Catalog: "a", State: shoal.ScanFailed, FinishedAt: base.Add(3 * time.Hour)})
	for _, c := range []struct {
		catalog string
		want    int64
	}{{"a", a.ID}, {"b", b.ID}, {"", b.ID}} {
		got, err := st.LatestSnapshot(t.Context(), c.catalog)
		if err != nil || got.ID != c.want {
			t.Errorf("LatestSnapshot(%q) = %+v, %v; want scan %d", c.catalog, got, err, c.want)
		}
	}
	_, err := st.LatestSnapshot(t.Context(), "c")
	wantCode(t, err, shoal.ENOTFOUND, "LatestSnapshot(unknown catalog)")
}

// Snapshots.

func testSnapshotWriterNotFound(t *testing.T, st shoal.Store) {
	_, err := st.SnapshotWriter(t.Context(), 4242)
	wantCode(t, err, shoal.ENOTFOUND, "SnapshotWriter(4242)")
}

func testSnapshotWriterBatches(t *testing.T, st shoal.Store) {
	f := newFixture(1)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	ts, total := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Sort: shoal.SortName, Limit: shoal.MaxLimit})
	equalTables(t, "all tables", ts, f.wantTables(shoal.TableFilter{Sort: shoal.SortName}))
	if total != int64(len(f.tables)) {
		t.Errorf("total %d, want %d", total, len(f.tables))
	}
	for _, want := range f.tables {
		ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: want.Database,
			Table: want.Table, Sort: shoal.SortName, Limit: shoal.MaxLimit})
		wantPs := f.wantPartitions(shoal.PartitionFilter{Database: want.Database, Table: want.Table, Sort: shoal.SortName})
		equalPartitions(t, want.Database+"."+want.Table, ps, wantPs)
		if total != int64(len(wantPs)) {
			t.Errorf("%s.%s: total %d, want %d", want.Database, want.Table, total, len(wantPs))
		}
	}
	// Totals when the page does not hold every row.
	if _, total := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Limit: 1}); total != int64(len(f.tables)) {
		t.Errorf("tables total %d, want %d", total, len(f.tables))
	}
	if _, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: 1}); total != int64(len(f.parts)) {
		t.Errorf("partitions total %d, want %d", total, len(f.parts))
	}
	var errs int
	for _, p := range f.parts {
		if p.Error != "" {
			errs++
		}
	}
	if errs == 0 {
		t.Fatal("fixture has no failed partition")
	}
}

func testSnapshotWriterRewrite(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	f := newFixture(2)
	sc := newSnapshot(t, st, f, shoal.ScanRunning, base)
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		t.Fatalf("SnapshotWriter: %v", err)
	}
	defer func() { _ = w.Close() }()
	// Write the first partition and table again, changed.
	p, tbl := f.parts[0], f.table(f.parts[0].Database, f.parts[0].Table)
	p.Files, p.Error, p.Histogram[3] = p.Files+100, "changed", 77
	tbl.Owner, tbl.Files = "someone else", tbl.Files+100
	if err := w.WritePartitions(ctx, []shoal.PartitionStats{p, p}); err != nil {
		t.Fatalf("WritePartitions: %v", err)
	}
	if err := w.WriteTables(ctx, []shoal.TableStats{tbl}); err != nil {
		t.Fatalf("WriteTables: %v", err)
	}
	f.parts[0] = p
	for i := range f.tables {
		if f.tables[i].Database == tbl.Database && f.tables[i].Table == tbl.Table {
			f.tables[i] = tbl
		}
	}
	mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanSucceeded), FinishedAt: &base})

	got, err := st.GetTable(ctx, sc.ID, tbl.Database, tbl.Table)
	if err != nil {
		t.Fatalf("GetTable: %v", err)
	}
	if !reflect.DeepEqual(*got, tbl) {
		t.Errorf("GetTable:\ngot  %+v\nwant %+v", *got, tbl)
	}
	flt := shoal.PartitionFilter{ScanID: sc.ID, Database: p.Database, Table: p.Table, Sort: shoal.SortName}
	ps, total := listPartitions(t, st, flt)
	want := f.wantPartitions(flt)
	equalPartitions(t, "rewritten table", ps, want)
	if total != int64(len(want)) {
		t.Errorf("total %d, want %d", total, len(want))
	}
	_, total = listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: 1})
	if total != int64(len(f.parts)) {
		t.Errorf("snapshot total %d, want %d", total, len(f.parts))
	}
}

// testSnapshotWriterLargeBatch writes long runs of one table's partitions,
// which stores may insert several rows at a time, then writes them again.
func testSnapshotWriterLargeBatch(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	f := &fixture{}
	for i, name := range []string{"big", "bigger"} {
		tbl := shoal.NewTableStats(&shoal.Table{Database: "lake", Name: name, PartitionKeys: []string{"id"}})
		for j := range 150 + 50*i {
			p := shoal.PartitionStats{Database: "lake", Table: name, Spec: fmt.Sprintf("id=%05d", j),
				Format: shoal.FormatORC, Files: int64(j % 7), Bytes: int64(j * 1000), Small: int64(j % 3),
				NewestModTime: base.Add(time.Duration(j) * time.Second)}
			p.Histogram[j%24] = p.Files
			tbl.AddPartition(&p)
			f.parts = append(f.parts, p)
		}
		f.tables = append(f.tables, tbl)
	}
	sc := newSnapshot(t, st, nil, shoal.ScanRunning, base)
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		t.Fatalf("SnapshotWriter: %v", err)
	}
	defer func() { _ = w.Close() }()
	if err := w.WritePartitions(ctx, f.parts); err != nil {
		t.Fatalf("WritePartitions: %v", err)
	}
	// Write the partitions again, changed: a few new ones, some replaced.
	var again []shoal.PartitionStats
	for i := 100; i < len(f.parts); i++ {
		p := f.parts[i]
		p.Files, p.Error = p.Files+1000, "second write"
		f.parts[i] = p
		again = append(again, p)
		if i%40 == 0 {
			p.Spec += "/extra=1"
			f.parts = append(f.parts, p)
			again = append(again, p)
		}
	}
	if err := w.WritePartitions(ctx, again); err != nil {
		t.Fatalf("WritePartitions again: %v", err)
	}
	if err := w.WriteTables(ctx, f.tables); err != nil {
		t.Fatalf("WriteTables: %v", err)
	}
	mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanSucceeded), FinishedAt: &base})
	for _, tbl := range f.tables {
		flt := shoal.PartitionFilter{ScanID: sc.ID, Database: tbl.Database, Table: tbl.Table, Sort: shoal.SortName, Limit: shoal.MaxLimit}
		ps, total := listPartitions(t, st, flt)
		want := f.wantPartitions(flt)
		equalPartitions(t, tbl.Table, ps, want)
		if total != int64(len(want)) {
			t.Errorf("%s: total %d, want %d", tbl.Table, total, len(want))
		}
	}
	flt := shoal.PartitionFilter{ScanID: sc.ID, Sort: shoal.SortFiles, Desc: true, Limit: 10}
	ps, total := listPartitions(t, st, flt)
	checkKeys(t, "top 10 by files", ps, f.wantPartitions(flt)[:10], shoal.SortFiles)
	if total != int64(len(f.parts)) {
		t.Errorf("snapshot total %d, want %d", total, len(f.parts))
	}
}

func testSnapshotWriterConcurrent(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	f := newFixture(3)
	sc := newSnapshot(t, st, nil, shoal.ScanRunning, base)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			w, err := st.SnapshotWriter(ctx, sc.ID)
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = w.Close() }()
			for j, p := range f.parts {
				if j%4 == i {
					if err := w.WritePartitions(ctx, []shoal.PartitionStats{p}); err != nil {
						errs <- err
						return
					}
				}
			}
			for j, tbl := range f.tables {
				if j%4 == i {
					if err := w.WriteTables(ctx, []shoal.TableStats{tbl}); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent writer: %v", err)
	}
	mustUpdate(t, st, sc.ID, shoal.ScanUpdate{State: ptr(shoal.ScanSucceeded), FinishedAt: &base})
	ts, _ := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Sort: shoal.SortName, Limit: shoal.MaxLimit})
	equalTables(t, "tables", ts, f.wantTables(shoal.TableFilter{Sort: shoal.SortName}))
	flt := shoal.PartitionFilter{ScanID: sc.ID, Sort: shoal.SortName, Limit: shoal.MaxLimit}
	ps, total := listPartitions(t, st, flt)
	if len(ps) != len(f.parts) || total != int64(len(f.parts)) {
		t.Errorf("%d partitions, total %d; want %d", len(ps), total, len(f.parts))
	}
	if _, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: 1}); total != int64(len(f.parts)) {
		t.Errorf("partitions total %d, want %d", total, len(f.parts))
	}
	if _, total := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Limit: 1}); total != int64(len(f.tables)) {
		t.Errorf("tables total %d, want %d", total, len(f.tables))
	}
}

func testSnapshotWriterInvisible(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	f := newFixture(4)
	for _, state := range []shoal.ScanState{shoal.ScanRunning, shoal.ScanFailed} {
		sc := newSnapshot(t, st, f, state, base)
		_, _, err := st.ListTables(ctx, shoal.TableFilter{ScanID: sc.ID})
		wantCode(t, err, shoal.ENOTFOUND, "ListTables("+string(state)+" scan)")
		_, _, err = st.ListPartitions(ctx, shoal.PartitionFilter{ScanID: sc.ID})
		wantCode(t, err, shoal.ENOTFOUND, "ListPartitions("+string(state)+" scan)")
		_, err = st.ListDatabases(ctx, sc.ID)
		wantCode(t, err, shoal.ENOTFOUND, "ListDatabases("+string(state)+" scan)")
		_, err = st.GetTable(ctx, sc.ID, "sales", "orders")
		wantCode(t, err, shoal.ENOTFOUND, "GetTable("+string(state)+" scan)")
	}
}

func testSnapshotWriterEmpty(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	sc := newSnapshot(t, st, &fixture{}, shoal.ScanSucceeded, base)
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		t.Fatalf("SnapshotWriter: %v", err)
	}
	if err := w.WritePartitions(ctx, nil); err != nil {
		t.Errorf("WritePartitions(nil): %v", err)
	}
	if err := w.WriteTables(ctx, nil); err != nil {
		t.Errorf("WriteTables(nil): %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	ts, total := listTables(t, st, shoal.TableFilter{ScanID: sc.ID})
	if len(ts) != 0 || total != 0 {
		t.Errorf("ListTables: %d tables, total %d", len(ts), total)
	}
	ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID})
	if len(ps) != 0 || total != 0 {
		t.Errorf("ListPartitions: %d partitions, total %d", len(ps), total)
	}
	dbs, err := st.ListDatabases(ctx, sc.ID)
	if err != nil || len(dbs) != 0 {
		t.Errorf("ListDatabases: %v, %v", dbs, err)
	}
}

func testListDatabasesSums(t *testing.T, st shoal.Store) {
	f := newFixture(5)
	newSnapshot(t, st, newFixture(6), shoal.ScanSucceeded, base)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Hour))
	dbs, err := st.ListDatabases(t.Context(), sc.ID)
	if err != nil {
		t.Fatalf("ListDatabases: %v", err)
	}
	if want := f.wantDatabases(); !reflect.DeepEqual(dbs, want) {
		t.Errorf("ListDatabases:\ngot  %+v\nwant %+v", dbs, want)
	}
}

func testListDatabasesNotFound(t *testing.T, st shoal.Store) {
	_, err := st.ListDatabases(t.Context(), 77)
	wantCode(t, err, shoal.ENOTFOUND, "ListDatabases(77)")
}

// Tables.

func testListTablesSort(t *testing.T, st shoal.Store) {
	f := newFixture(7)
	newSnapshot(t, st, newFixture(8), shoal.ScanSucceeded, base)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Hour))
	for _, key := range shoal.SortKeys {
		for _, desc := range []bool{false, true} {
			flt := shoal.TableFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: shoal.MaxLimit}
			ts, total := listTables(t, st, flt)
			equalTables(t, fmt.Sprintf("sort %s desc=%v", key, desc), ts, f.wantTables(flt))
			if total != int64(len(f.tables)) {
				t.Errorf("sort %s: total %d, want %d", key, total, len(f.tables))
			}
		}
	}
	// The default order is by small files, descending.
	ts, _ := listTables(t, st, shoal.TableFilter{ScanID: sc.ID})
	equalTables(t, "default order", ts, f.wantTables(shoal.TableFilter{Sort: shoal.SortSmallFiles, Desc: true}))
	// Names sort as "db.table".
	ts, _ = listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Search: "a", Sort: shoal.SortName})
	if i, j := slices.Index(tableNames(ts), "a-b.t"), slices.Index(tableNames(ts), "a.zeta"); i < 0 || j < 0 || i > j {
		t.Errorf("by name: a-b.t at %d, a.zeta at %d; want a-b.t first", i, j)
	}
}

func testListTablesFilter(t *testing.T, st shoal.Store) {
	f := newFixture(9)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	for _, flt := range []shoal.TableFilter{
		{Database: "sales"},
		{Database: "web_logs", Sort: shoal.SortName},
		{Database: "nope"},
		{Search: "ORDER"},
		{Search: "s.o", Sort: shoal.SortName},
		{Search: "web_logs"}, // _ is not a wildcard
		{Search: "%"},
		{Search: "-b.T"},
		{Format: shoal.FormatORC},
		{Format: shoal.FormatText, Search: "hr."},
		{Database: "sales", Search: "items", Format: shoal.FormatParquet},
	} {
		flt.ScanID = sc.ID
		ts, total := listTables(t, st, flt)
		want := f.wantTables(flt)
		equalTables(t, fmt.Sprintf("%+v", flt), ts, want)
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
		// The total counts the filtered rows, not the page.
		flt.Limit = 1
		ts, total = listTables(t, st, flt)
		equalTables(t, fmt.Sprintf("%+v", flt), ts, want[:min(1, len(want))])
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
	}
	ts, _ := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Search: "web_logs"})
	if len(ts) != 2 {
		t.Errorf("search web_logs: %v, want the two web_logs tables", tableNames(ts))
	}
}

func testListTablesPaging(t *testing.T, st shoal.Store) {
	f := newFixture(10)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	for _, key := range []shoal.SortKey{shoal.SortSmallFiles, shoal.SortFiles, shoal.SortName, shoal.SortNewestModTime} {
		for _, desc := range []bool{false, true} {
			all := f.wantTables(shoal.TableFilter{Sort: key, Desc: desc})
			var got []shoal.TableStats
			for off := 0; off <= len(all)+3; off += 5 {
				flt := shoal.TableFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: 5, Offset: off}
				ts, total := listTables(t, st, flt)
				if total != int64(len(all)) {
					t.Errorf("%s offset %d: total %d, want %d", key, off, total, len(all))
				}
				got = append(got, ts...)
			}
			equalTables(t, fmt.Sprintf("pages by %s desc=%v", key, desc), got, all)
		}
	}
	ts, total := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Database: "sales", Offset: 100})
	if len(ts) != 0 || total != 3 {
		t.Errorf("past the end: %d tables, total %d; want 0 and 3", len(ts), total)
	}
}

func testListTablesBadFilter(t *testing.T, st shoal.Store) {
	sc := newSnapshot(t, st, newFixture(11), shoal.ScanSucceeded, base)
	for _, f := range []shoal.TableFilter{
		{Sort: "size"},
		{Format: "csv"},
		{Limit: shoal.MaxLimit + 1},
		{Limit: -5},
		{Offset: -1},
	} {
		f.ScanID = sc.ID
		_, _, err := st.ListTables(t.Context(), f)
		wantCode(t, err, shoal.EINVALID, fmt.Sprintf("ListTables(%+v)", f))
	}
	_, _, err := st.ListTables(t.Context(), shoal.TableFilter{ScanID: sc.ID + 100})
	wantCode(t, err, shoal.ENOTFOUND, "ListTables(unknown snapshot)")
}

func testGetTableFound(t *testing.T, st shoal.Store) {
	f := newFixture(12)
	old := newFixture(13)
	newSnapshot(t, st, old, shoal.ScanSucceeded, base)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Hour))
	for _, want := range f.tables {
		got, err := st.GetTable(t.Context(), sc.ID, want.Database, want.Table)
		if err != nil {
			t.Fatalf("GetTable(%s.%s): %v", want.Database, want.Table, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("GetTable(%s.%s):\ngot  %+v\nwant %+v", want.Database, want.Table, *got, want)
		}
	}
}

func testGetTableNotFound(t *testing.T, st shoal.Store) {
	sc := newSnapshot(t, st, newFixture(14, "sales.orders"), shoal.ScanSucceeded, base)
	_, err := st.GetTable(t.Context(), sc.ID, "sales", "orders")
	wantCode(t, err, shoal.ENOTFOUND, "GetTable(missing table)")
	if err != nil && !strings.Contains(shoal.ErrorMessage(err), "sales.orders") {
		t.Errorf("message %q does not name the table", shoal.ErrorMessage(err))
	}
	_, err = st.GetTable(t.Context(), sc.ID, "sales", "ORDERS")
	wantCode(t, err, shoal.ENOTFOUND, "GetTable(other case)")
	_, err = st.GetTable(t.Context(), sc.ID+1, "sales", "customers")
	wantCode(t, err, shoal.ENOTFOUND, "GetTable(unknown snapshot)")
}

// Partitions.

// biggestTable returns the partitioned table of f with the most partitions.
func biggestTable(f *fixture) shoal.TableStats {
	var best shoal.TableStats
	for _, t := range f.tables {
		if t.Partitions > best.Partitions {
			best = t
		}
	}
	return best
}

func testListPartitionsTableSort(t *testing.T, st shoal.Store) {
	f := newFixture(15)
	newSnapshot(t, st, newFixture(16), shoal.ScanSucceeded, base)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Hour))
	for _, tbl := range []shoal.TableStats{biggestTable(f), f.table("web_logs", "paths"), f.table("hr", "employees")} {
		for _, key := range shoal.SortKeys {
			if key == shoal.SortPartitions {
				continue
			}
			for _, desc := range []bool{false, true} {
				flt := shoal.PartitionFilter{ScanID: sc.ID, Database: tbl.Database, Table: tbl.Table,
					Sort: key, Desc: desc, Limit: shoal.MaxLimit}
				ps, total := listPartitions(t, st, flt)
				want := f.wantPartitions(flt)
				equalPartitions(t, fmt.Sprintf("%s.%s by %s desc=%v", tbl.Database, tbl.Table, key, desc), ps, want)
				if total != int64(len(want)) {
					t.Errorf("%s.%s: total %d, want %d", tbl.Database, tbl.Table, total, len(want))
				}
			}
		}
	}
	// An unpartitioned table has one partition with an empty spec.
	ps, _ := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: "hr", Table: "employees"})
	if len(ps) != 1 || ps[0].Spec != "" {
		t.Errorf("unpartitioned table: %v", partitionNames(ps))
	}
	// The table that has no partition.
	ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: "empty", Table: "nothing"})
	if len(ps) != 0 || total != 0 {
		t.Errorf("empty table: %v, total %d", partitionNames(ps), total)
	}
}

func testListPartitionsTableFilter(t *testing.T, st shoal.Store) {
	f := newFixture(17)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	big := biggestTable(f)
	for _, flt := range []shoal.PartitionFilter{
		{Database: big.Database, Table: big.Table, Search: "-0"},
		{Database: big.Database, Table: big.Table, Search: "DT=2025-01-1", Sort: shoal.SortName},
		{Database: big.Database, Table: big.Table, OnlyErrors: true},
		{Database: big.Database, Table: big.Table, OnlyErrors: true, Search: "1", Sort: shoal.SortBytes},
		{Database: "web_logs", Table: "paths", Search: "a_b"},
		{Database: "web_logs", Table: "paths", Search: "a%2"},
		{Database: "web_logs", Table: "paths", Search: "%"},
		{Database: "web_logs", Table: "paths", Search: "a%25b"},
	} {
		flt.ScanID = sc.ID
		ps, total := listPartitions(t, st, flt)
		want := f.wantPartitions(flt)
		equalPartitions(t, fmt.Sprintf("%+v", flt), ps, want)
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
		flt.Limit = 1
		ps, total = listPartitions(t, st, flt)
		equalPartitions(t, fmt.Sprintf("%+v", flt), ps, want[:min(1, len(want))])
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
		if flt.OnlyErrors && len(want) == 0 {
			t.Errorf("%+v: fixture has no failed partition to find", flt)
		}
	}
	ps, _ := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: "web_logs", Table: "paths", Search: "a_b"})
	if len(ps) != 1 || ps[0].Spec != "path=a_b" {
		t.Errorf("search a_b: %v, want only path=a_b", partitionNames(ps))
	}
}

func testListPartitionsTablePaging(t *testing.T, st shoal.Store) {
	f := newFixture(18)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	big := biggestTable(f)
	for _, key := range []shoal.SortKey{shoal.SortSmallFiles, shoal.SortSmallRatio, shoal.SortName} {
		for _, desc := range []bool{false, true} {
			all := f.wantPartitions(shoal.PartitionFilter{Database: big.Database, Table: big.Table, Sort: key, Desc: desc})
			var got []shoal.PartitionStats
			for off := 0; off < len(all)+4; off += 4 {
				ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: big.Database,
					Table: big.Table, Sort: key, Desc: desc, Limit: 4, Offset: off})
				if total != int64(len(all)) {
					t.Errorf("%s offset %d: total %d, want %d", key, off, total, len(all))
				}
				got = append(got, ps...)
			}
			equalPartitions(t, fmt.Sprintf("pages by %s desc=%v", key, desc), got, all)
		}
	}
}

func testListPartitionsTableNotFound(t *testing.T, st shoal.Store) {
	sc := newSnapshot(t, st, newFixture(19), shoal.ScanSucceeded, base)
	_, _, err := st.ListPartitions(t.Context(), shoal.PartitionFilter{ScanID: sc.ID, Database: "sales", Table: "nope"})
	wantCode(t, err, shoal.ENOTFOUND, "ListPartitions(unknown table)")
	_, _, err = st.ListPartitions(t.Context(), shoal.PartitionFilter{ScanID: sc.ID + 1, Database: "sales", Table: "orders"})
	wantCode(t, err, shoal.ENOTFOUND, "ListPartitions(unknown snapshot)")
}

// checkKeys checks that partitions ranked across a snapshot have the sort
// keys and specs of want, in order. Which of several partitions that tie
// comes first depends on the store's ids.
func checkKeys(t *testing.T, what string, got, want []shoal.PartitionStats, key shoal.SortKey) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d partitions, want %d", what, len(got), len(want))
		return false
	}
	for i := range got {
		if comparePartitionKey(key, &got[i], &want[i]) != 0 {
			t.Errorf("%s: partition %d is %s, want one like %s", what, i,
				partitionNames(got[i:i+1]), partitionNames(want[i:i+1]))
			return false
		}
	}
	return true
}

// checkRanking checks partitions ranked across a snapshot: the order of
// their sort keys and specs, and that they are the expected set.
func checkRanking(t *testing.T, what string, got, want []shoal.PartitionStats, key shoal.SortKey) {
	t.Helper()
	if !checkKeys(t, what, got, want, key) {
		return
	}
	byName := func(ps []shoal.PartitionStats) []shoal.PartitionStats {
		ps = slices.Clone(ps)
		slices.SortFunc(ps, func(a, b shoal.PartitionStats) int {
			return strings.Compare(a.Database+"."+a.Table+"/"+a.Spec, b.Database+"."+b.Table+"/"+b.Spec)
		})
		return ps
	}
	equalPartitions(t, what+" (as a set)", byName(got), byName(want))
}

func testListPartitionsSnapshotSort(t *testing.T, st shoal.Store) {
	f := newFixture(20)
	newSnapshot(t, st, newFixture(21), shoal.ScanSucceeded, base)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Hour))
	for _, key := range shoal.SortKeys {
		if key == shoal.SortPartitions {
			continue
		}
		for _, desc := range []bool{false, true} {
			flt := shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: shoal.MaxLimit}
			ps, total := listPartitions(t, st, flt)
			checkRanking(t, fmt.Sprintf("by %s desc=%v", key, desc), ps, f.wantPartitions(flt), key)
			if total != int64(len(f.parts)) {
				t.Errorf("by %s: total %d, want %d", key, total, len(f.parts))
			}
		}
	}
	ps, _ := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: 5})
	checkKeys(t, "default order", ps, f.wantPartitions(shoal.PartitionFilter{Sort: shoal.SortSmallFiles, Desc: true})[:5],
		shoal.SortSmallFiles)
}

func testListPartitionsSnapshotFilter(t *testing.T, st shoal.Store) {
	f := newFixture(22)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	for _, flt := range []shoal.PartitionFilter{
		{OnlyErrors: true},
		{OnlyErrors: true, Sort: shoal.SortName, Desc: true},
		{Search: "REGION=EU"},
		{Search: "a_b"},
		{Search: "01-0", OnlyErrors: true, Sort: shoal.SortFiles},
		{Search: "no such spec"},
	} {
		flt.ScanID, flt.Limit = sc.ID, shoal.MaxLimit
		ps, total := listPartitions(t, st, flt)
		want := f.wantPartitions(flt)
		v := flt
		_ = v.Validate() // fills the default sort key
		checkRanking(t, fmt.Sprintf("%+v", flt), ps, want, v.Sort)
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
		for _, p := range ps {
			if flt.OnlyErrors && p.Error == "" {
				t.Errorf("%+v: partition %s has no error", flt, partitionNames([]shoal.PartitionStats{p}))
			}
		}
		flt.Limit = 2
		ps, total = listPartitions(t, st, flt)
		checkKeys(t, fmt.Sprintf("%+v", flt), ps, want[:min(2, len(want))], v.Sort)
		if total != int64(len(want)) {
			t.Errorf("%+v: total %d, want %d", flt, total, len(want))
		}
	}
}

func testListPartitionsSnapshotPaging(t *testing.T, st shoal.Store) {
	f := newFixture(23)
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	for _, key := range []shoal.SortKey{shoal.SortSmallFiles, shoal.SortBytes, shoal.SortName, shoal.SortAvgSize} {
		for _, desc := range []bool{false, true} {
			all, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: shoal.MaxLimit})
			var got []shoal.PartitionStats
			for off := 0; off < len(all)+7; off += 7 {
				ps, pageTotal := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: 7, Offset: off})
				if pageTotal != total {
					t.Errorf("%s offset %d: total %d, want %d", key, off, pageTotal, total)
				}
				got = append(got, ps...)
			}
			// Ties are broken the same way on every page.
			equalPartitions(t, fmt.Sprintf("pages by %s desc=%v", key, desc), got, all)
		}
	}
}

// testListPartitionsManyTables ranks the partitions of a snapshot of many
// tables with few distinct values, so that many tables tie.
func testListPartitionsManyTables(t *testing.T, st shoal.Store) {
	f := &fixture{}
	r := rand.New(rand.NewPCG(50, 50)) //nolint:gosec // reproducible test data
	for i := range 150 {
		name := fmt.Sprintf("t%03d", i)
		tbl := shoal.NewTableStats(&shoal.Table{Database: "many", Name: name, PartitionKeys: []string{"k"}})
		for j := range 1 + i%4 {
			p := shoal.PartitionStats{Database: "many", Table: name, Spec: fmt.Sprintf("k=%d", j),
				Files: r.Int64N(4), Bytes: r.Int64N(3) * 1000, NewestModTime: base.Add(time.Duration(r.IntN(3)) * time.Hour)}
			p.Small = r.Int64N(p.Files + 1)
			p.ReducibleFiles = max(0, p.Files-1)
			tbl.AddPartition(&p)
			f.parts = append(f.parts, p)
		}
		f.tables = append(f.tables, tbl)
	}
	sc := newSnapshot(t, st, f, shoal.ScanSucceeded, base)
	for _, key := range shoal.SortKeys {
		if key == shoal.SortPartitions {
			continue
		}
		for _, desc := range []bool{false, true} {
			all := f.wantPartitions(shoal.PartitionFilter{Sort: key, Desc: desc})
			for _, pg := range []struct{ limit, offset int }{{1, 0}, {10, 0}, {10, 90}, {100, 200}, {1000, 0}} {
				flt := shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: pg.limit, Offset: pg.offset}
				ps, total := listPartitions(t, st, flt)
				want := all[min(pg.offset, len(all)):min(pg.offset+pg.limit, len(all))]
				checkKeys(t, fmt.Sprintf("by %s desc=%v, %d at %d", key, desc, pg.limit, pg.offset), ps, want, key)
				if total != int64(len(all)) {
					t.Errorf("by %s: total %d, want %d", key, total, len(all))
				}
			}
			// Pages never repeat or skip a partition.
			whole, _ := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: shoal.MaxLimit})
			var paged []shoal.PartitionStats
			for off := 0; off < len(all); off += 37 {
				ps, _ := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Sort: key, Desc: desc, Limit: 37, Offset: off})
				paged = append(paged, ps...)
			}
			equalPartitions(t, fmt.Sprintf("pages by %s desc=%v", key, desc), paged, whole)
		}
	}
}

func testListPartitionsBadFilter(t *testing.T, st shoal.Store) {
	sc := newSnapshot(t, st, newFixture(24), shoal.ScanSucceeded, base)
	for _, f := range []shoal.PartitionFilter{
		{Sort: shoal.SortPartitions},
		{Sort: "size"},
		{Database: "sales"},
		{Table: "orders"},
		{Limit: shoal.MaxLimit + 1},
		{Limit: -1},
		{Offset: -3},
	} {
		f.ScanID = sc.ID
		_, _, err := st.ListPartitions(t.Context(), f)
		wantCode(t, err, shoal.EINVALID, fmt.Sprintf("ListPartitions(%+v)", f))
	}
	_, _, err := st.ListPartitions(t.Context(), shoal.PartitionFilter{ScanID: sc.ID + 5})
	wantCode(t, err, shoal.ENOTFOUND, "ListPartitions(unknown snapshot)")
}

// Trends, deletion and pruning.

// history writes three succeeded snapshots an hour apart, the oldest
// without sales.orders, around scans that must not count: a failed scan with
// statistics and a running one.
func history(t *testing.T, st shoal.Store) ([]*fixture, []*shoal.Scan) {
	t.Helper()
	fs := []*fixture{newFixture(31, "sales.orders"), newFixture(32), newFixture(33)}
	var scans []*shoal.Scan
	for i, f := range fs {
		scans = append(scans, newSnapshot(t, st, f, shoal.ScanSucceeded, base.Add(time.Duration(i)*time.Hour)))
		if i == 1 {
			newSnapshot(t, st, newFixture(34), shoal.ScanFailed, base.Add(90*time.Minute))
		}
	}
	newSnapshot(t, st, newFixture(35), shoal.ScanRunning, base.Add(3*time.Hour))
	return fs, scans
}

func wantPoints(t *testing.T, what string, got []shoal.TrendPoint, want ...shoal.TrendPoint) {
	t.Helper()
	for i := range want {
		want[i].At = norm(want[i].At)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", what, got, want)
	}
}

func testTableTrend(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	fs, scans := history(t, st)
	got, err := st.TableTrend(ctx, "", "sales", "orders", 10)
	if err != nil {
		t.Fatalf("TableTrend: %v", err)
	}
	wantPoints(t, "sales.orders", got, fs[1].point(scans[1], "sales", "orders"), fs[2].point(scans[2], "sales", "orders"))
	got, err = st.TableTrend(ctx, "", "hr", "payroll", 2)
	if err != nil {
		t.Fatalf("TableTrend: %v", err)
	}
	wantPoints(t, "hr.payroll, 2 points", got, fs[1].point(scans[1], "hr", "payroll"), fs[2].point(scans[2], "hr", "payroll"))
	got, err = st.TableTrend(ctx, "", "hr", "payroll", 0)
	if err != nil {
		t.Fatalf("TableTrend: %v", err)
	}
	if len(got) != 3 {
		t.Errorf("default limit: %d points, want 3", len(got))
	}
	_, err = st.TableTrend(ctx, "", "hr", "nope", 10)
	wantCode(t, err, shoal.ENOTFOUND, "TableTrend(unknown table)")
	_, err = st.TableTrend(ctx, "", "hr", "payroll", -1)
	wantCode(t, err, shoal.EINVALID, "TableTrend(limit -1)")
}

func testTrendOtherCatalog(t *testing.T, st shoal.Store) {
	fs, scans := history(t, st)
	got, err := st.WarehouseTrend(t.Context(), "file:///warehouse", 10)
	if err != nil {
		t.Fatalf("WarehouseTrend: %v", err)
	}
	wantPoints(t, "its own catalog", got, fs[0].point(scans[0], "", ""), fs[1].point(scans[1], "", ""), fs[2].point(scans[2], "", ""))
	got, err = st.WarehouseTrend(t.Context(), "other", 10)
	if err != nil || len(got) != 0 {
		t.Errorf("WarehouseTrend(other catalog) = %v, %v; want no points", got, err)
	}
	_, err = st.TableTrend(t.Context(), "other", "sales", "orders", 10)
	wantCode(t, err, shoal.ENOTFOUND, "TableTrend(other catalog)")
	if got, err := st.TableTrend(t.Context(), "file:///warehouse", "sales", "orders", 10); err != nil || len(got) != 2 {
		t.Errorf("TableTrend(its catalog) = %v, %v; want 2 points", got, err)
	}
}

func testWarehouseTrend(t *testing.T, st shoal.Store) {
	fs, scans := history(t, st)
	got, err := st.WarehouseTrend(t.Context(), "", 2)
	if err != nil {
		t.Fatalf("WarehouseTrend: %v", err)
	}
	wantPoints(t, "2 points", got, fs[1].point(scans[1], "", ""), fs[2].point(scans[2], "", ""))
	got, err = st.WarehouseTrend(t.Context(), "", 100)
	if err != nil {
		t.Fatalf("WarehouseTrend: %v", err)
	}
	wantPoints(t, "all points", got, fs[0].point(scans[0], "", ""), fs[1].point(scans[1], "", ""), fs[2].point(scans[2], "", ""))
	_, err = st.WarehouseTrend(t.Context(), "", shoal.MaxLimit+1)
	wantCode(t, err, shoal.EINVALID, "WarehouseTrend(too many)")
}

func testTrendEmpty(t *testing.T, st shoal.Store) {
	got, err := st.WarehouseTrend(t.Context(), "", 10)
	if err != nil || len(got) != 0 {
		t.Errorf("WarehouseTrend(empty store) = %v, %v; want no points", got, err)
	}
	_, err = st.TableTrend(t.Context(), "", "sales", "orders", 10)
	wantCode(t, err, shoal.ENOTFOUND, "TableTrend(empty store)")
}

func testDeleteSnapshot(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	fs, scans := history(t, st)
	if err := st.DeleteSnapshot(ctx, scans[1].ID); err != nil {
		t.Fatalf("DeleteSnapshot: %v", err)
	}
	ts, total := listTables(t, st, shoal.TableFilter{ScanID: scans[1].ID})
	if len(ts) != 0 || total != 0 {
		t.Errorf("deleted snapshot: %d tables, total %d", len(ts), total)
	}
	ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: scans[1].ID})
	if len(ps) != 0 || total != 0 {
		t.Errorf("deleted snapshot: %d partitions, total %d", len(ps), total)
	}
	_, err := st.GetTable(ctx, scans[1].ID, "sales", "orders")
	wantCode(t, err, shoal.ENOTFOUND, "GetTable(deleted snapshot)")
	if _, err := st.GetScan(ctx, scans[1].ID); err != nil {
		t.Errorf("GetScan(deleted snapshot): %v; the scan must stay", err)
	}
	// Other snapshots are untouched.
	for _, i := range []int{0, 2} {
		ts, _ := listTables(t, st, shoal.TableFilter{ScanID: scans[i].ID, Sort: shoal.SortName, Limit: shoal.MaxLimit})
		equalTables(t, fmt.Sprintf("snapshot %d", i), ts, fs[i].wantTables(shoal.TableFilter{Sort: shoal.SortName}))
		_, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: scans[i].ID, Limit: 1})
		if total != int64(len(fs[i].parts)) {
			t.Errorf("snapshot %d: %d partitions, want %d", i, total, len(fs[i].parts))
		}
		_, total = listTables(t, st, shoal.TableFilter{ScanID: scans[i].ID, Limit: 1})
		if total != int64(len(fs[i].tables)) {
			t.Errorf("snapshot %d: %d tables, want %d", i, total, len(fs[i].tables))
		}
	}
	got, err := st.WarehouseTrend(ctx, "", 10)
	if err != nil {
		t.Fatalf("WarehouseTrend: %v", err)
	}
	wantPoints(t, "trend without the deleted snapshot", got, fs[0].point(scans[0], "", ""), fs[2].point(scans[2], "", ""))
	// The statistics of a failed scan can be deleted too.
	failed := newSnapshot(t, st, newFixture(40), shoal.ScanFailed, base)
	if err := st.DeleteSnapshot(ctx, failed.ID); err != nil {
		t.Errorf("DeleteSnapshot(failed scan): %v", err)
	}
	// A running scan can start its snapshot over.
	f := newFixture(41)
	retried := newSnapshot(t, st, newFixture(42), shoal.ScanRunning, base)
	if err := st.DeleteSnapshot(ctx, retried.ID); err != nil {
		t.Fatalf("DeleteSnapshot(running scan): %v", err)
	}
	f.write(ctx, t, st, retried.ID)
	mustUpdate(t, st, retried.ID, shoal.ScanUpdate{State: ptr(shoal.ScanSucceeded), FinishedAt: ptr(base.Add(time.Hour))})
	ts, total = listTables(t, st, shoal.TableFilter{ScanID: retried.ID, Sort: shoal.SortName, Limit: 2})
	equalTables(t, "rewritten snapshot", ts, f.wantTables(shoal.TableFilter{Sort: shoal.SortName})[:2])
	if total != int64(len(f.tables)) {
		t.Errorf("rewritten snapshot: %d tables, want %d", total, len(f.tables))
	}
	if _, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: retried.ID, Limit: 1}); total != int64(len(f.parts)) {
		t.Errorf("rewritten snapshot: %d partitions, want %d", total, len(f.parts))
	}
}

func testDeleteSnapshotNotFound(t *testing.T, st shoal.Store) {
	err := st.DeleteSnapshot(t.Context(), 31337)
	wantCode(t, err, shoal.ENOTFOUND, "DeleteSnapshot(31337)")
}

func testPruneSnapshots(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	fs, scans := history(t, st)
	n, err := st.PruneSnapshots(ctx, 1)
	if err != nil {
		t.Fatalf("PruneSnapshots(1): %v", err)
	}
	if n != 2 {
		t.Errorf("PruneSnapshots(1) = %d, want 2", n)
	}
	for i, sc := range scans {
		ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: shoal.MaxLimit})
		tbl := biggestTable(fs[i])
		tps, ttotal := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Database: tbl.Database, Table: tbl.Table})
		ts, _ := listTables(t, st, shoal.TableFilter{ScanID: sc.ID, Sort: shoal.SortName, Limit: shoal.MaxLimit})
		equalTables(t, fmt.Sprintf("tables of snapshot %d", i), ts, fs[i].wantTables(shoal.TableFilter{Sort: shoal.SortName}))
		if i < 2 {
			if len(ps) != 0 || total != 0 || len(tps) != 0 || ttotal != 0 {
				t.Errorf("pruned snapshot %d: %d partitions (total %d), table %d (total %d)", i, len(ps), total, len(tps), ttotal)
			}
			continue
		}
		if len(ps) != len(fs[i].parts) || total != int64(len(fs[i].parts)) {
			t.Errorf("kept snapshot: %d partitions, total %d; want %d", len(ps), total, len(fs[i].parts))
		}
		if _, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: sc.ID, Limit: 1}); total != int64(len(fs[i].parts)) {
			t.Errorf("kept snapshot: total %d, want %d", total, len(fs[i].parts))
		}
	}
	got, err := st.TableTrend(ctx, "", "hr", "payroll", 10)
	if err != nil {
		t.Fatalf("TableTrend: %v", err)
	}
	wantPoints(t, "trend after pruning", got, fs[0].point(scans[0], "hr", "payroll"),
		fs[1].point(scans[1], "hr", "payroll"), fs[2].point(scans[2], "hr", "payroll"))
	wh, err := st.WarehouseTrend(ctx, "", 10)
	if err != nil {
		t.Fatalf("WarehouseTrend: %v", err)
	}
	if len(wh) != 3 {
		t.Errorf("warehouse trend after pruning: %d points, want 3", len(wh))
	}
	if n, err := st.PruneSnapshots(ctx, 1); n != 0 || err != nil {
		t.Errorf("PruneSnapshots(1) again = %d, %v; want 0", n, err)
	}
	// PruneSnapshots(0) prunes the last snapshot, and not the failed scan.
	if n, err := st.PruneSnapshots(ctx, 0); n != 1 || err != nil {
		t.Errorf("PruneSnapshots(0) = %d, %v; want 1", n, err)
	}
	ps, total := listPartitions(t, st, shoal.PartitionFilter{ScanID: scans[2].ID})
	if len(ps) != 0 || total != 0 {
		t.Errorf("after PruneSnapshots(0): %d partitions, total %d", len(ps), total)
	}
}

func testPruneSnapshotsInvalid(t *testing.T, st shoal.Store) {
	_, err := st.PruneSnapshots(t.Context(), -1)
	wantCode(t, err, shoal.EINVALID, "PruneSnapshots(-1)")
}

package storetest

import (
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

// runMerge runs the MergeStore contract: policies, merge jobs, the swap
// journal, leases and the audit log.
func (s *suite) runMerge(t *testing.T) {
	s.run(t, "Policies", testPolicies)
	s.run(t, "MergeJobs", testMergeJobs)
	s.run(t, "Journal", testJournal)
	s.run(t, "Leases", testLeases)
	s.run(t, "Audit", testAudit)
}

func testPolicies(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	if ps, err := st.ListPolicies(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("ListPolicies on an empty store = %v, %v", ps, err)
	}
	age := shoal.Duration(72 * time.Hour)
	for _, p := range []shoal.Policy{
		{Scope: "sales.orders", TargetFileSize: ptr(int64(256 << 20)), Exclude: []string{"sales.tmp_*"}},
		{Scope: shoal.PolicyGlobal, MinAge: &age, Include: []string{"*.*"}, UpdatedBy: "alice"},
		{Scope: "sales", Enabled: ptr(false)},
	} {
		if err := st.PutPolicy(ctx, &p); err != nil {
			t.Fatalf("PutPolicy(%s): %v", p.Scope, err)
		}
	}
	ps, err := st.ListPolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var scopes []string
	for _, p := range ps {
		scopes = append(scopes, p.Scope)
	}
	if want := []string{"*", "sales", "sales.orders"}; !equalStrings(scopes, want) {
		t.Fatalf("scopes = %v, want %v", scopes, want)
	}
	if ps[0].MinAge == nil || *ps[0].MinAge != age || ps[0].UpdatedBy != "alice" || ps[0].UpdatedAt.IsZero() {
		t.Errorf("global policy read back as %+v", ps[0])
	}
	if ps[2].TargetFileSize == nil || *ps[2].TargetFileSize != 256<<20 || len(ps[2].Exclude) != 1 {
		t.Errorf("table policy read back as %+v", ps[2])
	}
	// Replace, then delete.
	if err := st.PutPolicy(ctx, &shoal.Policy{Scope: "sales", Enabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	ps, _ = st.ListPolicies(ctx)
	if len(ps) != 3 || ps[1].Enabled == nil || !*ps[1].Enabled {
		t.Errorf("replaced policy read back as %+v", ps)
	}
	if err := st.DeletePolicy(ctx, "sales"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, st.DeletePolicy(ctx, "sales"), shoal.ENOTFOUND, "DeletePolicy of a deleted scope")
	wantCode(t, st.PutPolicy(ctx, &shoal.Policy{Scope: "a/b"}), shoal.EINVALID, "PutPolicy with a bad scope")
	wantCode(t, st.PutPolicy(ctx, &shoal.Policy{Scope: "x", SmallFileSize: ptr(int64(-1))}), shoal.EINVALID,
		"PutPolicy with a negative size")
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func newJob(t *testing.T, st shoal.Store, db, table string) *shoal.MergeJob {
	t.Helper()
	j := &shoal.MergeJob{
		State: shoal.MergePlanned, Database: db, Table: table, Catalog: "warehouse:///w", CreatedBy: "bob",
		Plan: &shoal.Plan{Database: db, Table: table, Format: shoal.FormatParquet, Mode: shoal.ModeAuto, Eligible: true,
			Partitions: []shoal.PartitionPlan{{Spec: "dt=1", Eligible: true, FilesBefore: 10, FilesAfter: 1,
				Groups: []shoal.MergeGroup{{Output: "a", Inputs: []string{"a", "b"}, Bucket: -1}}}}},
	}
	if err := st.CreateMergeJob(t.Context(), j); err != nil {
		t.Fatalf("CreateMergeJob: %v", err)
	}
	return j
}

func testMergeJobs(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	a := newJob(t, st, "sales", "orders")
	b := newJob(t, st, "sales", "refunds")
	if a.ID == 0 || b.ID <= a.ID || a.CreatedAt.IsZero() {
		t.Fatalf("job ids %d, %d, created %v", a.ID, b.ID, a.CreatedAt)
	}
	got, err := st.GetMergeJob(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Plan == nil || len(got.Plan.Partitions) != 1 || got.Plan.Partitions[0].Groups[0].Inputs[1] != "b" ||
		got.CreatedBy != "bob" || got.State != shoal.MergePlanned || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("job read back as %+v", got)
	}
	_, err = st.GetMergeJob(ctx, 999999)
	wantCode(t, err, shoal.ENOTFOUND, "GetMergeJob of a missing job")

	// A conditional state change succeeds once.
	now := time.Now().UTC().Truncate(time.Microsecond)
	upd := shoal.MergeJobUpdate{State: ptr(shoal.MergeQueued), From: []shoal.MergeState{shoal.MergePlanned}}
	if _, err := st.UpdateMergeJob(ctx, a.ID, upd); err != nil {
		t.Fatal(err)
	}
	_, err = st.UpdateMergeJob(ctx, a.ID, upd)
	wantCode(t, err, shoal.ECONFLICT, "second planned→queued")
	_, err = st.UpdateMergeJob(ctx, 999999, upd)
	wantCode(t, err, shoal.ENOTFOUND, "UpdateMergeJob of a missing job")
	got, err = st.UpdateMergeJob(ctx, a.ID, shoal.MergeJobUpdate{State: ptr(shoal.MergeRunning), StartedAt: &now,
		Progress: &shoal.MergeProgress{FilesDone: 3, FilesTotal: 10, BytesDone: 30, BytesTotal: 100},
		Error:    ptr("x"), RiverJobID: ptr(int64(42))})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != shoal.MergeRunning || !got.StartedAt.Equal(now) || got.Progress.FilesDone != 3 ||
		got.Progress.BytesTotal != 100 || got.Error != "x" || got.RiverJobID != 42 {
		t.Fatalf("updated job = %+v", got)
	}

	jobs, total, err := st.ListMergeJobs(ctx, shoal.MergeJobFilter{})
	if err != nil || total != 2 || len(jobs) != 2 || jobs[0].ID != b.ID {
		t.Fatalf("ListMergeJobs = %d jobs, total %d, %v; want newest first", len(jobs), total, err)
	}
	jobs, total, _ = st.ListMergeJobs(ctx, shoal.MergeJobFilter{State: shoal.MergeRunning})
	if total != 1 || jobs[0].ID != a.ID {
		t.Errorf("running jobs = %d", total)
	}
	_, total, _ = st.ListMergeJobs(ctx, shoal.MergeJobFilter{Database: "sales", Table: "refunds"})
	if total != 1 {
		t.Errorf("jobs of sales.refunds = %d", total)
	}
	_, _, err = st.ListMergeJobs(ctx, shoal.MergeJobFilter{State: "bogus"})
	wantCode(t, err, shoal.EINVALID, "ListMergeJobs with a bad state")
}

func testJournal(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	j := newJob(t, st, "db", "t")
	now := time.Now().UTC().Truncate(time.Microsecond)
	entries := []shoal.PartitionResult{
		{Index: 0, Spec: "dt=1", Step: shoal.StepStaging, Staging: "/w/.s0"},
		{Index: 1, Spec: "dt=2", Step: shoal.StepSwapped, Backup: "/w/.b1", ExpiresAt: now.Add(-time.Hour),
			After: []shoal.PlanFile{{Name: "000000_0", Size: 10, ModTime: now}}},
		{Index: 2, Spec: "dt=3", Step: shoal.StepSwapped, ExpiresAt: now.Add(time.Hour)},
		{Index: 3, Spec: "dt=4", Step: shoal.StepAborted},
	}
	for i := range entries {
		if err := st.PutMergeResult(ctx, j.ID, &entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Recording the next step replaces the entry.
	entries[0].Step = shoal.StepBackup
	if err := st.PutMergeResult(ctx, j.ID, &entries[0]); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingSwaps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].JobID != j.ID || pending[0].Result.Step != shoal.StepBackup ||
		pending[0].Result.Staging != "/w/.s0" {
		t.Fatalf("PendingSwaps = %+v", pending)
	}
	expired, err := st.ExpiredBackups(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 1 || expired[0].Result.Index != 1 || len(expired[0].Result.After) != 1 ||
		!expired[0].Result.After[0].ModTime.Equal(now) {
		t.Fatalf("ExpiredBackups = %+v", expired)
	}
	got, err := st.GetMergeJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 4 || got.Results[0].Step != shoal.StepBackup || got.Results[3].Spec != "dt=4" {
		t.Fatalf("job results = %+v", got.Results)
	}
}

func testLeases(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	if err := st.AcquireLease(ctx, "db.t/dt=1", "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
	wantCode(t, st.AcquireLease(ctx, "db.t/dt=1", "w2", time.Minute), shoal.ECONFLICT, "lease held by another")
	if err := st.AcquireLease(ctx, "db.t/dt=1", "w1", time.Minute); err != nil {
		t.Fatalf("renewing one's own lease: %v", err)
	}
	if err := st.AcquireLease(ctx, "db.t/dt=2", "w2", time.Minute); err != nil {
		t.Fatalf("another partition: %v", err)
	}
	// w2 releasing w1's lease does nothing.
	if err := st.ReleaseLease(ctx, "db.t/dt=1", "w2"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, st.AcquireLease(ctx, "db.t/dt=1", "w2", time.Minute), shoal.ECONFLICT, "lease after a foreign release")
	if err := st.ReleaseLease(ctx, "db.t/dt=1", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := st.AcquireLease(ctx, "db.t/dt=1", "w2", time.Millisecond); err != nil {
		t.Fatalf("lease after release: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := st.AcquireLease(ctx, "db.t/dt=1", "w3", time.Minute); err != nil {
		t.Fatalf("taking over an expired lease: %v", err)
	}
	owner, until, err := st.LeaseHolder(ctx, "db.t/dt=1")
	if err != nil || owner != "w3" || time.Until(until) < 30*time.Second {
		t.Fatalf("LeaseHolder = %q, %v, %v", owner, until, err)
	}
	_, _, err = st.LeaseHolder(ctx, "db.t/none")
	wantCode(t, err, shoal.ENOTFOUND, "LeaseHolder of a free key")
	wantCode(t, st.StealLease(ctx, "db.t/dt=1", "w1", "w4", time.Minute), shoal.ECONFLICT, "stealing from a non-holder")
	if err := st.StealLease(ctx, "db.t/dt=1", "w3", "w4", time.Minute); err != nil {
		t.Fatalf("StealLease: %v", err)
	}
	if owner, _, _ := st.LeaseHolder(ctx, "db.t/dt=1"); owner != "w4" {
		t.Fatalf("holder after steal = %q", owner)
	}
}

func testAudit(t *testing.T, st shoal.Store) {
	ctx := t.Context()
	for i, action := range []string{"scan.start", "merge.run", "merge.rollback"} {
		e := &shoal.AuditEntry{Actor: "token:ops", Action: action, Target: "job/" + string(rune('1'+i))}
		if err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.At.IsZero() {
			t.Fatalf("audit entry = %+v", e)
		}
	}
	es, total, err := st.ListAudit(ctx, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(es) != 2 || es[0].Action != "merge.rollback" || es[1].Actor != "token:ops" {
		t.Fatalf("ListAudit = %+v, %d", es, total)
	}
}

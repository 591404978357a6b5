package merge_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/merge/text"
)

// recorder is an Observer that records what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }

func (r *recorder) PartitionMerged(_ context.Context, j *shoal.MergeJob, p *shoal.PartitionResult) {
	r.add("merged " + p.Spec)
}
func (r *recorder) ValidationFailed(_ context.Context, j *shoal.MergeJob, spec string, err error) {
	r.add("validation " + spec)
}
func (r *recorder) JobFinished(_ context.Context, j *shoal.MergeJob) {
	r.add("finished " + string(j.State))
}
func (r *recorder) RolledBack(_ context.Context, j *shoal.MergeJob) { r.add("rolled back") }

// badVerify is the text merger with a read-back that always fails.
type badVerify struct{ shoal.Merger }

func (badVerify) Verify(context.Context, shoal.MergeInput) (*shoal.FileMeta, error) {
	return nil, errors.New("checksum mismatch")
}

func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func TestObserver_MergeAndRollbackAreCounted(t *testing.T) {
	root := t.TempDir()
	writePartition(t, root, "events", textFiles(6))
	e := newEnv(t, root)
	cat := e.engine.CatalogName
	reg := prometheus.NewRegistry()
	rec := &recorder{}
	e.engine.Observer = merge.Observers{merge.NewMetrics(reg, []string{cat}), rec}
	ctx := t.Context()
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = e.engine.Run(ctx, j.ID); err != nil || j.State != shoal.MergeSucceeded {
		t.Fatalf("run: %v %+v", err, j)
	}
	c := map[string]string{"catalog": cat}
	if v := metricValue(t, reg, "shoal_merges_total", map[string]string{"catalog": cat, "status": "succeeded"}); v != 1 {
		t.Errorf("succeeded = %v", v)
	}
	if v := metricValue(t, reg, "shoal_merge_files_removed_total", c); v != 5 {
		t.Errorf("files removed = %v, want 5", v)
	}
	if v, want := metricValue(t, reg, "shoal_merge_bytes_total", c), float64(j.Plan.Partitions[0].BytesToRewrite); v != want || v == 0 {
		t.Errorf("bytes = %v, want %v", v, want)
	}
	if _, err := e.engine.Rollback(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, reg, "shoal_merge_rollbacks_total", c); v != 1 {
		t.Errorf("rollbacks = %v", v)
	}
	want := []string{"merged dt=1", "finished succeeded", "rolled back"}
	if len(rec.events) != len(want) {
		t.Fatalf("observed %v, want %v", rec.events, want)
	}
	for i := range want {
		if rec.events[i] != want[i] {
			t.Fatalf("observed %v, want %v", rec.events, want)
		}
	}
}

func TestObserver_ValidationFailureIsCounted(t *testing.T) {
	root := t.TempDir()
	dir := writePartition(t, root, "events", textFiles(4))
	e := newEnv(t, root)
	e.engine.Mergers = nil
	e.engine.Register(badVerify{text.New()})
	cat := e.engine.CatalogName
	reg := prometheus.NewRegistry()
	rec := &recorder{}
	e.engine.Observer = merge.Observers{merge.NewMetrics(reg, []string{cat}), rec}
	ctx := t.Context()
	j, err := e.engine.Create(ctx, merge.PlanRequest{Database: "db", Table: "events"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	j, err = e.engine.Run(ctx, j.ID)
	if err != nil || j.State != shoal.MergeFailed {
		t.Fatalf("run: %v %+v", err, j)
	}
	if v := metricValue(t, reg, "shoal_merge_validation_failures_total", map[string]string{"catalog": cat}); v != 1 {
		t.Errorf("validation failures = %v", v)
	}
	if v := metricValue(t, reg, "shoal_merges_total", map[string]string{"catalog": cat, "status": "failed"}); v != 1 {
		t.Errorf("failed = %v", v)
	}
	if got := visible(t, dir); len(got) != 4 {
		t.Errorf("partition holds %v after a failed validation", got)
	}
	if len(rec.events) != 2 || rec.events[0] != "validation dt=1" || rec.events[1] != "finished failed" {
		t.Errorf("observed %v", rec.events)
	}
}

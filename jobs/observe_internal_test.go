package jobs

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/scan"
	"github.com/shoalhq/shoal/store/sqlite"
)

func TestDailySchedule_Next(t *testing.T) {
	t.Parallel()
	d, err := parseDaily("08:30")
	if err != nil {
		t.Fatal(err)
	}
	for now, want := range map[string]string{
		"2026-11-22T07:00:00Z": "2026-11-22T08:30:00Z",
		"2026-11-22T08:30:00Z": "2026-11-23T08:30:00Z", // not twice in the same minute
		"2026-11-22T23:59:00Z": "2026-11-23T08:30:00Z",
		"2026-12-31T09:00:00Z": "2027-01-01T08:30:00Z",
	} {
		n, _ := time.Parse(time.RFC3339, now)
		if got := d.Next(n).Format(time.RFC3339); got != want {
			t.Errorf("Next(%s) = %s, want %s", now, got, want)
		}
	}
	if _, err := parseDaily("8h"); err == nil {
		t.Error("parseDaily accepted 8h")
	}
}

// openClient opens a client with one worker on a fresh SQLite store.
func openClient(t *testing.T, cfg Config) (*Client, shoal.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	cfg.Workers = 1
	cfg.OpenScanner = func(context.Context, string) (*scan.Scanner, io.Closer, error) {
		return nil, nil, errors.New("no scans here")
	}
	c, err := NewSQLite(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Stop(sctx)
	})
	return c, st
}

func TestSummaryJob_SendsTheSummary(t *testing.T) {
	t.Parallel()
	sent := make(chan struct{}, 1)
	c, _ := openClient(t, Config{DailySummary: "03:00", SendSummary: func(context.Context) error {
		sent <- struct{}{}
		return nil
	}})
	if _, err := c.insert(context.Background(), SummaryArgs{Day: "2026-11-22"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the summary job did not run")
	}
}

// panicRunner panics in every merge.
type panicRunner struct{}

func (panicRunner) Run(context.Context, int64) (*shoal.MergeJob, error) { panic("merge exploded") }

func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
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
			return metricValue(m)
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetGauge().GetValue()
}

func TestMergeWorker_PanicIsReportedAndCounted(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reported := make(chan any, 1)
	c, _ := openClient(t, Config{
		Merges:  panicRunner{},
		Metrics: NewMetrics(reg),
		ReportPanic: func(_ context.Context, kind string, v any) {
			if kind == KindMerge {
				reported <- v
			}
		},
	})
	if _, err := c.insert(context.Background(), MergeArgs{JobID: 12}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-reported:
		if v != "merge exploded" {
			t.Errorf("reported %v", v)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the panic was not reported")
	}
	if v := counter(t, reg, "shoal_jobs_finished_total", map[string]string{"kind": "merge", "status": "failed"}); v != 1 {
		t.Errorf("failed merges = %v", v)
	}
	if v := counter(t, reg, "shoal_job_duration_seconds", map[string]string{"kind": "merge"}); v != 1 {
		t.Errorf("merge durations = %v", v)
	}
}

func TestQueueCollector_ReadsTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-90 * time.Second).UTC()
	for i, cat := range []string{"a", "b", "c"} {
		s := &shoal.Scan{Catalog: cat, State: shoal.ScanQueued, Thresholds: shoal.DefaultThresholds}
		if err := st.CreateScan(ctx, s); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			running := shoal.ScanRunning
			if _, err := st.UpdateScan(ctx, s.ID, shoal.ScanUpdate{State: &running, StartedAt: &started}); err != nil {
				t.Fatal(err)
			}
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewQueueCollector(st))
	scan := map[string]string{"kind": "scan"}
	if v := counter(t, reg, "shoal_jobs_queued", scan); v != 2 {
		t.Errorf("queued scans = %v", v)
	}
	if v := counter(t, reg, "shoal_jobs_running", scan); v != 1 {
		t.Errorf("running scans = %v", v)
	}
	if v := counter(t, reg, "shoal_jobs_oldest_running_seconds", scan); v < 89 || v > 150 {
		t.Errorf("oldest running scan = %vs, want about 90", v)
	}
	if v := counter(t, reg, "shoal_jobs_running", map[string]string{"kind": "merge"}); v != 0 {
		t.Errorf("running merges = %v", v)
	}
}

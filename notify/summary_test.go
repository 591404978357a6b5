package notify_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/notify"
	"github.com/shoalhq/shoal/store/sqlite"
)

func TestBuildSummary_FromTheStore(t *testing.T) {
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
	now := time.Now().UTC()
	sc := &shoal.Scan{Catalog: "prod", State: shoal.ScanRunning, Thresholds: shoal.DefaultThresholds}
	if err := st.CreateScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	done, finished := shoal.ScanSucceeded, now.Add(-time.Hour)
	totals := shoal.Totals{Tables: 3, Partitions: 10, Files: 500, Small: 400, Bytes: 5 << 20, ReducibleFiles: 350}
	if _, err := st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: &done, FinishedAt: &finished, Totals: &totals}); err != nil {
		t.Fatal(err)
	}
	merge := func(state shoal.MergeState, at time.Time, res *shoal.PartitionResult) {
		t.Helper()
		j := &shoal.MergeJob{State: shoal.MergePlanned, Catalog: "prod", Database: "db", Table: "t",
			Plan: &shoal.Plan{Database: "db", Table: "t", Eligible: true}}
		if err := st.CreateMergeJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		if res != nil {
			if err := st.PutMergeResult(ctx, j.ID, res); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.UpdateMergeJob(ctx, j.ID, shoal.MergeJobUpdate{State: &state, FinishedAt: &at}); err != nil {
			t.Fatal(err)
		}
	}
	merge(shoal.MergeSucceeded, now.Add(-2*time.Hour), &shoal.PartitionResult{Spec: "dt=1", Step: shoal.StepSwapped, FilesBefore: 4, FilesAfter: 1, BytesBefore: 4000})
	merge(shoal.MergeFailed, now.Add(-3*time.Hour), nil)
	merge(shoal.MergeSucceeded, now.Add(-30*time.Hour), &shoal.PartitionResult{Spec: "dt=2", Step: shoal.StepSwapped, FilesBefore: 9, FilesAfter: 1, BytesBefore: 9000})

	sum, err := notify.BuildSummary(ctx, st, []string{"prod", "dev"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Catalogs) != 2 {
		t.Fatalf("catalogs %+v", sum.Catalogs)
	}
	p, d := sum.Catalogs[0], sum.Catalogs[1]
	if p.Name != "prod" || p.ScanID != sc.ID || p.Files != 500 || p.SmallFiles != 400 || p.ReducibleFiles != 350 ||
		p.MergesSucceeded != 1 || p.MergesFailed != 1 || p.FilesRemoved != 3 || p.BytesMerged != 4000 {
		t.Errorf("prod summary %+v", p)
	}
	if d.Name != "dev" || d.ScanID != 0 || d.MergesSucceeded != 0 {
		t.Errorf("dev summary %+v", d)
	}
	e := sum.Event(now)
	if e.Type != notify.DailySummary || e.Catalog != "" || !strings.Contains(e.Text, "500 files (400 small, 350 reducible), 5.0 MiB") ||
		!strings.Contains(e.Text, "1 succeeded, 1 failed, 0 rolled back; 3 files removed") || !strings.Contains(e.Text, "no finished scan yet") {
		t.Errorf("event %+v", e)
	}
}

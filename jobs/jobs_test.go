package jobs_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/store/sqlite"
)

// An insert-only client queues scans, refuses a second active scan and
// cancels a queued one.
func TestClient_StartAndCancelScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.NewSQLite(path, jobs.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Stop(ctx)
	if err := jc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := jc.StartScan(ctx, "warehouse:///x", shoal.Thresholds{}); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Fatalf("zero thresholds: %v, want EINVALID", err)
	}
	first, err := jc.StartScan(ctx, "warehouse:///x", shoal.DefaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	if first.State != shoal.ScanQueued || first.JobID == 0 {
		t.Fatalf("queued scan = %+v", first)
	}
	if _, err := jc.StartScan(ctx, "warehouse:///x", shoal.DefaultThresholds); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Fatalf("second scan while one is queued: %v, want ECONFLICT", err)
	}
	cancelled, err := jc.CancelScan(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.State != shoal.ScanCancelled || cancelled.FinishedAt.IsZero() {
		t.Fatalf("cancelled scan = %+v", cancelled)
	}
	if _, err := jc.CancelScan(ctx, first.ID); shoal.ErrorCode(err) != shoal.ECONFLICT {
		t.Fatalf("cancelling a final scan: %v, want ECONFLICT", err)
	}
	if _, err := jc.CancelScan(ctx, 999); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Fatalf("cancelling a missing scan: %v, want ENOTFOUND", err)
	}
	if _, err := jc.StartScan(ctx, "warehouse:///x", shoal.DefaultThresholds); err != nil {
		t.Fatalf("a scan after the cancelled one: %v", err)
	}
}

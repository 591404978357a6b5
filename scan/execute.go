package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoalhq/shoal"
)

// Execute runs the scan recorded as id in st: it marks the scan running,
// streams the snapshot into the store, reports progress there, and marks the
// scan succeeded, failed or cancelled. The thresholds recorded on the scan
// (which its creator must set) override those of sc. A failed or cancelled scan leaves no statistics
// behind.
func Execute(ctx context.Context, st shoal.Store, sc *Scanner, id int64) (*shoal.Scan, error) {
	rec, err := st.GetScan(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load scan %d: %w", id, err)
	}
	if rec.State.Final() {
		return rec, shoal.Errorf(shoal.ECONFLICT, "scan %d is already %s", id, rec.State)
	}
	if err := rec.Thresholds.Validate(); err != nil {
		return nil, finish(st, id, fmt.Errorf("scan %d thresholds: %w", id, err), shoal.Totals{}, shoal.ScanProgress{})
	}
	sc.Options.Thresholds = rec.Thresholds

	now := time.Now()
	running := shoal.ScanRunning
	if _, err := st.UpdateScan(ctx, id, shoal.ScanUpdate{State: &running, StartedAt: &now}); err != nil {
		return nil, fmt.Errorf("mark scan %d running: %w", id, err)
	}

	var last shoal.ScanProgress
	user := sc.Options.OnProgress
	sc.Options.OnProgress = func(p shoal.ScanProgress) {
		last = p
		// A failed progress write must not fail the scan; the next one
		// or the final update will carry the figures.
		_, _ = st.UpdateScan(ctx, id, shoal.ScanUpdate{Progress: &p})
		if user != nil {
			user(p)
		}
	}
	defer func() { sc.Options.OnProgress = user }()

	w, err := st.SnapshotWriter(ctx, id)
	if err != nil {
		return nil, finish(st, id, err, shoal.Totals{}, last)
	}
	totals, runErr := sc.Run(ctx, w)
	if err := w.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close snapshot writer: %w", err)
	}
	if runErr != nil {
		return nil, finish(st, id, runErr, totals, last)
	}
	if err := finish(st, id, nil, totals, last); err != nil {
		return nil, err
	}
	return st.GetScan(context.WithoutCancel(ctx), id)
}

// finish records the final state of a scan. It runs even when ctx was
// cancelled, and returns runErr (or the store's error).
func finish(st shoal.Store, id int64, runErr error, totals shoal.Totals, prog shoal.ScanProgress) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	state := shoal.ScanSucceeded
	upd := shoal.ScanUpdate{State: &state, FinishedAt: &now, Progress: &prog}
	if runErr != nil {
		state = shoal.ScanFailed
		if errors.Is(runErr, context.Canceled) {
			state = shoal.ScanCancelled
		}
		msg := runErr.Error()
		upd.Error = &msg
		if err := st.DeleteSnapshot(ctx, id); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("delete partial snapshot: %w", err))
		}
	} else {
		prog.TotalKnown = true
		prog.ETA = 0
		upd.Totals = &totals
	}
	if _, err := st.UpdateScan(ctx, id, upd); err != nil {
		return errors.Join(runErr, fmt.Errorf("mark scan %d %s: %w", id, state, err))
	}
	return runErr
}

package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"

	"github.com/shoalhq/shoal"
)

// StartMerge queues a planned merge job. It returns ECONFLICT when the job
// is not planned, or when another job of the same table is queued or
// running.
func (c *Client) StartMerge(ctx context.Context, id int64) (*shoal.MergeJob, error) {
	j, err := c.cfg.Store.GetMergeJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State != shoal.MergePlanned {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d is %s; only a planned job can be run", id, j.State)
	}
	if j.Plan == nil || !j.Plan.Runnable() {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d has nothing to merge: %s", id, j.Plan.Reason)
	}
	for _, st := range []shoal.MergeState{shoal.MergeQueued, shoal.MergeRunning} {
		active, _, err := c.cfg.Store.ListMergeJobs(ctx, shoal.MergeJobFilter{State: st, Database: j.Database, Table: j.Table, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(active) > 0 {
			return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d of %s.%s is already %s", active[0].ID, j.Database, j.Table, st)
		}
	}
	queued := shoal.MergeQueued
	if _, err := c.cfg.Store.UpdateMergeJob(ctx, id, shoal.MergeJobUpdate{State: &queued, From: []shoal.MergeState{shoal.MergePlanned}}); err != nil {
		return nil, err
	}
	res, err := c.insert(ctx, MergeArgs{JobID: id})
	if err != nil {
		msg := "enqueue: " + err.Error()
		failed := shoal.MergeFailed
		_, _ = c.cfg.Store.UpdateMergeJob(context.WithoutCancel(ctx), id, shoal.MergeJobUpdate{State: &failed, Error: &msg})
		return nil, fmt.Errorf("enqueue merge %d: %w", id, err)
	}
	return c.cfg.Store.UpdateMergeJob(ctx, id, shoal.MergeJobUpdate{RiverJobID: &res.Job.ID})
}

// CancelMerge cancels a planned, queued or running merge job. A running
// job stops before its next swap; a swap that has begun is finished.
func (c *Client) CancelMerge(ctx context.Context, id int64) (*shoal.MergeJob, error) {
	j, err := c.cfg.Store.GetMergeJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State.Final() {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d is already %s", id, j.State)
	}
	if j.RiverJobID != 0 {
		if _, err := c.cancel(ctx, j.RiverJobID); err != nil && !errors.Is(err, river.ErrNotFound) {
			return nil, fmt.Errorf("cancel job %d: %w", j.RiverJobID, err)
		}
	}
	if j.State == shoal.MergeRunning {
		return j, nil // its worker records the end
	}
	cancelled := shoal.MergeCancelled
	now := time.Now()
	msg := "cancelled before it started"
	j, err = c.cfg.Store.UpdateMergeJob(ctx, id, shoal.MergeJobUpdate{State: &cancelled, FinishedAt: &now, Error: &msg,
		From: []shoal.MergeState{shoal.MergePlanned, shoal.MergeQueued}})
	if shoal.ErrorCode(err) == shoal.ECONFLICT {
		return c.cfg.Store.GetMergeJob(ctx, id) // it started meanwhile
	}
	return j, err
}

type mergeWorker struct {
	river.WorkerDefaults[MergeArgs]
	cfg Config
}

// Work runs one merge job, in a span, counting its outcome.
func (w *mergeWorker) Work(ctx context.Context, job *river.Job[MergeArgs]) error {
	if w.cfg.Merges == nil {
		return river.JobSnooze(time.Minute)
	}
	start := time.Now()
	ctx, span := startJobSpan(ctx, KindMerge, job.JobRow)
	span.SetAttributes(attribute.Int64("shoal.merge.job_id", job.Args.JobID))
	defer w.cfg.guard(ctx, span, KindMerge, start)
	j, err := w.cfg.Merges.Run(ctx, job.Args.JobID)
	switch {
	case shoal.ErrorCode(err) == shoal.ECONFLICT, shoal.ErrorCode(err) == shoal.ENOTFOUND:
		// Cancelled while queued, or finished by recovery.
		w.cfg.endJob(ctx, span, StatusCancelled, KindMerge, start, nil, nil)
		return river.JobCancel(err)
	case err != nil:
		w.cfg.endJob(ctx, span, StatusFailed, KindMerge, start,
			&Failure{Kind: KindMerge, ID: job.Args.JobID, Error: err.Error()}, err)
		return err
	}
	w.cfg.Logger.InfoContext(ctx, "merge finished", "merge_job_id", j.ID, "state", j.State, "error", j.Error)
	var f *Failure
	status := StatusSucceeded
	switch j.State {
	case shoal.MergeFailed:
		status = StatusFailed
		f = &Failure{Kind: KindMerge, Catalog: j.Catalog, ID: j.ID, Table: j.Database + "." + j.Table, Error: j.Error}
	case shoal.MergeCancelled:
		status = StatusCancelled
	}
	w.cfg.endJob(ctx, span, status, KindMerge, start, f, nil)
	return nil
}

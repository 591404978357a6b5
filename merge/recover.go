package merge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shoalhq/shoal"
)

// RecoverReport says what Recover did.
type RecoverReport struct {
	// Finished swaps were rolled forward: the merged files are in place.
	Finished int `json:"finished"`
	// Undone merges were interrupted before the swap: the staging
	// directory was removed and the originals were never touched.
	Undone int `json:"undone"`
	// RolledBack counts interrupted rollbacks that were completed.
	RolledBack int `json:"rolled_back"`
	// Skipped entries are held by a live process's lease.
	Skipped int `json:"skipped"`
	// Jobs marked failed because the process running them died.
	Jobs   int      `json:"jobs"`
	Errors []string `json:"errors,omitempty"`
}

// Recover finishes or undoes every swap that a crash interrupted, so that
// each partition holds either its original files or the merged ones, and
// marks the jobs of dead processes failed. It runs at the start of serve
// and worker, and as shoal recover. Entries whose lease a live process
// holds are left to it.
func (e *Engine) Recover(ctx context.Context) (*RecoverReport, error) {
	rep := &RecoverReport{}
	refs, err := e.Store.PendingSwaps(ctx)
	if err != nil {
		return nil, err
	}
	jobs := map[int64]*shoal.MergeJob{}
	rolledBack := map[int64]bool{}
	for _, ref := range refs {
		j, ok := jobs[ref.JobID]
		if !ok {
			if j, err = e.Store.GetMergeJob(ctx, ref.JobID); err != nil {
				return nil, err
			}
			jobs[ref.JobID] = j
		}
		if !e.owns(j) {
			continue // another catalog's engine recovers it
		}
		r := ref.Result
		key := leaseKey(j.Database, j.Table, r.Spec)
		if !e.takeLease(ctx, key) {
			rep.Skipped++
			continue
		}
		outcome, err := e.recoverEntry(ctx, j, &r)
		_ = e.Store.ReleaseLease(ctx, key, e.Owner)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("job %d partition %q: %v", j.ID, r.Spec, err))
			continue
		}
		switch outcome {
		case shoal.StepSwapped:
			rep.Finished++
		case shoal.StepAborted:
			rep.Undone++
		case shoal.StepRolledBack:
			rep.RolledBack++
			if e.Observer != nil && !rolledBack[j.ID] {
				// The rollback that was interrupted was never counted.
				rolledBack[j.ID] = true
				e.Observer.RolledBack(ctx, j)
			}
		}
		e.log().Info("recovered partition", "job", j.ID, "partition", r.Spec, "outcome", outcome)
	}
	n, err := e.failOrphanJobs(ctx)
	rep.Jobs = n
	if err != nil {
		return rep, err
	}
	if len(rep.Errors) > 0 {
		return rep, errors.New("recovery incomplete: " + strings.Join(rep.Errors, "; "))
	}
	return rep, nil
}

// takeLease takes a partition's lease for recovery: free, expired, ours,
// or held by a process of this host that is gone.
func (e *Engine) takeLease(ctx context.Context, key string) bool {
	if err := e.Store.AcquireLease(ctx, key, e.Owner, leaseTTL); err == nil {
		return true
	}
	holder, _, err := e.Store.LeaseHolder(ctx, key)
	if err != nil || ownerAlive(holder) {
		return false
	}
	return e.Store.StealLease(ctx, key, holder, e.Owner, leaseTTL) == nil
}

// recoverEntry decides from the journal's last step and from which
// directories exist (or, for a relocation, where the metastore says the
// partition is) whether the interrupted action happened, then finishes the
// swap or undoes the merge.
func (e *Engine) recoverEntry(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) (shoal.SwapStep, error) {
	switch r.Step {
	case shoal.StepRollback, shoal.StepRollbackRestore:
		return e.finishRollback(ctx, j, r)
	}
	if r.Swap == shoal.SwapRelocate {
		return e.recoverRelocate(ctx, j, r)
	}
	part, err := e.exists(ctx, r.Location)
	if err != nil {
		return "", err
	}
	staging, err := e.exists(ctx, r.Staging)
	if err != nil {
		return "", err
	}
	backup, err := e.exists(ctx, r.Backup)
	if err != nil {
		return "", err
	}
	// On an object store a rename copies then deletes: a crash can leave
	// a directory's objects under both names, and ResumeRename finishes
	// the move.
	copyMode := r.Swap == shoal.SwapCopy
	undo := func() (shoal.SwapStep, error) {
		if err := e.FS.RemoveAll(ctx, r.Staging); err != nil {
			return "", err
		}
		r.Step, r.Error = shoal.StepAborted, "interrupted before the swap; recovery removed the staging directory, originals untouched"
		r.EndedAt = e.now().UTC()
		return shoal.StepAborted, e.Store.PutMergeResult(ctx, j.ID, r)
	}
	promote := func() (shoal.SwapStep, error) {
		r.Step = shoal.StepPromote
		if err := e.Store.PutMergeResult(ctx, j.ID, r); err != nil {
			return "", err
		}
		rename := e.FS.Rename
		if copyMode {
			rename = e.resumeRename
		}
		if err := rename(ctx, r.Staging, r.Location); err != nil {
			return "", err
		}
		return shoal.StepSwapped, e.completeSwap(ctx, j, r)
	}
	switch r.Step {
	case shoal.StepStaging, shoal.StepValidated:
		if !part {
			return "", fmt.Errorf("partition directory %s is missing before any rename was journaled", r.Location)
		}
		return undo()
	case shoal.StepBackup:
		switch {
		case part && !backup:
			// The first rename did not happen.
			return undo()
		case !part && backup && staging:
			// It did: the staging directory holds validated output.
			return promote()
		case copyMode && part && backup && staging:
			// It was cut short: finish moving the originals to the
			// backup, then promote.
			if err := e.resumeRename(ctx, r.Location, r.Backup); err != nil {
				return "", err
			}
			return promote()
		}
	case shoal.StepPromote:
		switch {
		case !part && staging && backup:
			return promote()
		case part && !staging:
			// The second rename happened; record it.
			return shoal.StepSwapped, e.completeSwap(ctx, j, r)
		case copyMode && part && staging && backup:
			// It was cut short (or a writer added a file meanwhile):
			// finish moving the merged files in.
			return promote()
		}
	}
	return "", fmt.Errorf("unexpected state at step %s: partition exists=%t, staging exists=%t, backup exists=%t; no data was removed, inspect by hand",
		r.Step, part, staging, backup)
}

// recoverRelocate finishes or undoes a merge by catalog relocation. Before
// StepRelocate the metastore was never asked to switch, so the new
// directory is not the partition and goes. At StepRelocate the metastore
// says whether the switch happened.
func (e *Engine) recoverRelocate(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) (shoal.SwapStep, error) {
	undo := func(msg string) (shoal.SwapStep, error) {
		if err := e.FS.RemoveAll(ctx, r.Staging); err != nil {
			return "", err
		}
		r.Step, r.Error = shoal.StepAborted, msg
		r.EndedAt = e.now().UTC()
		return shoal.StepAborted, e.Store.PutMergeResult(ctx, j.ID, r)
	}
	switch r.Step {
	case shoal.StepStaging, shoal.StepValidated:
		return undo("interrupted before the relocation; recovery removed the new directory, originals untouched")
	case shoal.StepRelocate:
		cur, err := e.currentLocation(ctx, j, r.Spec)
		if err != nil {
			return "", fmt.Errorf("step relocate: cannot read the partition's location from the catalog: %w; no data was removed", err)
		}
		switch {
		case sameLocation(cur, r.Staging):
			return shoal.StepSwapped, e.completeRelocate(ctx, j, r)
		case sameLocation(cur, r.Location):
			return undo("interrupted before the metastore switched the location; recovery removed the new directory, originals untouched")
		}
		return "", fmt.Errorf("unexpected state at step relocate: the metastore's location of the partition is %s, neither the old %s nor the new %s; no data was removed, inspect by hand",
			cur, r.Location, r.Staging)
	}
	return "", fmt.Errorf("unexpected step %s for a relocation; no data was removed, inspect by hand", r.Step)
}

// failOrphanJobs marks running jobs failed when no live process holds a
// lease on any of their partitions and no journal entry is in progress.
func (e *Engine) failOrphanJobs(ctx context.Context) (int, error) {
	jobs, _, err := e.Store.ListMergeJobs(ctx, shoal.MergeJobFilter{State: shoal.MergeRunning, Limit: shoal.MaxLimit})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, lj := range jobs {
		j, err := e.Store.GetMergeJob(ctx, lj.ID)
		if err != nil {
			return n, err
		}
		if e.jobAlive(ctx, j) {
			continue
		}
		state, msg := shoal.MergeFailed, "interrupted: the process running the job stopped; recovery restored every partition"
		swapped := 0
		for _, r := range j.Results {
			if r.Step == shoal.StepSwapped {
				swapped++
			}
		}
		if swapped > 0 {
			msg = fmt.Sprintf("interrupted after %d partition(s) were merged; the others keep their original files", swapped)
		}
		now := e.now().UTC()
		if _, err := e.Store.UpdateMergeJob(ctx, j.ID, shoal.MergeJobUpdate{
			State: &state, FinishedAt: &now, Error: &msg, From: []shoal.MergeState{shoal.MergeRunning},
		}); err != nil && shoal.ErrorCode(err) != shoal.ECONFLICT {
			return n, err
		}
		n++
	}
	return n, nil
}

// jobAlive reports whether a live process may still be running the job:
// one holds the job's lease, which Run renews at every step.
func (e *Engine) jobAlive(ctx context.Context, j *shoal.MergeJob) bool {
	holder, until, err := e.Store.LeaseHolder(ctx, jobLeaseKey(j.ID))
	if err != nil {
		return false
	}
	return holder != e.Owner && until.After(e.now()) && ownerAlive(holder)
}

package merge

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/shoalhq/shoal"
)

// Rollback restores the original files of every merged partition of a
// job from their backups. It refuses, changing nothing, when any of those
// partitions changed since the merge or its backup is gone.
func (e *Engine) Rollback(ctx context.Context, jobID int64) (*shoal.MergeJob, error) {
	j, err := e.Store.GetMergeJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if j.State == shoal.MergeRolledBack {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d is already rolled back", jobID)
	}
	if !j.State.Final() {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d is %s; only a finished job can be rolled back", jobID, j.State)
	}
	var todo []*shoal.PartitionResult
	for i := range j.Results {
		r := &j.Results[i]
		if r.Swap == shoal.SwapHiveSQL && (r.Step == shoal.StepSwapped || r.Step == shoal.StepFailed) {
			return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q was merged by Hive SQL on the cluster: Hive rewrote it in place and Shoal keeps no backup of it, so the job cannot be rolled back", r.Spec)
		}
		switch r.Step {
		case shoal.StepSwapped:
			todo = append(todo, r)
		case shoal.StepPurged:
			return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q: its backup was purged after the retention period", r.Spec)
		}
	}
	if len(todo) == 0 {
		return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d changed no partition; nothing to roll back", jobID)
	}
	// Check every partition before touching any.
	for _, r := range todo {
		if !e.takeLease(ctx, leaseKey(j.Database, j.Table, r.Spec)) {
			return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q is being merged by another worker", r.Spec)
		}
		defer func() {
			_ = e.Store.ReleaseLease(context.WithoutCancel(ctx), leaseKey(j.Database, j.Table, r.Spec), e.Owner)
		}()
		live := r.Location
		if r.Swap == shoal.SwapRelocate {
			live = r.Staging
			if e.Writer == nil {
				return nil, shoal.Errorf(shoal.EINVALID, "partition %q was merged by catalog relocation: rolling it back needs a writable metastore", r.Spec)
			}
			cur, err := e.currentLocation(ctx, j, r.Spec)
			if err != nil {
				return nil, err
			}
			if !sameLocation(cur, r.Staging) {
				return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q was relocated to %s since the merge (the merge left it at %s)", r.Spec, cur, r.Staging)
			}
		}
		l, err := e.list(ctx, live)
		if err != nil {
			return nil, err
		}
		if d := diffListing(r.After, l.files); d != "" {
			return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q changed since the merge (%s): restoring the originals would lose those changes", r.Spec, d)
		}
		if ok, err := e.exists(ctx, r.Backup); err != nil || !ok {
			return nil, shoal.Errorf(shoal.ECONFLICT, "partition %q: backup %s is missing", r.Spec, r.Backup)
		}
	}
	bg := context.WithoutCancel(ctx)
	for _, r := range todo {
		r.Step = shoal.StepRollback
		if r.Swap != shoal.SwapRelocate {
			r.Staging = asideDir(r.Location, j.ID)
		}
		if err := e.Store.PutMergeResult(bg, j.ID, r); err != nil {
			return nil, err
		}
		e.fault("rollback")
		if _, err := e.finishRollback(bg, j, r); err != nil {
			return nil, fmt.Errorf("partition %q: %w", r.Spec, err)
		}
	}
	state := shoal.MergeRolledBack
	done, err := e.Store.UpdateMergeJob(bg, j.ID, shoal.MergeJobUpdate{State: &state})
	if err == nil && e.Observer != nil {
		e.Observer.RolledBack(bg, done)
	}
	return done, err
}

// finishRollback moves the merged directory aside and the backup back,
// from wherever a crash left it, then deletes the merged files.
func (e *Engine) finishRollback(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) (shoal.SwapStep, error) {
	switch r.Swap {
	case shoal.SwapRelocate:
		return e.finishRollbackRelocate(ctx, j, r)
	case shoal.SwapCopy:
		return e.finishRollbackCopy(ctx, j, r)
	}
	part, err := e.exists(ctx, r.Location)
	if err != nil {
		return "", err
	}
	aside, err := e.exists(ctx, r.Staging)
	if err != nil {
		return "", err
	}
	backup, err := e.exists(ctx, r.Backup)
	if err != nil {
		return "", err
	}
	if part && backup && !aside {
		if err := e.FS.Rename(ctx, r.Location, r.Staging); err != nil {
			return "", err
		}
		e.fault("rollback-aside")
		part, aside = false, true
	}
	if !part && backup && aside {
		if err := e.FS.Rename(ctx, r.Backup, r.Location); err != nil {
			return "", err
		}
		part, backup = true, false
	}
	if !part || backup {
		return "", fmt.Errorf("unexpected state during rollback: partition exists=%t, backup exists=%t, merged exists=%t", part, backup, aside)
	}
	if err := e.FS.SyncDir(ctx, parentDir(r.Location)); err != nil {
		return "", err
	}
	if err := e.FS.RemoveAll(ctx, r.Staging); err != nil {
		return "", err
	}
	return e.rolledBack(ctx, j, r, r.Location)
}

// finishRollbackCopy is finishRollback on an object store, where each
// rename copies then deletes and can be cut short. Two journaled steps
// keep it resumable: at StepRollback the merged files are moved aside
// (resumed if half done), at StepRollbackRestore the backup is moved back
// (resumed if half done): restored originals are never moved aside again.
func (e *Engine) finishRollbackCopy(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) (shoal.SwapStep, error) {
	if r.Step == shoal.StepRollback {
		part, err := e.exists(ctx, r.Location)
		if err != nil {
			return "", err
		}
		aside, err := e.exists(ctx, r.Staging)
		if err != nil {
			return "", err
		}
		backup, err := e.exists(ctx, r.Backup)
		if err != nil {
			return "", err
		}
		if !backup || (!part && !aside) {
			return "", fmt.Errorf("unexpected state during rollback: partition exists=%t, backup exists=%t, merged exists=%t; no data was removed, inspect by hand", part, backup, aside)
		}
		if part {
			if err := e.resumeRename(ctx, r.Location, r.Staging); err != nil {
				return "", err
			}
		}
		e.fault("rollback-aside")
		r.Step = shoal.StepRollbackRestore
		if err := e.Store.PutMergeResult(ctx, j.ID, r); err != nil {
			return "", err
		}
		e.fault("rollback-restore")
	}
	backup, err := e.exists(ctx, r.Backup)
	if err != nil {
		return "", err
	}
	if backup {
		if err := e.resumeRename(ctx, r.Backup, r.Location); err != nil {
			return "", err
		}
	} else if part, err := e.exists(ctx, r.Location); err != nil || !part {
		return "", fmt.Errorf("unexpected state during rollback: neither the backup %s nor the partition exists (%w); the merged files are in %s, inspect by hand", r.Backup, err, r.Staging)
	}
	if err := e.FS.RemoveAll(ctx, r.Staging); err != nil {
		return "", err
	}
	return e.rolledBack(ctx, j, r, r.Location)
}

// finishRollbackRelocate points the metastore back at the old location
// (the backup) and deletes the relocated directory, from wherever a crash
// left it: the metastore's current location says how far it got.
func (e *Engine) finishRollbackRelocate(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) (shoal.SwapStep, error) {
	cur, err := e.currentLocation(ctx, j, r.Spec)
	if err != nil {
		return "", fmt.Errorf("rollback: cannot read the partition's location from the catalog: %w; no data was removed", err)
	}
	if sameLocation(cur, r.Staging) {
		if e.Writer == nil {
			return "", errors.New("rollback of a relocated partition needs a writable metastore")
		}
		t, part, err := e.target(ctx, j, r.Spec, r.Staging)
		if err != nil {
			return "", err
		}
		if err := e.Writer.Relocate(ctx, t, part, r.Staging, r.Backup); err != nil {
			return "", fmt.Errorf("relocate back in the metastore: %w", err)
		}
		e.fault("rollback-relocated")
		cur = r.Backup
	}
	if !sameLocation(cur, r.Backup) {
		return "", fmt.Errorf("unexpected state during rollback: the metastore's location of the partition is %s, neither the merged %s nor the original %s; no data was removed, inspect by hand",
			cur, r.Staging, r.Backup)
	}
	if err := e.FS.RemoveAll(ctx, r.Staging); err != nil {
		return "", err
	}
	return e.rolledBack(ctx, j, r, r.Backup)
}

// rolledBack records a finished rollback of one partition, whose restored
// files are in live, and updates the metastore's statistics to them.
func (e *Engine) rolledBack(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult, live string) (shoal.SwapStep, error) {
	if e.Writer != nil {
		l, err := e.list(ctx, live)
		var note string
		if err != nil {
			note = "; warning: metastore statistics not updated: " + err.Error()
		} else {
			var bytes int64
			for _, f := range l.files {
				bytes += f.Size
			}
			note = e.updateStats(ctx, j, r, live, len(l.files), bytes)
		}
		note = strings.Replace(note, "statistics", "statistics (after the rollback)", 1)
		if !strings.Contains(r.Validation, note) {
			r.Validation += note
		}
	}
	r.Step = shoal.StepRolledBack
	r.EndedAt = e.now().UTC()
	if err := e.Store.PutMergeResult(ctx, j.ID, r); err != nil {
		return "", err
	}
	if j.State != shoal.MergeRolledBack {
		state := shoal.MergeRolledBack
		if _, err := e.Store.UpdateMergeJob(ctx, j.ID, shoal.MergeJobUpdate{State: &state}); err != nil {
			return "", err
		}
	}
	return shoal.StepRolledBack, nil
}

// GCReport says what GC removed, and which expired backups it kept.
type GCReport struct {
	Backups []string `json:"backups"`
	Orphans []string `json:"orphans"`
	// Kept are expired backups of relocated partitions that GC did not
	// purge, with the reason: the metastore could not be read, or still
	// points at them.
	Kept []string `json:"kept,omitempty"`
}

// oldLocationInUse returns why the old location of a relocated partition
// must not be purged, or "" when the metastore says the partition is
// elsewhere.
func (e *Engine) oldLocationInUse(ctx context.Context, jobID int64, r *shoal.PartitionResult) string {
	j, err := e.Store.GetMergeJob(ctx, jobID)
	if err != nil {
		return err.Error()
	}
	if e.Catalog == nil {
		return "no catalog to check the partition's location"
	}
	cur, err := e.currentLocation(ctx, j, r.Spec)
	if err != nil {
		return "cannot read the partition's location: " + err.Error()
	}
	if sameLocation(cur, r.Backup) {
		return "the metastore still points the partition at it"
	}
	return ""
}

// GC deletes the backups whose retention expired and the staging, backup
// and aside directories that no journal entry still needs (left by a crash
// whose journal write failed, or by a deleted job).
func (e *Engine) GC(ctx context.Context) (*GCReport, error) {
	rep := &GCReport{}
	expired, err := e.Store.ExpiredBackups(ctx, e.now())
	if err != nil {
		return nil, err
	}
	for _, ref := range expired {
		r := ref.Result
		if r.Backup == "" {
			continue
		}
		if r.Swap == shoal.SwapRelocate {
			// The backup is the partition's old location: purge it only
			// when the metastore positively points elsewhere.
			if why := e.oldLocationInUse(ctx, ref.JobID, &r); why != "" {
				e.log().Warn("expired backup kept", "job", ref.JobID, "backup", r.Backup, "why", why)
				rep.Kept = append(rep.Kept, r.Backup+": "+why)
				continue
			}
		}
		if err := e.FS.RemoveAll(ctx, r.Backup); err != nil {
			return rep, err
		}
		r.Step = shoal.StepPurged
		if err := e.Store.PutMergeResult(ctx, ref.JobID, &r); err != nil {
			return rep, err
		}
		rep.Backups = append(rep.Backups, r.Backup)
	}
	err = e.walkTables(ctx, func(dir, name string) error {
		kind, job, ok := parseSibling(name)
		if !ok {
			return nil
		}
		if e.needed(ctx, kind, job, joinPath(dir, name)) {
			return nil
		}
		if err := e.FS.RemoveAll(ctx, joinPath(dir, name)); err != nil {
			return err
		}
		rep.Orphans = append(rep.Orphans, joinPath(dir, name))
		return nil
	})
	return rep, err
}

// needed reports whether a staging, backup or aside directory is still
// referenced: by a job that is not final, or as the backup of a swapped
// partition.
//
// A relocated directory may be a partition's live location: it is kept
// unless its job is final and the job's entry for it was aborted or rolled
// back, and kept when the job is not found.
func (e *Engine) needed(ctx context.Context, kind string, jobID int64, p string) bool {
	j, err := e.Store.GetMergeJob(ctx, jobID)
	if err != nil {
		return kind == "relocated" || shoal.ErrorCode(err) != shoal.ENOTFOUND // keep on doubt
	}
	if !j.State.Final() {
		return true
	}
	if kind == "relocated" {
		for _, r := range j.Results {
			if r.Swap == shoal.SwapRelocate && sameLocation(r.Staging, p) {
				return r.Step != shoal.StepAborted && r.Step != shoal.StepRolledBack
			}
		}
		return true
	}
	for _, r := range j.Results {
		switch r.Step {
		case shoal.StepSwapped:
			if kind == "backup" && r.Backup == p {
				return true
			}
		case shoal.StepStaging, shoal.StepValidated, shoal.StepBackup, shoal.StepPromote, shoal.StepRollback,
			shoal.StepRelocate, shoal.StepRollbackRestore:
			return true // recovery has not run yet
		}
	}
	return false
}

// walkTables calls fn for each hidden directory in the directories that
// can hold partition siblings: each table's location and every partition
// level below it, and, once each, the directories that hold tables (the
// siblings of an unpartitioned table's directory).
func (e *Engine) walkTables(ctx context.Context, fn func(dir, name string) error) error {
	dbs, err := e.Catalog.Databases(ctx)
	if err != nil {
		return err
	}
	parents := map[string]bool{}
	for _, db := range dbs {
		tables, err := e.Catalog.Tables(ctx, db.Name)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.Location == "" {
				continue
			}
			parents[parentDir(t.Location)] = true
			if err := e.walkDirs(ctx, t.Location, len(t.PartitionKeys), fn); err != nil {
				return err
			}
		}
	}
	for dir := range parents {
		if err := e.walkDirs(ctx, dir, 0, fn); err != nil {
			return err
		}
	}
	return nil
}

// walkDirs lists dir, then calls fn for its hidden directories and
// descends depth more levels into its visible ones. fn runs after the
// listing, so it may remove what it is given.
func (e *Engine) walkDirs(ctx context.Context, dir string, depth int, fn func(dir, name string) error) error {
	var hidden, subdirs []string
	err := e.FS.List(ctx, dir, func(fi shoal.FileInfo) error {
		name := path.Base(fi.Path)
		switch {
		case !fi.IsDir:
		case strings.HasPrefix(name, "."):
			hidden = append(hidden, name)
		case depth > 0:
			subdirs = append(subdirs, name)
		}
		return nil
	})
	if shoal.ErrorCode(err) == shoal.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	for _, h := range hidden {
		if err := fn(dir, h); err != nil {
			return err
		}
	}
	for _, s := range subdirs {
		if err := e.walkDirs(ctx, joinPath(dir, s), depth-1, fn); err != nil {
			return err
		}
	}
	return nil
}

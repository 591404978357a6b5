package merge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/shoalhq/shoal"
)

var errNotRunnable = errors.New("the plan has no partition to merge")

// Create plans a table and records the plan as a job in state planned.
func (e *Engine) Create(ctx context.Context, req PlanRequest, actor string) (*shoal.MergeJob, error) {
	plan, err := e.Plan(ctx, req)
	if err != nil {
		return nil, err
	}
	j := &shoal.MergeJob{
		State: shoal.MergePlanned, Database: plan.Database, Table: plan.Table, Catalog: e.CatalogName,
		CreatedBy: actor, Plan: plan,
	}
	for _, p := range plan.Partitions {
		if p.Eligible {
			j.Progress.FilesTotal += int64(p.FilesBefore - p.FilesAfter + len(p.Groups))
			j.Progress.BytesTotal += p.BytesToRewrite
		}
	}
	if err := e.Store.CreateMergeJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// Run merges the partitions of a queued or planned job, one at a time. A
// partition that fails is left with its original files and the job goes on
// with the next; the job fails if any partition failed. Cancelling ctx
// stops before the next partition, or before the swap of the current one;
// a swap that has begun is always finished.
func (e *Engine) Run(ctx context.Context, jobID int64) (*shoal.MergeJob, error) {
	now := e.now().UTC()
	running := shoal.MergeRunning
	j, err := e.Store.UpdateMergeJob(ctx, jobID, shoal.MergeJobUpdate{
		State: &running, StartedAt: &now, From: []shoal.MergeState{shoal.MergePlanned, shoal.MergeQueued},
	})
	if err != nil {
		return nil, err
	}
	jobKey := jobLeaseKey(j.ID)
	if err := e.Store.AcquireLease(ctx, jobKey, e.Owner, leaseTTL); err != nil {
		return e.finish(j, shoal.MergeFailed, err.Error())
	}
	defer func() { _ = e.Store.ReleaseLease(context.WithoutCancel(ctx), jobKey, e.Owner) }()
	if j.Plan == nil || !j.Plan.Runnable() {
		return e.finish(j, shoal.MergeFailed, errNotRunnable.Error())
	}
	var failures []string
	var cancelled bool
	for i := range j.Plan.Partitions {
		pp := &j.Plan.Partitions[i]
		if !pp.Eligible {
			continue
		}
		if ctx.Err() != nil {
			cancelled = true
			break
		}
		r := e.runPartition(ctx, j, i, pp)
		if r.Step == shoal.StepSwapped && e.Observer != nil {
			e.Observer.PartitionMerged(ctx, j, r)
		}
		if r.Step != shoal.StepSwapped {
			name := pp.Spec
			if name == "" {
				name = j.Database + "." + j.Table
			}
			failures = append(failures, name+": "+r.Error)
			if ctx.Err() != nil {
				cancelled = true
				break
			}
		}
	}
	switch {
	case cancelled:
		return e.finish(j, shoal.MergeCancelled, "cancelled")
	case len(failures) > 0:
		msg := failures[0]
		if len(failures) > 1 {
			msg = fmt.Sprintf("%d partitions failed; first: %s", len(failures), msg)
		}
		return e.finish(j, shoal.MergeFailed, msg)
	}
	return e.finish(j, shoal.MergeSucceeded, "")
}

// finish records a job's final state. It uses a fresh context so that a
// cancelled run is still recorded.
func (e *Engine) finish(j *shoal.MergeJob, state shoal.MergeState, msg string) (*shoal.MergeJob, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := e.now().UTC()
	done, err := e.Store.UpdateMergeJob(ctx, j.ID, shoal.MergeJobUpdate{State: &state, FinishedAt: &now, Error: &msg})
	if err == nil && e.Observer != nil {
		e.Observer.JobFinished(ctx, done)
	}
	return done, err
}

// partitionRun carries the state of one partition's merge.
type partitionRun struct {
	e   *Engine
	j   *shoal.MergeJob
	pp  *shoal.PartitionPlan
	r   *shoal.PartitionResult
	key string
}

// journal records the next step before it is taken.
func (p *partitionRun) journal(ctx context.Context, step shoal.SwapStep) error {
	p.r.Step = step
	if err := p.e.Store.PutMergeResult(ctx, p.j.ID, p.r); err != nil {
		return fmt.Errorf("journal %s: %w", step, err)
	}
	return p.renew(ctx)
}

// keepAlive renews the leases in the background while a long output is
// written; the returned function stops it.
func (p *partitionRun) keepAlive(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := p.renew(ctx); err != nil && ctx.Err() == nil {
					p.e.log().Warn("lease renewal failed", "job", p.j.ID, "partition", p.pp.Spec, "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// renew extends the partition's and the job's leases.
func (p *partitionRun) renew(ctx context.Context) error {
	if err := p.e.Store.AcquireLease(ctx, jobLeaseKey(p.j.ID), p.e.Owner, leaseTTL); err != nil {
		return err
	}
	return p.e.Store.AcquireLease(ctx, p.key, p.e.Owner, leaseTTL)
}

// runPartition merges one partition: in-process with one of the swap
// methods (rename, relocate, copy; see swapMethod), or on the cluster when
// the plan says so.
func (e *Engine) runPartition(ctx context.Context, j *shoal.MergeJob, idx int, pp *shoal.PartitionPlan) *shoal.PartitionResult {
	if pp.Strategy == shoal.StrategyCluster {
		return e.runCluster(ctx, j, idx, pp)
	}
	r := &shoal.PartitionResult{
		Index: idx, Spec: pp.Spec, Location: pp.Location, Step: shoal.StepPending, Mode: pp.Mode,
		Swap: e.swapMethod(ctx, pp.Location), Staging: stagingDir(pp.Location, j.ID), Backup: backupDir(pp.Location, j.ID),
		FilesBefore: pp.FilesBefore, BytesBefore: pp.BytesBefore, RowsBefore: pp.Rows, StartedAt: e.now().UTC(),
	}
	if r.Swap == shoal.SwapRelocate {
		// The merged partition is written to a new directory, which the
		// metastore is pointed at; the old one stays as the backup.
		r.Staging, r.Backup = relocatedDir(pp.Location, j.ID), pp.Location
	}
	p := &partitionRun{e: e, j: j, pp: pp, r: r, key: leaseKey(j.Database, j.Table, pp.Spec)}
	// The journal and the lease use their own context: a cancelled job
	// must still record what it did.
	bg := context.WithoutCancel(ctx)
	if err := e.Store.AcquireLease(bg, p.key, e.Owner, leaseTTL); err != nil {
		r.Step, r.Error = shoal.StepAborted, err.Error()
		_ = e.Store.PutMergeResult(bg, j.ID, r)
		return r
	}
	defer func() { _ = e.Store.ReleaseLease(bg, p.key, e.Owner) }()
	stop := p.keepAlive(bg)
	defer stop()
	err := p.merge(ctx, bg)
	stop()
	r.EndedAt = e.now().UTC()
	if err != nil {
		msg := err.Error()
		e.log().Warn("merge partition failed", "job", j.ID, "table", j.Database+"."+j.Table, "partition", pp.Spec, "err", err)
		switch r.Step {
		case shoal.StepBackup, shoal.StepPromote, shoal.StepRelocate:
			// The swap began: finish or undo it from what exists, as
			// recovery does. Staging may hold the only merged copy.
			outcome, rerr := e.recoverEntry(bg, j, r)
			switch {
			case rerr != nil:
				// Recovery acts on which directories exist, so the step
				// recorded with the error is safe even if it is ahead.
				r.Error = msg + "; left for recovery: " + rerr.Error()
				_ = e.Store.PutMergeResult(bg, j.ID, r)
				return r
			case outcome == shoal.StepAborted:
				r.Error = msg + " (nothing swapped; originals untouched)"
			default:
				return r // the swap completed after all
			}
		case shoal.StepSwapped:
			r.Error = msg
		default:
			// Before the first rename or the relocation: the originals
			// were never touched, and staging is not the partition.
			r.Error = msg
			if rmErr := e.FS.RemoveAll(bg, r.Staging); rmErr != nil {
				r.Error += "; staging not removed: " + rmErr.Error()
			}
			r.Step = shoal.StepAborted
		}
	}
	if jerr := e.Store.PutMergeResult(bg, j.ID, r); jerr != nil && err == nil {
		r.Error = jerr.Error()
	}
	return r
}

// merge writes, validates and swaps one partition. Errors before the
// backup rename leave the originals in place; from the backup rename on,
// the swap goes to its end.
func (p *partitionRun) merge(ctx, bg context.Context) error {
	e, r, pp := p.e, p.r, p.pp
	l, err := e.list(ctx, pp.Location)
	if err != nil {
		return err
	}
	if d := diffListing(pp.Listing, l.files); d != "" {
		return fmt.Errorf("partition changed since it was planned: %s", d)
	}
	if len(l.dirs) > 0 {
		return fmt.Errorf("partition has subdirectories: %v", l.dirs)
	}
	if err := p.journal(bg, shoal.StepStaging); err != nil {
		return err
	}
	e.fault("staging")
	if err := e.FS.Mkdir(ctx, r.Staging); err != nil {
		return err
	}
	validation, err := p.writeOutputs(ctx, bg)
	if err != nil {
		return err
	}
	if err := p.linkKept(ctx, l); err != nil {
		return err
	}
	if err := e.FS.SyncDir(ctx, r.Staging); err != nil {
		return err
	}
	r.Validation = validation
	if err := p.journal(bg, shoal.StepValidated); err != nil {
		return err
	}
	e.fault("validated")
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cancelled before the swap: %w", err)
	}
	// The concurrent-writer check: the partition must still be exactly as
	// planned.
	l2, err := e.list(ctx, pp.Location)
	if err != nil {
		return err
	}
	if d := diffListing(pp.Listing, l2.files); d != "" || len(l2.dirs) > 0 || len(l2.hidden) != len(l.hidden) {
		if d == "" {
			d = "hidden files or directories changed"
		}
		return fmt.Errorf("partition changed during the merge, nothing swapped: %s", d)
	}
	if r.Swap == shoal.SwapRelocate {
		return p.relocate(bg)
	}
	return p.swap(bg)
}

// relocate switches the partition's location in the metastore to the
// directory holding the merged partition, in one journaled call. The old
// directory is left as it is: it is the backup, and queries already
// running keep reading it.
func (p *partitionRun) relocate(ctx context.Context) error {
	e, r := p.e, p.r
	t, part, err := e.target(ctx, p.j, r.Spec, r.Location)
	if err != nil {
		return err
	}
	if err := p.journal(ctx, shoal.StepRelocate); err != nil {
		return err
	}
	e.fault("relocate")
	if err := e.Writer.Relocate(ctx, t, part, r.Location, r.Staging); err != nil {
		return fmt.Errorf("relocate in the metastore: %w", err)
	}
	e.fault("relocated")
	return e.completeRelocate(ctx, p.j, r)
}

// completeRelocate records a finished relocation. Files that a writer
// added to the old location after the concurrent-writer check (writers
// that resolved the location before the switch) are copied into the new
// one.
func (e *Engine) completeRelocate(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) error {
	if err := e.keepLateFiles(ctx, j, r, r.Backup, r.Staging); err != nil {
		return err
	}
	if !strings.Contains(r.Validation, "relocated in the metastore") {
		r.Validation += "; relocated in the metastore to " + r.Staging
	}
	return e.recordSwap(ctx, j, r, r.Staging)
}

// swap performs the two journaled renames. It runs to its end whatever
// happens to the job's context.
func (p *partitionRun) swap(ctx context.Context) error {
	e, r := p.e, p.r
	if err := p.journal(ctx, shoal.StepBackup); err != nil {
		return err
	}
	e.fault("backup")
	if err := e.FS.Rename(ctx, r.Location, r.Backup); err != nil {
		return err
	}
	e.fault("backup-renamed")
	if err := p.journal(ctx, shoal.StepPromote); err != nil {
		// The partition is in the backup and the store is unreachable:
		// recovery finishes the swap from the journal's last step.
		return err
	}
	e.fault("promote")
	if err := e.FS.Rename(ctx, r.Staging, r.Location); err != nil {
		return err
	}
	e.fault("promoted")
	return e.completeSwap(ctx, p.j, r)
}

// completeSwap records a finished swap: the new listing (for rollback),
// sizes, and the backup's expiry. Files that a writer added between the
// concurrent-writer check and the first rename went to the backup with
// the originals: they are linked into the partition.
func (e *Engine) completeSwap(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) error {
	if err := e.FS.SyncDir(ctx, parentDir(r.Location)); err != nil {
		return err
	}
	if err := e.keepLateFiles(ctx, j, r, r.Backup, r.Location); err != nil {
		return err
	}
	return e.recordSwap(ctx, j, r, r.Location)
}

// keepLateFiles links (or copies) into the directory to the files of from
// that the plan did not list and to does not have yet: files written
// during the swap, which belong to the new partition.
func (e *Engine) keepLateFiles(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult, from, to string) error {
	var planned []shoal.PlanFile
	if j.Plan != nil && r.Index < len(j.Plan.Partitions) {
		planned = j.Plan.Partitions[r.Index].Listing
	}
	bl, err := e.list(ctx, from)
	if err != nil || planned == nil {
		return nil //nolint:nilerr // nothing to keep from a directory that cannot be listed
	}
	known := make(map[string]bool, len(planned))
	for _, f := range planned {
		known[f.Name] = true
	}
	var have map[string]bool
	for _, f := range bl.files {
		if known[f.Name] {
			continue
		}
		if have == nil {
			l, err := e.list(ctx, to)
			if err != nil {
				return err
			}
			have = make(map[string]bool, len(l.files))
			for _, g := range l.files {
				have[g.Name] = true
			}
		}
		if have[f.Name] {
			continue // kept by an earlier attempt
		}
		if err := e.FS.Link(ctx, joinPath(from, f.Name), joinPath(to, f.Name)); err != nil {
			return fmt.Errorf("restore %s written during the swap: %w", f.Name, err)
		}
		r.Validation += "; " + f.Name + " arrived during the swap and was kept"
	}
	return nil
}

// recordSwap lists the partition's new directory (live), records the
// listing, sizes and the backup's expiry, updates the metastore's
// statistics and marks the entry swapped.
func (e *Engine) recordSwap(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult, live string) error {
	l, err := e.list(ctx, live)
	if err != nil {
		return err
	}
	r.After = l.files
	r.FilesAfter, r.BytesAfter = len(l.files), 0
	for _, f := range l.files {
		r.BytesAfter += f.Size
	}
	r.ExpiresAt = e.now().Add(e.retention()).UTC()
	r.EndedAt = e.now().UTC()
	r.Error = ""
	r.Step = shoal.StepSwapped
	if note := e.updateStats(ctx, j, r, live, r.FilesAfter, r.BytesAfter); !strings.Contains(r.Validation, note) {
		r.Validation += note
	}
	return e.Store.PutMergeResult(ctx, j.ID, r)
}

func parentDir(p string) string {
	dir, _ := splitPath(p)
	return dir
}

func splitPath(p string) (string, string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			if i == 0 {
				return "/", p[1:]
			}
			return p[:i], p[i+1:]
		}
	}
	return ".", p
}

// linkKept links the files that are not merged (large files, hidden
// files) into the staging directory, so that it becomes the whole new
// partition.
func (p *partitionRun) linkKept(ctx context.Context, l *listing) error {
	merged := map[string]bool{}
	for _, g := range p.pp.Groups {
		for _, in := range g.Inputs {
			merged[in] = true
		}
	}
	names := append([]string(nil), l.hidden...)
	for _, f := range l.files {
		if !merged[f.Name] {
			names = append(names, f.Name)
		}
	}
	for _, n := range names {
		if err := p.e.FS.Link(ctx, joinPath(p.pp.Location, n), joinPath(p.r.Staging, n)); err != nil {
			return err
		}
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// writeOutputs merges every group into the staging directory and
// validates each output. It returns a summary of the validation.
func (p *partitionRun) writeOutputs(ctx, bg context.Context) (string, error) {
	e, pp, r := p.e, p.pp, p.r
	m, ok := e.Mergers[pp.Format]
	if !ok {
		return "", fmt.Errorf("no merger for format %s", pp.Format)
	}
	var rows, segments int64
	for gi, g := range pp.Groups {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("cancelled: %w", err)
		}
		res, schema, err := p.writeGroup(ctx, m, g)
		if err != nil {
			return "", fmt.Errorf("output %s: %w", g.Output, err)
		}
		out := joinPath(r.Staging, g.Output)
		if err := p.validate(ctx, m, out, g, res, schema); err != nil {
			if e.Observer != nil {
				e.Observer.ValidationFailed(ctx, p.j, pp.Spec, err)
			}
			return "", fmt.Errorf("validation of %s failed, originals untouched: %w", g.Output, err)
		}
		rows += res.Rows
		segments += int64(len(res.Segments))
		p.j.Progress.FilesDone += int64(len(g.Inputs))
		p.j.Progress.BytesDone += g.Bytes
		prog := p.j.Progress
		_, _ = e.Store.UpdateMergeJob(bg, p.j.ID, shoal.MergeJobUpdate{Progress: &prog})
		if err := p.renew(bg); err != nil {
			return "", err
		}
		if gi == 0 {
			e.fault("written")
		}
	}
	r.RowsAfter = rows
	return fmt.Sprintf("%d outputs: rows %d = %d in; schema identical; %d copied segments CRC-32C verified; read back by the %s reader",
		len(pp.Groups), rows, pp.Rows, segments, pp.Format), nil
}

// writeGroup merges one group into its output file and syncs it. It
// returns the merger's result and the inputs' schema.
// createOutput creates a merged file. On file systems whose files have a
// replication factor and block size (HDFS), it takes those of like, one of
// the files it replaces, so that the table keeps its own settings.
func (e *Engine) createOutput(ctx context.Context, path, like string) (shoal.WriteFile, error) {
	pc, ok := e.FS.(shoal.ParamsCreator)
	if !ok {
		return e.FS.Create(ctx, path)
	}
	fi, err := e.FS.Stat(ctx, like)
	if err != nil {
		return nil, err
	}
	if fi.Replication <= 0 || fi.BlockSize <= 0 {
		return e.FS.Create(ctx, path)
	}
	return pc.CreateWith(ctx, path, fi.Replication, fi.BlockSize)
}

func (p *partitionRun) writeGroup(ctx context.Context, m shoal.Merger, g shoal.MergeGroup) (*shoal.MergeResult, string, error) {
	e, pp := p.e, p.pp
	inputs := make([]shoal.MergeInput, 0, len(g.Inputs))
	metas := make([]*shoal.FileMeta, 0, len(g.Inputs))
	defer func() {
		for _, in := range inputs {
			_ = in.R.(io.Closer).Close()
		}
	}()
	// Files are opened and created with the long-lived context: on an
	// object store a reader or an upload keeps the context it was opened
	// with. Cancellation reaches the merger through ctx.
	bg := context.WithoutCancel(ctx)
	for i, name := range g.Inputs {
		f, size, err := e.FS.OpenFile(bg, joinPath(pp.Location, name))
		if err != nil {
			return nil, "", err
		}
		in := shoal.MergeInput{Name: name, Size: size, R: f}
		inputs = append(inputs, in)
		var meta *shoal.FileMeta
		if i < len(g.Metas) {
			// As planned: the partition still lists as it did then.
			m := g.Metas[i]
			m.Schema = pp.Schema
			meta = &m
		} else if meta, err = m.Inspect(ctx, in); err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		meta.ApplyHeader(pp.HeaderLines)
		metas = append(metas, meta)
	}
	w, err := e.createOutput(bg, joinPath(p.r.Staging, g.Output), joinPath(pp.Location, g.Inputs[0]))
	if err != nil {
		return nil, "", err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	res, err := m.Merge(ctx, bw, inputs, metas, shoal.MergeOptions{
		Mode: pp.Mode, RowGroupSize: p.j.Plan.Policy.RowGroupSize, HeaderLines: pp.HeaderLines,
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, "", err
	}
	var wantRows int64
	for _, meta := range metas {
		wantRows += meta.Rows
	}
	if res.Rows != wantRows {
		return nil, "", fmt.Errorf("merger wrote %d rows, inputs hold %d", res.Rows, wantRows)
	}
	return res, metas[0].Schema, nil
}

// validate reads an output back: the format's reader decodes every row,
// the row count and schema must match the inputs', and every verbatim
// segment must have the CRC of the input bytes it was copied from.
func (p *partitionRun) validate(ctx context.Context, m shoal.Merger, out string, g shoal.MergeGroup, res *shoal.MergeResult, schema string) error {
	f, size, err := p.e.FS.OpenFile(context.WithoutCancel(ctx), out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if size != res.Bytes {
		return fmt.Errorf("output has %d bytes, the merger wrote %d", size, res.Bytes)
	}
	for _, s := range res.Segments {
		h := crc32.New(castagnoli)
		if _, err := io.Copy(h, io.NewSectionReader(f, s.Offset, s.Length)); err != nil {
			return fmt.Errorf("re-read segment at %d: %w", s.Offset, err)
		}
		if h.Sum32() != s.CRC {
			return fmt.Errorf("checksum mismatch in the %d bytes at offset %d", s.Length, s.Offset)
		}
	}
	meta, err := m.Verify(ctx, shoal.MergeInput{Name: g.Output, Size: size, R: f})
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	meta.ApplyHeader(p.pp.HeaderLines)
	if meta.Rows != res.Rows {
		return fmt.Errorf("read back %d rows, wrote %d", meta.Rows, res.Rows)
	}
	if meta.Schema != schema {
		return errors.New("schema of the output differs from the inputs'")
	}
	return nil
}

// Cancel ends a job that has not started running. A running job is
// cancelled through its context (the job queue's cancel).
func (e *Engine) Cancel(ctx context.Context, jobID int64, reason string) (*shoal.MergeJob, error) {
	state := shoal.MergeCancelled
	now := e.now().UTC()
	return e.Store.UpdateMergeJob(ctx, jobID, shoal.MergeJobUpdate{
		State: &state, FinishedAt: &now, Error: &reason, From: []shoal.MergeState{shoal.MergePlanned, shoal.MergeQueued},
	})
}

package merge

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
)

// Cluster merges: the partitions that Shoal must not or should not merge
// in-process are sent to the cluster (HiveServer2 or Kyuubi) as Hive SQL,
// when the engine has a Cluster: ACID and insert-only tables (Hive's
// compactor), RCFile and SequenceFile partitions, and partitions of at
// least the policy's cluster_bytes. Hive writes and swaps the files itself,
// so these merges are not journaled swaps, keep no backup and cannot be
// rolled back by Shoal.

// planCluster marks pp as a cluster merge, with the strategy Hive will use,
// or refuses it when Hive has no safe strategy either. why says why the
// cluster merges it.
func (e *Engine) planCluster(pp shoal.PartitionPlan, t *shoal.Table, format shoal.Format, pol *shoal.EffectivePolicy, age, minAge time.Duration, why string) shoal.PartitionPlan {
	pp.Format = format
	strategy, err := hiveserver.Choose(t, format, pp.BytesBefore, hiveserver.ChooseOptions{})
	if err != nil {
		pp.Eligible, pp.Reason = false, fmt.Sprintf("%s, but the cluster cannot merge it either: %v", why, err)
		pp.FilesAfter = pp.FilesBefore
		pp.Groups, pp.Listing = nil, nil
		return pp
	}
	pp.Strategy, pp.ClusterStrategy = shoal.StrategyCluster, string(strategy)
	pp.Mode = ""
	pp.ModeReason = why + ": merged by the cluster with " + strategyText(strategy)
	pp.Groups, pp.Listing, pp.Schema = nil, nil, ""
	pp.BytesToRewrite = pp.BytesBefore
	after := pp.FilesBefore
	if pol.TargetFileSize > 0 && strategy == hiveserver.StrategyInsertOverwrite {
		after = int(min(int64(after), max(1, (pp.BytesBefore+pol.TargetFileSize-1)/pol.TargetFileSize)))
	}
	pp.FilesAfter = after
	pp.EstimatedSeconds = float64(pp.BytesBefore) / rewriteBytesPerSecond
	pp.Score = shoal.ScoreCandidate(int64(pp.FilesBefore-after), pp.BytesBefore, age, minAge).Value
	pp.Eligible, pp.Reason = true, ""
	return pp
}

func strategyText(s hiveserver.Strategy) string {
	switch s {
	case hiveserver.StrategyCompact:
		return "ALTER TABLE … COMPACT 'major' (Hive's compactor)"
	case hiveserver.StrategyConcatenate:
		return "ALTER TABLE … CONCATENATE"
	case hiveserver.StrategyInsertOverwrite:
		return "INSERT OVERWRITE … SELECT"
	}
	return string(s)
}

// du counts the files and bytes below dir, descending into visible
// subdirectories (an ACID partition keeps its files in base_ and delta_
// directories). Hidden files and directories are skipped.
func (e *Engine) du(ctx context.Context, dir string, depth int) (files []shoal.PlanFile, err error) {
	var subdirs []string
	err = e.FS.List(ctx, dir, func(fi shoal.FileInfo) error {
		name := path.Base(fi.Path)
		switch {
		case shoal.IsHidden(name):
		case fi.IsDir:
			subdirs = append(subdirs, name)
		default:
			files = append(files, shoal.PlanFile{Name: name, Size: fi.Size, ModTime: fi.ModTime.UTC()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if depth > 0 {
		for _, s := range subdirs {
			sub, err := e.du(ctx, joinPath(dir, s), depth-1)
			if err != nil {
				return nil, err
			}
			for _, f := range sub {
				f.Name = s + "/" + f.Name
				files = append(files, f)
			}
		}
	}
	sortFiles(files)
	return files, nil
}

// runCluster merges one partition with Hive SQL on the cluster and records
// what Hive reported: the statements, the row counts before and after, and
// the partition's files afterwards.
func (e *Engine) runCluster(ctx context.Context, j *shoal.MergeJob, idx int, pp *shoal.PartitionPlan) *shoal.PartitionResult {
	r := &shoal.PartitionResult{
		Index: idx, Spec: pp.Spec, Location: pp.Location, Step: shoal.StepPending, Swap: shoal.SwapHiveSQL,
		FilesBefore: pp.FilesBefore, BytesBefore: pp.BytesBefore, StartedAt: e.now().UTC(),
	}
	p := &partitionRun{e: e, j: j, pp: pp, r: r, key: leaseKey(j.Database, j.Table, pp.Spec)}
	bg := context.WithoutCancel(ctx)
	if err := e.Store.AcquireLease(bg, p.key, e.Owner, leaseTTL); err != nil {
		r.Step, r.Error = shoal.StepAborted, err.Error()
		_ = e.Store.PutMergeResult(bg, j.ID, r)
		return r
	}
	defer func() { _ = e.Store.ReleaseLease(bg, p.key, e.Owner) }()
	stop := p.keepAlive(bg)
	defer stop()
	err := p.cluster(ctx, bg)
	stop()
	r.EndedAt = e.now().UTC()
	if err != nil {
		e.log().Warn("cluster merge failed", "job", j.ID, "table", j.Database+"."+j.Table, "partition", pp.Spec, "err", err)
		r.Step, r.Error = shoal.StepFailed, err.Error()
	}
	if jerr := e.Store.PutMergeResult(bg, j.ID, r); jerr != nil && err == nil {
		r.Error = jerr.Error()
	}
	return r
}

func (p *partitionRun) cluster(ctx, bg context.Context) error {
	e, r, pp := p.e, p.r, p.pp
	if e.Cluster == nil {
		return errors.New("planned for the cluster, but this engine has no cluster (HiveServer2 or Kyuubi) configured; nothing changed")
	}
	t, part, err := e.target(ctx, p.j, pp.Spec, pp.Location)
	if err != nil {
		return err
	}
	if err := p.journal(bg, shoal.StepPending); err != nil {
		return err
	}
	pol := p.j.Plan.Policy
	res, err := e.Cluster.Merge(ctx, t, part, hiveserver.Request{
		Strategy: hiveserver.Strategy(pp.ClusterStrategy), Format: pp.Format, PartitionBytes: pp.BytesBefore,
		TargetBytes: pol.TargetFileSize, SmallBytes: pol.SmallFileSize,
	})
	r.RowsBefore, r.RowsAfter = res.RowsBefore, res.RowsAfter
	strategy := res.Strategy
	if strategy == "" {
		strategy = hiveserver.Strategy(pp.ClusterStrategy)
	}
	r.Validation = fmt.Sprintf("Hive SQL (%s): rows %d before, %d after; statements: %s",
		strategy, res.RowsBefore, res.RowsAfter, strings.Join(res.Statements, "; "))
	if err != nil {
		var mismatch *hiveserver.CountMismatchError
		if errors.As(err, &mismatch) {
			return fmt.Errorf("%w; Hive has already rewritten the partition and Shoal keeps no backup of Hive SQL merges: investigate, and restore from a snapshot if rows were lost", err)
		}
		return err
	}
	files, lerr := e.du(bg, pp.Location, 2)
	if lerr != nil {
		r.Validation += "; warning: the partition could not be listed after the merge: " + lerr.Error()
	} else {
		r.After = files
		r.FilesAfter, r.BytesAfter = len(files), 0
		for _, f := range files {
			r.BytesAfter += f.Size
		}
	}
	p.j.Progress.FilesDone += int64(pp.FilesBefore - pp.FilesAfter) // as Create counted it
	p.j.Progress.BytesDone += pp.BytesToRewrite
	prog := p.j.Progress
	_, _ = e.Store.UpdateMergeJob(bg, p.j.ID, shoal.MergeJobUpdate{Progress: &prog})
	r.Step, r.Error = shoal.StepSwapped, ""
	return nil
}

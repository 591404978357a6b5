package merge

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal"
)

// Observer is told what merges do, for metrics and notifications. Its
// methods are called synchronously from the merge and must return quickly.
type Observer interface {
	// PartitionMerged is called when a partition's merged files are in
	// place (its swap finished).
	PartitionMerged(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult)
	// ValidationFailed is called when reading back a merged output failed
	// (the originals stay untouched).
	ValidationFailed(ctx context.Context, j *shoal.MergeJob, partition string, err error)
	// JobFinished is called once a run records the job's final state
	// (succeeded, failed or cancelled).
	JobFinished(ctx context.Context, j *shoal.MergeJob)
	// RolledBack is called when the originals of a job were restored: by
	// a rollback, or by recovery finishing an interrupted one.
	RolledBack(ctx context.Context, j *shoal.MergeJob)
}

// Observers fans events out to several observers.
type Observers []Observer

// PartitionMerged implements Observer.
func (os Observers) PartitionMerged(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) {
	for _, o := range os {
		o.PartitionMerged(ctx, j, r)
	}
}

// ValidationFailed implements Observer.
func (os Observers) ValidationFailed(ctx context.Context, j *shoal.MergeJob, partition string, err error) {
	for _, o := range os {
		o.ValidationFailed(ctx, j, partition, err)
	}
}

// JobFinished implements Observer.
func (os Observers) JobFinished(ctx context.Context, j *shoal.MergeJob) {
	for _, o := range os {
		o.JobFinished(ctx, j)
	}
}

// RolledBack implements Observer.
func (os Observers) RolledBack(ctx context.Context, j *shoal.MergeJob) {
	for _, o := range os {
		o.RolledBack(ctx, j)
	}
}

// Metrics counts merges by catalog; it is an Observer. The catalog label is
// bounded by the configured catalogs.
type Metrics struct {
	merges      *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	removed     *prometheus.CounterVec
	validations *prometheus.CounterVec
	rollbacks   *prometheus.CounterVec
}

// NewMetrics registers the merge metrics with reg, with a zero series for
// each of catalogs so that they exist before the first merge.
func NewMetrics(reg prometheus.Registerer, catalogs []string) *Metrics {
	m := &Metrics{
		merges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_merges_total",
			Help: "Merge jobs finished by this process, by catalog and status (succeeded or failed).",
		}, []string{"catalog", "status"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_merge_bytes_total",
			Help: "Bytes of small files rewritten by merges whose swap finished.",
		}, []string{"catalog"}),
		removed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_merge_files_removed_total",
			Help: "Files removed from partitions by merges (files before minus files after).",
		}, []string{"catalog"}),
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_merge_validation_failures_total",
			Help: "Merged outputs that failed validation (read-back); the originals were kept.",
		}, []string{"catalog"}),
		rollbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_merge_rollbacks_total",
			Help: "Merge jobs whose original files were restored.",
		}, []string{"catalog"}),
	}
	reg.MustRegister(m.merges, m.bytes, m.removed, m.validations, m.rollbacks)
	for _, c := range catalogs {
		m.merges.WithLabelValues(c, "succeeded")
		m.merges.WithLabelValues(c, "failed")
		m.bytes.WithLabelValues(c)
		m.removed.WithLabelValues(c)
		m.validations.WithLabelValues(c)
		m.rollbacks.WithLabelValues(c)
	}
	return m
}

// PartitionMerged implements Observer.
func (m *Metrics) PartitionMerged(_ context.Context, j *shoal.MergeJob, r *shoal.PartitionResult) {
	var rewritten int64
	if j.Plan != nil && r.Index >= 0 && r.Index < len(j.Plan.Partitions) {
		rewritten = j.Plan.Partitions[r.Index].BytesToRewrite
	}
	if rewritten == 0 {
		rewritten = r.BytesBefore
	}
	m.bytes.WithLabelValues(j.Catalog).Add(float64(rewritten))
	if n := r.FilesBefore - r.FilesAfter; n > 0 {
		m.removed.WithLabelValues(j.Catalog).Add(float64(n))
	}
}

// ValidationFailed implements Observer.
func (m *Metrics) ValidationFailed(_ context.Context, j *shoal.MergeJob, _ string, _ error) {
	m.validations.WithLabelValues(j.Catalog).Inc()
}

// JobFinished implements Observer; cancelled jobs are not counted.
func (m *Metrics) JobFinished(_ context.Context, j *shoal.MergeJob) {
	switch j.State {
	case shoal.MergeSucceeded:
		m.merges.WithLabelValues(j.Catalog, "succeeded").Inc()
	case shoal.MergeFailed:
		m.merges.WithLabelValues(j.Catalog, "failed").Inc()
	}
}

// RolledBack implements Observer.
func (m *Metrics) RolledBack(_ context.Context, j *shoal.MergeJob) {
	m.rollbacks.WithLabelValues(j.Catalog).Inc()
}

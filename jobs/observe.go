package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoalhq/shoal"
)

// Job kinds and final statuses, the label values of the job metrics.
const (
	KindScan  = "scan"
	KindMerge = "merge"

	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Failure describes a job that failed, for notifications.
type Failure struct {
	Kind    string // KindScan or KindMerge
	Catalog string
	// ID is the scan's or the merge job's ID in the store.
	ID int64
	// Table is db.table of a merge job.
	Table string
	Error string
}

// Metrics counts the jobs this process finishes. Register it with
// NewMetrics and set it in Config.
type Metrics struct {
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the per-process job metrics with reg, with a zero
// series for every kind and status.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_jobs_finished_total",
			Help: "Jobs finished by this process, by kind (scan, merge) and status (succeeded, failed, cancelled).",
		}, []string{"kind", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoal_job_duration_seconds",
			Help:    "Run time of the jobs this process finished, by kind.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800},
		}, []string{"kind"}),
	}
	reg.MustRegister(m.finished, m.duration)
	for _, k := range []string{KindScan, KindMerge} {
		m.duration.WithLabelValues(k)
		for _, s := range []string{StatusSucceeded, StatusFailed, StatusCancelled} {
			m.finished.WithLabelValues(k, s)
		}
	}
	return m
}

func (m *Metrics) observe(kind, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.finished.WithLabelValues(kind, status).Inc()
	m.duration.WithLabelValues(kind).Observe(d.Seconds())
}

// QueueCollector exports the number of queued and running jobs and the age
// of the oldest running one, read from the store's scan and merge job
// records at each scrape: every replica reports the same global figures.
type QueueCollector struct {
	store   shoal.Store
	timeout time.Duration
	queued  *prometheus.Desc
	running *prometheus.Desc
	oldest  *prometheus.Desc
	now     func() time.Time
}

// NewQueueCollector returns a collector over st.
func NewQueueCollector(st shoal.Store) *QueueCollector {
	return &QueueCollector{
		store:   st,
		timeout: 2 * time.Second,
		now:     time.Now,
		queued: prometheus.NewDesc("shoal_jobs_queued",
			"Jobs waiting for a worker, by kind (global: aggregate replicas with max).", []string{"kind"}, nil),
		running: prometheus.NewDesc("shoal_jobs_running",
			"Jobs being run, by kind (global: aggregate replicas with max).", []string{"kind"}, nil),
		oldest: prometheus.NewDesc("shoal_jobs_oldest_running_seconds",
			"Age of the oldest running job by kind; 0 when none runs.", []string{"kind"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queued
	ch <- c.running
	ch <- c.oldest
}

// Collect implements prometheus.Collector. When the store does not
// answer, the gauges are left out of the scrape, which still succeeds (the
// store's own gauge, shoal_store_up, says why).
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	now := c.now()
	scanQueued, scanRunning, scanOldest, err := c.scans(ctx, now)
	if err != nil {
		return
	}
	mergeQueued, mergeRunning, mergeOldest, err := c.merges(ctx, now)
	if err != nil {
		return
	}
	for _, v := range []struct {
		kind                 string
		queued, running, age float64
	}{
		{KindScan, float64(scanQueued), float64(scanRunning), scanOldest.Seconds()},
		{KindMerge, float64(mergeQueued), float64(mergeRunning), mergeOldest.Seconds()},
	} {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, v.queued, v.kind)
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, v.running, v.kind)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, v.age, v.kind)
	}
}

func (c *QueueCollector) scans(ctx context.Context, now time.Time) (queued, running int64, oldest time.Duration, err error) {
	_, queued, err = c.store.ListScans(ctx, shoal.ScanFilter{State: shoal.ScanQueued, Limit: 1})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count queued scans: %w", err)
	}
	// At most one scan per catalog runs, so one page holds them all.
	rs, running, err := c.store.ListScans(ctx, shoal.ScanFilter{State: shoal.ScanRunning, Limit: shoal.MaxLimit})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("list running scans: %w", err)
	}
	for _, s := range rs {
		if !s.StartedAt.IsZero() && now.Sub(s.StartedAt) > oldest {
			oldest = now.Sub(s.StartedAt)
		}
	}
	return queued, running, oldest, nil
}

func (c *QueueCollector) merges(ctx context.Context, now time.Time) (queued, running int64, oldest time.Duration, err error) {
	_, queued, err = c.store.ListMergeJobs(ctx, shoal.MergeJobFilter{State: shoal.MergeQueued, Limit: 1})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count queued merges: %w", err)
	}
	// Running merges are bounded by the workers of all replicas.
	js, running, err := c.store.ListMergeJobs(ctx, shoal.MergeJobFilter{State: shoal.MergeRunning, Limit: shoal.MaxLimit})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("list running merges: %w", err)
	}
	for _, j := range js {
		if !j.StartedAt.IsZero() && now.Sub(j.StartedAt) > oldest {
			oldest = now.Sub(j.StartedAt)
		}
	}
	return queued, running, oldest, nil
}

// tracer names the spans of jobs. With tracing off, the global provider is
// a no-op and spans cost next to nothing.
func tracer() trace.Tracer { return otel.Tracer("github.com/shoalhq/shoal/jobs") }

// traceMetadata returns River job metadata carrying the W3C trace context
// of ctx, so that the job's span continues the trace that enqueued it; nil
// when ctx has no span.
func traceMetadata(ctx context.Context) []byte {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	if len(carrier) == 0 {
		return nil
	}
	b, err := json.Marshal(map[string]any{"trace": map[string]string(carrier)})
	if err != nil {
		return nil
	}
	return b
}

// startJobSpan starts the span of a job, as a child of the trace that
// enqueued it when its metadata carries one.
func startJobSpan(ctx context.Context, kind string, job *rivertype.JobRow) (context.Context, trace.Span) {
	var md struct {
		Trace map[string]string `json:"trace"`
	}
	if len(job.Metadata) > 0 && json.Unmarshal(job.Metadata, &md) == nil && len(md.Trace) > 0 {
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(md.Trace))
	}
	return tracer().Start(ctx, "job "+kind, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("shoal.job.kind", kind),
			attribute.Int64("shoal.job.river_id", job.ID),
			attribute.Int("shoal.job.attempt", job.Attempt),
		))
}

// PanicReporter is told about a panic in a job before it propagates to
// River, which records it as the job's error.
type PanicReporter func(ctx context.Context, kind string, v any)

// ErrorReporter is told about a job that failed.
type ErrorReporter func(ctx context.Context, kind string, err error)

// endJob records the outcome of a job: metrics, the span's status, and the
// failure hooks.
// An empty status (a job that had nothing to do) only ends the span.
func (c *Config) endJob(ctx context.Context, span trace.Span, status, kind string, start time.Time, f *Failure, err error) {
	if status == "" {
		span.End()
		return
	}
	c.Metrics.observe(kind, status, time.Since(start))
	span.SetAttributes(attribute.String("shoal.job.status", status))
	if status == StatusFailed {
		if err == nil && f != nil {
			err = errors.New(f.Error)
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
			if c.ReportError != nil {
				c.ReportError(ctx, kind, err)
			}
		}
		if f != nil && c.OnFailure != nil {
			c.OnFailure(ctx, *f)
		}
	}
	span.End()
}

// guard reports a panic of a job to the panic reporter, ends its span,
// counts it failed, and re-panics so that River records it.
func (c *Config) guard(ctx context.Context, span trace.Span, kind string, start time.Time) {
	v := recover()
	if v == nil {
		return
	}
	if c.ReportPanic != nil {
		c.ReportPanic(ctx, kind, v)
	}
	c.Metrics.observe(kind, StatusFailed, time.Since(start))
	span.SetStatus(codes.Error, fmt.Sprint("panic: ", v))
	span.End()
	panic(v)
}

// dailySchedule is a River periodic schedule that fires once a day at a
// UTC time of day.
type dailySchedule struct{ hour, minute int }

// parseDaily parses HH:MM (UTC).
func parseDaily(s string) (dailySchedule, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return dailySchedule{}, fmt.Errorf("daily summary time %q: want HH:MM", s)
	}
	return dailySchedule{t.Hour(), t.Minute()}, nil
}

// Next implements river.PeriodicSchedule.
func (d dailySchedule) Next(now time.Time) time.Time {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day(), d.hour, d.minute, 0, 0, time.UTC)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// SummaryArgs are the arguments of the daily summary job.
type SummaryArgs struct {
	// Day is the UTC date the summary was scheduled for (YYYY-MM-DD).
	Day string `json:"day,omitempty"`
}

// Kind implements river.JobArgs.
func (SummaryArgs) Kind() string { return "daily_summary" }

// InsertOpts runs the summary on the default queue, once, and at most one
// per day even when several processes schedule it.
func (SummaryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// summaryWorker runs the daily summary job.
type summaryWorker struct {
	river.WorkerDefaults[SummaryArgs]
	cfg Config
}

// Work sends the daily summary.
func (w *summaryWorker) Work(ctx context.Context, job *river.Job[SummaryArgs]) error {
	if w.cfg.SendSummary == nil {
		return nil
	}
	ctx, span := startJobSpan(ctx, "daily_summary", job.JobRow)
	defer span.End()
	if err := w.cfg.SendSummary(ctx); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return err
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/internal/telemetry"
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/merge"
	"github.com/shoalhq/shoal/notify"
	"github.com/shoalhq/shoal/scan"
	"github.com/shoalhq/shoal/store/instrument"
	"github.com/shoalhq/shoal/store/postgres"
	"github.com/shoalhq/shoal/store/sqlite"
)

// observability is what serve and worker set up to be watched: the
// metrics registry and the metrics of each layer, tracing, Sentry and
// notifications.
type observability struct {
	reg      *prometheus.Registry
	scan     *scan.Metrics
	jobs     *jobs.Metrics
	merges   *merge.Metrics
	store    *instrument.Metrics
	notifier *notify.Notifier
	sentry   *telemetry.Sentry
	catalogs []string
	log      *slog.Logger
	// stopTracing flushes spans and turns tracing off.
	stopTracing func(context.Context) error
}

// newObservability registers every metric (with its known label values,
// so that a fresh process exports them all) and starts tracing, Sentry and
// the notifier as cfg says.
func newObservability(ctx context.Context, cfg config.Config, log *slog.Logger) (*observability, error) {
	o := &observability{reg: prometheus.NewRegistry(), log: log}
	o.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "shoal_build_info", Help: "Build information of the running binary.",
	}, []string{"version", "commit"})
	info.WithLabelValues(version, commit).Set(1)
	o.reg.MustRegister(info)
	for _, c := range cfg.AllCatalogs() {
		o.catalogs = append(o.catalogs, c.Name)
	}
	o.scan = scan.NewMetrics(o.reg)
	o.jobs = jobs.NewMetrics(o.reg)
	o.merges = merge.NewMetrics(o.reg, o.catalogs)
	o.store = instrument.NewMetrics(o.reg)
	nm := notify.NewMetrics(o.reg)

	stop, err := telemetry.SetupTracing(ctx, cfg.Tracing, version)
	if err != nil {
		return nil, err
	}
	o.stopTracing = stop
	if o.sentry, err = telemetry.NewSentry(cfg.Sentry, version); err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	if o.notifier, err = notify.New(cfg.Notify, nm, log, notify.Options{}); err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	return o, nil
}

// close delivers queued notifications, flushes Sentry events and spans,
// and stops their background work.
func (o *observability) close(ctx context.Context) error {
	if o == nil {
		return nil
	}
	return errors.Join(o.notifier.Close(ctx), o.sentry.Close(5*time.Second), o.stopTracing(ctx))
}

// instrumentStore wraps the store of be so that its calls are measured,
// and registers the store, job queue and warehouse collectors.
func (o *observability) instrumentStore(be *backend) {
	var pool instrument.PoolStats
	switch st := be.store.(type) {
	case *sqlite.Store:
		pool = instrument.SQLPool(st.DB())
	case *postgres.Store:
		pool = instrument.PgxPool(st.Pool())
	}
	be.store = instrument.Wrap(be.store, o.store)
	o.reg.MustRegister(
		instrument.NewCollector(be.store, pool),
		jobs.NewQueueCollector(be.store),
		newSnapshotCollector(be.store, o.catalogs),
	)
}

// mergeObserver counts merges and notifies rollbacks.
func (o *observability) mergeObserver() merge.Observer {
	return merge.Observers{o.merges, &notifyObserver{n: o.notifier}}
}

// jobHooks sets the metrics, failure notifications and error reports of
// the job client, and the daily summary.
func (o *observability) jobHooks(cfg config.Config, jc *jobs.Config) {
	jc.Metrics = o.jobs
	n, s := o.notifier, o.sentry
	jc.OnFailure = func(_ context.Context, f jobs.Failure) {
		n.Notify(notify.FailureEvent(f.Kind, f.Catalog, f.ID, f.Table, f.Error))
	}
	jc.ReportError = func(ctx context.Context, kind string, err error) {
		s.CaptureError(ctx, err, telemetry.Tags{"job_kind": kind})
	}
	jc.ReportPanic = func(ctx context.Context, kind string, v any) {
		s.CapturePanic(ctx, v, telemetry.Tags{"job_kind": kind})
	}
	if n != nil && cfg.Notify.DailySummary != "" {
		jc.DailySummary = cfg.Notify.DailySummary
		st, catalogs := jc.Store, o.catalogs
		jc.SendSummary = func(ctx context.Context) error {
			sum, err := notify.BuildSummary(ctx, st, catalogs, time.Now())
			if err != nil {
				return err
			}
			return n.SendNow(ctx, sum.Event(time.Now().UTC()))
		}
	}
}

// notifyObserver sends rollback notifications.
type notifyObserver struct{ n *notify.Notifier }

func (*notifyObserver) PartitionMerged(context.Context, *shoal.MergeJob, *shoal.PartitionResult) {}
func (*notifyObserver) ValidationFailed(context.Context, *shoal.MergeJob, string, error)         {}
func (*notifyObserver) JobFinished(context.Context, *shoal.MergeJob)                             {}
func (n *notifyObserver) RolledBack(_ context.Context, j *shoal.MergeJob) {
	n.n.Notify(notify.RollbackEvent(j))
}

// probeHandler serves /healthz, /readyz (the store answers a ping) and
// /metrics: the listener of `shoal worker`.
func probeHandler(st shoal.Store, reg prometheus.Gatherer, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			log.Warn("readiness: store unreachable", "err", err)
			writeStatus(w, http.StatusServiceUnavailable, "store unreachable")
			return
		}
		writeStatus(w, http.StatusOK, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "{\"status\":%q}\n", status)
}

// versionText is the output of `shoal version`: the first line as before,
// then the Go version and platform.
func versionText() string {
	return fmt.Sprintf("shoal %s (commit %s, built %s)\ngo: %s %s/%s\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	shoalhttp "github.com/shoalhq/shoal/http"
	"github.com/shoalhq/shoal/jobs"
	"github.com/shoalhq/shoal/web"
)

// Main is a running `shoal serve`: the store, the job client and the HTTP
// server. Tests build it on 127.0.0.1:0 with a temporary store.
type Main struct {
	Config config.Config
	Logger *slog.Logger

	backend *backend
	jobs    *jobs.Client
	obs     *observability
	server  *http.Server
	ln      net.Listener
	served  chan error
}

// Open opens the store, migrates it, starts the job workers (when the
// server embeds them) and starts listening.
func (m *Main) Open(ctx context.Context) error {
	obs, err := newObservability(ctx, m.Config, m.Logger)
	if err != nil {
		return err
	}
	m.obs = obs
	reg := obs.reg
	workers := 0
	if m.Config.Server.EmbeddedWorker {
		workers = m.Config.Worker.Concurrency
	}
	be, jc, err := openBackend(ctx, m.Config, workers, obs, m.Logger)
	if err != nil {
		return errors.Join(err, m.Close(ctx))
	}
	m.backend, m.jobs = be, jc
	if err := recoverMerges(ctx, be, m.Logger); err != nil {
		return errors.Join(err, m.Close(ctx))
	}

	srv := &shoalhttp.Server{
		Store:       be.store,
		Scans:       jc,
		Catalogs:    httpCatalogs(be),
		Logger:      m.Logger,
		Registerer:  reg,
		Gatherer:    reg,
		UI:          web.Handler(web.FS()),
		CORSOrigins: m.Config.Server.CORSOrigins,
		MergeJobs:   jc,
		AuthTokens:  m.Config.Auth.Tokens,
		Sentry:      obs.sentry,
	}
	h, err := srv.Handler()
	if err != nil {
		return errors.Join(err, m.Close(ctx))
	}
	if err := jc.Start(ctx); err != nil {
		return errors.Join(fmt.Errorf("start workers: %w", err), m.Close(ctx))
	}
	ln, err := net.Listen("tcp", m.Config.Server.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen on %s: %w", m.Config.Server.Addr, err), m.Close(ctx))
	}
	m.ln = ln
	m.server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: m.Config.Server.ReadHeaderTimeout.Std(),
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()
	m.Logger.Info("serving", "addr", ln.Addr().String(), "workers", workers, "catalogs", len(srv.Catalogs))
	return nil
}

// URL returns the base URL the server listens on.
func (m *Main) URL() string {
	addr := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// StartScan queues a scan of the first configured catalog.
func (m *Main) StartScan(ctx context.Context) (*shoal.Scan, error) {
	if len(m.backend.catalogs) == 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "no catalog is configured")
	}
	c := m.backend.catalogs[0].cfg
	return m.jobs.StartScan(ctx, c.Name, c.Policy.Thresholds())
}

// httpCatalogs describes the catalogs of be to the API, with their health
// checks and merge engines.
func httpCatalogs(be *backend) []*shoalhttp.Catalog {
	var out []*shoalhttp.Catalog
	for i, o := range be.catalogs {
		c := &shoalhttp.Catalog{
			Name:          o.cfg.Name,
			URI:           config.Redact(o.cfg.URL),
			Kind:          catalogKind(o.cfg.URL),
			Files:         o.cfg.Files,
			Thresholds:    o.cfg.Policy.Thresholds(),
			MergeDefaults: be.engines[i].Defaults,
			Merges:        be.engines[i],
			Check: func(ctx context.Context) (int, error) {
				dbs, err := o.catalog.Databases(ctx)
				return len(dbs), err
			},
		}
		if o.cfg.HiveServer != "" {
			c.HiveServer = config.Redact(o.cfg.HiveServer)
		}
		out = append(out, c)
	}
	return out
}

// Wait blocks until ctx ends or the server fails.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close shuts the server down gracefully, then the workers, then the store.
func (m *Main) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.Config.Server.ShutdownTimeout.Std())
	defer cancel()
	var errs []error
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	if m.jobs != nil {
		errs = append(errs, m.jobs.Stop(ctx))
	}
	if m.backend != nil {
		errs = append(errs, m.backend.store.Close())
	}
	errs = append(errs, m.obs.close(ctx))
	return errors.Join(errs...)
}

// snapshotCollector exports the newest snapshot's totals of each catalog
// as gauges with a catalog label. It reads the store once per catalog and
// scrape, so that every replica reports the same figures.
type snapshotCollector struct {
	st       shoal.Store
	catalogs []string
	gauges   []snapshotGauge
	at       *prometheus.Desc
}

type snapshotGauge struct {
	desc *prometheus.Desc
	get  func(*shoal.Totals) int64
}

func newSnapshotCollector(st shoal.Store, catalogs []string) *snapshotCollector {
	g := func(name, help string, get func(*shoal.Totals) int64) snapshotGauge {
		return snapshotGauge{prometheus.NewDesc(name, help, []string{"catalog"}, nil), get}
	}
	return &snapshotCollector{
		st:       st,
		catalogs: catalogs,
		gauges: []snapshotGauge{
			g("shoal_warehouse_files", "Files in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.Files }),
			g("shoal_warehouse_small_files", "Small files in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.Small }),
			g("shoal_warehouse_bytes", "Bytes in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.Bytes }),
			g("shoal_warehouse_partitions", "Partitions in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.Partitions }),
			g("shoal_warehouse_tables", "Tables in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.Tables }),
			g("shoal_warehouse_namenode_heap_bytes", "Estimated NameNode heap held by the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.NameNodeHeap }),
			g("shoal_warehouse_reducible_files", "Files a merge could remove, in the newest snapshot of the catalog.", func(t *shoal.Totals) int64 { return t.ReducibleFiles }),
		},
		at: prometheus.NewDesc("shoal_warehouse_snapshot_timestamp_seconds",
			"When the newest snapshot of the catalog finished (Unix time); 0 before the first.", []string{"catalog"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range c.gauges {
		ch <- g.desc
	}
	ch <- c.at
}

// Collect implements prometheus.Collector. A catalog with no snapshot
// reports zeros. When the store fails, the gauges are left out of the
// scrape, which still succeeds: shoal_store_up says why.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range c.catalogs {
		var (
			totals shoal.Totals
			at     float64
		)
		sc, err := c.st.LatestSnapshot(ctx, name)
		switch {
		case err == nil:
			totals, at = sc.Totals, float64(sc.FinishedAt.Unix())
		case shoal.ErrorCode(err) != shoal.ENOTFOUND:
			return
		}
		for _, g := range c.gauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.get(&totals)), name)
		}
		ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, at, name)
	}
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	f.withCatalog()
	f.withStore()
	addr := f.fs.String("addr", "", "listen `HOST:PORT` (overrides server.addr)")
	cfg, err := f.parseWith(args, true, func(c *config.Config) {
		if *addr != "" {
			c.Server.Addr = *addr
		}
	})
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: newLogger(cfg.Log, stderr)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Shoal is serving at %s\n", m.URL())
	err = m.Wait(ctx)
	return errors.Join(err, m.Close(ctx))
}

// Worker is a running `shoal worker`: job workers on the store, and a
// listener for probes and metrics on worker.addr (none when it is empty).
type Worker struct {
	Config config.Config
	Logger *slog.Logger

	backend *backend
	jobs    *jobs.Client
	obs     *observability
	server  *http.Server
	ln      net.Listener
	served  chan error
}

// Open opens and migrates the store, recovers interrupted merges, starts
// the workers and the listener.
func (w *Worker) Open(ctx context.Context) error {
	obs, err := newObservability(ctx, w.Config, w.Logger)
	if err != nil {
		return err
	}
	w.obs = obs
	be, jc, err := openBackend(ctx, w.Config, w.Config.Worker.Concurrency, obs, w.Logger)
	if err != nil {
		return errors.Join(err, w.Close(ctx))
	}
	w.backend = be
	if err := recoverMerges(ctx, be, w.Logger); err != nil {
		return errors.Join(err, jc.Stop(ctx), w.Close(ctx))
	}
	if err := jc.Start(ctx); err != nil {
		return errors.Join(fmt.Errorf("start workers: %w", err), jc.Stop(ctx), w.Close(ctx))
	}
	w.jobs = jc
	if addr := w.Config.Worker.Addr; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return errors.Join(fmt.Errorf("listen on %s (worker.addr): %w", addr, err), w.Close(ctx))
		}
		w.ln = ln
		w.server = &http.Server{
			Handler:           probeHandler(be.store, obs.reg, w.Logger),
			ReadHeaderTimeout: w.Config.Server.ReadHeaderTimeout.Std(),
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(w.Logger.Handler(), slog.LevelWarn),
		}
		w.served = make(chan error, 1)
		go func() { w.served <- w.server.Serve(ln) }()
	}
	w.Logger.Info("worker running", "concurrency", w.Config.Worker.Concurrency, "addr", w.Config.Worker.Addr)
	return nil
}

// URL returns the base URL of the worker's listener; "" without one.
func (w *Worker) URL() string {
	if w.ln == nil {
		return ""
	}
	addr := w.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Wait blocks until ctx ends or the listener fails.
func (w *Worker) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-w.served: // a nil channel without a listener: never ready
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close stops the workers (letting running jobs finish until the shutdown
// timeout), then the listener, the store and the observability.
func (w *Worker) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Config.Server.ShutdownTimeout.Std())
	defer cancel()
	var errs []error
	if w.jobs != nil {
		errs = append(errs, w.jobs.Stop(ctx))
	}
	if w.server != nil {
		errs = append(errs, w.server.Shutdown(ctx))
	}
	if w.backend != nil {
		errs = append(errs, w.backend.store.Close())
	}
	errs = append(errs, w.obs.close(ctx))
	return errors.Join(errs...)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("worker", stderr)
	f.withCatalog()
	f.withStore()
	addr := f.fs.String("addr", "", "listen `HOST:PORT` for /healthz, /readyz and /metrics (overrides worker.addr)")
	cfg, err := f.parseWith(args, true, func(c *config.Config) {
		if *addr != "" {
			c.Worker.Addr = *addr
		}
	})
	if err != nil {
		return err
	}
	w := &Worker{Config: cfg, Logger: newLogger(cfg.Log, stderr)}
	if err := w.Open(ctx); err != nil {
		return err
	}
	if u := w.URL(); u != "" {
		fmt.Fprintf(stdout, "Shoal worker is running; probes and metrics at %s\n", u)
	}
	err = w.Wait(ctx)
	return errors.Join(err, w.Close(ctx))
}

// Package jobs runs Shoal's durable jobs on River: scans now, merges later.
//
// A Client wraps a River client on the store's database (SQLite or
// PostgreSQL). `shoal serve` runs one with workers embedded; `shoal worker`
// runs workers alone; a client with no workers only enqueues. Progress is
// written to the store by the job, so every process sees it.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	// The SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/scan"
)

// ScannerFactory opens a scanner over a catalog by name. The closer
// releases the catalog when the scan ends.
type ScannerFactory func(ctx context.Context, catalog string) (*scan.Scanner, io.Closer, error)

// ScanTarget is a catalog that periodic scans cover.
type ScanTarget struct {
	Catalog    string
	Thresholds shoal.Thresholds
}

// Config configures a Client.
type Config struct {
	Store       shoal.Store
	OpenScanner ScannerFactory
	// Workers is how many jobs this process runs at once; 0 makes an
	// insert-only client.
	Workers int
	// Catalogs are scanned periodically, each with its thresholds.
	Catalogs []ScanTarget
	// ScanInterval enqueues a scan of each catalog periodically; 0
	// disables it.
	ScanInterval time.Duration
	// KeepSnapshots prunes partition statistics of older snapshots after
	// each scan; 0 keeps all.
	KeepSnapshots int
	Logger        *slog.Logger
	// Merges runs merge jobs; nil leaves merge jobs queued for another
	// process.
	Merges MergeRunner

	// Metrics, when set, counts the jobs this process finishes.
	Metrics *Metrics
	// OnFailure, when set, is called when a scan or merge job fails (for
	// notifications). It must not block.
	OnFailure func(ctx context.Context, f Failure)
	// ReportError and ReportPanic, when set, report failed jobs and
	// panics in jobs (to Sentry).
	ReportError ErrorReporter
	ReportPanic PanicReporter
	// DailySummary is the UTC time of day (HH:MM) at which SendSummary
	// runs, once a day across all processes (River's leader schedules
	// it); empty, or SendSummary nil, sends none.
	DailySummary string
	SendSummary  func(ctx context.Context) error
}

// MergeRunner runs one merge job to its end (merge.Engine).
type MergeRunner interface {
	Run(ctx context.Context, jobID int64) (*shoal.MergeJob, error)
}

// Client enqueues, cancels and (with workers) runs jobs.
type Client struct {
	cfg     Config
	insert  func(ctx context.Context, args river.JobArgs) (*rivertype.JobInsertResult, error)
	cancel  func(ctx context.Context, id int64) (*rivertype.JobRow, error)
	start   func(ctx context.Context) error
	stop    func(ctx context.Context) error
	migrate func(ctx context.Context) error
	closeDB func() error
}

// queueScans is the River queue of scan jobs.
const queueScans = "scans"

// ScanArgs are the arguments of a scan job. ScanID 0 (periodic scans)
// creates the scan record when the job starts.
type ScanArgs struct {
	ScanID int64 `json:"scan_id"`
	// Catalog names the catalog of a periodic scan.
	Catalog string `json:"catalog,omitempty"`
}

// Kind implements river.JobArgs.
func (ScanArgs) Kind() string { return "scan" }

// InsertOpts puts scans on their queue and retries a scan at most 3 times.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueScans, MaxAttempts: 3}
}

// queueMerges is the River queue of merge jobs.
const queueMerges = "merges"

// MergeArgs are the arguments of a merge job.
type MergeArgs struct {
	JobID int64 `json:"merge_job_id"`
}

// Kind implements river.JobArgs.
func (MergeArgs) Kind() string { return "merge" }

// InsertOpts puts merges on their queue. A merge is attempted once: the
// engine records every partition's outcome, and recovery, not a retry,
// deals with a crash.
func (MergeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueMerges, MaxAttempts: 1}
}

func riverConfig(cfg Config, w *scanWorker) *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	river.AddWorker(workers, &mergeWorker{cfg: cfg})
	river.AddWorker(workers, &summaryWorker{cfg: cfg})
	rc := &river.Config{
		Workers:    workers,
		JobTimeout: -1, // scans of big warehouses take hours
		// River reports job counts at info level every few seconds; keep
		// its warnings and errors only.
		Logger: slog.New(minLevel{cfg.Logger.Handler(), slog.LevelWarn}),
	}
	if cfg.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{
			queueScans:         {MaxWorkers: cfg.Workers},
			river.QueueDefault: {MaxWorkers: 1},
		}
		if cfg.Merges != nil {
			rc.Queues[queueMerges] = river.QueueConfig{MaxWorkers: cfg.Workers}
		}
		if cfg.SendSummary != nil && cfg.DailySummary != "" {
			sched, _ := parseDaily(cfg.DailySummary) // checked by check
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(sched,
				func() (river.JobArgs, *river.InsertOpts) {
					return SummaryArgs{Day: time.Now().UTC().Format(time.DateOnly)}, nil
				},
				&river.PeriodicJobOpts{ID: "daily-summary", RunOnStart: false},
			))
		}
		if cfg.ScanInterval > 0 {
			for _, t := range cfg.Catalogs {
				rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(
					river.PeriodicInterval(cfg.ScanInterval),
					func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{Catalog: t.Catalog}, nil },
					&river.PeriodicJobOpts{ID: "scan-" + t.Catalog, RunOnStart: false},
				))
			}
		}
	}
	return rc
}

func (cfg *Config) check() error {
	if cfg.Store == nil {
		return errors.New("jobs: a store is required")
	}
	if cfg.Workers > 0 && cfg.OpenScanner == nil {
		return errors.New("jobs: workers need a scanner factory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DailySummary != "" {
		if _, err := parseDaily(cfg.DailySummary); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	return nil
}

// NewSQLite returns a client on the SQLite database at path. River gets its
// own connection, as its driver requires one connection at a time; the
// store keeps its own pool for concurrent reads.
func NewSQLite(path string, cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open job database: %w", err)
	}
	db.SetMaxOpenConns(1)
	c, err := newClient(cfg, riversqlite.New(db), db.Close)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return c, nil
}

// NewPostgres returns a client on a PostgreSQL pool, usually the store's.
func NewPostgres(pool *pgxpool.Pool, cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return newClient[pgx.Tx](cfg, riverpgxv5.New(pool), func() error { return nil })
}

// newClient wraps a River client on driver; closeDB releases what the
// client owns beyond River.
func newClient[TTx any](cfg Config, driver riverdriver.Driver[TTx], closeDB func() error) (*Client, error) {
	rc, err := river.NewClient(driver, riverConfig(cfg, &scanWorker{cfg: cfg}))
	if err != nil {
		return nil, fmt.Errorf("new job client: %w", err)
	}
	return &Client{
		cfg: cfg,
		insert: func(ctx context.Context, a river.JobArgs) (*rivertype.JobInsertResult, error) {
			var opts *river.InsertOpts
			if md := traceMetadata(ctx); md != nil {
				opts = &river.InsertOpts{Metadata: md}
			}
			return rc.Insert(ctx, a, opts)
		},
		cancel: rc.JobCancel,
		start:  rc.Start,
		stop:   rc.Stop,
		migrate: func(ctx context.Context) error {
			m, err := rivermigrate.New(driver, nil)
			if err != nil {
				return err
			}
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			return err
		},
		closeDB: closeDB,
	}, nil
}

// Migrate creates or upgrades River's tables.
func (c *Client) Migrate(ctx context.Context) error {
	if err := c.migrate(ctx); err != nil {
		return fmt.Errorf("migrate job tables: %w", err)
	}
	return nil
}

// Start starts the workers; it does nothing for an insert-only client.
func (c *Client) Start(ctx context.Context) error {
	if c.cfg.Workers == 0 {
		return nil
	}
	return c.start(ctx)
}

// Stop stops the workers, letting running jobs finish until ctx ends, and
// closes the client's own connection.
func (c *Client) Stop(ctx context.Context) error {
	var err error
	if c.cfg.Workers > 0 {
		err = c.stop(ctx)
	}
	return errors.Join(err, c.closeDB())
}

// StartScan records a queued scan of catalog and enqueues its job. It
// returns ECONFLICT while another scan of that catalog is queued or running.
func (c *Client) StartScan(ctx context.Context, catalog string, th shoal.Thresholds) (*shoal.Scan, error) {
	if err := th.Validate(); err != nil {
		return nil, err
	}
	active, err := activeScan(ctx, c.cfg.Store, catalog)
	if err != nil {
		return nil, err
	}
	if active != nil {
		return nil, shoal.Errorf(shoal.ECONFLICT, "scan %d of catalog %s is already %s", active.ID, catalog, active.State)
	}
	s := &shoal.Scan{Catalog: catalog, State: shoal.ScanQueued, Thresholds: th}
	if err := c.cfg.Store.CreateScan(ctx, s); err != nil {
		return nil, fmt.Errorf("create scan: %w", err)
	}
	res, err := c.insert(ctx, ScanArgs{ScanID: s.ID})
	if err != nil {
		msg := "enqueue: " + err.Error()
		failed := shoal.ScanFailed
		_, _ = c.cfg.Store.UpdateScan(context.WithoutCancel(ctx), s.ID, shoal.ScanUpdate{State: &failed, Error: &msg})
		return nil, fmt.Errorf("enqueue scan %d: %w", s.ID, err)
	}
	return c.cfg.Store.UpdateScan(ctx, s.ID, shoal.ScanUpdate{JobID: &res.Job.ID})
}

// CancelScan cancels a queued or running scan. A running scan stops at its
// next partition and is marked cancelled by its worker; a queued one is
// marked cancelled here.
func (c *Client) CancelScan(ctx context.Context, id int64) (*shoal.Scan, error) {
	s, err := c.cfg.Store.GetScan(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.State.Final() {
		return nil, shoal.Errorf(shoal.ECONFLICT, "scan %d is already %s", id, s.State)
	}
	if s.JobID != 0 {
		if _, err := c.cancel(ctx, s.JobID); err != nil && !errors.Is(err, river.ErrNotFound) {
			return nil, fmt.Errorf("cancel job %d: %w", s.JobID, err)
		}
	}
	if s.State == shoal.ScanQueued {
		cancelled := shoal.ScanCancelled
		now := time.Now()
		msg := "cancelled before it started"
		s, err = c.cfg.Store.UpdateScan(ctx, id, shoal.ScanUpdate{State: &cancelled, FinishedAt: &now, Error: &msg})
		if shoal.ErrorCode(err) == shoal.ECONFLICT {
			return c.cfg.Store.GetScan(ctx, id) // it finished meanwhile
		}
		return s, err
	}
	return s, nil
}

// activeScan returns a running or queued scan, or nil when there is none.
func activeScan(ctx context.Context, st shoal.Store, catalog string) (*shoal.Scan, error) {
	for _, state := range []shoal.ScanState{shoal.ScanRunning, shoal.ScanQueued} {
		active, _, err := st.ListScans(ctx, shoal.ScanFilter{State: state, Limit: shoal.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("list active scans: %w", err)
		}
		for _, sc := range active {
			if sc.Catalog == catalog {
				return sc, nil
			}
		}
	}
	return nil, nil
}

// target returns the periodic scan target of a catalog; the only one when
// the job names none (jobs queued before catalogs had names).
func (w *scanWorker) target(catalog string) (ScanTarget, bool) {
	for _, t := range w.cfg.Catalogs {
		if t.Catalog == catalog || catalog == "" && len(w.cfg.Catalogs) == 1 {
			return t, true
		}
	}
	return ScanTarget{}, false
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// scanWorker runs scan jobs.
type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	cfg Config
}

// outcome is how a job ended: status is "" for a job that did nothing
// (already finished, skipped), and failure is set for a failed job.
type outcome struct {
	status  string
	failure *Failure
	err     error
}

// Work runs one scan job, in a span, counting its outcome.
func (w *scanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	start := time.Now()
	ctx, span := startJobSpan(ctx, KindScan, job.JobRow)
	defer w.cfg.guard(ctx, span, KindScan, start)
	o, err := w.work(ctx, job)
	w.cfg.endJob(ctx, span, o.status, KindScan, start, o.failure, o.err)
	return err
}

func (w *scanWorker) work(ctx context.Context, job *river.Job[ScanArgs]) (outcome, error) {
	id := job.Args.ScanID
	if id == 0 { // a periodic scan
		target, ok := w.target(job.Args.Catalog)
		if !ok {
			return outcome{status: StatusCancelled}, river.JobCancel(fmt.Errorf("periodic scan of catalog %q, which is not configured", job.Args.Catalog))
		}
		active, err := activeScan(ctx, w.cfg.Store, target.Catalog)
		if err != nil {
			return outcome{status: StatusFailed, err: err}, err
		}
		if active != nil {
			w.cfg.Logger.Info("periodic scan skipped: another scan is active", "catalog", target.Catalog, "scan_id", active.ID, "state", active.State)
			return outcome{}, nil
		}
		s := &shoal.Scan{Catalog: target.Catalog, State: shoal.ScanQueued, Thresholds: target.Thresholds, JobID: job.ID}
		if err := w.cfg.Store.CreateScan(ctx, s); err != nil {
			err = fmt.Errorf("create periodic scan: %w", err)
			return outcome{status: StatusFailed, err: err}, err
		}
		id = s.ID
	}
	rec, err := w.cfg.Store.GetScan(ctx, id)
	if err != nil {
		if shoal.ErrorCode(err) == shoal.ENOTFOUND {
			return outcome{status: StatusCancelled}, river.JobCancel(err)
		}
		return outcome{status: StatusFailed, err: err}, err
	}
	if rec.State.Final() {
		return outcome{}, nil // cancelled while queued, or finished by an earlier attempt
	}
	if rec.State == shoal.ScanRunning {
		// An earlier attempt died mid-scan: drop its partial statistics.
		if err := w.cfg.Store.DeleteSnapshot(ctx, id); err != nil {
			err = fmt.Errorf("drop partial snapshot of scan %d: %w", id, err)
			return outcome{status: StatusFailed, err: err}, err
		}
	}
	sc, closer, err := w.cfg.OpenScanner(ctx, rec.Catalog)
	if err != nil {
		msg := "open catalog: " + err.Error()
		failed := shoal.ScanFailed
		now := time.Now()
		_, _ = w.cfg.Store.UpdateScan(context.WithoutCancel(ctx), id, shoal.ScanUpdate{State: &failed, FinishedAt: &now, Error: &msg})
		err = fmt.Errorf("open catalog %s: %w", rec.Catalog, err)
		return outcome{status: StatusFailed, err: err, failure: &Failure{Kind: KindScan, Catalog: rec.Catalog, ID: id, Error: msg}}, river.JobCancel(err)
	}
	defer closer.Close()
	log := w.cfg.Logger.With("scan_id", id, "job_id", job.ID)
	log.InfoContext(ctx, "scan started", "catalog", rec.Catalog)
	done, err := scan.Execute(ctx, w.cfg.Store, sc, id)
	switch {
	case errors.Is(err, context.Canceled):
		log.InfoContext(ctx, "scan cancelled")
		return outcome{status: StatusCancelled}, river.JobCancel(err)
	case err != nil:
		log.ErrorContext(ctx, "scan failed", "err", err)
		// The scan row is final (failed); a retry would only repeat it.
		return outcome{status: StatusFailed, err: err, failure: &Failure{Kind: KindScan, Catalog: rec.Catalog, ID: id, Error: err.Error()}}, river.JobCancel(err)
	}
	log.InfoContext(ctx, "scan finished", "tables", done.Totals.Tables, "partitions", done.Totals.Partitions,
		"files", done.Totals.Files, "small_files", done.Totals.Small, "duration", done.Duration(time.Now()))
	if w.cfg.KeepSnapshots > 0 {
		if n, err := w.cfg.Store.PruneSnapshots(ctx, w.cfg.KeepSnapshots); err != nil {
			log.Warn("prune snapshots", "err", err)
		} else if n > 0 {
			log.Info("pruned old snapshots", "count", n)
		}
	}
	return outcome{status: StatusSucceeded}, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/mergesql"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

var _ shoal.Store = (*Store)(nil)

// Connection settings applied by the driver to every pooled connection.
// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so
// that a transaction that reads and then writes waits for busy_timeout
// instead of failing when another connection wrote in between.
var pragmas = []string{
	"journal_mode(WAL)",
	"busy_timeout(10000)",
	"synchronous(NORMAL)",
	"foreign_keys(1)",
	"cache_size(-32768)",    // 32 MiB per connection
	"temp_store(MEMORY)",    // statement journals and sorts
	"mmap_size(1073741824)", // read up to 1 GiB without copies
}

// maxConns bounds the pool. Queries run in process and are CPU-bound, so
// more connections than twice the processors only add preemption and cache
// misses: with 50 concurrent clients on 2 processors, 4 connections answer
// pages in half the tail latency of 16.
var maxConns = max(4, 2*runtime.GOMAXPROCS(0))

// Store is a shoal.Store on a SQLite database file. It is safe for
// concurrent use.
type Store struct {
	*mergesql.Store // policies, merge jobs, journal, leases, audit
	db              *sql.DB
	path            string

	mu        sync.Mutex
	stmts     map[string]*sql.Stmt // prepared queries by text
	succeeded sync.Map             // ids of succeeded scans, which stay so
}

// maxStmts bounds the prepared queries a Store keeps. The queries vary with
// filters, sort keys and page bounds; the most common ones come first.
const maxStmts = 500

// Open opens, or creates, the SQLite database at path. It does not migrate
// the schema: call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid SQLite database path %q", path)
	}
	q := url.Values{"_txlock": {"immediate"}}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Store{Store: mergesql.New(db, false), db: db, path: path, stmts: make(map[string]*sql.Stmt)}, nil
}

// DB returns the database handle, for tests and tools. The job queue opens
// its own connection to the file (see jobs.NewSQLite).
func (s *Store) DB() *sql.DB { return s.db }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		_ = st.Close()
	}
	clear(s.stmts)
	s.mu.Unlock()
	return s.db.Close()
}

// prepared returns query prepared once, or nil when too many queries are
// prepared already. The driver parses a query again for every call
// otherwise, which costs as much as reading a page of results.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[query]
	full := len(s.stmts) >= maxStmts
	s.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.stmts[query]; ok {
		_ = st.Close()
		return prev, nil
	}
	s.stmts[query] = st
	return st, nil
}

// query runs a query, prepared once if it can be.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return s.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a query for one row, prepared once if it can be.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil:
		return errRow{err}
	case st == nil:
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row that failed before the query ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// scanColumns are the columns of a scan, in the order of scanScan.
const scanColumns = `id, catalog, state, created_at, started_at, finished_at, error, job_id,
	small_file_size, target_file_size, block_size,
	partitions_done, partitions_total, total_known, tables_done, tables_total,
	progress_files, progress_bytes, progress_errors, rate, eta,
	databases, tables, partitions, files, bytes, small_files, blocks,
	namenode_heap, files_after_merge, reducible_files, error_partitions, histogram`

// Column groups that ScanUpdate sets together.
var (
	progressColumns = []string{"partitions_done", "partitions_total", "total_known", "tables_done",
		"tables_total", "progress_files", "progress_bytes", "progress_errors", "rate", "eta"}
	totalsColumns = []string{"databases", "tables", "partitions", "files", "bytes", "small_files",
		"blocks", "namenode_heap", "files_after_merge", "reducible_files", "error_partitions", "histogram"}
)

func progressArgs(p *shoal.ScanProgress) []any {
	return []any{p.PartitionsDone, p.PartitionsTotal, p.TotalKnown, p.TablesDone, p.TablesTotal,
		p.Files, p.Bytes, p.Errors, finite(p.Rate), int64(p.ETA)}
}

func totalsArgs(t *shoal.Totals) []any {
	return []any{t.Databases, t.Tables, t.Partitions, t.Files, t.Bytes, t.Small, t.Blocks,
		t.NameNodeHeap, t.FilesAfterMerge, t.ReducibleFiles, t.ErrorPartitions, sqlstore.EncodeHistogram(&t.Histogram)}
}

type rowScanner interface{ Scan(dest ...any) error }

func scanScan(r rowScanner) (*shoal.Scan, error) {
	var (
		sc                shoal.Scan
		created           int64
		started, finished sql.NullInt64
		eta               int64
		hist              string
		p                 = &sc.Progress
		t                 = &sc.Totals
		th                = &sc.Thresholds
	)
	err := r.Scan(&sc.ID, &sc.Catalog, &sc.State, &created, &started, &finished, &sc.Error, &sc.JobID,
		&th.SmallFileSize, &th.TargetFileSize, &th.BlockSize,
		&p.PartitionsDone, &p.PartitionsTotal, &p.TotalKnown, &p.TablesDone, &p.TablesTotal,
		&p.Files, &p.Bytes, &p.Errors, &p.Rate, &eta,
		&t.Databases, &t.Tables, &t.Partitions, &t.Files, &t.Bytes, &t.Small, &t.Blocks,
		&t.NameNodeHeap, &t.FilesAfterMerge, &t.ReducibleFiles, &t.ErrorPartitions, &hist)
	if err != nil {
		return nil, err
	}
	sc.CreatedAt = time.UnixMicro(created).UTC()
	sc.StartedAt, sc.FinishedAt = fromMicros(started), fromMicros(finished)
	p.ETA = time.Duration(eta)
	if err := sqlstore.DecodeHistogram(hist, &t.Histogram); err != nil {
		return nil, err
	}
	return &sc, nil
}

// CreateScan inserts s and sets its ID and CreatedAt. An empty state
// becomes queued.
func (s *Store) CreateScan(ctx context.Context, sc *shoal.Scan) error {
	if sc.State == "" {
		sc.State = shoal.ScanQueued
	}
	if !sc.State.Valid() {
		return shoal.Errorf(shoal.EINVALID, "unknown scan state %q", sc.State)
	}
	created := time.Now().UTC().Truncate(time.Microsecond)
	args := []any{sc.Catalog, sc.State, created.UnixMicro(), micros(sc.StartedAt), micros(sc.FinishedAt),
		sc.Error, sc.JobID, sc.Thresholds.SmallFileSize, sc.Thresholds.TargetFileSize, sc.Thresholds.BlockSize}
	args = append(args, progressArgs(&sc.Progress)...)
	args = append(args, totalsArgs(&sc.Totals)...)
	var id int64
	err := s.queryRow(ctx, `INSERT INTO scans (`+scanColumns[len("id, "):]+`)
		VALUES (`+placeholders(len(args))+`) RETURNING id`, args...).Scan(&id)
	if err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	sc.ID, sc.CreatedAt = id, created
	return nil
}

// finalStates lists the final scan states for SQL.
const finalStates = `('succeeded', 'failed', 'cancelled')`

// UpdateScan changes the fields of upd that are set. Changing the state of a
// final scan returns ECONFLICT; setting the state it already has does not.
func (s *Store) UpdateScan(ctx context.Context, id int64, upd shoal.ScanUpdate) (*shoal.Scan, error) {
	var (
		sets []string
		args []any
	)
	set := func(cols []string, vals ...any) {
		for _, c := range cols {
			sets = append(sets, c+" = ?")
		}
		args = append(args, vals...)
	}
	if upd.State != nil {
		if !upd.State.Valid() {
			return nil, shoal.Errorf(shoal.EINVALID, "unknown scan state %q", *upd.State)
		}
		set([]string{"state"}, *upd.State)
	}
	if upd.StartedAt != nil {
		set([]string{"started_at"}, micros(*upd.StartedAt))
	}
	if upd.FinishedAt != nil {
		set([]string{"finished_at"}, micros(*upd.FinishedAt))
	}
	if upd.Error != nil {
		set([]string{"error"}, *upd.Error)
	}
	if upd.JobID != nil {
		set([]string{"job_id"}, *upd.JobID)
	}
	if upd.Progress != nil {
		set(progressColumns, progressArgs(upd.Progress)...)
	}
	if upd.Totals != nil {
		set(totalsColumns, totalsArgs(upd.Totals)...)
	}
	if len(sets) == 0 {
		return s.GetScan(ctx, id)
	}
	query := `UPDATE scans SET ` + strings.Join(sets, ", ") + ` WHERE id = ?`
	args = append(args, id)
	if upd.State != nil {
		query += ` AND (state NOT IN ` + finalStates + ` OR state = ?)`
		args = append(args, *upd.State)
	}
	sc, err := scanScan(s.queryRow(ctx, query+` RETURNING `+scanColumns, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var state shoal.ScanState
		err = s.queryRow(ctx, `SELECT state FROM scans WHERE id = ?`, id).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, shoal.Errorf(shoal.ENOTFOUND, "scan %d not found", id)
		case err == nil:
			return nil, shoal.Errorf(shoal.ECONFLICT, "scan %d is already %s", id, state)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("update scan %d: %w", id, err)
	}
	return sc, nil
}

// GetScan returns one scan.
func (s *Store) GetScan(ctx context.Context, id int64) (*shoal.Scan, error) {
	sc, err := scanScan(s.queryRow(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, shoal.Errorf(shoal.ENOTFOUND, "scan %d not found", id)
	case err != nil:
		return nil, fmt.Errorf("get scan %d: %w", id, err)
	}
	return sc, nil
}

// ListScans returns scans, newest first, and the number that match.
func (s *Store) ListScans(ctx context.Context, f shoal.ScanFilter) ([]*shoal.Scan, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	where, args := "", []any{}
	if f.State != "" {
		where, args = ` WHERE state = ?`, append(args, f.State)
	}
	rows, err := s.query(ctx, `SELECT `+scanColumns+` FROM scans`+where+
		` ORDER BY id DESC`+page(f.Limit, f.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list scans: %w", err)
	}
	defer func() { _ = rows.Close() }()
	scans := []*shoal.Scan{}
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list scans: %w", err)
		}
		scans = append(scans, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list scans: %w", err)
	}
	total, ok := sqlstore.PageTotal(len(scans), f.Limit, f.Offset)
	if !ok {
		if err := s.queryRow(ctx, `SELECT count(*) FROM scans`+where, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count scans: %w", err)
		}
	}
	return scans, total, nil
}

// snapshotOrder orders succeeded scans newest first.
const snapshotOrder = `finished_at DESC NULLS LAST, id DESC`

// LatestSnapshot returns the succeeded scan that finished last.
func (s *Store) LatestSnapshot(ctx context.Context, catalog string) (*shoal.Scan, error) {
	sc, err := scanScan(s.queryRow(ctx, `SELECT `+scanColumns+` FROM scans
		WHERE state = 'succeeded' AND (?1 = '' OR catalog = ?1) ORDER BY `+snapshotOrder+` LIMIT 1`, catalog))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, shoal.Errorf(shoal.ENOTFOUND, "no snapshot yet: no scan has succeeded")
	case err != nil:
		return nil, fmt.Errorf("latest snapshot: %w", err)
	}
	return sc, nil
}

// checkSnapshot returns ENOTFOUND unless scan id has succeeded. A final
// state never changes, so it remembers the scans that succeeded.
func (s *Store) checkSnapshot(ctx context.Context, id int64) error {
	if _, ok := s.succeeded.Load(id); ok {
		return nil
	}
	var state shoal.ScanState
	err := s.queryRow(ctx, `SELECT state FROM scans WHERE id = ?`, id).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && state != shoal.ScanSucceeded:
		return shoal.Errorf(shoal.ENOTFOUND, "snapshot %d not found", id)
	case err != nil:
		return fmt.Errorf("get snapshot %d: %w", id, err)
	}
	s.succeeded.Store(id, true)
	return nil
}

// checkScan returns ENOTFOUND unless scan id exists.
func (s *Store) checkScan(ctx context.Context, id int64) error {
	var n int
	err := s.queryRow(ctx, `SELECT 1 FROM scans WHERE id = ?`, id).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return shoal.Errorf(shoal.ENOTFOUND, "scan %d not found", id)
	case err != nil:
		return fmt.Errorf("get scan %d: %w", id, err)
	}
	return nil
}

// page returns a LIMIT clause. Its numbers are literals: SQLite prepares a
// statement again each time a parameter of its LIMIT changes.
func page(limit, offset int) string {
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// micros returns t in Unix microseconds, or nil (NULL) for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// statTime returns t in Unix microseconds. The zero time keeps its own
// value, which sorts before every other time.
func statTime(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// finite replaces NaN, which SQLite stores as NULL, with 0.
func finite(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}

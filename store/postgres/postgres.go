package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/mergesql"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

var _ shoal.Store = (*Store)(nil)

// Store is a shoal.Store on a PostgreSQL database. It is safe for concurrent
// use.
type Store struct {
	*mergesql.Store // policies, merge jobs, journal, leases, audit
	pool            *pgxpool.Pool
	db              *sql.DB  // database/sql over pool, for mergesql
	succeeded       sync.Map // ids of succeeded scans, which stay so
}

// Open connects to the database at url, a postgres:// URL or a key=value
// connection string that pgx accepts. A search_path parameter selects the
// schema that holds Shoal's tables, for example
// postgres://host/db?search_path=shoal. Open does not migrate the schema:
// call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "invalid PostgreSQL URL: %v", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return &Store{Store: mergesql.New(db, true), pool: pool, db: db}, nil
}

// Pool returns the connection pool, which the job queue shares.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes the pool's connections.
func (s *Store) Close() error {
	_ = s.db.Close()
	s.pool.Close()
	return nil
}

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
	rate := p.Rate
	if math.IsNaN(rate) {
		rate = 0 // as in SQLite, which has no NaN
	}
	return []any{p.PartitionsDone, p.PartitionsTotal, p.TotalKnown, p.TablesDone, p.TablesTotal,
		p.Files, p.Bytes, p.Errors, rate, int64(p.ETA)}
}

func totalsArgs(t *shoal.Totals) []any {
	return []any{t.Databases, t.Tables, t.Partitions, t.Files, t.Bytes, t.Small, t.Blocks,
		t.NameNodeHeap, t.FilesAfterMerge, t.ReducibleFiles, t.ErrorPartitions, sqlstore.EncodeHistogram(&t.Histogram)}
}

func scanScan(r pgx.Row) (*shoal.Scan, error) {
	var (
		sc                shoal.Scan
		created           time.Time
		started, finished *time.Time
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
	sc.CreatedAt = created.UTC()
	if started != nil {
		sc.StartedAt = started.UTC()
	}
	if finished != nil {
		sc.FinishedAt = finished.UTC()
	}
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
	args := []any{sc.Catalog, string(sc.State), created, nullTime(sc.StartedAt), nullTime(sc.FinishedAt),
		sc.Error, sc.JobID, sc.Thresholds.SmallFileSize, sc.Thresholds.TargetFileSize, sc.Thresholds.BlockSize}
	args = append(args, progressArgs(&sc.Progress)...)
	args = append(args, totalsArgs(&sc.Totals)...)
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO scans (`+scanColumns[len("id, "):]+`)
		VALUES (`+placeholders(1, len(args))+`) RETURNING id`, args...).Scan(&id)
	if err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	sc.ID, sc.CreatedAt = id, created
	return nil
}

// UpdateScan changes the fields of upd that are set. Changing the state of a
// final scan returns ECONFLICT; setting the state it already has does not.
func (s *Store) UpdateScan(ctx context.Context, id int64, upd shoal.ScanUpdate) (*shoal.Scan, error) {
	var (
		sets []string
		args []any
	)
	set := func(cols []string, vals ...any) {
		for i, c := range cols {
			sets = append(sets, fmt.Sprintf("%s = $%d", c, len(args)+i+1))
		}
		args = append(args, vals...)
	}
	if upd.State != nil {
		if !upd.State.Valid() {
			return nil, shoal.Errorf(shoal.EINVALID, "unknown scan state %q", *upd.State)
		}
		set([]string{"state"}, string(*upd.State))
	}
	if upd.StartedAt != nil {
		set([]string{"started_at"}, nullTime(*upd.StartedAt))
	}
	if upd.FinishedAt != nil {
		set([]string{"finished_at"}, nullTime(*upd.FinishedAt))
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
	args = append(args, id)
	query := fmt.Sprintf(`UPDATE scans SET %s WHERE id = $%d`, strings.Join(sets, ", "), len(args))
	if upd.State != nil {
		// $1 is the new state.
		query += ` AND (state NOT IN ` + finalStates + ` OR state = $1)`
	}
	sc, err := scanScan(s.pool.QueryRow(ctx, query+` RETURNING `+scanColumns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var state shoal.ScanState
		err = s.pool.QueryRow(ctx, `SELECT state FROM scans WHERE id = $1`, id).Scan(&state)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
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

// finalStates lists the final scan states for SQL.
const finalStates = `('succeeded', 'failed', 'cancelled')`

// GetScan returns one scan.
func (s *Store) GetScan(ctx context.Context, id int64) (*shoal.Scan, error) {
	sc, err := scanScan(s.pool.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1`, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
		where, args = ` WHERE state = $1`, append(args, string(f.State))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+scanColumns+` FROM scans`+where+` ORDER BY id DESC`+
		page(len(args)), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list scans: %w", err)
	}
	defer rows.Close()
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
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM scans`+where, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count scans: %w", err)
		}
	}
	return scans, total, nil
}

// snapshotOrder orders succeeded scans newest first.
const snapshotOrder = `finished_at DESC NULLS LAST, id DESC`

// LatestSnapshot returns the succeeded scan that finished last.
func (s *Store) LatestSnapshot(ctx context.Context, catalog string) (*shoal.Scan, error) {
	sc, err := scanScan(s.pool.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans
		WHERE state = 'succeeded' AND ($1 = '' OR catalog = $1) ORDER BY `+snapshotOrder+` LIMIT 1`, catalog))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	err := s.pool.QueryRow(ctx, `SELECT state FROM scans WHERE id = $1`, id).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || err == nil && state != shoal.ScanSucceeded:
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
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM scans WHERE id = $1`, id).Scan(&n)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return shoal.Errorf(shoal.ENOTFOUND, "scan %d not found", id)
	case err != nil:
		return fmt.Errorf("get scan %d: %w", id, err)
	}
	return nil
}

// page returns a LIMIT clause whose limit and offset are the parameters
// after the first n.
func page(n int) string { return fmt.Sprintf(" LIMIT $%d OFFSET $%d", n+1, n+2) }

// placeholders returns "$first, $first+1, ..." for n parameters.
func placeholders(first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(first+i)
	}
	return strings.Join(ps, ", ")
}

// nullTime returns t, or nil (NULL) for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// statTime returns t as stored in statistics, where the zero time keeps its
// own value, which sorts before every other time.
func statTime(t time.Time) time.Time { return t.UTC() }

// fromStatTime is the inverse of statTime.
func fromStatTime(t time.Time) time.Time {
	t = t.UTC()
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t
}

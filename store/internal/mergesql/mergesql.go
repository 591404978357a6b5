// Package mergesql implements shoal.MergeStore once for both stores: the
// policies, merge jobs and their swap journal, partition leases and the
// audit log are small tables whose SQL is the same in SQLite and
// PostgreSQL apart from placeholders. Times are Unix microseconds and
// structured values are JSON, so the two schemas hold the same bytes.
package mergesql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Store is a shoal.MergeStore on a database/sql handle.
type Store struct {
	db *sql.DB
	pg bool
}

var _ shoal.MergeStore = (*Store)(nil)

// New returns a MergeStore on db. postgres selects $n placeholders.
func New(db *sql.DB, postgres bool) *Store { return &Store{db: db, pg: postgres} }

// q rewrites ? placeholders to $1, $2… for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.q(query), args...)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// ListPolicies implements shoal.MergeStore.
func (s *Store) ListPolicies(ctx context.Context) ([]shoal.Policy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT scope, data, updated_at, updated_by FROM policies
		ORDER BY CASE WHEN scope = '*' THEN 0 ELSE 1 END, scope`)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []shoal.Policy
	for rows.Next() {
		var p shoal.Policy
		var scope, data, by string
		var at int64
		if err := rows.Scan(&scope, &data, &at, &by); err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("policy %s: %w", scope, err)
		}
		p.Scope, p.UpdatedAt, p.UpdatedBy = scope, fromMicros(at), by
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutPolicy implements shoal.MergeStore.
func (s *Store) PutPolicy(ctx context.Context, p *shoal.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now().UTC()
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("put policy: %w", err)
	}
	_, err = s.exec(ctx, `INSERT INTO policies (scope, data, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at,
		updated_by = excluded.updated_by`, p.Scope, string(data), micros(p.UpdatedAt), p.UpdatedBy)
	if err != nil {
		return fmt.Errorf("put policy: %w", err)
	}
	return nil
}

// DeletePolicy implements shoal.MergeStore.
func (s *Store) DeletePolicy(ctx context.Context, scope string) error {
	res, err := s.exec(ctx, `DELETE FROM policies WHERE scope = ?`, scope)
	if err != nil {
		return fmt.Errorf("delete policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shoal.Errorf(shoal.ENOTFOUND, "no policy for scope %q", scope)
	}
	return nil
}

const jobColumns = `id, state, db, tbl, catalog, created_by, created_at, started_at, finished_at,
	plan, progress, error, river_job_id`

// CreateMergeJob implements shoal.MergeStore.
func (s *Store) CreateMergeJob(ctx context.Context, j *shoal.MergeJob) error {
	if !j.State.Valid() {
		return shoal.Errorf(shoal.EINVALID, "unknown merge state %q", j.State)
	}
	j.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	plan, err := json.Marshal(j.Plan)
	if err != nil {
		return fmt.Errorf("create merge job: %w", err)
	}
	progress, _ := json.Marshal(j.Progress)
	err = s.db.QueryRowContext(ctx, s.q(`INSERT INTO merge_jobs (state, db, tbl, catalog, created_by,
		created_at, started_at, finished_at, plan, progress, error, river_job_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		string(j.State), j.Database, j.Table, j.Catalog, j.CreatedBy, micros(j.CreatedAt),
		micros(j.StartedAt), micros(j.FinishedAt), string(plan), string(progress), j.Error, j.RiverJobID).Scan(&j.ID)
	if err != nil {
		return fmt.Errorf("create merge job: %w", err)
	}
	for i := range j.Results {
		if err := s.PutMergeResult(ctx, j.ID, &j.Results[i]); err != nil {
			return err
		}
	}
	return nil
}

// UpdateMergeJob implements shoal.MergeStore.
func (s *Store) UpdateMergeJob(ctx context.Context, id int64, upd shoal.MergeJobUpdate) (*shoal.MergeJob, error) {
	var sets []string
	var args []any
	set := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if upd.State != nil {
		if !upd.State.Valid() {
			return nil, shoal.Errorf(shoal.EINVALID, "unknown merge state %q", *upd.State)
		}
		set("state", string(*upd.State))
	}
	if upd.StartedAt != nil {
		set("started_at", micros(*upd.StartedAt))
	}
	if upd.FinishedAt != nil {
		set("finished_at", micros(*upd.FinishedAt))
	}
	if upd.Progress != nil {
		b, _ := json.Marshal(upd.Progress)
		set("progress", string(b))
	}
	if upd.Error != nil {
		set("error", *upd.Error)
	}
	if upd.RiverJobID != nil {
		set("river_job_id", *upd.RiverJobID)
	}
	if len(sets) > 0 {
		query := "UPDATE merge_jobs SET " + strings.Join(sets, ", ") + " WHERE id = ?"
		args = append(args, id)
		if len(upd.From) > 0 {
			query += " AND state IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(upd.From)), ", ") + ")"
			for _, st := range upd.From {
				args = append(args, string(st))
			}
		}
		res, err := s.exec(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("update merge job %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			j, err := s.GetMergeJob(ctx, id)
			if err != nil {
				return nil, err
			}
			return nil, shoal.Errorf(shoal.ECONFLICT, "merge job %d is %s", id, j.State)
		}
	}
	return s.GetMergeJob(ctx, id)
}

func (s *Store) scanJob(r interface{ Scan(...any) error }) (*shoal.MergeJob, error) {
	var j shoal.MergeJob
	var state, plan, progress string
	var created, started, finished int64
	if err := r.Scan(&j.ID, &state, &j.Database, &j.Table, &j.Catalog, &j.CreatedBy, &created, &started,
		&finished, &plan, &progress, &j.Error, &j.RiverJobID); err != nil {
		return nil, err
	}
	j.State = shoal.MergeState(state)
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromMicros(created), fromMicros(started), fromMicros(finished)
	if err := json.Unmarshal([]byte(plan), &j.Plan); err != nil {
		return nil, fmt.Errorf("merge job %d plan: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(progress), &j.Progress); err != nil {
		return nil, fmt.Errorf("merge job %d progress: %w", j.ID, err)
	}
	return &j, nil
}

// GetMergeJob implements shoal.MergeStore.
func (s *Store) GetMergeJob(ctx context.Context, id int64) (*shoal.MergeJob, error) {
	j, err := s.scanJob(s.db.QueryRowContext(ctx, s.q(`SELECT `+jobColumns+` FROM merge_jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shoal.Errorf(shoal.ENOTFOUND, "merge job %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get merge job %d: %w", id, err)
	}
	j.Results, err = s.results(ctx, `WHERE job_id = ? ORDER BY idx`, id)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// ListMergeJobs implements shoal.MergeStore. The jobs carry their plan but
// not their per-partition results.
func (s *Store) ListMergeJobs(ctx context.Context, f shoal.MergeJobFilter) ([]*shoal.MergeJob, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.Catalog != "" {
		where, args = append(where, "catalog = ?"), append(args, f.Catalog)
	}
	if f.Database != "" {
		where, args = append(where, "db = ?"), append(args, f.Database)
	}
	if f.Table != "" {
		where, args = append(where, "tbl = ?"), append(args, f.Table)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM merge_jobs`+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list merge jobs: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+jobColumns+` FROM merge_jobs`+cond+
		` ORDER BY id DESC LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list merge jobs: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []*shoal.MergeJob
	for rows.Next() {
		j, err := s.scanJob(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list merge jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, total, rows.Err()
}

// PutMergeResult implements shoal.MergeStore.
func (s *Store) PutMergeResult(ctx context.Context, jobID int64, r *shoal.PartitionResult) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	_, err = s.exec(ctx, `INSERT INTO merge_results (job_id, idx, step, expires_at, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job_id, idx) DO UPDATE SET step = excluded.step, expires_at = excluded.expires_at,
		data = excluded.data`, jobID, r.Index, string(r.Step), micros(r.ExpiresAt), string(data))
	if err != nil {
		return fmt.Errorf("journal job %d partition %d: %w", jobID, r.Index, err)
	}
	return nil
}

func (s *Store) results(ctx context.Context, cond string, args ...any) ([]shoal.PartitionResult, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT data FROM merge_results `+cond), args...)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []shoal.PartitionResult
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		var r shoal.PartitionResult
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) refs(ctx context.Context, cond string, args ...any) ([]shoal.JournalRef, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT job_id, data FROM merge_results `+cond), args...)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []shoal.JournalRef
	for rows.Next() {
		var ref shoal.JournalRef
		var data string
		if err := rows.Scan(&ref.JobID, &data); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &ref.Result); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

// PendingSwaps implements shoal.MergeStore.
func (s *Store) PendingSwaps(ctx context.Context) ([]shoal.JournalRef, error) {
	return s.refs(ctx, `WHERE step IN (?, ?, ?, ?, ?, ?, ?) ORDER BY job_id, idx`,
		string(shoal.StepStaging), string(shoal.StepValidated), string(shoal.StepBackup),
		string(shoal.StepPromote), string(shoal.StepRollback), string(shoal.StepRelocate),
		string(shoal.StepRollbackRestore))
}

// ExpiredBackups implements shoal.MergeStore.
func (s *Store) ExpiredBackups(ctx context.Context, now time.Time) ([]shoal.JournalRef, error) {
	return s.refs(ctx, `WHERE step = ? AND expires_at > 0 AND expires_at <= ? ORDER BY job_id, idx`,
		string(shoal.StepSwapped), micros(now))
}

// AcquireLease implements shoal.MergeStore.
func (s *Store) AcquireLease(ctx context.Context, key, owner string, ttl time.Duration) error {
	now := time.Now()
	res, err := s.exec(ctx, `INSERT INTO leases (lease_key, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (lease_key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at < ?`,
		key, owner, micros(now.Add(ttl)), micros(now))
	if err != nil {
		return fmt.Errorf("acquire lease %s: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var holder string
		var until int64
		_ = s.db.QueryRowContext(ctx, s.q(`SELECT owner, expires_at FROM leases WHERE lease_key = ?`), key).Scan(&holder, &until)
		return shoal.Errorf(shoal.ECONFLICT, "%s is leased by %s until %s", key, holder,
			fromMicros(until).Format(time.RFC3339))
	}
	return nil
}

// ReleaseLease implements shoal.MergeStore.
func (s *Store) ReleaseLease(ctx context.Context, key, owner string) error {
	if _, err := s.exec(ctx, `DELETE FROM leases WHERE lease_key = ? AND owner = ?`, key, owner); err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}

// LeaseHolder implements shoal.MergeStore.
func (s *Store) LeaseHolder(ctx context.Context, key string) (string, time.Time, error) {
	var owner string
	var until int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT owner, expires_at FROM leases WHERE lease_key = ?`), key).Scan(&owner, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, shoal.Errorf(shoal.ENOTFOUND, "no lease on %s", key)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("lease %s: %w", key, err)
	}
	return owner, fromMicros(until), nil
}

// StealLease implements shoal.MergeStore.
func (s *Store) StealLease(ctx context.Context, key, from, owner string, ttl time.Duration) error {
	res, err := s.exec(ctx, `UPDATE leases SET owner = ?, expires_at = ? WHERE lease_key = ? AND owner = ?`,
		owner, micros(time.Now().Add(ttl)), key, from)
	if err != nil {
		return fmt.Errorf("steal lease %s: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shoal.Errorf(shoal.ECONFLICT, "%s is no longer leased by %s", key, from)
	}
	return nil
}

// AppendAudit implements shoal.MergeStore.
func (s *Store) AppendAudit(ctx context.Context, e *shoal.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC().Truncate(time.Microsecond)
	}
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO audit_log (at, actor, action, target, detail)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), micros(e.At), e.Actor, e.Action, e.Target, e.Detail).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ListAudit implements shoal.MergeStore.
func (s *Store) ListAudit(ctx context.Context, limit, offset int) ([]shoal.AuditEntry, int64, error) {
	f := shoal.ScanFilter{Limit: limit, Offset: offset}
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, actor, action, target, detail FROM audit_log
		ORDER BY id DESC LIMIT ? OFFSET ?`), f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []shoal.AuditEntry
	for rows.Next() {
		var e shoal.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, 0, fmt.Errorf("list audit: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

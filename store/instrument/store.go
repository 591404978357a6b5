package instrument

import (
	"context"
	"time"

	"github.com/shoalhq/shoal"
)

// Ping implements shoal.Store.
func (o *Store) Ping(ctx context.Context) error {
	defer o.observe("Ping")()
	return o.st.Ping(ctx)
}

// CreateScan implements shoal.Store.
func (o *Store) CreateScan(ctx context.Context, s *shoal.Scan) error {
	defer o.observe("CreateScan")()
	return o.st.CreateScan(ctx, s)
}

// UpdateScan implements shoal.Store.
func (o *Store) UpdateScan(ctx context.Context, id int64, upd shoal.ScanUpdate) (*shoal.Scan, error) {
	defer o.observe("UpdateScan")()
	return o.st.UpdateScan(ctx, id, upd)
}

// GetScan implements shoal.Store.
func (o *Store) GetScan(ctx context.Context, id int64) (*shoal.Scan, error) {
	defer o.observe("GetScan")()
	return o.st.GetScan(ctx, id)
}

// ListScans implements shoal.Store.
func (o *Store) ListScans(ctx context.Context, f shoal.ScanFilter) ([]*shoal.Scan, int64, error) {
	defer o.observe("ListScans")()
	return o.st.ListScans(ctx, f)
}

// LatestSnapshot implements shoal.Store.
func (o *Store) LatestSnapshot(ctx context.Context, catalog string) (*shoal.Scan, error) {
	defer o.observe("LatestSnapshot")()
	return o.st.LatestSnapshot(ctx, catalog)
}

// SnapshotWriter implements shoal.Store.
func (o *Store) SnapshotWriter(ctx context.Context, id int64) (shoal.SnapshotWriter, error) {
	defer o.observe("SnapshotWriter")()
	w, err := o.st.SnapshotWriter(ctx, id)
	if err != nil {
		return nil, err
	}
	return &snapshotWriter{w: w, s: o}, nil
}

// DeleteSnapshot implements shoal.Store.
func (o *Store) DeleteSnapshot(ctx context.Context, id int64) error {
	defer o.observe("DeleteSnapshot")()
	return o.st.DeleteSnapshot(ctx, id)
}

// PruneSnapshots implements shoal.Store.
func (o *Store) PruneSnapshots(ctx context.Context, keep int) (int, error) {
	defer o.observe("PruneSnapshots")()
	return o.st.PruneSnapshots(ctx, keep)
}

// ListDatabases implements shoal.Store.
func (o *Store) ListDatabases(ctx context.Context, scanID int64) ([]shoal.DatabaseStats, error) {
	defer o.observe("ListDatabases")()
	return o.st.ListDatabases(ctx, scanID)
}

// ListTables implements shoal.Store.
func (o *Store) ListTables(ctx context.Context, f shoal.TableFilter) ([]shoal.TableStats, int64, error) {
	defer o.observe("ListTables")()
	return o.st.ListTables(ctx, f)
}

// GetTable implements shoal.Store.
func (o *Store) GetTable(ctx context.Context, scanID int64, db, table string) (*shoal.TableStats, error) {
	defer o.observe("GetTable")()
	return o.st.GetTable(ctx, scanID, db, table)
}

// ListPartitions implements shoal.Store.
func (o *Store) ListPartitions(ctx context.Context, f shoal.PartitionFilter) ([]shoal.PartitionStats, int64, error) {
	defer o.observe("ListPartitions")()
	return o.st.ListPartitions(ctx, f)
}

// TableTrend implements shoal.Store.
func (o *Store) TableTrend(ctx context.Context, catalog, db, table string, limit int) ([]shoal.TrendPoint, error) {
	defer o.observe("TableTrend")()
	return o.st.TableTrend(ctx, catalog, db, table, limit)
}

// WarehouseTrend implements shoal.Store.
func (o *Store) WarehouseTrend(ctx context.Context, catalog string, limit int) ([]shoal.TrendPoint, error) {
	defer o.observe("WarehouseTrend")()
	return o.st.WarehouseTrend(ctx, catalog, limit)
}

// ListPolicies implements shoal.Store.
func (o *Store) ListPolicies(ctx context.Context) ([]shoal.Policy, error) {
	defer o.observe("ListPolicies")()
	return o.st.ListPolicies(ctx)
}

// PutPolicy implements shoal.Store.
func (o *Store) PutPolicy(ctx context.Context, p *shoal.Policy) error {
	defer o.observe("PutPolicy")()
	return o.st.PutPolicy(ctx, p)
}

// DeletePolicy implements shoal.Store.
func (o *Store) DeletePolicy(ctx context.Context, scope string) error {
	defer o.observe("DeletePolicy")()
	return o.st.DeletePolicy(ctx, scope)
}

// CreateMergeJob implements shoal.Store.
func (o *Store) CreateMergeJob(ctx context.Context, j *shoal.MergeJob) error {
	defer o.observe("CreateMergeJob")()
	return o.st.CreateMergeJob(ctx, j)
}

// UpdateMergeJob implements shoal.Store.
func (o *Store) UpdateMergeJob(ctx context.Context, id int64, upd shoal.MergeJobUpdate) (*shoal.MergeJob, error) {
	defer o.observe("UpdateMergeJob")()
	return o.st.UpdateMergeJob(ctx, id, upd)
}

// GetMergeJob implements shoal.Store.
func (o *Store) GetMergeJob(ctx context.Context, id int64) (*shoal.MergeJob, error) {
	defer o.observe("GetMergeJob")()
	return o.st.GetMergeJob(ctx, id)
}

// ListMergeJobs implements shoal.Store.
func (o *Store) ListMergeJobs(ctx context.Context, f shoal.MergeJobFilter) ([]*shoal.MergeJob, int64, error) {
	defer o.observe("ListMergeJobs")()
	return o.st.ListMergeJobs(ctx, f)
}

// PutMergeResult implements shoal.Store.
func (o *Store) PutMergeResult(ctx context.Context, jobID int64, r *shoal.PartitionResult) error {
	defer o.observe("PutMergeResult")()
	return o.st.PutMergeResult(ctx, jobID, r)
}

// PendingSwaps implements shoal.Store.
func (o *Store) PendingSwaps(ctx context.Context) ([]shoal.JournalRef, error) {
	defer o.observe("PendingSwaps")()
	return o.st.PendingSwaps(ctx)
}

// ExpiredBackups implements shoal.Store.
func (o *Store) ExpiredBackups(ctx context.Context, now time.Time) ([]shoal.JournalRef, error) {
	defer o.observe("ExpiredBackups")()
	return o.st.ExpiredBackups(ctx, now)
}

// AcquireLease implements shoal.Store.
func (o *Store) AcquireLease(ctx context.Context, key, owner string, ttl time.Duration) error {
	defer o.observe("AcquireLease")()
	return o.st.AcquireLease(ctx, key, owner, ttl)
}

// ReleaseLease implements shoal.Store.
func (o *Store) ReleaseLease(ctx context.Context, key, owner string) error {
	defer o.observe("ReleaseLease")()
	return o.st.ReleaseLease(ctx, key, owner)
}

// LeaseHolder implements shoal.Store.
func (o *Store) LeaseHolder(ctx context.Context, key string) (string, time.Time, error) {
	defer o.observe("LeaseHolder")()
	return o.st.LeaseHolder(ctx, key)
}

// StealLease implements shoal.Store.
func (o *Store) StealLease(ctx context.Context, key, from, owner string, ttl time.Duration) error {
	defer o.observe("StealLease")()
	return o.st.StealLease(ctx, key, from, owner, ttl)
}

// AppendAudit implements shoal.Store.
func (o *Store) AppendAudit(ctx context.Context, e *shoal.AuditEntry) error {
	defer o.observe("AppendAudit")()
	return o.st.AppendAudit(ctx, e)
}

// ListAudit implements shoal.Store.
func (o *Store) ListAudit(ctx context.Context, limit, offset int) ([]shoal.AuditEntry, int64, error) {
	defer o.observe("ListAudit")()
	return o.st.ListAudit(ctx, limit, offset)
}

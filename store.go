package shoal

import (
	"context"
	"time"
)

// Store keeps scans and their snapshots. Implementations: sqlite (the
// embedded default) and postgres. One contract suite, storetest, runs
// against both.
//
// Every method returns an *Error with code ENOTFOUND when the requested scan,
// table or snapshot does not exist, and EINVALID for a bad filter.
type Store interface {
	MergeStore

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error

	// CreateScan inserts a scan and sets its ID and CreatedAt.
	CreateScan(ctx context.Context, s *Scan) error
	// UpdateScan changes the fields of upd that are set. Changing the state
	// of a scan that is already final returns ECONFLICT.
	UpdateScan(ctx context.Context, id int64, upd ScanUpdate) (*Scan, error)
	// GetScan returns one scan.
	GetScan(ctx context.Context, id int64) (*Scan, error)
	// ListScans returns scans, newest first, and the number that match.
	ListScans(ctx context.Context, f ScanFilter) ([]*Scan, int64, error)
	// LatestSnapshot returns the newest succeeded scan of a catalog (of
	// any catalog when catalog is ""), or ENOTFOUND.
	LatestSnapshot(ctx context.Context, catalog string) (*Scan, error)

	// SnapshotWriter returns a writer for the statistics of scan id. Each
	// write commits on its own, so a snapshot of any size never holds one
	// long transaction; a snapshot becomes visible to queries only once its
	// scan has succeeded.
	SnapshotWriter(ctx context.Context, id int64) (SnapshotWriter, error)
	// DeleteSnapshot removes the statistics of a scan (not the scan row).
	DeleteSnapshot(ctx context.Context, id int64) error
	// PruneSnapshots deletes the partition statistics of all succeeded scans
	// but the newest keep, leaving their table statistics for trends. It
	// returns the number of scans pruned.
	PruneSnapshots(ctx context.Context, keep int) (int, error)

	// ListDatabases returns per-database sums of a snapshot, by name.
	ListDatabases(ctx context.Context, scanID int64) ([]DatabaseStats, error)
	// ListTables returns the table statistics that match f and their count.
	ListTables(ctx context.Context, f TableFilter) ([]TableStats, int64, error)
	// GetTable returns the statistics of one table in a snapshot.
	GetTable(ctx context.Context, scanID int64, db, table string) (*TableStats, error)
	// ListPartitions returns the partition statistics that match f and
	// their count. With no table set it ranks partitions across the whole
	// snapshot.
	ListPartitions(ctx context.Context, f PartitionFilter) ([]PartitionStats, int64, error)
	// TableTrend returns a table's statistics across succeeded snapshots,
	// oldest first, at most limit points (the newest ones).
	TableTrend(ctx context.Context, catalog, db, table string, limit int) ([]TrendPoint, error)
	// WarehouseTrend returns the warehouse totals across succeeded
	// snapshots, oldest first, at most limit points (the newest ones).
	WarehouseTrend(ctx context.Context, catalog string, limit int) ([]TrendPoint, error)
}

// SnapshotWriter appends the statistics of one scan. Partitions and tables
// may arrive in any order and in several calls; WriteTables may be called
// after the partitions of those tables were written.
type SnapshotWriter interface {
	WritePartitions(ctx context.Context, ps []PartitionStats) error
	WriteTables(ctx context.Context, ts []TableStats) error
	// Close releases the writer's prepared statements.
	Close() error
}

// ScanUpdate lists the fields of a scan to change; nil fields are kept.
type ScanUpdate struct {
	State      *ScanState
	StartedAt  *time.Time
	FinishedAt *time.Time
	Error      *string
	Progress   *ScanProgress
	Totals     *Totals
	JobID      *int64
}

// ScanFilter selects scans.
type ScanFilter struct {
	State  ScanState // empty for any state
	Limit  int       // 0 means DefaultLimit
	Offset int
}

// Validate checks the filter and fills defaults.
func (f *ScanFilter) Validate() error {
	if f.State != "" && !f.State.Valid() {
		return Errorf(EINVALID, "unknown scan state %q", f.State)
	}
	return validatePage(&f.Limit, f.Offset)
}

// DefaultLimit and MaxLimit bound the page size of list calls.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// SortKey names a metric that lists of tables and partitions sort by.
type SortKey string

// Sort keys. SortName sorts tables by "db.table" and partitions by spec.
const (
	SortName           SortKey = "name"
	SortFiles          SortKey = "files"
	SortBytes          SortKey = "bytes"
	SortSmallFiles     SortKey = "small_files"
	SortSmallRatio     SortKey = "small_ratio"
	SortNameNodeHeap   SortKey = "namenode_heap_bytes"
	SortReducibleFiles SortKey = "reducible_files"
	SortAvgSize        SortKey = "avg_size"
	SortNewestModTime  SortKey = "newest_mtime"
	// SortPartitions applies to tables only.
	SortPartitions SortKey = "partitions"
)

// SortKeys lists every sort key; SortPartitions is valid for tables only.
var SortKeys = []SortKey{SortName, SortFiles, SortBytes, SortSmallFiles, SortSmallRatio,
	SortNameNodeHeap, SortReducibleFiles, SortAvgSize, SortNewestModTime, SortPartitions}

// Valid reports whether k is a known sort key.
func (k SortKey) Valid() bool {
	for _, s := range SortKeys {
		if k == s {
			return true
		}
	}
	return false
}

// TableFilter selects table statistics of one snapshot.
type TableFilter struct {
	ScanID   int64
	Database string // exact database name; empty for all
	// Search matches a case-insensitive substring of "db.table".
	Search string
	Format Format // empty for any format
	Sort   SortKey
	Desc   bool
	Limit  int
	Offset int
}

// Validate checks the filter and fills defaults.
func (f *TableFilter) Validate() error {
	if f.Sort == "" {
		f.Sort, f.Desc = SortSmallFiles, true
	}
	if !f.Sort.Valid() {
		return Errorf(EINVALID, "unknown sort key %q", f.Sort)
	}
	if f.Format != "" && !f.Format.Valid() {
		return Errorf(EINVALID, "unknown format %q", f.Format)
	}
	return validatePage(&f.Limit, f.Offset)
}

// PartitionFilter selects partition statistics of one snapshot.
type PartitionFilter struct {
	ScanID int64
	// Database and Table select one table; both empty rank partitions
	// across the snapshot.
	Database string
	Table    string
	// Search matches a case-insensitive substring of the partition spec.
	Search string
	// OnlyErrors selects partitions whose listing failed.
	OnlyErrors bool
	Sort       SortKey
	Desc       bool
	Limit      int
	Offset     int
}

// Validate checks the filter and fills defaults.
func (f *PartitionFilter) Validate() error {
	if f.Sort == "" {
		f.Sort, f.Desc = SortSmallFiles, true
	}
	if !f.Sort.Valid() || f.Sort == SortPartitions {
		return Errorf(EINVALID, "unknown sort key %q for partitions", f.Sort)
	}
	if (f.Database == "") != (f.Table == "") {
		return Errorf(EINVALID, "database and table must be given together")
	}
	return validatePage(&f.Limit, f.Offset)
}

func validatePage(limit *int, offset int) error {
	switch {
	case *limit < 0 || *limit > MaxLimit:
		return Errorf(EINVALID, "limit must be between 1 and %d, got %d", MaxLimit, *limit)
	case offset < 0:
		return Errorf(EINVALID, "offset must not be negative, got %d", offset)
	case *limit == 0:
		*limit = DefaultLimit
	}
	return nil
}

// DatabaseStats are the sums of one database's tables in a snapshot.
type DatabaseStats struct {
	Name           string
	Tables         int64
	Partitions     int64
	Files          int64
	Bytes          int64
	Small          int64
	NameNodeHeap   int64
	ReducibleFiles int64
}

// TrendPoint is one snapshot's figures for a table or the warehouse.
type TrendPoint struct {
	ScanID         int64
	At             time.Time // when the scan finished
	Partitions     int64
	Files          int64
	Bytes          int64
	Small          int64
	NameNodeHeap   int64
	ReducibleFiles int64
}

package shoal

import (
	"context"
	"io"
	"time"
)

// Catalog enumerates the databases, tables and partitions of a warehouse.
// Implementations: warehouse (a directory tree), metastore (Hive Metastore
// over Thrift) and hmsdb (the Metastore's backend database).
type Catalog interface {
	// Databases lists the databases, sorted by name.
	Databases(ctx context.Context) ([]Database, error)
	// Tables lists the tables of one database, sorted by name.
	Tables(ctx context.Context, db string) ([]Table, error)
	// Partitions streams the partitions of a table to fn, which may stop the
	// listing by returning an error. An unpartitioned table yields no
	// partitions.
	Partitions(ctx context.Context, t *Table, fn func(Partition) error) error
	// Close releases the catalog's connections.
	Close() error
}

// FileSystem is the storage that holds table data. Implementations: localfs
// and, later, hdfs and s3. Paths are the locations a Catalog returns.
type FileSystem interface {
	// List streams the entries directly inside dir to fn, in no particular
	// order, without following into subdirectories. Directory entries have
	// IsDir set. Returning an error from fn stops the listing.
	List(ctx context.Context, dir string, fn func(FileInfo) error) error
	// Stat describes one path.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// Open opens a file for reading.
	Open(ctx context.Context, path string) (io.ReadCloser, error)
}

// ScanState is the state of a scan run.
type ScanState string

// Scan states. A scan moves from queued to running and then to exactly one
// of the final states.
const (
	ScanQueued    ScanState = "queued"
	ScanRunning   ScanState = "running"
	ScanSucceeded ScanState = "succeeded"
	ScanFailed    ScanState = "failed"
	ScanCancelled ScanState = "cancelled"
)

// Final reports whether the state is terminal.
func (s ScanState) Final() bool {
	return s == ScanSucceeded || s == ScanFailed || s == ScanCancelled
}

// Valid reports whether s is a known state.
func (s ScanState) Valid() bool {
	switch s {
	case ScanQueued, ScanRunning, ScanSucceeded, ScanFailed, ScanCancelled:
		return true
	}
	return false
}

// ScanProgress reports how far a scan is.
type ScanProgress struct {
	// PartitionsDone counts partitions (or unpartitioned tables) listed.
	PartitionsDone int64
	// PartitionsTotal is the number found so far; TotalKnown is true once
	// enumeration has finished and the total no longer grows.
	PartitionsTotal int64
	TotalKnown      bool
	TablesDone      int64
	TablesTotal     int64
	Files           int64
	Bytes           int64
	Errors          int64
	// Rate is partitions per second since the start.
	Rate float64
	// ETA is the estimated time left; zero when unknown.
	ETA time.Duration
}

// Totals are the warehouse-wide sums of a snapshot.
type Totals struct {
	Databases       int64
	Tables          int64
	Partitions      int64
	Files           int64
	Bytes           int64
	Small           int64
	Blocks          int64
	NameNodeHeap    int64
	FilesAfterMerge int64
	ReducibleFiles  int64
	ErrorPartitions int64
	Histogram       Histogram
}

// Add adds the statistics of one table.
func (t *Totals) Add(ts *TableStats) {
	t.Tables++
	t.Partitions += ts.Partitions
	t.Files += ts.Files
	t.Bytes += ts.Bytes
	t.Small += ts.Small
	t.Blocks += ts.Blocks
	t.NameNodeHeap += ts.NameNodeHeap
	t.FilesAfterMerge += ts.FilesAfterMerge
	t.ReducibleFiles += ts.ReducibleFiles
	t.ErrorPartitions += ts.ErrorPartitions
	t.Histogram.Merge(&ts.Histogram)
}

// Scan is one scan run. A succeeded scan is a snapshot of the warehouse.
type Scan struct {
	ID         int64
	Catalog    string // catalog URI, with any password removed
	State      ScanState
	CreatedAt  time.Time
	StartedAt  time.Time // zero until running
	FinishedAt time.Time // zero until final
	Error      string
	Thresholds Thresholds
	Progress   ScanProgress
	Totals     Totals
	// JobID is the ID of the job that runs the scan, 0 for scans run
	// directly (shoal scan).
	JobID int64
}

// Duration returns how long the scan ran, or has run so far.
func (s *Scan) Duration(now time.Time) time.Duration {
	switch {
	case s.StartedAt.IsZero():
		return 0
	case s.FinishedAt.IsZero():
		return now.Sub(s.StartedAt)
	}
	return s.FinishedAt.Sub(s.StartedAt)
}

// WritableFS is a FileSystem that merges can change. Directory renames are
// atomic and never replace an existing path; that is what the journaled
// swap (DESIGN.md §3) relies on.
type WritableFS interface {
	FileSystem
	// OpenFile opens a file for random access and returns its size.
	OpenFile(ctx context.Context, path string) (ReadAtCloser, int64, error)
	// Create creates a new file; it fails if path exists.
	Create(ctx context.Context, path string) (WriteFile, error)
	// Mkdir creates one directory; it fails if path exists.
	Mkdir(ctx context.Context, path string) error
	// Rename moves oldpath to newpath atomically; it fails if newpath
	// exists.
	Rename(ctx context.Context, oldpath, newpath string) error
	// RemoveAll removes path and everything below it; a missing path is
	// not an error.
	RemoveAll(ctx context.Context, path string) error
	// Link makes newpath a second name of the file oldpath (a hard link),
	// or a copy where the storage has no links.
	Link(ctx context.Context, oldpath, newpath string) error
	// SyncDir makes the entries of a directory durable.
	SyncDir(ctx context.Context, path string) error
}

// ReadAtCloser is a file opened for random access.
type ReadAtCloser interface {
	io.ReaderAt
	io.Closer
}

// WriteFile is a file being written. Sync makes its contents durable.
type WriteFile interface {
	io.Writer
	Sync() error
	Close() error
}

// ParamsCreator is implemented by file systems whose files have their own
// replication factor and block size (HDFS): merges write each output with
// those of the files it replaces.
type ParamsCreator interface {
	CreateWith(ctx context.Context, path string, replication int, blockSize int64) (WriteFile, error)
}

// CatalogWriter is implemented by catalogs that can record what a merge did:
// the Hive Metastore over Thrift. Catalogs read from a metastore's backend
// database or from a directory tree do not implement it.
type CatalogWriter interface {
	// Relocate switches the storage location of partition p of t (p is nil
	// for an unpartitioned table) from oldLocation to newLocation in one
	// metastore call (alter_partition or alter_table). It fails with
	// ECONFLICT, changing nothing, when the current location is not
	// oldLocation.
	Relocate(ctx context.Context, t *Table, p *Partition, oldLocation, newLocation string) error
	// UpdateStats records the file count and total bytes of partition p of
	// t (p nil for an unpartitioned table) as the numFiles and totalSize
	// parameters, and sets transient_lastDdlTime to now.
	UpdateStats(ctx context.Context, t *Table, p *Partition, files, bytes int64) error
}

// ObjectStore is implemented by a WritableFS whose directories are key
// prefixes, such as S3. Its Rename copies and then deletes object by object,
// so it is not atomic for readers, and a crash can leave a directory's
// objects split between the old and the new name. Mkdir and SyncDir do
// nothing there, and Link copies.
type ObjectStore interface {
	WritableFS
	// ResumeRename finishes an interrupted Rename of oldpath to newpath:
	// every object still under oldpath is copied to newpath unless an
	// object of the same size is already there, then deleted. It is
	// idempotent, and succeeds when oldpath holds nothing.
	ResumeRename(ctx context.Context, oldpath, newpath string) error
}

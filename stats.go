package shoal

import (
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// HistogramBuckets is the number of buckets in a size Histogram.
const HistogramBuckets = 24

// Histogram counts files by size on a fixed log2 scale. Bucket 0 holds files
// smaller than 1 KiB; bucket i (1 ≤ i ≤ 22) holds sizes in
// [2^(9+i), 2^(10+i)), that is 1 KiB–2 KiB, 2 KiB–4 KiB, … 2 GiB–4 GiB; the
// last bucket holds files of 4 GiB and more. The scale is fixed so that
// histograms of different partitions, tables and snapshots add up.
type Histogram [HistogramBuckets]int64

// HistogramBucket returns the bucket index of a file size.
func HistogramBucket(size int64) int {
	if size < KiB {
		return 0
	}
	b := bits.Len64(uint64(size)) - 10 // 1 KiB..2 KiB-1 → 1
	if b >= HistogramBuckets {
		return HistogramBuckets - 1
	}
	return b
}

// HistogramBucketBounds returns the inclusive lower and exclusive upper size
// of bucket i; upper is -1 for the last, open-ended bucket.
func HistogramBucketBounds(i int) (lower, upper int64) {
	switch {
	case i <= 0:
		return 0, KiB
	case i >= HistogramBuckets-1:
		return 1 << (9 + HistogramBuckets - 1), -1
	}
	return 1 << (9 + i), 1 << (10 + i)
}

// Add counts one file of the given size.
func (h *Histogram) Add(size int64) { h[HistogramBucket(size)]++ }

// Merge adds the counts of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

// Thresholds are the size settings that decide what a small file is and how
// many files a partition would have after a merge.
type Thresholds struct {
	// SmallFileSize: files strictly smaller than this are small files.
	SmallFileSize int64
	// TargetFileSize is the size merged files aim for.
	TargetFileSize int64
	// BlockSize is the storage block size used to estimate blocks when the
	// file system does not report them (HDFS dfs.blocksize).
	BlockSize int64
}

// Default thresholds. The small-file threshold follows Hive's
// hive.merge.smallfiles.avgsize (16 MB); the target is one HDFS block.
var DefaultThresholds = Thresholds{
	SmallFileSize:  16 * MiB,
	TargetFileSize: 128 * MiB,
	BlockSize:      128 * MiB,
}

// Validate checks that the thresholds are usable.
func (t Thresholds) Validate() error {
	switch {
	case t.SmallFileSize <= 0:
		return Errorf(EINVALID, "small file size must be positive, got %d", t.SmallFileSize)
	case t.TargetFileSize <= 0:
		return Errorf(EINVALID, "target file size must be positive, got %d", t.TargetFileSize)
	case t.BlockSize <= 0:
		return Errorf(EINVALID, "block size must be positive, got %d", t.BlockSize)
	case t.SmallFileSize > t.TargetFileSize:
		return Errorf(EINVALID, "small file size (%d) must not exceed target file size (%d)", t.SmallFileSize, t.TargetFileSize)
	}
	return nil
}

// NameNodeObjectBytes is the NameNode heap cost of one namespace object
// (inode, directory or block), about 150 bytes.
const NameNodeObjectBytes = 150

// PartitionStats are the statistics of one partition in one snapshot.
type PartitionStats struct {
	Database  string
	Table     string
	Spec      string // empty for the single partition of an unpartitioned table
	Location  string
	Format    Format
	Files     int64
	Bytes     int64
	Small     int64 // files below Thresholds.SmallFileSize
	Histogram Histogram
	MinSize   int64
	// MedianSize is the lower median of the file sizes.
	MedianSize int64
	MaxSize    int64
	// OldestModTime and NewestModTime are zero when the partition is empty.
	OldestModTime time.Time
	NewestModTime time.Time
	Blocks        int64
	// NameNodeHeap estimates the NameNode heap held by the partition: one
	// object for its directory, one per file and one per block.
	NameNodeHeap int64
	// FilesAfterMerge is ceil(Bytes / TargetFileSize), at least 1 when the
	// partition has files; ReducibleFiles is Files - FilesAfterMerge.
	FilesAfterMerge int64
	ReducibleFiles  int64
	// Error is set when the partition could not be listed; the other
	// fields then hold what was seen before the error.
	Error string
}

// SmallRatio returns the fraction of files that are small.
func (p *PartitionStats) SmallRatio() float64 {
	if p.Files == 0 {
		return 0
	}
	return float64(p.Small) / float64(p.Files)
}

// PartitionFolder folds the files of one partition into PartitionStats. It
// keeps the sizes of the current partition only, to compute the median; Reset
// reuses that buffer for the next partition.
type PartitionFolder struct {
	th    Thresholds
	sizes []int64
	st    PartitionStats
}

// NewPartitionFolder returns a folder that applies th.
func NewPartitionFolder(th Thresholds) *PartitionFolder {
	return &PartitionFolder{th: th}
}

// Reset starts a new partition.
func (f *PartitionFolder) Reset(db, table, spec, location string) {
	f.sizes = f.sizes[:0]
	f.st = PartitionStats{Database: db, Table: table, Spec: spec, Location: location}
}

// Add folds one file and its detected format (FormatUnknown when not read).
func (f *PartitionFolder) Add(fi *FileInfo, format Format) {
	st := &f.st
	if st.Files == 0 || fi.Size < st.MinSize {
		st.MinSize = fi.Size
	}
	if fi.Size > st.MaxSize {
		st.MaxSize = fi.Size
	}
	if st.Files == 0 || fi.ModTime.Before(st.OldestModTime) {
		st.OldestModTime = fi.ModTime
	}
	if fi.ModTime.After(st.NewestModTime) {
		st.NewestModTime = fi.ModTime
	}
	st.Files++
	st.Bytes += fi.Size
	if fi.Size < f.th.SmallFileSize {
		st.Small++
	}
	st.Histogram.Add(fi.Size)
	blocks := fi.Blocks
	if blocks == 0 && fi.Size > 0 {
		blocks = (fi.Size + f.th.BlockSize - 1) / f.th.BlockSize
	}
	st.Blocks += blocks
	switch {
	case format == FormatUnknown:
	case st.Format == "" || st.Format == FormatUnknown:
		st.Format = format
	case st.Format != format:
		st.Format = FormatMixed
	}
	f.sizes = append(f.sizes, fi.Size)
}

// Stats finishes the current partition and returns its statistics.
func (f *PartitionFolder) Stats() PartitionStats {
	st := f.st
	if st.Format == "" {
		st.Format = FormatUnknown
	}
	if n := len(f.sizes); n > 0 {
		slices.Sort(f.sizes)
		st.MedianSize = f.sizes[(n-1)/2]
		st.FilesAfterMerge = max(1, (st.Bytes+f.th.TargetFileSize-1)/f.th.TargetFileSize)
		st.ReducibleFiles = max(0, st.Files-st.FilesAfterMerge)
	}
	st.NameNodeHeap = NameNodeObjectBytes * (1 + st.Files + st.Blocks)
	return st
}

// TableStats are the statistics of one table in one snapshot: the sums of
// its partitions.
type TableStats struct {
	Database string
	Table    string
	Location string
	Format   Format
	Owner    string
	// Partitioned is false for tables without partition keys; Partitions
	// then is 0 although one partition row holds the table's files.
	Partitioned     bool
	Transactional   bool
	Partitions      int64
	Files           int64
	Bytes           int64
	Small           int64
	Histogram       Histogram
	MinSize         int64
	MaxSize         int64
	OldestModTime   time.Time
	NewestModTime   time.Time
	Blocks          int64
	NameNodeHeap    int64
	FilesAfterMerge int64
	ReducibleFiles  int64
	// ErrorPartitions counts partitions that could not be listed.
	ErrorPartitions int64
}

// SmallRatio returns the fraction of files that are small.
func (t *TableStats) SmallRatio() float64 {
	if t.Files == 0 {
		return 0
	}
	return float64(t.Small) / float64(t.Files)
}

// NewTableStats starts the statistics of tbl with no partitions.
func NewTableStats(tbl *Table) TableStats {
	return TableStats{
		Database:      tbl.Database,
		Table:         tbl.Name,
		Location:      tbl.Location,
		Format:        tbl.Format,
		Owner:         tbl.Owner,
		Partitioned:   tbl.Partitioned(),
		Transactional: tbl.Transactional,
	}
}

// AddPartition adds the statistics of one partition of the table.
func (t *TableStats) AddPartition(p *PartitionStats) {
	if t.Partitioned {
		t.Partitions++
	}
	if p.Error != "" {
		t.ErrorPartitions++
	}
	if p.Files > 0 {
		if t.Files == 0 || p.MinSize < t.MinSize {
			t.MinSize = p.MinSize
		}
		t.MaxSize = max(t.MaxSize, p.MaxSize)
		if t.OldestModTime.IsZero() || p.OldestModTime.Before(t.OldestModTime) {
			t.OldestModTime = p.OldestModTime
		}
		if p.NewestModTime.After(t.NewestModTime) {
			t.NewestModTime = p.NewestModTime
		}
	}
	switch {
	case p.Format == "" || p.Format == FormatUnknown:
	case t.Format == "" || t.Format == FormatUnknown:
		t.Format = p.Format
	case t.Format != p.Format:
		t.Format = FormatMixed
	}
	t.Files += p.Files
	t.Bytes += p.Bytes
	t.Small += p.Small
	t.Histogram.Merge(&p.Histogram)
	t.Blocks += p.Blocks
	t.NameNodeHeap += p.NameNodeHeap
	t.FilesAfterMerge += p.FilesAfterMerge
	t.ReducibleFiles += p.ReducibleFiles
}

// FormatBytes prints a byte count with a binary unit and one decimal, for
// people: 512 B, 1.5 KiB, 12.0 MiB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

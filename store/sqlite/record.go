package sqlite

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/shoalhq/shoal"
)

// The data column of table_stats and partition_stats holds the statistics of
// a table or partition in one packed record: a version byte, then the fields
// in a fixed order, integers as varints, strings as a length and their bytes,
// and histograms as the number of buckets up to the last non-zero one, then
// those buckets. Reading one column instead of twenty matters: the driver
// takes a lock for every column of every row.

// recordVersion is the first byte of a record.
const recordVersion = 1

var errRecord = errors.New("corrupt statistics record")

type recordWriter struct{ b []byte }

func (w *recordWriter) int(v int64) { w.b = binary.AppendVarint(w.b, v) }

func (w *recordWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *recordWriter) string(s string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *recordWriter) time(t time.Time) { w.int(t.UnixMicro()) }

func (w *recordWriter) histogram(h *shoal.Histogram) {
	n := len(h)
	for n > 0 && h[n-1] == 0 {
		n--
	}
	w.b = binary.AppendUvarint(w.b, uint64(n))
	for _, v := range h[:n] {
		w.int(v)
	}
}

type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bool() bool {
	if len(r.b) == 0 {
		r.fail()
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *recordReader) string() string {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// format reads a format name, without allocating for the known ones.
func (r *recordReader) format() shoal.Format {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	b := r.b[:n]
	r.b = r.b[n:]
	if f, ok := knownFormats[string(b)]; ok {
		return f
	}
	return shoal.Format(b)
}

var knownFormats = func() map[string]shoal.Format {
	m := map[string]shoal.Format{"": ""}
	for _, f := range []shoal.Format{shoal.FormatUnknown, shoal.FormatParquet, shoal.FormatORC, shoal.FormatAvro,
		shoal.FormatText, shoal.FormatTextGzip, shoal.FormatTextBzip2, shoal.FormatSequence, shoal.FormatRCFile, shoal.FormatMixed} {
		m[string(f)] = f
	}
	return m
}()

func (r *recordReader) time() time.Time { return time.UnixMicro(r.int()).UTC() }

func (r *recordReader) histogram(h *shoal.Histogram) {
	n := r.uint()
	if n > uint64(len(h)) {
		r.fail()
		return
	}
	for i := range n {
		h[i] = r.int()
	}
}

func (r *recordReader) fail() {
	r.err = errRecord
	r.b = nil
}

// close reports whether the record was read whole and well.
func (r *recordReader) close() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errRecord
	}
	return r.err
}

func newRecordReader(b []byte) *recordReader {
	if len(b) == 0 || b[0] != recordVersion {
		return &recordReader{err: errRecord}
	}
	return &recordReader{b: b[1:]}
}

// encodePartition returns the record of p, but for its names and spec.
func encodePartition(buf []byte, p *shoal.PartitionStats) []byte {
	w := recordWriter{b: append(buf[:0], recordVersion)}
	w.string(p.Location)
	w.string(string(p.Format))
	w.int(p.Files)
	w.int(p.Bytes)
	w.int(p.Small)
	w.histogram(&p.Histogram)
	w.int(p.MinSize)
	w.int(p.MedianSize)
	w.int(p.MaxSize)
	w.time(p.OldestModTime)
	w.time(p.NewestModTime)
	w.int(p.Blocks)
	w.int(p.NameNodeHeap)
	w.int(p.FilesAfterMerge)
	w.int(p.ReducibleFiles)
	w.string(p.Error)
	return w.b
}

// decodePartition reads the record of a partition into p.
func decodePartition(b []byte, p *shoal.PartitionStats) error {
	r := newRecordReader(b)
	p.Location = r.string()
	p.Format = r.format()
	p.Files = r.int()
	p.Bytes = r.int()
	p.Small = r.int()
	r.histogram(&p.Histogram)
	p.MinSize = r.int()
	p.MedianSize = r.int()
	p.MaxSize = r.int()
	p.OldestModTime = r.time()
	p.NewestModTime = r.time()
	p.Blocks = r.int()
	p.NameNodeHeap = r.int()
	p.FilesAfterMerge = r.int()
	p.ReducibleFiles = r.int()
	p.Error = r.string()
	return r.close()
}

// encodeTable returns the record of t, but for its names.
func encodeTable(buf []byte, t *shoal.TableStats) []byte {
	w := recordWriter{b: append(buf[:0], recordVersion)}
	w.string(t.Location)
	w.string(string(t.Format))
	w.string(t.Owner)
	w.bool(t.Partitioned)
	w.bool(t.Transactional)
	w.int(t.Partitions)
	w.int(t.Files)
	w.int(t.Bytes)
	w.int(t.Small)
	w.histogram(&t.Histogram)
	w.int(t.MinSize)
	w.int(t.MaxSize)
	w.time(t.OldestModTime)
	w.time(t.NewestModTime)
	w.int(t.Blocks)
	w.int(t.NameNodeHeap)
	w.int(t.FilesAfterMerge)
	w.int(t.ReducibleFiles)
	w.int(t.ErrorPartitions)
	return w.b
}

// decodeTable reads the record of a table into t. An empty record, of a
// table whose statistics were not written yet, leaves t as it is.
func decodeTable(b []byte, t *shoal.TableStats) error {
	if len(b) == 0 {
		return nil
	}
	r := newRecordReader(b)
	t.Location = r.string()
	t.Format = r.format()
	t.Owner = r.string()
	t.Partitioned = r.bool()
	t.Transactional = r.bool()
	t.Partitions = r.int()
	t.Files = r.int()
	t.Bytes = r.int()
	t.Small = r.int()
	r.histogram(&t.Histogram)
	t.MinSize = r.int()
	t.MaxSize = r.int()
	t.OldestModTime = r.time()
	t.NewestModTime = r.time()
	t.Blocks = r.int()
	t.NameNodeHeap = r.int()
	t.FilesAfterMerge = r.int()
	t.ReducibleFiles = r.int()
	t.ErrorPartitions = r.int()
	return r.close()
}

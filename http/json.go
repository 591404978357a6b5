package http

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shoalhq/shoal"
)

// The list endpoints are the hot path of the dashboard: a page of 50 rows,
// each with a 24-bucket histogram. They are encoded by appending to one
// buffer instead of through encoding/json's reflection, which was a fifth of
// the CPU of a request. json_test.go checks that both encodings decode to
// the same document for every field.

// tableListResponse answers GET /tables.
type tableListResponse struct {
	scanID int64
	total  int64
	items  []shoal.TableStats
}

// VisitListTablesResponse implements api.ListTablesResponseObject.
func (r tableListResponse) VisitListTablesResponse(w http.ResponseWriter) error {
	return writeList(w, r.scanID, r.total, r.items, appendTable)
}

// partitionListResponse answers GET /partitions and one table's partitions.
type partitionListResponse struct {
	scanID int64
	total  int64
	items  []shoal.PartitionStats
}

// VisitListPartitionsResponse implements api.ListPartitionsResponseObject.
func (r partitionListResponse) VisitListPartitionsResponse(w http.ResponseWriter) error {
	return r.write(w)
}

// VisitListTablePartitionsResponse implements
// api.ListTablePartitionsResponseObject.
func (r partitionListResponse) VisitListTablePartitionsResponse(w http.ResponseWriter) error {
	return r.write(w)
}

func (r partitionListResponse) write(w http.ResponseWriter) error {
	return writeList(w, r.scanID, r.total, r.items, appendPartition)
}

// writeList writes {"items":[...],"scan_id":N,"total":N}, the shape of the
// spec's TableList and PartitionList.
func writeList[T any](w http.ResponseWriter, scanID, total int64, items []T, appendItem func([]byte, *T) []byte) error {
	b := make([]byte, 0, 512+700*len(items))
	b = append(b, `{"items":[`...)
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, &items[i])
	}
	b = append(b, `],"scan_id":`...)
	b = strconv.AppendInt(b, scanID, 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

func appendTable(b []byte, t *shoal.TableStats) []byte {
	b = appendField(b, '{', "avg_size", avg(t.Bytes, t.Files))
	b = appendField(b, ',', "bytes", t.Bytes)
	b = appendStrField(b, "database", t.Database)
	b = appendField(b, ',', "error_partitions", t.ErrorPartitions)
	b = appendField(b, ',', "files", t.Files)
	b = appendField(b, ',', "files_after_merge", t.FilesAfterMerge)
	b = appendStrField(b, "format", string(t.Format))
	b = appendHistogram(b, &t.Histogram)
	b = appendStrField(b, "location", t.Location)
	b = appendField(b, ',', "max_size", t.MaxSize)
	b = appendField(b, ',', "min_size", t.MinSize)
	b = appendField(b, ',', "namenode_heap_bytes", t.NameNodeHeap)
	b = appendTimeField(b, "newest_mtime", t.NewestModTime)
	b = appendTimeField(b, "oldest_mtime", t.OldestModTime)
	if t.Owner != "" {
		b = appendStrField(b, "owner", t.Owner)
	}
	b = appendBoolField(b, "partitioned", t.Partitioned)
	b = appendField(b, ',', "partitions", t.Partitions)
	b = appendField(b, ',', "reducible_files", t.ReducibleFiles)
	b = appendField(b, ',', "small_files", t.Small)
	b = appendFloatField(b, "small_ratio", t.SmallRatio())
	b = appendStrField(b, "table", t.Table)
	b = appendBoolField(b, "transactional", t.Transactional)
	return append(b, '}')
}

func appendPartition(b []byte, p *shoal.PartitionStats) []byte {
	b = appendField(b, '{', "avg_size", avg(p.Bytes, p.Files))
	b = appendField(b, ',', "bytes", p.Bytes)
	b = appendStrField(b, "database", p.Database)
	if p.Error != "" {
		b = appendStrField(b, "error", p.Error)
	}
	b = appendField(b, ',', "files", p.Files)
	b = appendField(b, ',', "files_after_merge", p.FilesAfterMerge)
	b = appendStrField(b, "format", string(p.Format))
	b = appendHistogram(b, &p.Histogram)
	b = appendStrField(b, "location", p.Location)
	b = appendField(b, ',', "max_size", p.MaxSize)
	b = appendField(b, ',', "median_size", p.MedianSize)
	b = appendField(b, ',', "min_size", p.MinSize)
	b = appendField(b, ',', "namenode_heap_bytes", p.NameNodeHeap)
	b = appendTimeField(b, "newest_mtime", p.NewestModTime)
	b = appendTimeField(b, "oldest_mtime", p.OldestModTime)
	b = appendField(b, ',', "reducible_files", p.ReducibleFiles)
	b = appendField(b, ',', "small_files", p.Small)
	b = appendFloatField(b, "small_ratio", p.SmallRatio())
	b = appendStrField(b, "spec", p.Spec)
	b = appendStrField(b, "table", p.Table)
	return append(b, '}')
}

func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendField(b []byte, sep byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, sep, key), v, 10)
}

func appendStrField(b []byte, key, v string) []byte {
	return appendString(appendKey(b, ',', key), v)
}

func appendBoolField(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, ',', key), v)
}

func appendFloatField(b []byte, key string, v float64) []byte {
	return strconv.AppendFloat(appendKey(b, ',', key), v, 'g', -1, 64)
}

// appendTimeField writes an RFC 3339 time, as time.Time.MarshalJSON does,
// and omits a zero time, as the optional fields of the spec are.
func appendTimeField(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(appendKey(b, ',', key), '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendHistogram(b []byte, h *shoal.Histogram) []byte {
	b = appendKey(b, ',', "histogram")
	for i, n := range h {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return append(b, ']')
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters are escaped, and invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

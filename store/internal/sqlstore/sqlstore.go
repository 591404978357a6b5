// Package sqlstore holds what the SQLite and PostgreSQL stores share that is
// not SQL dialect: the sort-key columns, ORDER BY and LIKE builders, page
// totals and the text form of histograms.
package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// EncodeHistogram returns the counts of h separated by commas, without
// trailing zeros.
func EncodeHistogram(h *shoal.Histogram) string {
	n := len(h)
	for n > 0 && h[n-1] == 0 {
		n--
	}
	b := make([]byte, 0, 4*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, h[i], 10)
	}
	return string(b)
}

// DecodeHistogram parses the output of EncodeHistogram into h.
func DecodeHistogram(s string, h *shoal.Histogram) error {
	*h = shoal.Histogram{}
	for i := 0; s != ""; i++ {
		if i == len(h) {
			return fmt.Errorf("decode histogram: more than %d buckets", len(h))
		}
		v, rest, _ := strings.Cut(s, ",")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("decode histogram: %w", err)
		}
		h[i], s = n, rest
	}
	return nil
}

// PageTotal returns the total when a page shows it: a page that is neither
// empty nor full is the last one.
func PageTotal(n, limit, offset int) (int64, bool) {
	if n > 0 && n < limit || n == 0 && offset == 0 {
		return int64(offset + n), true
	}
	return 0, false
}

// OrderBy returns an ORDER BY list on column, then on the tie breakers, all
// in the same direction so that one index serves both directions.
func OrderBy(prefix, column string, desc bool, tieBreakers ...string) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var b strings.Builder
	b.WriteString(prefix + column + dir)
	for _, c := range tieBreakers {
		if c != column {
			b.WriteString(", " + prefix + c + dir)
		}
	}
	return b.String()
}

// LikeSubstring returns a LIKE pattern (with ESCAPE '\') that matches s
// anywhere.
func LikeSubstring(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// PrefixColumns prefixes each column of a comma-separated list.
func PrefixColumns(prefix, columns string) string {
	cs := strings.Split(columns, ",")
	for i, c := range cs {
		cs[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cs, ", ")
}

// TrendLimit checks the number of trend points and fills the default.
func TrendLimit(limit int) (int, error) {
	if limit < 0 || limit > shoal.MaxLimit {
		return 0, shoal.Errorf(shoal.EINVALID, "limit must be between 1 and %d, got %d", shoal.MaxLimit, limit)
	}
	if limit == 0 {
		limit = shoal.DefaultLimit
	}
	return limit, nil
}

// SortColumns maps sort keys to the stored columns of tables; partitions sort
// by spec instead of name.
var SortColumns = map[shoal.SortKey]string{
	shoal.SortName:           "name",
	shoal.SortFiles:          "files",
	shoal.SortBytes:          "bytes",
	shoal.SortSmallFiles:     "small_files",
	shoal.SortSmallRatio:     "small_ratio",
	shoal.SortNameNodeHeap:   "namenode_heap",
	shoal.SortReducibleFiles: "reducible_files",
	shoal.SortAvgSize:        "avg_size",
	shoal.SortNewestModTime:  "newest_mtime",
	shoal.SortPartitions:     "partitions",
}

package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

// partitionKey is a sort key of partitions: its column and its stored value.
type partitionKey struct {
	column string
	value  func(p *shoal.PartitionStats) any // int64, float64 or string
}

// partitionKeyList lists the sort keys of partitions. table_stats bounds each
// of them in pmin_<column> and pmax_<column>.
var partitionKeyList = [...]partitionKey{
	{"spec", func(p *shoal.PartitionStats) any { return p.Spec }},
	{"files", func(p *shoal.PartitionStats) any { return p.Files }},
	{"bytes", func(p *shoal.PartitionStats) any { return p.Bytes }},
	{"small_files", func(p *shoal.PartitionStats) any { return p.Small }},
	{"small_ratio", func(p *shoal.PartitionStats) any { return p.SmallRatio() }},
	{"namenode_heap", func(p *shoal.PartitionStats) any { return p.NameNodeHeap }},
	{"reducible_files", func(p *shoal.PartitionStats) any { return p.ReducibleFiles }},
	{"avg_size", func(p *shoal.PartitionStats) any { return avgSize(p.Bytes, p.Files) }},
	{"newest_mtime", func(p *shoal.PartitionStats) any { return statTime(p.NewestModTime) }},
}

// partitionKeys maps the sort keys of partitions to partitionKeyList.
var partitionKeys = func() map[shoal.SortKey]*partitionKey {
	m := map[shoal.SortKey]*partitionKey{}
	for _, k := range shoal.SortKeys {
		column := sqlstore.SortColumns[k]
		if k == shoal.SortName {
			column = "spec"
		}
		for i := range partitionKeyList {
			if partitionKeyList[i].column == column {
				m[k] = &partitionKeyList[i]
			}
		}
	}
	return m
}()

// compareValues compares two values of one sort key. SQLite returns a REAL
// that has no fraction as an integer, so numbers compare across both types.
func compareValues(a, b any) int {
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case int64:
		if b, ok := b.(int64); ok {
			return cmp.Compare(a, b)
		}
		return cmp.Compare(float64(a), b.(float64))
	case float64:
		if b, ok := b.(int64); ok {
			return cmp.Compare(a, float64(b))
		}
		return cmp.Compare(a, b.(float64))
	}
	panic(fmt.Sprintf("sqlite: cannot compare %T", a))
}

// ranked is a partition in a ranking across a snapshot.
type ranked struct {
	id, table int64
	value     any
	spec      string
}

// rankChunk is the number of tables a ranking reads at a time.
const rankChunk = 64

// rankPartitions returns a page of the partitions of snapshot scanID in the
// order of key, ties broken by spec, then by table id.
//
// Rather than keep an index over the whole snapshot for each key, which
// would cost a random insert per partition and key while the snapshot is
// written, it ranks the partitions of one table at a time with the table's
// own index, best tables first by the bound of the key over their
// partitions, and stops at the first table whose bound cannot beat the
// page's last partition. A handful of tables usually holds the top
// partitions; many tables tied at the bound make it visit all of them, one
// index lookup each.
func (s *Store) rankPartitions(ctx context.Context, scanID int64, key *partitionKey, desc bool, limit, offset int) ([]shoal.PartitionStats, error) {
	n := offset + limit
	dir, sqlDir, bound, cut, after := 1, " ASC", "pmin_"+key.column, "<=", ">"
	if desc {
		dir, sqlDir, bound, cut, after = -1, " DESC", "pmax_"+key.column, ">=", "<"
	}
	// before reports whether a ranks before b.
	before := func(a, b *ranked) bool {
		return dir*cmp.Or(compareValues(a.value, b.value), strings.Compare(a.spec, b.spec), cmp.Compare(a.table, b.table)) < 0
	}

	// The tables that have partitions, best bound first, a chunk at a time.
	tables := `SELECT id, ` + bound + ` FROM table_stats WHERE scan_id = ?1 AND ` + bound + ` IS NOT NULL`
	tablesOrder := ` ORDER BY ` + bound + sqlDir + `, id` + sqlDir + page(rankChunk, 0)
	firstTables := tables + tablesOrder
	nextTables := tables + ` AND (` + bound + `, id) ` + after + ` (?2, ?3)` + tablesOrder

	// One table's best partitions, all of them or only those that may beat
	// the page's last one.
	order := ` ORDER BY ` + key.column + sqlDir + `, spec` + sqlDir + page(n, 0)
	if key.column == "spec" {
		order = ` ORDER BY spec` + sqlDir + page(n, 0)
	}
	cutoff := `(` + key.column + `, spec) ` + cut + ` (?2, ?3)`
	if key.column == "spec" {
		cutoff = `spec ` + cut + ` ?3` // ?2, the value, is the spec too
	}
	query := `SELECT id, ` + key.column + `, spec FROM partition_stats WHERE table_id = ?1`
	top, beat := query+order, query+` AND `+cutoff+order

	best := make([]ranked, 0, min(n, 1024))
	// merge adds the partitions of table tid that make the page.
	merge := func(tid int64) error {
		var (
			rows *sql.Rows
			err  error
		)
		if len(best) < n {
			rows, err = s.query(ctx, top, tid)
		} else {
			last := &best[n-1]
			rows, err = s.query(ctx, beat, tid, last.value, last.spec)
		}
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			r := ranked{table: tid}
			if err := rows.Scan(&r.id, &r.value, &r.spec); err != nil {
				return err
			}
			if len(best) == n && !before(&r, &best[n-1]) {
				break // the table's next rows rank lower still
			}
			i, _ := slices.BinarySearchFunc(best, &r, func(e ranked, r *ranked) int {
				if before(&e, r) {
					return -1
				}
				return 1
			})
			if len(best) == n {
				best = best[:n-1]
			}
			best = slices.Insert(best, i, r)
		}
		return rows.Err()
	}

	type table struct {
		id    int64
		bound any
	}
	var last *table // the last table read
	for {
		var (
			rows *sql.Rows
			err  error
		)
		if last == nil {
			rows, err = s.query(ctx, firstTables, scanID)
		} else {
			rows, err = s.query(ctx, nextTables, scanID, last.bound, last.id)
		}
		if err != nil {
			return nil, err
		}
		var chunk []table
		for rows.Next() {
			var t table
			if err := rows.Scan(&t.id, &t.bound); err != nil {
				_ = rows.Close()
				return nil, err
			}
			chunk = append(chunk, t)
		}
		_ = rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		done := len(chunk) < rankChunk
		for i := range chunk {
			t := &chunk[i]
			if len(best) == n && dir*compareValues(t.bound, best[n-1].value) > 0 {
				done = true // neither this table nor the next ones can beat the last
				break
			}
			if err := merge(t.id); err != nil {
				return nil, err
			}
		}
		if done {
			break
		}
		last = &chunk[len(chunk)-1]
	}

	if offset >= len(best) {
		return []shoal.PartitionStats{}, nil
	}
	page := best[offset:]

	// Read the page's rows.
	ids := make([]any, len(page))
	for i, r := range page {
		ids[i] = r.id
	}
	rows, err := s.query(ctx, `SELECT p.id, t.db, t.tbl, `+sqlstore.PrefixColumns("p.", partitionColumns)+`
		FROM partition_stats p JOIN table_stats t ON t.id = p.table_id
		WHERE p.id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	byID := make(map[int64]shoal.PartitionStats, len(page))
	for rows.Next() {
		var (
			id int64
			p  shoal.PartitionStats
		)
		if err := scanPartition(rows, &p, &id, &p.Database, &p.Table); err != nil {
			return nil, err
		}
		byID[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ps := make([]shoal.PartitionStats, 0, len(page))
	for _, r := range page {
		if p, ok := byID[r.id]; ok { // else deleted meanwhile
			ps = append(ps, p)
		}
	}
	return ps, nil
}

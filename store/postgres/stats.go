package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

// conds gathers the conditions of a WHERE clause and their arguments.
type conds struct {
	list []string
	args []any
}

// add adds a condition whose one parameter, written ?, is arg.
func (c *conds) add(cond string, arg any) {
	c.args = append(c.args, arg)
	c.list = append(c.list, strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1))
}

// addN adds a condition with several parameters, each written ?.
func (c *conds) addN(cond string, args ...any) {
	for _, a := range args {
		c.args = append(c.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.list = append(c.list, cond)
}

func (c *conds) String() string { return strings.Join(c.list, " AND ") }

// tableColumns are the columns of a table row, in the order of scanTable.
const tableColumns = `db, tbl, location, format, owner, partitioned, transactional, partitions,
	files, bytes, small_files, histogram, min_size, max_size, oldest_mtime, newest_mtime, blocks,
	namenode_heap, files_after_merge, reducible_files, error_partitions`

func scanTable(r pgx.Row, t *shoal.TableStats) error {
	var hist string
	err := r.Scan(&t.Database, &t.Table, &t.Location, &t.Format, &t.Owner, &t.Partitioned,
		&t.Transactional, &t.Partitions, &t.Files, &t.Bytes, &t.Small, &hist, &t.MinSize, &t.MaxSize,
		&t.OldestModTime, &t.NewestModTime, &t.Blocks, &t.NameNodeHeap, &t.FilesAfterMerge, &t.ReducibleFiles,
		&t.ErrorPartitions)
	if err != nil {
		return err
	}
	t.OldestModTime, t.NewestModTime = fromStatTime(t.OldestModTime), fromStatTime(t.NewestModTime)
	return sqlstore.DecodeHistogram(hist, &t.Histogram)
}

// partitionColumns are the columns of a partition row, after the database
// and table names, in the order of scanPartition.
const partitionColumns = `spec, location, format, files, bytes, small_files, histogram, min_size,
	median_size, max_size, oldest_mtime, newest_mtime, blocks, namenode_heap, files_after_merge,
	reducible_files, error`

func scanPartition(r pgx.Row, p *shoal.PartitionStats, dest ...any) error {
	var hist string
	err := r.Scan(append(dest, &p.Spec, &p.Location, &p.Format, &p.Files, &p.Bytes, &p.Small, &hist,
		&p.MinSize, &p.MedianSize, &p.MaxSize, &p.OldestModTime, &p.NewestModTime, &p.Blocks, &p.NameNodeHeap,
		&p.FilesAfterMerge, &p.ReducibleFiles, &p.Error)...)
	if err != nil {
		return err
	}
	p.OldestModTime, p.NewestModTime = fromStatTime(p.OldestModTime), fromStatTime(p.NewestModTime)
	return sqlstore.DecodeHistogram(hist, &p.Histogram)
}

// ListDatabases returns the per-database sums of a snapshot, by name.
func (s *Store) ListDatabases(ctx context.Context, scanID int64) ([]shoal.DatabaseStats, error) {
	if err := s.checkSnapshot(ctx, scanID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT db, count(*), sum(partitions)::bigint, sum(files)::bigint,
		sum(bytes)::bigint, sum(small_files)::bigint, sum(namenode_heap)::bigint, sum(reducible_files)::bigint
		FROM table_stats WHERE scan_id = $1 GROUP BY db ORDER BY db`, scanID)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	dbs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shoal.DatabaseStats, error) {
		var d shoal.DatabaseStats
		err := r.Scan(&d.Name, &d.Tables, &d.Partitions, &d.Files, &d.Bytes, &d.Small, &d.NameNodeHeap, &d.ReducibleFiles)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	if dbs == nil {
		dbs = []shoal.DatabaseStats{}
	}
	return dbs, nil
}

// ListTables returns the table statistics that match f, and their count.
func (s *Store) ListTables(ctx context.Context, f shoal.TableFilter) ([]shoal.TableStats, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if err := s.checkSnapshot(ctx, f.ScanID); err != nil {
		return nil, 0, err
	}
	var c conds
	c.add("scan_id = ?", f.ScanID)
	if f.Database != "" {
		c.add("db = ?", f.Database)
	}
	if f.Search != "" {
		c.add(`name ILIKE ? ESCAPE '\'`, sqlstore.LikeSubstring(f.Search))
	}
	if f.Format != "" {
		c.add("format = ?", string(f.Format))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+tableColumns+` FROM table_stats WHERE `+c.String()+
		` ORDER BY `+sqlstore.OrderBy("", sqlstore.SortColumns[f.Sort], f.Desc, "name")+page(len(c.args)),
		append(c.args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tables: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shoal.TableStats, error) {
		var t shoal.TableStats
		err := scanTable(r, &t)
		return t, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list tables: %w", err)
	}
	if ts == nil {
		ts = []shoal.TableStats{}
	}
	total, ok := sqlstore.PageTotal(len(ts), f.Limit, f.Offset)
	switch {
	case ok:
	case len(c.list) == 1:
		err = s.pool.QueryRow(ctx, `SELECT table_rows FROM scans WHERE id = $1`, f.ScanID).Scan(&total)
	default:
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM table_stats WHERE `+c.String(), c.args...).Scan(&total)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("count tables: %w", err)
	}
	return ts, total, nil
}

// GetTable returns the statistics of one table in a snapshot.
func (s *Store) GetTable(ctx context.Context, scanID int64, db, table string) (*shoal.TableStats, error) {
	if err := s.checkSnapshot(ctx, scanID); err != nil {
		return nil, err
	}
	var t shoal.TableStats
	err := scanTable(s.pool.QueryRow(ctx, `SELECT `+tableColumns+` FROM table_stats
		WHERE scan_id = $1 AND db = $2 AND tbl = $3`, scanID, db, table), &t)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found in snapshot %d", db, table, scanID)
	case err != nil:
		return nil, fmt.Errorf("get table %s.%s: %w", db, table, err)
	}
	return &t, nil
}

// ListPartitions returns the partition statistics that match f, and their
// count. Ties sort by spec, then, across a snapshot, by table row id.
func (s *Store) ListPartitions(ctx context.Context, f shoal.PartitionFilter) ([]shoal.PartitionStats, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if err := s.checkSnapshot(ctx, f.ScanID); err != nil {
		return nil, 0, err
	}
	column := sqlstore.SortColumns[f.Sort]
	if f.Sort == shoal.SortName {
		column = "spec"
	}
	var (
		c         conds
		tableRows int64 // partition rows of the table
		query     string
	)
	if f.Table != "" {
		// The table is looked up in the same round trip as the page (a
		// batch of two statements below), by a subquery here.
		c.addN("p.table_id = (SELECT id FROM table_stats WHERE scan_id = ? AND db = ? AND tbl = ?)", f.ScanID, f.Database, f.Table)
	} else {
		c.add("p.scan_id = ?", f.ScanID)
	}
	if f.Search != "" {
		c.add(`p.spec ILIKE ? ESCAPE '\'`, sqlstore.LikeSubstring(f.Search))
	}
	if f.OnlyErrors {
		c.list = append(c.list, "p.error <> ''")
	}
	filtered := len(c.list) > 1
	if f.Table != "" {
		query = `SELECT ` + sqlstore.PrefixColumns("p.", partitionColumns) + ` FROM partition_stats p
			WHERE ` + c.String() + ` ORDER BY ` + sqlstore.OrderBy("p.", column, f.Desc, "spec") + page(len(c.args))
	} else {
		query = `SELECT t.db, t.tbl, ` + sqlstore.PrefixColumns("p.", partitionColumns) + `
			FROM partition_stats p JOIN table_stats t ON t.id = p.table_id
			WHERE ` + c.String() + ` ORDER BY ` + sqlstore.OrderBy("p.", column, f.Desc, "spec", "table_id") + page(len(c.args))
	}
	var (
		rows pgx.Rows
		br   pgx.BatchResults
	)
	if f.Table != "" {
		b := &pgx.Batch{}
		b.Queue(`SELECT part_rows FROM table_stats WHERE scan_id = $1 AND db = $2 AND tbl = $3`, f.ScanID, f.Database, f.Table)
		b.Queue(query, append(c.args, f.Limit, f.Offset)...)
		br = s.pool.SendBatch(ctx, b)
		defer func() { _ = br.Close() }() // on early returns; closing twice is harmless
		err := br.QueryRow().Scan(&tableRows)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil, 0, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found in snapshot %d", f.Database, f.Table, f.ScanID)
		case err != nil:
			return nil, 0, fmt.Errorf("list partitions: %w", err)
		}
		rows, err = br.Query()
		if err != nil {
			return nil, 0, fmt.Errorf("list partitions: %w", err)
		}
	} else {
		var err error
		if rows, err = s.pool.Query(ctx, query, append(c.args, f.Limit, f.Offset)...); err != nil {
			return nil, 0, fmt.Errorf("list partitions: %w", err)
		}
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shoal.PartitionStats, error) {
		p := shoal.PartitionStats{Database: f.Database, Table: f.Table}
		if f.Table != "" {
			return p, scanPartition(r, &p)
		}
		return p, scanPartition(r, &p, &p.Database, &p.Table)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list partitions: %w", err)
	}
	if br != nil {
		if err := br.Close(); err != nil {
			return nil, 0, fmt.Errorf("list partitions: %w", err)
		}
	}
	if ps == nil {
		ps = []shoal.PartitionStats{}
	}

	total, ok := sqlstore.PageTotal(len(ps), f.Limit, f.Offset)
	switch {
	case ok:
	case filtered:
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM partition_stats p WHERE `+c.String(), c.args...).Scan(&total)
	case f.Table != "":
		total = tableRows
	default:
		err = s.pool.QueryRow(ctx, `SELECT partition_rows FROM scans WHERE id = $1`, f.ScanID).Scan(&total)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("count partitions: %w", err)
	}
	return ps, total, nil
}

// collectTrend reads trend points, newest first, and returns them oldest
// first.
func collectTrend(rows pgx.Rows) ([]shoal.TrendPoint, error) {
	points, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shoal.TrendPoint, error) {
		var (
			pt shoal.TrendPoint
			at *time.Time
		)
		err := r.Scan(&pt.ScanID, &at, &pt.Partitions, &pt.Files, &pt.Bytes, &pt.Small, &pt.NameNodeHeap, &pt.ReducibleFiles)
		if at != nil {
			pt.At = at.UTC()
		}
		return pt, err
	})
	if err != nil {
		return nil, err
	}
	if points == nil {
		points = []shoal.TrendPoint{}
	}
	slices.Reverse(points)
	return points, nil
}

// TableTrend returns a table's statistics across the newest limit succeeded
// snapshots that hold it, oldest first.
func (s *Store) TableTrend(ctx context.Context, catalog, db, table string, limit int) ([]shoal.TrendPoint, error) {
	limit, err := sqlstore.TrendLimit(limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT s.id, s.finished_at, t.partitions, t.files, t.bytes,
		t.small_files, t.namenode_heap, t.reducible_files
		FROM table_stats t JOIN scans s ON s.id = t.scan_id
		WHERE t.db = $1 AND t.tbl = $2 AND s.state = 'succeeded' AND ($4 = '' OR s.catalog = $4)
		ORDER BY s.finished_at DESC NULLS LAST, s.id DESC LIMIT $3`, db, table, limit, catalog)
	if err != nil {
		return nil, fmt.Errorf("table trend: %w", err)
	}
	points, err := collectTrend(rows)
	if err != nil {
		return nil, fmt.Errorf("table trend: %w", err)
	}
	if len(points) == 0 {
		return nil, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found in any snapshot", db, table)
	}
	return points, nil
}

// WarehouseTrend returns the sums of the newest limit succeeded snapshots
// that hold table statistics, oldest first.
func (s *Store) WarehouseTrend(ctx context.Context, catalog string, limit int) ([]shoal.TrendPoint, error) {
	limit, err := sqlstore.TrendLimit(limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT s.id, s.finished_at, sum(t.partitions)::bigint, sum(t.files)::bigint,
		sum(t.bytes)::bigint, sum(t.small_files)::bigint, sum(t.namenode_heap)::bigint, sum(t.reducible_files)::bigint
		FROM (SELECT id, finished_at FROM scans WHERE state = 'succeeded' AND table_rows > 0 AND ($2 = '' OR catalog = $2)
			ORDER BY `+snapshotOrder+` LIMIT $1) s
		JOIN table_stats t ON t.scan_id = s.id
		GROUP BY s.id, s.finished_at
		ORDER BY s.finished_at DESC NULLS LAST, s.id DESC`, limit, catalog)
	if err != nil {
		return nil, fmt.Errorf("warehouse trend: %w", err)
	}
	points, err := collectTrend(rows)
	if err != nil {
		return nil, fmt.Errorf("warehouse trend: %w", err)
	}
	return points, nil
}

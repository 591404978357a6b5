package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

// tableColumns are the columns of a table row, in the order of scanTable.
const tableColumns = `db, tbl, data`

func scanTable(r rowScanner, t *shoal.TableStats) error {
	var data sql.RawBytes
	dest := any(&data)
	if _, ok := r.(*sql.Row); ok {
		dest = new([]byte) // a sql.Row cannot scan into sql.RawBytes
	}
	if err := r.Scan(&t.Database, &t.Table, dest); err != nil {
		return err
	}
	if b, ok := dest.(*[]byte); ok {
		data = *b
	}
	return decodeTable(data, t)
}

// partitionColumns are the columns of a partition row, after the database
// and table names, in the order of scanPartition.
const partitionColumns = `spec, data`

func scanPartition(r rowScanner, p *shoal.PartitionStats, dest ...any) error {
	var data sql.RawBytes
	if err := r.Scan(append(dest, &p.Spec, &data)...); err != nil {
		return err
	}
	return decodePartition(data, p)
}

// ListDatabases returns the per-database sums of a snapshot, by name.
func (s *Store) ListDatabases(ctx context.Context, scanID int64) ([]shoal.DatabaseStats, error) {
	if err := s.checkSnapshot(ctx, scanID); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT db, count(*), sum(partitions), sum(files), sum(bytes),
		sum(small_files), sum(namenode_heap), sum(reducible_files)
		FROM table_stats WHERE scan_id = ? GROUP BY db ORDER BY db`, scanID)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer func() { _ = rows.Close() }()
	dbs := []shoal.DatabaseStats{}
	for rows.Next() {
		var d shoal.DatabaseStats
		if err := rows.Scan(&d.Name, &d.Tables, &d.Partitions, &d.Files, &d.Bytes, &d.Small,
			&d.NameNodeHeap, &d.ReducibleFiles); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		dbs = append(dbs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
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
	where, args := []string{"scan_id = ?"}, []any{f.ScanID}
	if f.Database != "" {
		where, args = append(where, "db = ?"), append(args, f.Database)
	}
	if f.Search != "" {
		where, args = append(where, `name LIKE ? ESCAPE '\'`), append(args, sqlstore.LikeSubstring(f.Search))
	}
	if f.Format != "" {
		where, args = append(where, "format = ?"), append(args, string(f.Format))
	}
	cond := strings.Join(where, " AND ")
	rows, err := s.query(ctx, `SELECT `+tableColumns+` FROM table_stats WHERE `+cond+
		` ORDER BY `+sqlstore.OrderBy("", sqlstore.SortColumns[f.Sort], f.Desc, "name")+page(f.Limit, f.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tables: %w", err)
	}
	defer func() { _ = rows.Close() }()
	ts := make([]shoal.TableStats, 0, f.Limit)
	for rows.Next() {
		var t shoal.TableStats
		if err := scanTable(rows, &t); err != nil {
			return nil, 0, fmt.Errorf("list tables: %w", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list tables: %w", err)
	}
	total, ok := sqlstore.PageTotal(len(ts), f.Limit, f.Offset)
	switch {
	case ok:
	case len(where) == 1:
		err = s.queryRow(ctx, `SELECT table_rows FROM scans WHERE id = ?`, f.ScanID).Scan(&total)
	default:
		err = s.queryRow(ctx, `SELECT count(*) FROM table_stats WHERE `+cond, args...).Scan(&total)
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
	err := scanTable(s.queryRow(ctx, `SELECT `+tableColumns+` FROM table_stats
		WHERE scan_id = ? AND db = ? AND tbl = ?`, scanID, db, table), &t)
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	key := partitionKeys[f.Sort]
	var (
		where []string
		args  []any
	)
	if f.Search != "" {
		where, args = append(where, `p.spec LIKE ? ESCAPE '\'`), append(args, sqlstore.LikeSubstring(f.Search))
	}
	if f.OnlyErrors {
		where = append(where, "p.failed = 1")
	}
	filtered := len(where) > 0

	var (
		ps    []shoal.PartitionStats
		total int64
		err   error
	)
	switch {
	case f.Table != "":
		// One query finds the table and reads the page, with the table's
		// partition count.
		where = append([]string{"t.scan_id = ?", "t.db = ?", "t.tbl = ?"}, where...)
		args = append([]any{f.ScanID, f.Database, f.Table}, args...)
		var found bool
		ps, found, total, err = s.tablePartitions(ctx, `SELECT t.part_rows, `+sqlstore.PrefixColumns("p.", partitionColumns)+`
			FROM table_stats t JOIN partition_stats p ON p.table_id = t.id
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY `+sqlstore.OrderBy("p.", key.column, f.Desc, "spec")+page(f.Limit, f.Offset), args, f.Limit, f.Database, f.Table)
		if err != nil {
			return nil, 0, err
		}
		if !found {
			err := s.queryRow(ctx, `SELECT part_rows FROM table_stats WHERE scan_id = ? AND db = ? AND tbl = ?`,
				f.ScanID, f.Database, f.Table).Scan(&total)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return nil, 0, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found in snapshot %d", f.Database, f.Table, f.ScanID)
			case err != nil:
				return nil, 0, fmt.Errorf("list partitions: %w", err)
			}
		}
	case filtered:
		where, args = append([]string{"t.scan_id = ?"}, where...), append([]any{f.ScanID}, args...)
		ps, err = s.queryPartitions(ctx, `SELECT t.db, t.tbl, `+sqlstore.PrefixColumns("p.", partitionColumns)+`
			FROM table_stats t JOIN partition_stats p ON p.table_id = t.id
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY `+sqlstore.OrderBy("p.", key.column, f.Desc, "spec", "table_id")+page(f.Limit, f.Offset), args, f.Limit)
		if err != nil {
			return nil, 0, err
		}
	default:
		ps, err = s.rankPartitions(ctx, f.ScanID, key, f.Desc, f.Limit, f.Offset)
		if err != nil {
			return nil, 0, fmt.Errorf("list partitions: %w", err)
		}
		err = s.queryRow(ctx, `SELECT partition_rows FROM scans WHERE id = ?`, f.ScanID).Scan(&total)
		if err != nil {
			return nil, 0, fmt.Errorf("count partitions: %w", err)
		}
	}
	if n, ok := sqlstore.PageTotal(len(ps), f.Limit, f.Offset); ok {
		return ps, n, nil
	}
	if filtered {
		if err := s.queryRow(ctx, `SELECT count(*) FROM table_stats t JOIN partition_stats p ON p.table_id = t.id
			WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count partitions: %w", err)
		}
	}
	return ps, total, nil
}

// tablePartitions runs a query for partition rows of one table that start
// with the table's partition_rows. found is false when there are no rows.
func (s *Store) tablePartitions(ctx context.Context, query string, args []any, limit int, db, table string) (ps []shoal.PartitionStats, found bool, partRows int64, err error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, false, 0, fmt.Errorf("list partitions: %w", err)
	}
	defer func() { _ = rows.Close() }()
	ps = make([]shoal.PartitionStats, 0, limit)
	for rows.Next() {
		p := shoal.PartitionStats{Database: db, Table: table}
		if err := scanPartition(rows, &p, &partRows); err != nil {
			return nil, false, 0, fmt.Errorf("list partitions: %w", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, false, 0, fmt.Errorf("list partitions: %w", err)
	}
	return ps, len(ps) > 0, partRows, nil
}

// queryPartitions runs a query for partition rows that start with the
// database and table names.
func (s *Store) queryPartitions(ctx context.Context, query string, args []any, limit int) ([]shoal.PartitionStats, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	defer func() { _ = rows.Close() }()
	ps := make([]shoal.PartitionStats, 0, limit)
	for rows.Next() {
		var p shoal.PartitionStats
		if err := scanPartition(rows, &p, &p.Database, &p.Table); err != nil {
			return nil, fmt.Errorf("list partitions: %w", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	return ps, nil
}

func scanTrend(rows *sql.Rows) ([]shoal.TrendPoint, error) {
	defer func() { _ = rows.Close() }()
	points := []shoal.TrendPoint{}
	for rows.Next() {
		var (
			pt shoal.TrendPoint
			at sql.NullInt64
		)
		if err := rows.Scan(&pt.ScanID, &at, &pt.Partitions, &pt.Files, &pt.Bytes, &pt.Small,
			&pt.NameNodeHeap, &pt.ReducibleFiles); err != nil {
			return nil, err
		}
		pt.At = fromMicros(at)
		points = append(points, pt)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	rows, err := s.query(ctx, `SELECT s.id, s.finished_at, t.partitions, t.files, t.bytes,
		t.small_files, t.namenode_heap, t.reducible_files
		FROM table_stats t JOIN scans s ON s.id = t.scan_id
		WHERE t.db = ?1 AND t.tbl = ?2 AND s.state = 'succeeded' AND (?3 = '' OR s.catalog = ?3)
		ORDER BY s.finished_at DESC NULLS LAST, s.id DESC`+page(limit, 0), db, table, catalog)
	if err != nil {
		return nil, fmt.Errorf("table trend: %w", err)
	}
	points, err := scanTrend(rows)
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
	rows, err := s.query(ctx, `SELECT s.id, s.finished_at, sum(t.partitions), sum(t.files),
		sum(t.bytes), sum(t.small_files), sum(t.namenode_heap), sum(t.reducible_files)
		FROM (SELECT id, finished_at FROM scans WHERE state = 'succeeded' AND table_rows > 0 AND (?1 = '' OR catalog = ?1)
			ORDER BY `+snapshotOrder+page(limit, 0)+`) s
		JOIN table_stats t ON t.scan_id = s.id
		GROUP BY s.id, s.finished_at
		ORDER BY s.finished_at DESC NULLS LAST, s.id DESC`, catalog)
	if err != nil {
		return nil, fmt.Errorf("warehouse trend: %w", err)
	}
	points, err := scanTrend(rows)
	if err != nil {
		return nil, fmt.Errorf("warehouse trend: %w", err)
	}
	return points, nil
}

package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

// deleteBatch is the number of partition rows one deletion transaction
// removes.
const deleteBatch = 10000

// tableKey names a table of a snapshot.
type tableKey struct{ db, table string }

// SnapshotWriter writes the statistics of one scan. Each call runs in one
// transaction: partitions are copied into a temporary table, then inserted
// from there in one statement. It is safe for concurrent use. A writer of a
// scan whose snapshot is deleted must not be used any more.
type SnapshotWriter struct {
	st     *Store
	scanID int64

	mu  sync.Mutex
	ids map[tableKey]int64 // table_stats ids of the tables seen
}

var _ shoal.SnapshotWriter = (*SnapshotWriter)(nil)

// SnapshotWriter returns a writer for the statistics of scan id.
func (s *Store) SnapshotWriter(ctx context.Context, id int64) (shoal.SnapshotWriter, error) {
	if err := s.checkScan(ctx, id); err != nil {
		return nil, err
	}
	return &SnapshotWriter{st: s, scanID: id, ids: make(map[tableKey]int64)}, nil
}

// Close releases nothing: the writer prepares its statements on the pool's
// connections, which cache them.
func (w *SnapshotWriter) Close() error { return nil }

// stageColumns are the columns of the staging table, in the order of
// partitionRow.
var stageColumns = []string{"table_id", "spec", "location", "format", "files", "bytes", "small_files",
	"small_ratio", "avg_size", "histogram", "min_size", "median_size", "max_size", "oldest_mtime",
	"newest_mtime", "blocks", "namenode_heap", "files_after_merge", "reducible_files", "error"}

// stageTable creates, once per connection, the table that a batch of
// partitions is copied into. Its rows last until the end of the batch's
// transaction.
const stageTable = `CREATE TEMPORARY TABLE IF NOT EXISTS shoal_stage_partitions (
	table_id bigint, spec text COLLATE "C", location text, format text, files bigint, bytes bigint,
	small_files bigint, small_ratio double precision, avg_size bigint, histogram text,
	min_size bigint, median_size bigint, max_size bigint, oldest_mtime timestamptz,
	newest_mtime timestamptz, blocks bigint, namenode_heap bigint, files_after_merge bigint,
	reducible_files bigint, error text) ON COMMIT DELETE ROWS`

func partitionRow(tid int64, p *shoal.PartitionStats) []any {
	return []any{tid, p.Spec, p.Location, string(p.Format), p.Files, p.Bytes, p.Small, p.SmallRatio(),
		avgSize(p.Bytes, p.Files), sqlstore.EncodeHistogram(&p.Histogram), p.MinSize, p.MedianSize, p.MaxSize,
		statTime(p.OldestModTime), statTime(p.NewestModTime), p.Blocks, p.NameNodeHeap,
		p.FilesAfterMerge, p.ReducibleFiles, p.Error}
}

func avgSize(bytes, files int64) int64 {
	if files == 0 {
		return 0
	}
	return bytes / files
}

// tableIDs returns the ids of the rows of tables, creating the rows that do
// not exist, and the number created.
func (w *SnapshotWriter) tableIDs(ctx context.Context, tx pgx.Tx, keys []tableKey) (map[tableKey]int64, int64, error) {
	ids := make(map[tableKey]int64, len(keys))
	var dbs, tables []string
	w.mu.Lock()
	for _, k := range keys {
		if id, ok := w.ids[k]; ok {
			ids[k] = id
		} else if _, ok := ids[k]; !ok {
			ids[k] = 0
			dbs, tables = append(dbs, k.db), append(tables, k.table)
		}
	}
	w.mu.Unlock()
	if len(dbs) == 0 {
		return ids, 0, nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO table_stats (scan_id, db, tbl, name)
		SELECT $1, d, t, d || '.' || t FROM unnest($2::text[], $3::text[]) AS u (d, t)
		ON CONFLICT (scan_id, db, tbl) DO NOTHING`, w.scanID, dbs, tables)
	if err != nil {
		return nil, 0, err
	}
	rows, err := tx.Query(ctx, `SELECT id, db, tbl FROM table_stats
		WHERE scan_id = $1 AND (db, tbl) IN (SELECT * FROM unnest($2::text[], $3::text[]))`, w.scanID, dbs, tables)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			k  tableKey
		)
		if err := rows.Scan(&id, &k.db, &k.table); err != nil {
			return nil, 0, err
		}
		ids[k] = id
	}
	return ids, tag.RowsAffected(), rows.Err()
}

// begin starts a write transaction that does not wait for its commit to
// reach the disk: a crash may lose the last batches written, never corrupt
// them, and a scan that crashes fails anyway.
func (s *Store) begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// remember keeps the table ids of a committed transaction.
func (w *SnapshotWriter) remember(ids map[tableKey]int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, id := range ids {
		w.ids[k] = id
	}
}

// WritePartitions writes partition statistics, replacing any partition of
// the same table and spec written before. It creates the row of a table that
// has no statistics yet; WriteTables fills it in later.
func (w *SnapshotWriter) WritePartitions(ctx context.Context, ps []shoal.PartitionStats) error {
	if len(ps) == 0 {
		return nil
	}
	// The last of several partitions of the same table and spec wins.
	type partKey struct{ db, table, spec string }
	last := make(map[partKey]int, len(ps))
	keys := make([]tableKey, 0, len(ps))
	for i := range ps {
		last[partKey{ps[i].Database, ps[i].Table, ps[i].Spec}] = i
		keys = append(keys, tableKey{ps[i].Database, ps[i].Table})
	}

	tx, err := w.st.begin(ctx)
	if err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	ids, tables, err := w.tableIDs(ctx, tx, keys)
	if err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	if _, err := tx.Exec(ctx, stageTable); err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	i := 0
	staged, err := tx.CopyFrom(ctx, pgx.Identifier{"shoal_stage_partitions"}, stageColumns,
		pgx.CopyFromFunc(func() ([]any, error) {
			for ; i < len(ps); i++ {
				p := &ps[i]
				if last[partKey{p.Database, p.Table, p.Spec}] == i {
					i++
					return partitionRow(ids[tableKey{p.Database, p.Table}], p), nil
				}
			}
			return nil, nil
		}))
	if err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}

	// Insert the new partitions and count them by table.
	list := strings.Join(stageColumns, ", ")
	rows, err := tx.Query(ctx, `WITH inserted AS (
			INSERT INTO partition_stats (scan_id, `+list+`)
			SELECT $1, `+list+` FROM shoal_stage_partitions
			ON CONFLICT (table_id, spec) DO NOTHING
			RETURNING table_id
		), counts AS (
			SELECT table_id, count(*) AS n FROM inserted GROUP BY table_id
		)
		UPDATE table_stats t SET part_rows = t.part_rows + c.n FROM counts c
		WHERE t.id = c.table_id RETURNING c.n`, w.scanID)
	if err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	var added int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("write partitions: %w", err)
		}
		added += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	if added < staged {
		// Some partitions replace others: update them all, which for those
		// just inserted changes nothing.
		var set []string
		for _, c := range stageColumns[2:] {
			set = append(set, c+" = s."+c)
		}
		if _, err := tx.Exec(ctx, `UPDATE partition_stats p SET `+strings.Join(set, ", ")+`
			FROM shoal_stage_partitions s WHERE p.table_id = s.table_id AND p.spec = s.spec`); err != nil {
			return fmt.Errorf("write partitions: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE scans SET table_rows = table_rows + $1,
		partition_rows = partition_rows + $2 WHERE id = $3`, tables, added, w.scanID); err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	w.remember(ids)
	return nil
}

// tableUpdate sets the statistics of a table row.
var tableUpdate = `UPDATE table_stats SET location = $1, format = $2, owner = $3, partitioned = $4,
	transactional = $5, partitions = $6, files = $7, bytes = $8, small_files = $9, small_ratio = $10,
	avg_size = $11, histogram = $12, min_size = $13, max_size = $14, oldest_mtime = $15,
	newest_mtime = $16, blocks = $17, namenode_heap = $18, files_after_merge = $19,
	reducible_files = $20, error_partitions = $21 WHERE id = $22`

func tableArgs(t *shoal.TableStats, id int64) []any {
	return []any{t.Location, string(t.Format), t.Owner, t.Partitioned, t.Transactional, t.Partitions,
		t.Files, t.Bytes, t.Small, t.SmallRatio(), avgSize(t.Bytes, t.Files), sqlstore.EncodeHistogram(&t.Histogram),
		t.MinSize, t.MaxSize, statTime(t.OldestModTime), statTime(t.NewestModTime), t.Blocks,
		t.NameNodeHeap, t.FilesAfterMerge, t.ReducibleFiles, t.ErrorPartitions, id}
}

// WriteTables writes table statistics, replacing those written before for
// the same table.
func (w *SnapshotWriter) WriteTables(ctx context.Context, ts []shoal.TableStats) error {
	if len(ts) == 0 {
		return nil
	}
	keys := make([]tableKey, len(ts))
	for i := range ts {
		keys[i] = tableKey{ts[i].Database, ts[i].Table}
	}
	tx, err := w.st.begin(ctx)
	if err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	ids, tables, err := w.tableIDs(ctx, tx, keys)
	if err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	var b pgx.Batch
	for i := range ts {
		b.Queue(tableUpdate, tableArgs(&ts[i], ids[keys[i]])...)
	}
	b.Queue(`UPDATE scans SET table_rows = table_rows + $1 WHERE id = $2`, tables, w.scanID)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	w.remember(ids)
	return nil
}

// DeleteSnapshot removes the statistics of scan id, in batches.
func (s *Store) DeleteSnapshot(ctx context.Context, id int64) error {
	if err := s.checkScan(ctx, id); err != nil {
		return err
	}
	if err := s.deletePartitions(ctx, id); err != nil {
		return fmt.Errorf("delete snapshot %d: %w", id, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM table_stats WHERE scan_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE scans SET table_rows = 0 WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete snapshot %d: %w", id, err)
	}
	return nil
}

// PruneSnapshots deletes the partition statistics of the succeeded scans but
// the newest keep, and returns the number of scans that had some.
func (s *Store) PruneSnapshots(ctx context.Context, keep int) (int, error) {
	if keep < 0 {
		return 0, shoal.Errorf(shoal.EINVALID, "snapshots to keep must not be negative, got %d", keep)
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM scans s WHERE state = 'succeeded' AND partition_rows > 0
		AND id NOT IN (SELECT id FROM scans WHERE state = 'succeeded' ORDER BY `+snapshotOrder+` LIMIT $1)
		ORDER BY id`, keep)
	if err != nil {
		return 0, fmt.Errorf("prune snapshots: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("prune snapshots: %w", err)
	}
	for i, id := range ids {
		if err := s.deletePartitions(ctx, id); err != nil {
			return i, fmt.Errorf("prune snapshot %d: %w", id, err)
		}
	}
	return len(ids), nil
}

// deletePartitions deletes the partition rows of scan id, table by table and
// at most deleteBatch rows per transaction, keeping the counts right.
func (s *Store) deletePartitions(ctx context.Context, id int64) error {
	rows, err := s.pool.Query(ctx, `SELECT id FROM table_stats WHERE scan_id = $1 AND part_rows > 0`, id)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, tid := range tables {
		for {
			var n int64
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, `DELETE FROM partition_stats WHERE id IN
					(SELECT id FROM partition_stats WHERE table_id = $1 LIMIT $2)`, tid, deleteBatch)
				if err != nil {
					return err
				}
				n = tag.RowsAffected()
				if _, err := tx.Exec(ctx, `UPDATE table_stats SET part_rows = part_rows - $1 WHERE id = $2`, n, tid); err != nil {
					return err
				}
				_, err = tx.Exec(ctx, `UPDATE scans SET partition_rows = partition_rows - $1 WHERE id = $2`, n, id)
				return err
			})
			if err != nil {
				return err
			}
			if n < deleteBatch {
				break
			}
		}
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/shoalhq/shoal"
)

// insertRows is the number of rows one statement inserts when a batch holds
// that many partitions of one table in a row.
const insertRows = 32

// deleteBatch is the number of partition rows one deletion transaction
// removes, so that pruning a large snapshot never holds the write lock long.
const deleteBatch = 2000

// tableKey names a table of a snapshot.
type tableKey struct{ db, table string }

// SnapshotWriter writes the statistics of one scan. Each call runs in one
// short transaction with prepared statements. It is safe for concurrent use,
// although SQLite runs the writes one at a time. A writer of a scan whose
// snapshot is deleted must not be used any more.
type SnapshotWriter struct {
	db     *sql.DB
	scanID int64

	insTable, selTable, updTable *sql.Stmt
	insPart, insParts, updPart   *sql.Stmt
	addRows, addScanRows         *sql.Stmt

	mu  sync.Mutex
	ids map[tableKey]int64 // table_stats ids of the tables seen
}

var _ shoal.SnapshotWriter = (*SnapshotWriter)(nil)

// Partition columns written by the writer, after table_id and spec, in the
// order of partitionArgs.
const partitionWriteColumns = `files, bytes, small_files, small_ratio, avg_size, namenode_heap,
	reducible_files, newest_mtime, failed, data`

// partitionRowArgs is the number of arguments of a partition row: the table
// id, the spec and partitionArgs.
const partitionRowArgs = 2 + 10

// Table columns written by WriteTables, after the names, in the order of
// tableArgs.
const tableWriteColumns = `format, partitions, files, bytes, small_files, small_ratio, avg_size,
	namenode_heap, reducible_files, newest_mtime, data`

func partitionArgs(p *shoal.PartitionStats) []any {
	return []any{p.Files, p.Bytes, p.Small, p.SmallRatio(), avgSize(p.Bytes, p.Files), p.NameNodeHeap,
		p.ReducibleFiles, statTime(p.NewestModTime), p.Error != "", encodePartition(nil, p)}
}

func tableArgs(t *shoal.TableStats) []any {
	return []any{string(t.Format), t.Partitions, t.Files, t.Bytes, t.Small, t.SmallRatio(),
		avgSize(t.Bytes, t.Files), t.NameNodeHeap, t.ReducibleFiles, statTime(t.NewestModTime),
		encodeTable(nil, t)}
}

func avgSize(bytes, files int64) int64 {
	if files == 0 {
		return 0
	}
	return bytes / files
}

// updateSet returns "c1 = ?, c2 = ?, ..." for a list of columns.
func updateSet(columns string) string {
	cs := strings.Split(columns, ",")
	for i, c := range cs {
		cs[i] = strings.TrimSpace(c) + " = ?"
	}
	return strings.Join(cs, ", ")
}

// addRowsQuery adds to the partition row count of a table and widens the
// bounds of its partitions' sort keys. Its arguments are the count, then the
// minimum and maximum of each key of partitionKeyList, then the table id.
var addRowsQuery = func() string {
	var b strings.Builder
	b.WriteString(`UPDATE table_stats SET part_rows = part_rows + ?1`)
	n := 2
	for _, k := range partitionKeyList {
		fmt.Fprintf(&b, `, pmin_%[1]s = min(coalesce(pmin_%[1]s, ?%[2]d), ?%[2]d)`, k.column, n)
		fmt.Fprintf(&b, `, pmax_%[1]s = max(coalesce(pmax_%[1]s, ?%[2]d), ?%[2]d)`, k.column, n+1)
		n += 2
	}
	fmt.Fprintf(&b, ` WHERE id = ?%d`, n)
	return b.String()
}()

// batchTable gathers what a batch adds to one table.
type batchTable struct {
	rows     int64 // rows added, not replaced
	seen     bool
	min, max [len(partitionKeyList)]any
}

func (bt *batchTable) add(p *shoal.PartitionStats) {
	for i, k := range partitionKeyList {
		v := k.value(p)
		if !bt.seen || compareValues(v, bt.min[i]) < 0 {
			bt.min[i] = v
		}
		if !bt.seen || compareValues(v, bt.max[i]) > 0 {
			bt.max[i] = v
		}
	}
	bt.seen = true
	bt.rows++
}

// SnapshotWriter returns a writer for the statistics of scan id.
func (s *Store) SnapshotWriter(ctx context.Context, id int64) (shoal.SnapshotWriter, error) {
	if err := s.checkScan(ctx, id); err != nil {
		return nil, err
	}
	w := &SnapshotWriter{db: s.db, scanID: id, ids: make(map[tableKey]int64)}
	const nPart = partitionRowArgs - 2
	stmts := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.insTable, `INSERT INTO table_stats (scan_id, db, tbl, name) VALUES (?, ?, ?, ?)
			ON CONFLICT (scan_id, db, tbl) DO NOTHING RETURNING id`},
		{&w.selTable, `SELECT id FROM table_stats WHERE scan_id = ? AND db = ? AND tbl = ?`},
		{&w.updTable, `UPDATE table_stats SET ` + updateSet(tableWriteColumns) + ` WHERE id = ?`},
		{&w.insPart, `INSERT INTO partition_stats (table_id, spec, ` + partitionWriteColumns + `)
			VALUES (?, ?, ` + placeholders(nPart) + `) ON CONFLICT (table_id, spec) DO NOTHING`},
		{&w.insParts, `INSERT INTO partition_stats (table_id, spec, ` + partitionWriteColumns + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, `+placeholders(nPart)+`), `, insertRows), ", ") +
			` ON CONFLICT (table_id, spec) DO NOTHING`},
		{&w.updPart, `UPDATE partition_stats SET ` + updateSet(partitionWriteColumns) + `
			WHERE table_id = ? AND spec = ?`},
		{&w.addRows, addRowsQuery},
		{&w.addScanRows, `UPDATE scans SET table_rows = table_rows + ?, partition_rows = partition_rows + ?
			WHERE id = ?`},
	}
	for _, st := range stmts {
		var err error
		if *st.dst, err = s.db.PrepareContext(ctx, st.query); err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("prepare snapshot writer: %w", err)
		}
	}
	return w, nil
}

// Close releases the writer's prepared statements.
func (w *SnapshotWriter) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.insTable, w.selTable, w.updTable, w.insPart, w.insParts, w.updPart,
		w.addRows, w.addScanRows} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// writeTx is one write transaction of a SnapshotWriter.
type writeTx struct {
	w   *SnapshotWriter
	tx  *sql.Tx
	ctx context.Context // without cancellation, see begin

	ins, sel *sql.Stmt          // prepared on tx when a new table needs them
	created  map[tableKey]int64 // table rows found or created, kept on commit
	tables   int64              // table rows created
	parts    int64              // partition rows created
}

// begin starts a write transaction. Its statements run without ctx, which
// would cost the driver a goroutine each: the caller checks ctx between
// them, and ctx ends the transaction.
func (w *SnapshotWriter) begin(ctx context.Context) (*writeTx, error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &writeTx{w: w, tx: tx, ctx: context.WithoutCancel(ctx), created: map[tableKey]int64{}}, nil
}

// tableID returns the id of the row of a table, creating the row if needed.
func (t *writeTx) tableID(db, table string) (int64, error) {
	k := tableKey{db, table}
	if id, ok := t.w.ids[k]; ok {
		return id, nil
	}
	if id, ok := t.created[k]; ok {
		return id, nil
	}
	if t.ins == nil {
		t.ins, t.sel = t.tx.StmtContext(t.ctx, t.w.insTable), t.tx.StmtContext(t.ctx, t.w.selTable)
	}
	var id int64
	err := t.ins.QueryRowContext(t.ctx, t.w.scanID, db, table, db+"."+table).Scan(&id)
	switch {
	case err == nil:
		t.tables++
	case errors.Is(err, sql.ErrNoRows): // another writer created it
		err = t.sel.QueryRowContext(t.ctx, t.w.scanID, db, table).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("table %s.%s: %w", db, table, err)
	}
	t.created[k] = id
	return id, nil
}

// commit adds the rows created to the scan's counts and commits.
func (t *writeTx) commit() error {
	if t.tables != 0 || t.parts != 0 {
		if _, err := t.tx.StmtContext(t.ctx, t.w.addScanRows).ExecContext(t.ctx, t.tables, t.parts, t.w.scanID); err != nil {
			return err
		}
	}
	if err := t.tx.Commit(); err != nil {
		return err
	}
	for k, id := range t.created {
		t.w.ids[k] = id
	}
	return nil
}

// WritePartitions writes partition statistics, replacing any partition of
// the same table and spec written before. It creates the row of a table that
// has no statistics yet; WriteTables fills it in later.
func (w *SnapshotWriter) WritePartitions(ctx context.Context, ps []shoal.PartitionStats) error {
	if len(ps) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t, err := w.begin(ctx)
	if err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	defer func() { _ = t.tx.Rollback() }()
	batch := map[int64]*batchTable{}
	ins1, insN := t.tx.StmtContext(t.ctx, w.insPart), t.tx.StmtContext(t.ctx, w.insParts)
	args := make([]any, 0, insertRows*partitionRowArgs)
	for i := 0; i < len(ps); {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("write partitions: %w", err)
		}
		// The run of partitions of one table that starts at i.
		p := &ps[i]
		j := i + 1
		for j < len(ps) && j-i < insertRows && ps[j].Database == p.Database && ps[j].Table == p.Table {
			j++
		}
		run := ps[i:j]
		i = j

		tid, err := t.tableID(p.Database, p.Table)
		if err != nil {
			return fmt.Errorf("write partitions: %w", err)
		}
		bt := batch[tid]
		if bt == nil {
			bt = &batchTable{}
			batch[tid] = bt
		}

		// Insert the run, in one statement when it is full, and update the
		// partitions that were there already.
		args = args[:0]
		for r := range run {
			bt.add(&run[r])
			args = append(append(args, tid, run[r].Spec), partitionArgs(&run[r])...)
		}
		exec := func(st *sql.Stmt, args []any) (int64, error) {
			res, err := st.ExecContext(t.ctx, args...)
			if err != nil {
				return 0, fmt.Errorf("write partitions of %s.%s: %w", p.Database, p.Table, err)
			}
			return res.RowsAffected()
		}
		var added int64
		if len(run) == insertRows {
			if added, err = exec(insN, args); err != nil {
				return err
			}
		} else {
			for r := range run {
				n, err := exec(ins1, args[r*partitionRowArgs:(r+1)*partitionRowArgs])
				if err != nil {
					return err
				}
				added += n
			}
		}
		bt.rows -= int64(len(run)) - added
		t.parts += added
		if added < int64(len(run)) {
			// Some partitions replace others: update them all, which for
			// those just inserted changes nothing.
			upd := t.tx.StmtContext(t.ctx, w.updPart)
			for r := range run {
				if _, err := upd.ExecContext(t.ctx, append(partitionArgs(&run[r]), tid, run[r].Spec)...); err != nil {
					return fmt.Errorf("write partition %s.%s %q: %w", p.Database, p.Table, run[r].Spec, err)
				}
			}
		}
	}
	addRows := t.tx.StmtContext(t.ctx, w.addRows)
	for tid, bt := range batch {
		args = append(args[:0], bt.rows)
		for i := range partitionKeyList {
			args = append(args, bt.min[i], bt.max[i])
		}
		if _, err := addRows.ExecContext(t.ctx, append(args, tid)...); err != nil {
			return fmt.Errorf("write partitions: %w", err)
		}
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("write partitions: %w", err)
	}
	return nil
}

// WriteTables writes table statistics, replacing those written before for
// the same table.
func (w *SnapshotWriter) WriteTables(ctx context.Context, ts []shoal.TableStats) error {
	if len(ts) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t, err := w.begin(ctx)
	if err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	defer func() { _ = t.tx.Rollback() }()
	upd := t.tx.StmtContext(t.ctx, w.updTable)
	for i := range ts {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("write tables: %w", err)
		}
		tbl := &ts[i]
		id, err := t.tableID(tbl.Database, tbl.Table)
		if err != nil {
			return fmt.Errorf("write tables: %w", err)
		}
		if _, err := upd.ExecContext(t.ctx, append(tableArgs(tbl), id)...); err != nil {
			return fmt.Errorf("write table %s.%s: %w", tbl.Database, tbl.Table, err)
		}
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete snapshot %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM table_stats WHERE scan_id = ?`, id); err != nil {
		return fmt.Errorf("delete snapshot %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE scans SET table_rows = 0 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete snapshot %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
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
	ids, err := queryIDs(ctx, s.db, `SELECT id FROM scans WHERE state = 'succeeded' AND partition_rows > 0
		AND id NOT IN (SELECT id FROM scans WHERE state = 'succeeded' ORDER BY `+snapshotOrder+` LIMIT ?)
		ORDER BY id`, keep)
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
	tables, err := queryIDs(ctx, s.db, `SELECT id FROM table_stats WHERE scan_id = ? AND part_rows > 0`, id)
	if err != nil {
		return err
	}
	for _, tid := range tables {
		for {
			n, err := s.deleteTableBatch(ctx, id, tid)
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

// clearBounds forgets the bounds of the sort keys of a table that has no
// partition rows left. The bounds of a table that has some stay valid.
var clearBounds = func() string {
	var set []string
	for _, k := range partitionKeyList {
		set = append(set, "pmin_"+k.column+" = NULL", "pmax_"+k.column+" = NULL")
	}
	return `UPDATE table_stats SET ` + strings.Join(set, ", ") + ` WHERE id = ? AND part_rows = 0`
}()

func (s *Store) deleteTableBatch(ctx context.Context, scanID, tid int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `DELETE FROM partition_stats WHERE id IN
		(SELECT id FROM partition_stats WHERE table_id = ? LIMIT ?)`, tid, deleteBatch)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`UPDATE table_stats SET part_rows = part_rows - ? WHERE id = ?`, []any{n, tid}},
		{clearBounds, []any{tid}},
		{`UPDATE scans SET partition_rows = partition_rows - ? WHERE id = ?`, []any{n, scanID}},
	} {
		if _, err := tx.ExecContext(ctx, q.query, q.args...); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}

func queryIDs(ctx context.Context, db *sql.DB, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

package hiveserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Request describes one merge.
type Request struct {
	// Strategy to use; empty lets Choose pick one from Format and
	// PartitionBytes with the Client's ChooseOptions.
	Strategy Strategy
	// Format of the partition's files, as the scan or the planner found it.
	Format shoal.Format
	// PartitionBytes is the partition's size (0 when unknown).
	PartitionBytes int64
	// Columns are the table's non-partition columns in table order, for
	// INSERT OVERWRITE; when empty they are read with DESCRIBE.
	Columns []string
	// TargetBytes is the merged file size (required for INSERT
	// OVERWRITE); SmallBytes the small-file size (defaults to TargetBytes).
	TargetBytes int64
	SmallBytes  int64
	// CompactionTimeout and CompactionPoll override the URI's
	// compaction_timeout and compaction_poll.
	CompactionTimeout time.Duration
	CompactionPoll    time.Duration
}

// Result describes a merge that ran.
type Result struct {
	Strategy Strategy
	// Statements run, in order. The repeated SHOW COMPACTIONS of a
	// compaction wait are listed once; Polls counts them.
	Statements []string
	Polls      int
	RowsBefore int64
	RowsAfter  int64
	// Compaction is the compaction followed by a StrategyCompact merge.
	Compaction *Compaction
	Duration   time.Duration
}

// CountMismatchError is returned when a partition's row count after a
// merge differs from its count before. For INSERT OVERWRITE and
// CONCATENATE the partition has already been rewritten when this is found;
// it must be investigated (and restored from a snapshot or backup).
type CountMismatchError struct {
	Table     string
	Partition string
	Strategy  Strategy
	Before    int64
	After     int64
}

func (e *CountMismatchError) Error() string {
	p := e.Partition
	if p == "" {
		p = "(unpartitioned)"
	}
	return fmt.Sprintf("row count of %s partition %s changed during %s: %d rows before, %d after", e.Table, p, e.Strategy, e.Before, e.After)
}

// Unwrap gives the error the EINTERNAL code.
func (e *CountMismatchError) Unwrap() error {
	return &shoal.Error{Code: shoal.EINTERNAL, Message: e.Error()}
}

// Merge merges partition p of t (nil, or a Partition without values, for an
// unpartitioned table) on the cluster: it counts the rows, runs the
// strategy's statements, counts again and fails with *CountMismatchError
// when the counts differ. It runs in one session, so that SET statements
// apply to what follows them. Cancelling ctx cancels the running statement
// on the server; a compaction already queued keeps running in Hive.
func (c *Client) Merge(ctx context.Context, t *shoal.Table, p *shoal.Partition, req Request) (Result, error) {
	start := time.Now()
	res := Result{Strategy: req.Strategy}
	if p != nil && !t.Partitioned() && len(p.Values) == 0 {
		p = nil
	}
	if err := checkPartition(t, p); err != nil {
		return res, err
	}
	dialect := c.cfg.Dialect()
	if res.Strategy == "" {
		opts := c.Choose
		opts.Dialect = dialect
		s, err := Choose(t, req.Format, req.PartitionBytes, opts)
		if err != nil {
			return res, err
		}
		res.Strategy = s
	}
	if !res.Strategy.Valid() {
		return res, shoal.Errorf(shoal.EINVALID, "unknown strategy %q", res.Strategy)
	}
	if dialect == DialectSpark && res.Strategy != StrategyInsertOverwrite {
		return res, shoal.Refusef("%s is not available through Kyuubi's Spark SQL engine; use a Hive endpoint (hive2:// or kyuubi:// with engine=HIVE_SQL)", res.Strategy)
	}
	// Build what can be built before touching the cluster.
	var stmts []string
	var err error
	switch res.Strategy {
	case StrategyConcatenate:
		stmts, err = ConcatenateStatements(t, p, req.Format)
	case StrategyCompact:
		stmts, err = CompactStatements(t, p)
	case StrategyInsertOverwrite:
		if dialect == DialectSpark && bucketed(t) {
			err = shoal.Refusef("%s is bucketed: Spark does not write Hive-compatible buckets; use a Hive endpoint", t.QualifiedName())
		} else if err = checkOverwrite(t); err == nil && req.TargetBytes <= 0 {
			err = shoal.Errorf(shoal.EINVALID, "INSERT OVERWRITE of %s needs a positive target file size", t.QualifiedName())
		}
	}
	if err != nil {
		return res, err
	}

	s, err := c.acquire(ctx)
	if err != nil {
		return res, err
	}
	defer c.release(s)
	exec := func(stmt string) error {
		res.Statements = append(res.Statements, stmt)
		_, err := c.run(ctx, s, stmt, false)
		return err
	}
	query := func(stmt string) (*Rows, error) {
		res.Statements = append(res.Statements, stmt)
		return c.run(ctx, s, stmt, true)
	}
	count := func() (int64, error) {
		rows, err := query(CountSQL(t, p))
		if err != nil {
			return 0, err
		}
		return scalarInt(rows, CountSQL(t, p))
	}

	if dialect == DialectHive {
		for _, st := range countSettings {
			if err := exec(st); err != nil {
				return res, err
			}
		}
	}
	if res.RowsBefore, err = count(); err != nil {
		return res, err
	}

	switch res.Strategy {
	case StrategyInsertOverwrite:
		cols := req.Columns
		if len(cols) == 0 {
			rows, err := query(DescribeSQL(t))
			if err != nil {
				return res, err
			}
			names := make([]string, len(rows.Values))
			for i, r := range rows.Values {
				if len(r) > 0 && r[0] != nil {
					names[i] = fmt.Sprint(r[0])
				}
			}
			if cols, err = ParseDescribe(t, names); err != nil {
				return res, err
			}
		}
		stmts, err = InsertOverwriteStatements(t, p, cols, Sizes{TargetBytes: req.TargetBytes, SmallBytes: req.SmallBytes, PartitionBytes: req.PartitionBytes}, dialect)
		if err != nil {
			return res, err
		}
		for _, st := range stmts {
			if err := exec(st); err != nil {
				return res, err
			}
		}
	case StrategyConcatenate:
		for _, st := range stmts {
			if err := exec(st); err != nil {
				return res, err
			}
		}
	case StrategyCompact:
		comp, err := c.compact(ctx, s, t, p, stmts, req, &res)
		res.Compaction = comp
		if err != nil {
			return res, err
		}
	}

	if res.RowsAfter, err = count(); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	if res.RowsAfter != res.RowsBefore {
		spec := ""
		if p != nil {
			spec = shoal.PartitionSpec(t.PartitionKeys, p.Values)
		}
		return res, &CountMismatchError{Table: t.QualifiedName(), Partition: spec, Strategy: res.Strategy, Before: res.RowsBefore, After: res.RowsAfter}
	}
	return res, nil
}

// compact records the compactions already known for the partition, asks
// for a major compaction and polls SHOW COMPACTIONS until it ends.
func (c *Client) compact(ctx context.Context, s *session, t *shoal.Table, p *shoal.Partition, stmts []string, req Request, res *Result) (*Compaction, error) {
	timeout, poll := c.cfg.CompactionTimeout, c.cfg.CompactionPoll
	if req.CompactionTimeout > 0 {
		timeout = req.CompactionTimeout
	}
	if req.CompactionPoll > 0 {
		poll = req.CompactionPoll
	}
	spec := ""
	if p != nil {
		spec = shoal.PartitionSpec(t.PartitionKeys, p.Values)
	}
	show := func() ([]Compaction, error) {
		rows, err := c.run(ctx, s, ShowCompactionsSQL, true)
		if err != nil {
			return nil, err
		}
		var mine []Compaction
		for _, cp := range ParseCompactions(rows.Columns, rows.Values) {
			if cp.matches(t, spec) {
				mine = append(mine, cp)
			}
		}
		return mine, nil
	}
	res.Statements = append(res.Statements, ShowCompactionsSQL)
	before, err := show()
	if err != nil {
		return nil, err
	}
	for _, st := range stmts {
		res.Statements = append(res.Statements, st)
		if _, err := c.run(ctx, s, st, false); err != nil {
			return nil, err
		}
	}
	res.Statements = append(res.Statements, ShowCompactionsSQL)
	deadline := time.Now().Add(timeout)
	var last *Compaction
	for {
		res.Polls++
		now, err := show()
		if err != nil {
			return last, err
		}
		cp, state := follow(before, now)
		if cp != nil {
			last = cp
		}
		switch state {
		case compactionDone:
			return last, nil
		case compactionFailed:
			msg := ""
			if last.Error != "" {
				msg = ": " + last.Error
			}
			return last, shoal.Errorf(shoal.EINTERNAL, "compaction %s of %s %s ended in state %q%s", last.ID, t.QualifiedName(), partName(spec), last.State, msg)
		}
		if time.Now().After(deadline) {
			what, st := "the compaction request", "not listed by SHOW COMPACTIONS"
			if last != nil {
				what, st = "compaction "+last.ID, "still "+strconv.Quote(last.State)
			}
			return last, shoal.Errorf(shoal.EUNAVAILABLE, "%s of %s %s: %s after %s (compaction_timeout); Hive's compactor keeps it", what, t.QualifiedName(), partName(spec), st, timeout)
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for the compaction of %s %s (it continues in Hive): %w", t.QualifiedName(), partName(spec), ctx.Err())
		case <-time.After(min(poll, time.Until(deadline)+time.Millisecond)):
		}
	}
}

func partName(spec string) string {
	if spec == "" {
		return "(unpartitioned)"
	}
	return "partition " + spec
}

// Compaction is one row of SHOW COMPACTIONS.
type Compaction struct {
	// ID is empty on Hive 2, which has no compaction ids.
	ID        string
	Database  string
	Table     string
	Partition string
	Type      string
	State     string
	Error     string
}

func (cp *Compaction) matches(t *shoal.Table, spec string) bool {
	if !strings.EqualFold(cp.Database, t.Database) || !strings.EqualFold(cp.Table, t.Name) {
		return false
	}
	if cp.Type != "" && !strings.EqualFold(cp.Type, "major") {
		return false
	}
	part := strings.TrimSpace(cp.Partition)
	if spec == "" {
		return part == "" || part == "---" || strings.EqualFold(part, "null")
	}
	return part == spec
}

func (cp *Compaction) key() string {
	return cp.ID + "\x00" + cp.State + "\x00" + cp.Partition + "\x00" + cp.Error
}

type compactionState int

const (
	compactionWaiting compactionState = iota
	compactionDone
	compactionFailed
)

// stateOf classifies a SHOW COMPACTIONS state. Unknown states count as in
// progress, bounded by the compaction timeout.
func stateOf(s string) compactionState {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "succeeded", "ready for cleaning", "cleaned":
		return compactionDone
	case "failed", "did not initiate", "attempted", "refused", "aborted":
		return compactionFailed
	}
	return compactionWaiting
}

func inProgress(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "initiated", "working", "":
		return true
	}
	return stateOf(s) == compactionWaiting
}

// follow finds the compaction that our request created (or joined: Hive 3
// returns the queued compaction when one is already initiated or working)
// among the partition's compactions now, given those listed before the
// request. With compaction ids, ours is one with a larger id than any
// before, or one in progress. Without ids (Hive 2), it is a row that was
// not listed before, or one in progress.
func follow(before, now []Compaction) (*Compaction, compactionState) {
	var maxID int64 = -1
	haveIDs := true
	for _, cp := range append(append([]Compaction(nil), before...), now...) {
		if _, err := strconv.ParseInt(cp.ID, 10, 64); err != nil {
			haveIDs = false
		}
	}
	seen := map[string]int{}
	for _, cp := range before {
		id, _ := strconv.ParseInt(cp.ID, 10, 64)
		maxID = max(maxID, id)
		seen[cp.key()]++
	}
	var cands []*Compaction
	for i := range now {
		cp := &now[i]
		isNew := false
		if haveIDs {
			id, err := strconv.ParseInt(cp.ID, 10, 64)
			isNew = err == nil && id > maxID
		} else if seen[cp.key()] > 0 {
			seen[cp.key()]--
		} else {
			isNew = true
		}
		if isNew || inProgress(cp.State) {
			cands = append(cands, cp)
		}
	}
	var done, failed *Compaction
	for _, cp := range cands {
		switch stateOf(cp.State) {
		case compactionWaiting:
			return cp, compactionWaiting
		case compactionFailed:
			failed = cp
		case compactionDone:
			done = cp
		}
	}
	if failed != nil {
		return failed, compactionFailed
	}
	if done != nil {
		return done, compactionDone
	}
	return nil, compactionWaiting
}

// ParseCompactions reads SHOW COMPACTIONS output, finding columns by name
// (Hive 2, 3 and 4 name and order them differently) and skipping the header
// row Hive 2 and 3 put in the data.
func ParseCompactions(columns []string, rows [][]any) []Compaction {
	idx := map[string]int{}
	for i, c := range columns {
		n := strings.ToLower(c)
		if j := strings.LastIndexByte(n, '.'); j >= 0 {
			n = n[j+1:]
		}
		n = strings.NewReplacer(" ", "", "_", "").Replace(n)
		var field string
		switch n {
		case "compactionid", "id":
			field = "id"
		case "dbname", "database":
			field = "db"
		case "tabname", "table", "tablename":
			field = "table"
		case "partname", "partition", "partitionname":
			field = "part"
		case "type":
			field = "type"
		case "state":
			field = "state"
		case "errormessage", "error":
			field = "error"
		default:
			continue
		}
		if _, dup := idx[field]; !dup {
			idx[field] = i
		}
	}
	get := func(r []any, f string) string {
		i, ok := idx[f]
		if !ok || i >= len(r) || r[i] == nil {
			return ""
		}
		return strings.TrimSpace(fmt.Sprint(r[i]))
	}
	var out []Compaction
	for _, r := range rows {
		cp := Compaction{ID: get(r, "id"), Database: get(r, "db"), Table: get(r, "table"), Partition: get(r, "part"),
			Type: get(r, "type"), State: get(r, "state"), Error: get(r, "error")}
		if strings.EqualFold(cp.State, "state") || strings.EqualFold(cp.Database, "database") {
			continue // header row
		}
		out = append(out, cp)
	}
	return out
}

func scalarInt(rows *Rows, stmt string) (int64, error) {
	if rows == nil || len(rows.Values) != 1 || len(rows.Values[0]) != 1 {
		n := 0
		if rows != nil {
			n = len(rows.Values)
		}
		return 0, shoal.Errorf(shoal.EINTERNAL, "%s returned %d rows, want one number", shortStmt(stmt), n)
	}
	switch v := rows.Values[0][0].(type) {
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			return n, nil
		}
	}
	return 0, shoal.Errorf(shoal.EINTERNAL, "%s returned %v (%T), want a number", shortStmt(stmt), rows.Values[0][0], rows.Values[0][0])
}

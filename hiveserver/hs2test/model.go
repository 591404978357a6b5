package hs2test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/shoalhq/shoal"
)

// Table is a table of the fake catalog.
type Table struct {
	Database string
	Name     string
	// Columns are the non-partition columns; Types their Hive types
	// (string when missing).
	Columns       []string
	Types         []string
	PartitionKeys []string
	Transactional bool
	// Partitions maps a partition spec (shoal.PartitionSpec, "" for an
	// unpartitioned table) to its state.
	Partitions map[string]*Partition
}

// Partition is the state of one partition of the fake catalog.
type Partition struct {
	Values []string
	Rows   int64
	Files  int
}

type compaction struct {
	id    int64
	db    string
	table string
	part  string
	step  int
	steps []string
}

// Model is a small fake Hive: tables with per-partition row and file
// counts, answering COUNT(*) with a partition predicate, DESCRIBE, INSERT
// OVERWRITE, ALTER TABLE … CONCATENATE / COMPACT and SHOW COMPACTIONS.
// Statements are parsed with Hive's quoting rules, so a badly quoted value
// fails to parse or selects nothing instead of passing silently.
type Model struct {
	mu     sync.Mutex
	tables map[string]*Table
	comps  []*compaction
	nextID int64
	// CompactionSteps are the states a new compaction goes through, one
	// per SHOW COMPACTIONS; default initiated, working, succeeded.
	CompactionSteps []string
	// CompactionError is the error message of a compaction whose last step
	// is not succeeded.
	CompactionError string
	// NoCompactionIDs lists compactions as Hive 2 does, without ids.
	NoCompactionIDs bool
}

// NewModel returns an empty model.
func NewModel() *Model { return &Model{tables: map[string]*Table{}, nextID: 1} }

func tkey(db, t string) string { return strings.ToLower(db) + "." + strings.ToLower(t) }

// AddTable adds (or replaces) a table. Partition Files default to 10.
func (m *Model) AddTable(t Table) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Partitions == nil {
		t.Partitions = map[string]*Partition{}
	}
	for _, p := range t.Partitions {
		if p.Files == 0 {
			p.Files = 10
		}
	}
	m.tables[tkey(t.Database, t.Name)] = &t
}

// AddPartition adds a partition with rows rows and files files.
func (m *Model) AddPartition(db, table string, values []string, rows int64, files int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tables[tkey(db, table)]
	t.Partitions[shoal.PartitionSpec(t.PartitionKeys, values)] = &Partition{Values: values, Rows: rows, Files: files}
}

// Partition returns a copy of a partition's state; ok is false when it
// does not exist.
func (m *Model) Partition(db, table, spec string) (Partition, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tables[tkey(db, table)]
	if t == nil || t.Partitions[spec] == nil {
		return Partition{}, false
	}
	return *t.Partitions[spec], true
}

// SetRows changes a partition's row count (to simulate a merge that lost
// or duplicated rows).
func (m *Model) SetRows(db, table, spec string, rows int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables[tkey(db, table)].Partitions[spec].Rows = rows
}

// Result is a statement's result.
type Result struct {
	Columns []string
	Types   []string // Hive type names: bigint, string
	Rows    [][]any
}

type semanticError struct{ msg string }

func (e *semanticError) Error() string { return e.msg }

func semantic(format string, args ...any) error {
	return &semanticError{"Error while compiling statement: FAILED: SemanticException " + fmt.Sprintf(format, args...)}
}

// Exec runs a statement against the model.
func (m *Model) Exec(stmt string) (*Result, error) {
	toks, err := lex(stmt)
	if err != nil {
		return nil, &semanticError{"Error while compiling statement: FAILED: ParseException line 1:0 " + err.Error()}
	}
	p := &parser{toks: toks}
	m.mu.Lock()
	defer m.mu.Unlock()
	var res *Result
	switch {
	case p.accept("SELECT"):
		res, err = m.count(p)
	case p.accept("DESCRIBE"):
		res, err = m.describe(p)
	case p.accept("INSERT"):
		res, err = m.insertOverwrite(p)
	case p.accept("ALTER"):
		res, err = m.alter(p)
	case p.accept("SHOW"):
		if err = p.expect("COMPACTIONS"); err == nil {
			if err = p.done(); err == nil {
				res = m.showCompactions()
			}
		}
	default:
		err = fmt.Errorf("cannot recognize input near %q", firstWord(stmt))
	}
	if err != nil {
		if se := (*semanticError)(nil); !errors.As(err, &se) {
			err = &semanticError{"Error while compiling statement: FAILED: ParseException line 1:0 " + err.Error()}
		}
		return nil, err
	}
	return res, nil
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (m *Model) table(p *parser) (*Table, error) {
	db, name, err := p.tableName()
	if err != nil {
		return nil, err
	}
	t := m.tables[tkey(db, name)]
	if t == nil {
		return nil, semantic("[Error 10001]: Table not found %s.%s", db, name)
	}
	return t, nil
}

// matching returns the partitions of t selected by conds, by spec order.
func (m *Model) matching(t *Table, conds []cond) ([]*Partition, error) {
	keys := map[string]int{}
	for i, k := range t.PartitionKeys {
		keys[strings.ToLower(k)] = i
	}
	for _, c := range conds {
		if _, ok := keys[strings.ToLower(c.key)]; !ok {
			return nil, semantic("[Error 10004]: Invalid table alias or column reference '%s'", c.key)
		}
	}
	specs := make([]string, 0, len(t.Partitions))
	for s := range t.Partitions {
		specs = append(specs, s)
	}
	sort.Strings(specs)
	var out []*Partition
	for _, s := range specs {
		pt := t.Partitions[s]
		ok := true
		for _, c := range conds {
			v := pt.Values[keys[strings.ToLower(c.key)]]
			if c.null && v != shoal.HiveDefaultPartition || !c.null && (v != c.value || v == shoal.HiveDefaultPartition) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, pt)
		}
	}
	return out, nil
}

// SELECT COUNT(*) FROM t [WHERE pred]
func (m *Model) count(p *parser) (*Result, error) {
	for _, w := range []string{"COUNT", "(", "*", ")", "FROM"} {
		if err := p.expect(w); err != nil {
			return nil, err
		}
	}
	t, err := m.table(p)
	if err != nil {
		return nil, err
	}
	var conds []cond
	if p.accept("WHERE") {
		if conds, err = p.predicate(); err != nil {
			return nil, err
		}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	parts, err := m.matching(t, conds)
	if err != nil {
		return nil, err
	}
	var n int64
	for _, pt := range parts {
		n += pt.Rows
	}
	return &Result{Columns: []string{"_c0"}, Types: []string{"bigint"}, Rows: [][]any{{n}}}, nil
}

// DESCRIBE t, formatted as Hive 3 does: padded names, partition keys
// among the columns, then a "# Partition Information" block.
func (m *Model) describe(p *parser) (*Result, error) {
	t, err := m.table(p)
	if err != nil {
		return nil, err
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	res := &Result{Columns: []string{"col_name", "data_type", "comment"}, Types: []string{"string", "string", "string"}}
	typ := func(i int) string {
		if i < len(t.Types) {
			return t.Types[i]
		}
		return "string"
	}
	pad := func(s string) string { return fmt.Sprintf("%-20s", s) }
	for i, c := range t.Columns {
		res.Rows = append(res.Rows, []any{pad(c), pad(typ(i)), ""})
	}
	for _, k := range t.PartitionKeys {
		res.Rows = append(res.Rows, []any{pad(k), pad("string"), ""})
	}
	if len(t.PartitionKeys) > 0 {
		res.Rows = append(res.Rows,
			[]any{"", nil, nil},
			[]any{"# Partition Information", nil, nil},
			[]any{pad("# col_name"), pad("data_type"), "comment"},
			[]any{"", nil, nil})
		for _, k := range t.PartitionKeys {
			res.Rows = append(res.Rows, []any{pad(k), pad("string"), ""})
		}
	}
	return res, nil
}

// specConds parses an optional PARTITION clause of t and checks its keys.
func (m *Model) specConds(p *parser, t *Table, allowDynamic bool) ([]cond, error) {
	if !p.accept("PARTITION") {
		return nil, nil
	}
	cs, err := p.partitionSpec()
	if err != nil {
		return nil, err
	}
	if len(cs) != len(t.PartitionKeys) {
		return nil, semantic("[Error 10006]: Line 1:0 Partition not found: the partition spec has %d keys, the table %d", len(cs), len(t.PartitionKeys))
	}
	dyn := false
	for i, c := range cs {
		if !strings.EqualFold(c.key, t.PartitionKeys[i]) {
			return nil, semantic("Partition spec key %s does not match partition key %s", c.key, t.PartitionKeys[i])
		}
		if c.dynamic {
			if !allowDynamic {
				return nil, semantic("Partition spec needs a value for %s", c.key)
			}
			dyn = true
		} else if dyn {
			return nil, semantic("[Error 10094]: Line 1:0 Dynamic partition cannot be the parent of a static partition '%s'", c.key)
		}
	}
	return cs, nil
}

func (m *Model) exactPartition(t *Table, cs []cond) (*Partition, error) {
	vals := make([]string, len(cs))
	for i, c := range cs {
		vals[i] = c.value
	}
	pt := t.Partitions[shoal.PartitionSpec(t.PartitionKeys, vals)]
	if pt == nil {
		return nil, semantic("[Error 10006]: Partition not found %s", shoal.PartitionSpec(t.PartitionKeys, vals))
	}
	return pt, nil
}

// INSERT OVERWRITE TABLE t [PARTITION (…)] SELECT cols FROM t [WHERE pred]
func (m *Model) insertOverwrite(p *parser) (*Result, error) {
	if err := p.expect("OVERWRITE"); err != nil {
		return nil, err
	}
	if err := p.expect("TABLE"); err != nil {
		return nil, err
	}
	t, err := m.table(p)
	if err != nil {
		return nil, err
	}
	spec, err := m.specConds(p, t, true)
	if err != nil {
		return nil, err
	}
	if len(t.PartitionKeys) > 0 && spec == nil {
		return nil, semantic("[Error 10096]: Dynamic partition strict mode requires at least one static partition column")
	}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	var sel []string
	for {
		c, err := p.ident()
		if err != nil {
			return nil, err
		}
		sel = append(sel, c)
		if !p.accept(",") {
			break
		}
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	src, err := m.table(p)
	if err != nil {
		return nil, err
	}
	var conds []cond
	if p.accept("WHERE") {
		if conds, err = p.predicate(); err != nil {
			return nil, err
		}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	want := append([]string(nil), t.Columns...)
	static := 0
	for _, c := range spec {
		if c.dynamic {
			want = append(want, c.key)
		} else {
			static++
		}
	}
	if len(sel) != len(want) {
		return nil, semantic("[Error 10044]: Cannot insert into target table because column number/types are different: table has %d columns, query has %d", len(want), len(sel))
	}
	for i := range sel {
		if !strings.EqualFold(sel[i], want[i]) {
			return nil, semantic("column %d is %s, the table's is %s", i+1, sel[i], want[i])
		}
	}
	parts, err := m.matching(src, conds)
	if err != nil {
		return nil, err
	}
	var rows int64
	for _, pt := range parts {
		rows += pt.Rows
	}
	if static == len(t.PartitionKeys) {
		vals := make([]string, len(spec))
		for i, c := range spec {
			vals[i] = c.value
		}
		key := shoal.PartitionSpec(t.PartitionKeys, vals)
		t.Partitions[key] = &Partition{Values: vals, Rows: rows, Files: 1}
		return &Result{}, nil
	}
	// Dynamic: each selected partition is rewritten in place.
	for _, pt := range parts {
		pt.Files = 1
	}
	return &Result{}, nil
}

// ALTER TABLE t [PARTITION (…)] CONCATENATE | COMPACT 'major'
func (m *Model) alter(p *parser) (*Result, error) {
	if err := p.expect("TABLE"); err != nil {
		return nil, err
	}
	t, err := m.table(p)
	if err != nil {
		return nil, err
	}
	spec, err := m.specConds(p, t, false)
	if err != nil {
		return nil, err
	}
	if len(t.PartitionKeys) > 0 && spec == nil {
		return nil, semantic("table is partitioned: a partition spec is required")
	}
	pt, err := m.exactPartition(t, spec)
	if err != nil {
		return nil, err
	}
	switch {
	case p.accept("CONCATENATE"):
		if err := p.done(); err != nil {
			return nil, err
		}
		if t.Transactional {
			return nil, semantic("[Error 30034]: Concatenate/Merge can not be performed on transactional tables")
		}
		pt.Files = 1
	case p.accept("COMPACT"):
		kind, err := p.literal()
		if err != nil {
			return nil, err
		}
		if err := p.done(); err != nil {
			return nil, err
		}
		if !strings.EqualFold(kind, "major") {
			return nil, semantic("unsupported compaction type %s", kind)
		}
		if !t.Transactional {
			return nil, semantic("[Error 10265]: Compaction is not allowed on non-ACID table %s.%s", t.Database, t.Name)
		}
		part := shoal.PartitionSpec(t.PartitionKeys, pt.Values)
		for _, c := range m.comps {
			if c.db == tkey(t.Database, "") && c.table == t.Name && c.part == part && c.step < len(c.steps)-1 {
				return &Result{}, nil // already enqueued
			}
		}
		steps := m.CompactionSteps
		if len(steps) == 0 {
			steps = []string{"initiated", "working", "succeeded"}
		}
		m.comps = append(m.comps, &compaction{id: m.nextID, db: tkey(t.Database, ""), table: t.Name, part: part, steps: steps})
		m.nextID++
	default:
		return nil, fmt.Errorf("cannot recognize input after the partition spec")
	}
	return &Result{}, nil
}

// showCompactions lists compactions as Hive 3 does (with a header row),
// moving each one step forward afterwards.
func (m *Model) showCompactions() *Result {
	res := &Result{}
	if m.NoCompactionIDs {
		res.Columns = []string{"dbname", "tabname", "partname", "type", "state", "workerid", "starttime", "duration", "hadoopjobid"}
		res.Types = []string{"string", "string", "string", "string", "string", "string", "string", "string", "string"}
		res.Rows = append(res.Rows, []any{"Database", "Table", "Partition", "Type", "State", "Worker", "Start Time", "Duration(ms)", "HadoopJobId"})
	} else {
		res.Columns = []string{"compactionid", "dbname", "tabname", "partname", "type", "state", "workerid", "errormessage"}
		res.Types = []string{"bigint", "string", "string", "string", "string", "string", "string", "string"}
		res.Rows = append(res.Rows, []any{int64(0), "Database", "Table", "Partition", "Type", "State", "Worker", "Error message"})
	}
	for _, c := range m.comps {
		state := c.steps[c.step]
		part := c.part
		if part == "" {
			part = "---"
		}
		msg := ""
		if stateFailed(state) {
			msg = m.CompactionError
		}
		db := strings.TrimSuffix(c.db, ".")
		if m.NoCompactionIDs {
			res.Rows = append(res.Rows, []any{db, c.table, part, "MAJOR", state, "worker-1", "0", "0", "None"})
		} else {
			res.Rows = append(res.Rows, []any{c.id, db, c.table, part, "MAJOR", state, "worker-1", msg})
		}
	}
	for _, c := range m.comps {
		if c.step < len(c.steps)-1 {
			c.step++
			if c.step == len(c.steps)-1 && c.steps[c.step] == "succeeded" {
				if t := m.tables[c.db+strings.ToLower(c.table)]; t != nil && t.Partitions[c.part] != nil {
					t.Partitions[c.part].Files = 1
				}
			}
		}
	}
	return res
}

func stateFailed(s string) bool { return s == "failed" || s == "did not initiate" }

package hmstest

import (
	"context"
	"slices"
	"strings"

	"github.com/beltran/gohive/hive_metastore"
)

// handler implements the calls in Methods. The embedded interface is nil:
// the processor map holds only the calls implemented here, so it is never
// called.
type handler struct {
	hive_metastore.ThriftHiveMetastore
	s *Server
}

func noSuch(format string, args ...any) *hive_metastore.NoSuchObjectException {
	e := hive_metastore.NewNoSuchObjectException()
	e.Message = sprintf(format, args...)
	return e
}

func (h *handler) GetAllDatabases(ctx context.Context) ([]string, error) {
	after, err := h.s.enter("get_all_databases")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.dbs {
		out = append(out, d.Name)
	}
	slices.Sort(out)
	return out, nil
}

func (h *handler) GetDatabase(ctx context.Context, name string) (*hive_metastore.Database, error) {
	after, err := h.s.enter("get_database")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dbs[strings.ToLower(name)]
	if d == nil {
		return nil, noSuch("database %s not found", name)
	}
	return clone(d, hive_metastore.NewDatabase), nil
}

func (h *handler) GetAllTables(ctx context.Context, db string) ([]string, error) {
	after, err := h.s.enter("get_all_tables")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	// Like Hive, a missing database has no tables rather than an error.
	var out []string
	for _, t := range s.tables {
		if strings.EqualFold(t.DbName, db) {
			out = append(out, t.TableName)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (h *handler) GetTable(ctx context.Context, db, table string) (*hive_metastore.Table, error) {
	after, err := h.s.enter("get_table")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[key(db, table)]
	if t == nil {
		return nil, noSuch("%s.%s table not found", db, table)
	}
	return clone(t, hive_metastore.NewTable), nil
}

func (h *handler) GetTableObjectsByName(ctx context.Context, db string, names []string) ([]*hive_metastore.Table, error) {
	after, err := h.s.enter("get_table_objects_by_name")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	// Missing tables are left out, and the order is not the request's.
	var out []*hive_metastore.Table
	for i := len(names) - 1; i >= 0; i-- {
		if t := s.tables[key(db, names[i])]; t != nil {
			out = append(out, clone(t, hive_metastore.NewTable))
		}
	}
	return out, nil
}

func (h *handler) GetPartitionNames(ctx context.Context, db, table string, max int16) ([]string, error) {
	after, err := h.s.enter("get_partition_names")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[key(db, table)] == nil {
		return nil, noSuch("%s.%s table not found", db, table)
	}
	var out []string
	for name := range s.parts[key(db, table)] {
		out = append(out, name)
	}
	slices.Sort(out)
	if max >= 0 && len(out) > int(max) {
		out = out[:max]
	}
	return out, nil
}

func (h *handler) GetPartitionsByNames(ctx context.Context, db, table string, names []string) ([]*hive_metastore.Partition, error) {
	after, err := h.s.enter("get_partitions_by_names")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[key(db, table)] == nil {
		return nil, noSuch("%s.%s table not found", db, table)
	}
	// Missing partitions are left out, and the order is not the
	// request's.
	var out []*hive_metastore.Partition
	for i := len(names) - 1; i >= 0; i-- {
		if p := s.parts[key(db, table)][names[i]]; p != nil {
			out = append(out, clone(p, hive_metastore.NewPartition))
		}
	}
	return out, nil
}

func (h *handler) GetPartitionByName(ctx context.Context, db, table, name string) (*hive_metastore.Partition, error) {
	after, err := h.s.enter("get_partition_by_name")
	defer after()
	if err != nil {
		return nil, err
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parts[key(db, table)][name]
	if p == nil {
		return nil, noSuch("partition %s of %s.%s not found", name, db, table)
	}
	return clone(p, hive_metastore.NewPartition), nil
}

func invalidOp(format string, args ...any) *hive_metastore.InvalidOperationException {
	e := hive_metastore.NewInvalidOperationException()
	e.Message = sprintf(format, args...)
	return e
}

func (s *Server) alterPartition(method, db, table string, p *hive_metastore.Partition, env *hive_metastore.EnvironmentContext) error {
	after, err := s.enter(method)
	defer after()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[key(db, table)]
	if t == nil {
		return invalidOp("alter is not possible: table %s.%s not found", db, table)
	}
	name := PartName(t, p.Values)
	if s.parts[key(db, table)][name] == nil {
		return invalidOp("alter is not possible: partition %s not found", name)
	}
	p = clone(p, hive_metastore.NewPartition)
	p.DbName, p.TableName = t.DbName, t.TableName
	s.parts[key(db, table)][name] = p
	if env != nil {
		s.envs[method] = env.Properties
	}
	return nil
}

func (h *handler) AlterPartition(ctx context.Context, db, table string, p *hive_metastore.Partition) error {
	return h.s.alterPartition("alter_partition", db, table, p, nil)
}

func (h *handler) AlterPartitionWithEnvironmentContext(ctx context.Context, db, table string, p *hive_metastore.Partition, env *hive_metastore.EnvironmentContext) error {
	return h.s.alterPartition("alter_partition_with_environment_context", db, table, p, env)
}

func (s *Server) alterTable(method, db, table string, t *hive_metastore.Table, env *hive_metastore.EnvironmentContext) error {
	after, err := s.enter(method)
	defer after()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[key(db, table)] == nil {
		return invalidOp("alter is not possible: table %s.%s not found", db, table)
	}
	if !strings.EqualFold(t.TableName, table) || !strings.EqualFold(t.DbName, db) {
		return invalidOp("hmstest does not rename tables")
	}
	s.tables[key(db, table)] = clone(t, hive_metastore.NewTable)
	if env != nil {
		s.envs[method] = env.Properties
	}
	return nil
}

func (h *handler) AlterTable(ctx context.Context, db, table string, t *hive_metastore.Table) error {
	return h.s.alterTable("alter_table", db, table, t, nil)
}

func (h *handler) AlterTableWithEnvironmentContext(ctx context.Context, db, table string, t *hive_metastore.Table, env *hive_metastore.EnvironmentContext) error {
	return h.s.alterTable("alter_table_with_environment_context", db, table, t, env)
}

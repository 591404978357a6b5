package hms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/hivemeta"
)

// Catalog reads and writes a Hive Metastore over its Thrift API. It is safe
// for concurrent use; it keeps up to max_conns connections.
type Catalog struct {
	cfg *config
	sem chan struct{} // one token per connection in use

	mu     sync.Mutex
	idle   []*conn
	next   int // host to dial first
	closed bool

	// Calls the server turned out not to have.
	noTableObjects atomic.Bool // get_table_objects_by_name
	noEnvContext   atomic.Bool // alter_*_with_environment_context

	calls, retries atomic.Int64

	now func() time.Time
}

var (
	_ shoal.Catalog       = (*Catalog)(nil)
	_ shoal.CatalogWriter = (*Catalog)(nil)
)

// Open parses uri, connects to the first metastore host that answers and
// checks it with a get_all_databases call.
func Open(ctx context.Context, uri string) (*Catalog, error) {
	cfg, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	if cfg.auth == AuthKerberos {
		if err := kerberosAvailable(); err != nil {
			return nil, err
		}
	}
	c := &Catalog{cfg: cfg, sem: make(chan struct{}, cfg.maxConns), now: time.Now}
	err = c.call(ctx, "get_all_databases", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error {
		_, err := cl.GetAllDatabases(ctx)
		return err
	})
	if err != nil {
		_ = c.Close()
		return nil, c.wrap(err, "open: get_all_databases")
	}
	return c, nil
}

// Close closes the idle connections; connections in use are closed when
// their call ends.
func (c *Catalog) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, cn := range idle {
		cn.close()
	}
	return nil
}

// String returns the catalog URI without its password.
func (c *Catalog) String() string { return c.cfg.redacted }

// Stats returns the number of metastore calls made and how many of them
// were retried after a connection error.
func (c *Catalog) Stats() (calls, retries int64) { return c.calls.Load(), c.retries.Load() }

// wrap turns a call error into a Shoal error: a missing object is
// ENOTFOUND, an error that is already a *shoal.Error keeps its code, and
// anything else is returned with context (and without the password).
func (c *Catalog) wrap(err error, format string, args ...any) error {
	var se *shoal.Error
	var nf *hive_metastore.NoSuchObjectException
	var ud *hive_metastore.UnknownDBException
	var ut *hive_metastore.UnknownTableException
	what := fmt.Sprintf(format, args...)
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &nf):
		return shoal.Errorf(shoal.ENOTFOUND, "%s: %s", what, nf.Message)
	case errors.As(err, &ud):
		return shoal.Errorf(shoal.ENOTFOUND, "%s: %s", what, ud.Message)
	case errors.As(err, &ut):
		return shoal.Errorf(shoal.ENOTFOUND, "%s: %s", what, ut.Message)
	}
	return fmt.Errorf("hive metastore %s: %s: %w", c.cfg.redacted, what, describe(c.redact(err)))
}

// describe names the Thrift exception types, whose messages alone are often
// terse.
func describe(err error) error {
	var me *hive_metastore.MetaException
	var ie *hive_metastore.InvalidOperationException
	var io *hive_metastore.InvalidObjectException
	switch {
	case errors.As(err, &me):
		return fmt.Errorf("MetaException: %s", me.Message)
	case errors.As(err, &ie):
		return fmt.Errorf("InvalidOperationException: %s", ie.Message)
	case errors.As(err, &io):
		return fmt.Errorf("InvalidObjectException: %s", io.Message)
	}
	return err
}

// Databases lists the databases, sorted by name: get_all_databases, then
// get_database for each. A database dropped in between is left out.
func (c *Catalog) Databases(ctx context.Context) ([]shoal.Database, error) {
	var names []string
	err := c.call(ctx, "get_all_databases", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		names, err = cl.GetAllDatabases(ctx)
		return err
	})
	if err != nil {
		return nil, c.wrap(err, "list databases")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	dbs := make([]shoal.Database, 0, len(names))
	for _, name := range names {
		d, err := c.database(ctx, name)
		if shoal.ErrorCode(err) == shoal.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		dbs = append(dbs, d)
	}
	return dbs, nil
}

func (c *Catalog) database(ctx context.Context, name string) (shoal.Database, error) {
	var d *hive_metastore.Database
	err := c.call(ctx, "get_database", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		d, err = cl.GetDatabase(ctx, name)
		return err
	})
	if err == nil && d == nil {
		err = hive_metastore.NewNoSuchObjectException()
	}
	if err != nil {
		return shoal.Database{}, c.wrap(err, "database %q", name)
	}
	return shoal.Database{Name: name, Location: d.LocationUri, Owner: d.GetOwnerName()}, nil
}

// Tables lists the tables of a database, sorted by name: get_database (a
// missing database is ENOTFOUND), get_all_tables, then
// get_table_objects_by_name in chunks of batch_size, or get_table for each
// table when the server does not have that call. A table dropped in between
// is left out. Views are listed with their type; they have no partitions.
func (c *Catalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	if _, err := c.database(ctx, db); err != nil {
		return nil, err
	}
	var names []string
	err := c.call(ctx, "get_all_tables", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		names, err = cl.GetAllTables(ctx, db)
		return err
	})
	if err != nil {
		return nil, c.wrap(err, "list tables of %s", db)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	tables := make([]shoal.Table, 0, len(names))
	for chunk := range slices.Chunk(names, c.cfg.batchSize) {
		got, err := c.tableObjects(ctx, db, chunk)
		if err != nil {
			return nil, err
		}
		for _, t := range got {
			if t != nil {
				tables = append(tables, MapTable(db, t))
			}
		}
	}
	slices.SortFunc(tables, func(a, b shoal.Table) int { return strings.Compare(a.Name, b.Name) })
	tables = slices.CompactFunc(tables, func(a, b shoal.Table) bool { return a.Name == b.Name })
	return tables, nil
}

// tableObjects fetches the named tables; missing ones are left out.
func (c *Catalog) tableObjects(ctx context.Context, db string, names []string) ([]*hive_metastore.Table, error) {
	if !c.noTableObjects.Load() {
		var got []*hive_metastore.Table
		err := c.call(ctx, "get_table_objects_by_name", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
			got, err = cl.GetTableObjectsByName(ctx, db, names)
			return err
		})
		if err == nil {
			return got, nil
		}
		if !unknownMethod(err) {
			return nil, c.wrap(err, "get tables of %s", db)
		}
		c.noTableObjects.Store(true)
	}
	var got []*hive_metastore.Table
	for _, name := range names {
		t, err := c.table(ctx, db, name)
		if shoal.ErrorCode(err) == shoal.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		got = append(got, t)
	}
	return got, nil
}

func (c *Catalog) table(ctx context.Context, db, name string) (*hive_metastore.Table, error) {
	var t *hive_metastore.Table
	err := c.call(ctx, "get_table", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		t, err = cl.GetTable(ctx, db, name)
		return err
	})
	if err == nil && t == nil {
		err = hive_metastore.NewNoSuchObjectException()
	}
	if err != nil {
		return nil, c.wrap(err, "table %s.%s", db, name)
	}
	return t, nil
}

// MapTable maps a Thrift table to a shoal.Table, exactly as hmsdb maps the
// same metadata read from the metastore's database. db is used when the
// table does not name its database.
func MapTable(db string, t *hive_metastore.Table) shoal.Table {
	if t.DbName != "" {
		db = t.DbName
	}
	m := hivemeta.Table{
		Database: db,
		Name:     t.TableName,
		Type:     t.TableType,
		Owner:    t.Owner,
		Params:   t.Parameters,
	}
	for _, k := range t.PartitionKeys {
		if k != nil {
			m.PartitionKeys = append(m.PartitionKeys, k.Name)
		}
	}
	if sd := t.Sd; sd != nil {
		m.Location = sd.Location
		m.InputFormat = sd.InputFormat
		m.OutputFormat = sd.OutputFormat
		m.NumBuckets = int(sd.NumBuckets)
		m.BucketColumns = sd.BucketCols
		if si := sd.SerdeInfo; si != nil {
			m.SerDe = si.SerializationLib
			m.SerDeParams = si.Parameters
		}
	}
	return m.Shoal()
}

// MapPartition maps a Thrift partition to a shoal.Partition. spec is the
// partition's name as get_partition_names returns it; when empty it is
// built from the keys and values.
func MapPartition(keys []string, spec string, p *hive_metastore.Partition) shoal.Partition {
	if spec == "" {
		spec = partName(keys, p.Values)
	}
	sp := shoal.Partition{
		Values:      p.Values,
		Spec:        spec,
		LastDDLTime: hivemeta.UnixTime(p.Parameters["transient_lastDdlTime"]),
	}
	if len(sp.Values) != len(keys) {
		sp.Values = hivemeta.ValuesFromName(spec, len(keys))
	}
	if p.Sd != nil {
		sp.Location = p.Sd.Location
	}
	return sp
}

// partName builds the name Hive gives a partition: lower-case keys, escaped
// values, and the default partition name for empty values.
func partName(keys, values []string) string {
	lk := make([]string, len(keys))
	vs := make([]string, len(keys))
	for i, k := range keys {
		lk[i] = strings.ToLower(k)
		if i < len(values) && values[i] != "" {
			vs[i] = values[i]
		} else {
			vs[i] = shoal.HiveDefaultPartition
		}
	}
	return shoal.PartitionSpec(lk, vs)
}

// Partitions streams the partitions of a table sorted by name:
// get_partition_names, then get_partitions_by_names in chunks of
// batch_size. Only one chunk is held at a time besides the names, and no
// connection is held while fn runs. A partition dropped between the two
// calls is left out. Views, materialized views and unpartitioned tables
// have no partitions; a missing table is ENOTFOUND.
func (c *Catalog) Partitions(ctx context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	if !hivemeta.Scanned(t) {
		return nil
	}
	var names []string
	err := c.call(ctx, "get_partition_names", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		names, err = cl.GetPartitionNames(ctx, t.Database, t.Name, -1)
		return err
	})
	if err != nil {
		return c.wrap(err, "list partitions of %s", t.QualifiedName())
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for chunk := range slices.Chunk(names, c.cfg.batchSize) {
		var got []*hive_metastore.Partition
		err := c.call(ctx, "get_partitions_by_names", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
			got, err = cl.GetPartitionsByNames(ctx, t.Database, t.Name, chunk)
			return err
		})
		if err != nil {
			return c.wrap(err, "get partitions of %s", t.QualifiedName())
		}
		// The reply has the partitions that still exist, in any order.
		// Each is named by its values, as Hive names it; a name that is
		// not among those asked for (a server that escapes differently)
		// is kept as built rather than dropped.
		seen := make(map[string]bool, len(got))
		parts := make([]shoal.Partition, 0, len(got))
		for _, p := range got {
			if p == nil {
				continue
			}
			name := partName(t.PartitionKeys, p.Values)
			if seen[name] {
				continue
			}
			seen[name] = true
			parts = append(parts, MapPartition(t.PartitionKeys, name, p))
		}
		slices.SortFunc(parts, func(a, b shoal.Partition) int { return strings.Compare(a.Spec, b.Spec) })
		for _, p := range parts {
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return nil
}

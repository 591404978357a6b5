package hms

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/beltran/gohive/hive_metastore"

	"github.com/shoalhq/shoal"
)

// EnvironmentContext property that stops the metastore from recomputing
// statistics (by listing the files) when a partition or table is altered;
// Hive's StatsSetupConst.DO_NOT_UPDATE_STATS.
const doNotUpdateStats = "DO_NOT_UPDATE_STATS"

// Relocate switches the location of partition p of t (p nil: the table
// itself) from oldLocation to newLocation: get_partition_by_name (or
// get_table), a check that the location is oldLocation, else ECONFLICT,
// and one alter_partition_with_environment_context (or
// alter_table_with_environment_context) call with DO_NOT_UPDATE_STATS=true,
// falling back to alter_partition (alter_table) on servers without it.
// Every other field of the partition or table is written back unchanged.
//
// The check and the alter are two calls: the Thrift API has no
// compare-and-set, so a change made by another client between them is not
// detected. Shoal's partition lease covers its own workers.
func (c *Catalog) Relocate(ctx context.Context, t *shoal.Table, p *shoal.Partition, oldLocation, newLocation string) error {
	if newLocation == "" {
		return shoal.Errorf(shoal.EINVALID, "relocate %s: empty new location", where(t, p))
	}
	return c.alter(ctx, t, p, "relocate", func(sd *hive_metastore.StorageDescriptor, _ map[string]string) error {
		if !sameLocation(sd.Location, oldLocation) {
			return shoal.Errorf(shoal.ECONFLICT, "relocate %s: location is %q, not %q", where(t, p), sd.Location, oldLocation)
		}
		sd.Location = newLocation
		return nil
	})
}

// UpdateStats sets the numFiles, totalSize and transient_lastDdlTime (now,
// in Unix seconds) parameters of partition p of t (p nil: the table),
// keeping the other parameters, with the same calls as Relocate.
func (c *Catalog) UpdateStats(ctx context.Context, t *shoal.Table, p *shoal.Partition, files, bytes int64) error {
	if files < 0 || bytes < 0 {
		return shoal.Errorf(shoal.EINVALID, "update stats of %s: negative count", where(t, p))
	}
	return c.alter(ctx, t, p, "update stats of", func(_ *hive_metastore.StorageDescriptor, params map[string]string) error {
		params["numFiles"] = strconv.FormatInt(files, 10)
		params["totalSize"] = strconv.FormatInt(bytes, 10)
		params["transient_lastDdlTime"] = strconv.FormatInt(c.now().Unix(), 10)
		return nil
	})
}

func where(t *shoal.Table, p *shoal.Partition) string {
	if p == nil {
		return t.QualifiedName()
	}
	return t.QualifiedName() + " partition " + p.Spec
}

func sameLocation(a, b string) bool {
	return a == b || (strings.TrimRight(a, "/") == strings.TrimRight(b, "/") && strings.TrimRight(a, "/") != "")
}

// alter reads a partition or table, lets edit change its storage
// descriptor and parameters, and writes it back.
func (c *Catalog) alter(ctx context.Context, t *shoal.Table, p *shoal.Partition, verb string,
	edit func(sd *hive_metastore.StorageDescriptor, params map[string]string) error) error {
	what := verb + " " + where(t, p)
	env := &hive_metastore.EnvironmentContext{Properties: map[string]string{doNotUpdateStats: "true"}}
	if p == nil {
		tbl, err := c.table(ctx, t.Database, t.Name)
		if err != nil {
			return err
		}
		if tbl.Sd == nil {
			tbl.Sd = hive_metastore.NewStorageDescriptor()
		}
		tbl.Parameters = maps.Clone(tbl.Parameters)
		if tbl.Parameters == nil {
			tbl.Parameters = map[string]string{}
		}
		if err := edit(tbl.Sd, tbl.Parameters); err != nil {
			return err
		}
		return c.writeBack(ctx, what, "alter_table",
			func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error {
				return cl.AlterTableWithEnvironmentContext(ctx, t.Database, t.Name, tbl, env)
			},
			func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error {
				return cl.AlterTable(ctx, t.Database, t.Name, tbl)
			})
	}
	var part *hive_metastore.Partition
	err := c.call(ctx, "get_partition_by_name", func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) (err error) {
		part, err = cl.GetPartitionByName(ctx, t.Database, t.Name, p.Spec)
		return err
	})
	if err == nil && part == nil {
		err = hive_metastore.NewNoSuchObjectException()
	}
	if err != nil {
		return c.wrap(err, "%s", what)
	}
	if part.Sd == nil {
		part.Sd = hive_metastore.NewStorageDescriptor()
	}
	if part.Parameters == nil {
		part.Parameters = map[string]string{}
	}
	if err := edit(part.Sd, part.Parameters); err != nil {
		return err
	}
	return c.writeBack(ctx, what, "alter_partition",
		func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error {
			return cl.AlterPartitionWithEnvironmentContext(ctx, t.Database, t.Name, part, env)
		},
		func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error {
			return cl.AlterPartition(ctx, t.Database, t.Name, part)
		})
}

// writeBack runs the _with_environment_context call, or the plain one when
// the server lacks it.
func (c *Catalog) writeBack(ctx context.Context, what, method string,
	withEnv, plain func(ctx context.Context, cl *hive_metastore.ThriftHiveMetastoreClient) error) error {
	if !c.noEnvContext.Load() {
		err := c.call(ctx, method+"_with_environment_context", withEnv)
		if err == nil {
			return nil
		}
		if !unknownMethod(err) {
			return c.wrap(err, "%s", what)
		}
		c.noEnvContext.Store(true)
	}
	if err := c.call(ctx, method, plain); err != nil {
		return c.wrap(err, "%s", what)
	}
	return nil
}

package hmsdb_test

import (
	"context"
	"maps"
	"reflect"
	"strconv"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hms"
	"github.com/shoalhq/shoal/hms/hmstest"
)

// TestSameAsThriftCatalog loads the fixture both into a real metastore
// schema and, as Thrift objects, into hms's in-process test server, and
// checks that hmsdb and hms return identical databases, tables and
// partitions.
func TestSameAsThriftCatalog(t *testing.T) {
	t.Parallel()
	sc := schemas[0]
	db := newTestDB(t, sc.srv)
	db.loadSchema(t, sc.file)
	db.exec(t, fixtureSQL()...)
	sqlCat := open(t, db.uri)

	srv := hmstest.Start(t)
	for _, d := range fixtureDBs {
		if d.catalog == "" {
			srv.AddDatabase(d.name, d.loc, d.owner)
		}
	}
	for _, f := range fixtureTables {
		if f.catalog != "" {
			continue
		}
		tt := hmstest.NewTable(f.db, f.name, hmstest.StorageFormat{InputFormat: f.in, OutputFormat: f.out, SerDe: f.serde}, "", f.keys...)
		if f.loc != nil {
			tt.Sd.Location = *f.loc
		}
		tt.TableType, tt.Owner = string(f.typ), f.owner
		tt.Sd.NumBuckets = int32(f.buckets)
		tt.Sd.BucketCols = f.bucketCols
		tt.Parameters = maps.Clone(f.params)
		tt.Sd.SerdeInfo.Parameters = maps.Clone(f.serdeParams)
		srv.AddTable(tt)
		for _, p := range f.parts {
			vals := p.vals
			if vals == nil {
				vals = p.want
			}
			params := map[string]string{"numFiles": "7"}
			if p.ddl != 0 {
				params["transient_lastDdlTime"] = itoa(p.ddl)
			}
			if name := srv.AddPartition(f.db, f.name, hmstest.NewPartition(tt, vals, p.loc, params)); name != p.name {
				t.Fatalf("%s.%s: thrift partition name %q, database has %q", f.db, f.name, name, p.name)
			}
		}
	}
	ctx := context.Background()
	thriftCat, err := hms.Open(ctx, srv.URI())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = thriftCat.Close() }()

	d1, err1 := sqlCat.Databases(ctx)
	d2, err2 := thriftCat.Databases(ctx)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(d1, d2) {
		t.Fatalf("Databases differ:\nhmsdb %+v (%v)\n  hms %+v (%v)", d1, err1, d2, err2)
	}
	for _, d := range d1 {
		t1, err1 := sqlCat.Tables(ctx, d.Name)
		t2, err2 := thriftCat.Tables(ctx, d.Name)
		if err1 != nil || err2 != nil || len(t1) != len(t2) {
			t.Fatalf("Tables(%s): hmsdb %d (%v), hms %d (%v)", d.Name, len(t1), err1, len(t2), err2)
		}
		for i := range t1 {
			a, b := reflect.ValueOf(t1[i]), reflect.ValueOf(t2[i])
			for j := range a.NumField() {
				if !reflect.DeepEqual(a.Field(j).Interface(), b.Field(j).Interface()) {
					t.Errorf("%s.%s: %s: hmsdb %#v, hms %#v", d.Name, t1[i].Name, a.Type().Field(j).Name,
						a.Field(j).Interface(), b.Field(j).Interface())
				}
			}
			p1 := partitions(t, sqlCat, &t1[i])
			p2 := partitions(t, thriftCat, &t2[i])
			if !reflect.DeepEqual(p1, p2) {
				t.Errorf("Partitions(%s.%s):\nhmsdb %+v\n  hms %+v", d.Name, t1[i].Name, p1, p2)
			}
		}
	}
}

func partitions(t *testing.T, c shoal.Catalog, tbl *shoal.Table) []shoal.Partition {
	t.Helper()
	var out []shoal.Partition
	if err := c.Partitions(context.Background(), tbl, func(p shoal.Partition) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatalf("Partitions(%s): %v", tbl.QualifiedName(), err)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

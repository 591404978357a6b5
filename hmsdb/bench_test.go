package hmsdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hmsdb"
)

// benchPartitions is the size of the enumeration benchmark: the issue's
// target is 1,000,000 partitions in under 20 s, in constant memory.
const (
	benchPartitions = 1_000_000
	benchTables     = 10
	benchDB         = "hms_bench_1m"
)

// BenchmarkPartitions1M enumerates every partition of a metastore database
// holding 1,000,000 partitions (10 tables of 100,000, two keys each), on the
// real MariaDB and PostgreSQL servers, with the real Hive 4.1.0 schema. The
// database is generated once, server-side, and kept between runs as
// hms_bench_1m (SHOAL_BENCH_FRESH=1 rebuilds it). It reports seconds per
// enumeration, partitions/s and the peak Go heap sampled every 10,000
// partitions.
func BenchmarkPartitions1M(b *testing.B) {
	for _, srv := range []server{mysqlServer, postgresServer} {
		b.Run(srv.name, func(b *testing.B) {
			uri := benchDatabase(b, srv)
			ctx := context.Background()
			c, err := hmsdb.Open(ctx, uri)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			b.ResetTimer()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				n, p, err := enumerate(ctx, c)
				if err != nil {
					b.Fatal(err)
				}
				if n != benchPartitions {
					b.Fatalf("enumerated %d partitions, want %d", n, benchPartitions)
				}
				peak = max(peak, p)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec, "s/enum")
			b.ReportMetric(benchPartitions/sec, "partitions/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// enumerate walks the whole catalog as a scan does and returns the number
// of partitions and the peak heap in use.
func enumerate(ctx context.Context, c *hmsdb.Catalog) (int, uint64, error) {
	var ms runtime.MemStats
	var peak uint64
	n := 0
	dbs, err := c.Databases(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range dbs {
		tables, err := c.Tables(ctx, d.Name)
		if err != nil {
			return 0, 0, err
		}
		for i := range tables {
			err := c.Partitions(ctx, &tables[i], func(p shoal.Partition) error {
				if len(p.Values) != 2 || p.Location == "" || p.LastDDLTime.IsZero() {
					return fmt.Errorf("partition %s: incomplete %+v", p.Spec, p)
				}
				n++
				if n%10_000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
				return nil
			})
			if err != nil {
				return 0, 0, err
			}
		}
	}
	return n, peak, nil
}

// benchDatabase returns the catalog URI of the benchmark database on srv,
// generating it when it is missing or incomplete.
func benchDatabase(b *testing.B, srv server) string {
	b.Helper()
	dsn := srv.dsn(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var serverDB, db *sql.DB
	var uri string
	var err error
	if srv.name == "mysql" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			b.Fatal(err)
		}
		cfg.DBName = ""
		if serverDB, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
			b.Fatal(err)
		}
		cfg.DBName = benchDB
		if db, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
			b.Fatal(err)
		}
		u := url.URL{Scheme: "hmsdb+mysql", Host: cfg.Addr, Path: "/" + benchDB, User: url.User(cfg.User)}
		if cfg.Passwd != "" {
			u.User = url.UserPassword(cfg.User, cfg.Passwd)
		}
		uri = u.String() + "?query_timeout=5m"
	} else {
		if serverDB, err = sql.Open("pgx", dsn); err != nil {
			b.Fatal(err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			b.Fatal(err)
		}
		u.Path = "/" + benchDB
		if db, err = sql.Open("pgx", u.String()); err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("query_timeout", "5m")
		u.RawQuery = q.Encode()
		u.Scheme = "hmsdb+postgres"
		uri = u.String()
	}
	defer func() { _ = serverDB.Close(); _ = db.Close() }()

	var have int64
	if os.Getenv("SHOAL_BENCH_FRESH") == "" {
		q := `SELECT COUNT(*) FROM "PARTITIONS"`
		if srv.name == "mysql" {
			q = strings.ReplaceAll(q, `"`, "`")
		}
		_ = db.QueryRowContext(ctx, q).Scan(&have)
	}
	if have == benchPartitions {
		return uri
	}
	drop := "DROP DATABASE IF EXISTS " + benchDB
	if srv.name == "postgres" {
		drop += " WITH (FORCE)"
	}
	for _, s := range []string{drop, "CREATE DATABASE " + benchDB} {
		if _, err := serverDB.ExecContext(ctx, s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	d := &testDB{srv: srv, admin: conn}
	start := time.Now()
	file := "hive-schema-4.1.0." + srv.name + ".sql"
	d.loadSchema(b, file)
	for _, q := range benchSQL() {
		if srv.name == "mysql" {
			q = strings.ReplaceAll(q, `"`, "`")
			if t, ok := strings.CutPrefix(q, "ANALYZE "); ok {
				q = "ANALYZE TABLE " + t
			}
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%.200s: %v", q, err)
		}
	}
	b.Logf("generated %d partitions into %s on %s in %s", benchPartitions, benchDB, srv.name, time.Since(start).Round(time.Second))
	return uri
}

// benchSQL fills the metastore server-side: a table of the digits 0..999
// cross-joined with itself gives one row per partition, so that a million
// rows never cross the connection. Partition i = 1000a+b belongs to table
// a%10+1 and is named dt=<a>/hr=<b>.
func benchSQL() []string {
	const (
		in  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
		out = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
		ser = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	)
	s := []string{
		`CREATE TABLE bench_digits (d INT NOT NULL)`,
		insert("DBS", []string{"DB_ID", "DB_LOCATION_URI", "NAME", "OWNER_NAME", "OWNER_TYPE", "CTLG_NAME"},
			1, "hdfs://ns/warehouse/bench.db", "bench", "hive", "USER", "hive"),
		insert("SERDES", []string{"SERDE_ID", "NAME", "SLIB"}, 1, nil, ser),
	}
	var digits []string
	for i := range 1000 {
		digits = append(digits, fmt.Sprintf("(%d)", i))
	}
	s = append(s, `INSERT INTO bench_digits (d) VALUES `+strings.Join(digits, ","))
	for t := 1; t <= benchTables; t++ {
		s = append(s,
			insert("SDS", []string{"SD_ID", "CD_ID", "INPUT_FORMAT", "IS_COMPRESSED", "IS_STOREDASSUBDIRECTORIES", "LOCATION", "NUM_BUCKETS", "OUTPUT_FORMAT", "SERDE_ID"},
				t, nil, in, raw("FALSE"), raw("FALSE"), fmt.Sprintf("hdfs://ns/warehouse/bench.db/t%02d", t), -1, out, 1),
			insert("TBLS", []string{"TBL_ID", "CREATE_TIME", "DB_ID", "LAST_ACCESS_TIME", "OWNER", "OWNER_TYPE", "RETENTION", "SD_ID", "TBL_NAME", "TBL_TYPE"},
				t, 1690000000, 1, 0, "etl", "USER", 0, t, fmt.Sprintf("t%02d", t), "EXTERNAL_TABLE"),
			insert("PARTITION_KEYS", []string{"TBL_ID", "PKEY_COMMENT", "PKEY_NAME", "PKEY_TYPE", "INTEGER_IDX"}, t, nil, "dt", "string", 0),
			insert("PARTITION_KEYS", []string{"TBL_ID", "PKEY_COMMENT", "PKEY_NAME", "PKEY_TYPE", "INTEGER_IDX"}, t, nil, "hr", "string", 1),
		)
	}
	const from = ` FROM bench_digits a, bench_digits b`
	id := `(a.d * 1000 + b.d + 1)`
	s = append(s,
		`INSERT INTO "SDS" ("SD_ID", "CD_ID", "INPUT_FORMAT", "IS_COMPRESSED", "IS_STOREDASSUBDIRECTORIES", "LOCATION", "NUM_BUCKETS", "OUTPUT_FORMAT", "SERDE_ID")
		 SELECT 100 + `+id+`, NULL, '`+in+`', FALSE, FALSE, CONCAT('hdfs://ns/warehouse/bench.db/t', MOD(a.d, 10) + 1, '/dt=', a.d, '/hr=', b.d), -1, '`+out+`', 1`+from,
		`INSERT INTO "PARTITIONS" ("PART_ID", "CREATE_TIME", "LAST_ACCESS_TIME", "PART_NAME", "SD_ID", "TBL_ID")
		 SELECT `+id+`, 1690000000, 0, CONCAT('dt=', a.d, '/hr=', b.d), 100 + `+id+`, MOD(a.d, 10) + 1`+from,
		`INSERT INTO "PARTITION_KEY_VALS" ("PART_ID", "PART_KEY_VAL", "INTEGER_IDX") SELECT `+id+`, CONCAT('', a.d), 0`+from,
		`INSERT INTO "PARTITION_KEY_VALS" ("PART_ID", "PART_KEY_VAL", "INTEGER_IDX") SELECT `+id+`, CONCAT('', b.d), 1`+from,
		`INSERT INTO "PARTITION_PARAMS" ("PART_ID", "PARAM_KEY", "PARAM_VALUE") SELECT `+id+`, 'transient_lastDdlTime', CONCAT('', 1690000000 + b.d)`+from,
		`INSERT INTO "PARTITION_PARAMS" ("PART_ID", "PARAM_KEY", "PARAM_VALUE") SELECT `+id+`, 'numFiles', '7'`+from,
		`DROP TABLE bench_digits`,
	)
	// Planner statistics, as a live metastore has them.
	for _, t := range []string{"SDS", "PARTITIONS", "PARTITION_KEY_VALS", "PARTITION_PARAMS"} {
		s = append(s, `ANALYZE "`+t+`"`)
	}
	return s
}

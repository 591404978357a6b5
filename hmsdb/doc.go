// Package hmsdb implements shoal.Catalog by reading a Hive Metastore's
// backend database (MySQL/MariaDB or PostgreSQL) directly, without the
// Metastore's Thrift service.
//
// # URIs
//
//	hmsdb+mysql://user:pass@host:3306/metastore
//	hmsdb+postgres://user:pass@host:5432/metastore?sslmode=disable
//
// The path is the name of the database that holds the Metastore schema.
// Both schemes accept connect_timeout (default 10s) and query_timeout
// (default 60s), as Go durations ("30s") or whole seconds ("30"). MySQL
// also accepts tls, charset and loc; PostgreSQL accepts sslmode,
// sslrootcert, sslcert, sslkey, application_name and search_path. Any other
// parameter is refused, so that a URI cannot change the session's read-only
// mode. Passwords never appear in error messages.
//
// # Read-only
//
// This reads the metastore's database directly and never writes; merges
// need a Thrift URI for writes. Every session is opened read-only where the
// database allows it: on PostgreSQL the startup parameter
// default_transaction_read_only=on (checked with SHOW transaction_read_only
// when the catalog opens), on MySQL and MariaDB SET SESSION TRANSACTION
// READ ONLY on each new connection before use. The database user should
// still be granted SELECT only.
//
// # Schema versions
//
// Open reads SCHEMA_VERSION from the VERSION table and accepts the Hive 3.x
// and 4.x schemas (tested with 3.1.0 and 4.1.0 on MariaDB 10.11 and
// PostgreSQL 15); any other version, or an empty VERSION table, is an
// EINVALID error naming it. Only the databases of the default catalog
// "hive" are listed when DBS has CTLG_NAME. On PostgreSQL the Hive schema
// quotes its core table names in upper case ("DBS", "TBLS", ...), and so do
// the queries here.
//
// # Queries
//
// Databases is one query; Tables is six queries per database, whatever the
// number of tables. Partitions runs one streaming query per table ordered by
// PART_NAME (in byte order on both databases), joining SDS and the
// transient_lastDdlTime row of PARTITION_PARAMS, so that no table's
// partitions are ever all held in memory. Partition values are decoded from
// PART_NAME, which Hive derives from them with a reversible escaping, rather
// than joined from PARTITION_KEY_VALS (one row per key). On MySQL and
// MariaDB the query names an index of PARTITIONS that starts with TBL_ID
// (found in information_schema when the catalog opens): without the hint the
// optimizer scans the whole PARTITIONS table once per table. Enumerating
// 1,000,000 partitions takes about 12 s on either database with a heap of
// about 5 MiB (BenchmarkPartitions1M, docs/benchmarks.md). The query
// timeout bounds the wait for the first row of that query, not the time the
// caller's callback spends; on MySQL the session's net_write_timeout is
// raised to an hour so that a slow caller does not lose the connection.
//
// # Tests
//
// The integration tests run against real servers named by environment
// variables, and skip when one is unset unless SHOAL_REQUIRE_INTEGRATION=1:
//
//	SHOAL_TEST_MYSQL=root@tcp(127.0.0.1:3306)/                           # go-sql-driver DSN, no database
//	SHOAL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// Each test creates its own database hms_test_<random>, loads a real Hive
// schema file from the real-data folder, inserts metadata and drops the
// database when done.
package hmsdb

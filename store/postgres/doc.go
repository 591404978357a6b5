// Package postgres implements shoal.Store on PostgreSQL, for production and
// for several Shoal servers and workers that share one database.
//
// It uses pgx through a pgxpool.Pool, which the job queue (River) shares.
// Open does not change the schema: call Migrate, which applies the embedded
// goose migrations under migrations/, one process at a time (an advisory
// lock), in the first schema of the connection's search_path. The indexes are
// built CONCURRENTLY, so that a new index on a large database blocks no
// writer, and every migration is idempotent.
//
// # Schema
//
// scans holds one row per scan, with its thresholds, progress and totals as
// columns. table_stats holds one row per table of a snapshot and
// partition_stats one row per partition; a partition row references its
// table row by an integer id and repeats the scan id. Derived sort keys
// (small_ratio, avg_size) are stored columns, so that sorted pages are read
// from indexes: (table_id, key, spec) for each sort key of one table's
// partitions, (scan_id, key, spec, table_id) for the top partitions of a
// snapshot by small files, files, reducible files and bytes, and (scan_id,
// key, name) for tables. Counts of rows per table and per snapshot make page
// totals cheap.
//
// A SnapshotWriter copies each batch of partitions into a temporary table
// with COPY, then inserts them from there in one statement.
//
// Times are timestamptz. Names and specs use the "C" collation, so that they
// sort bytewise as in the SQLite store. Histograms are comma-separated
// counts without trailing zeros.
package postgres

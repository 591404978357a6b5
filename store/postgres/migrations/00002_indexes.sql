-- Secondary indexes, built CONCURRENTLY so that adding one to a large
-- database does not block writers. CONCURRENTLY cannot run in a transaction:
-- goose runs each statement on its own. An index that failed midway is left
-- INVALID, and IF NOT EXISTS would then skip it: the next migration drops
-- it first (see Store.MigrateTo), and builds it again.

-- +goose NO TRANSACTION
-- +goose Up
-- Snapshots are ordered by finish time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS scans_state_finished ON scans (state, finished_at, id);

-- Trends of one table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_db_tbl ON table_stats (db, tbl);
-- One index per sort key of tables, so that a sorted page reads only its rows.
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_name ON table_stats (scan_id, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_files ON table_stats (scan_id, files, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_bytes ON table_stats (scan_id, bytes, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_small_files ON table_stats (scan_id, small_files, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_small_ratio ON table_stats (scan_id, small_ratio, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_namenode_heap ON table_stats (scan_id, namenode_heap, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_reducible_files ON table_stats (scan_id, reducible_files, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_avg_size ON table_stats (scan_id, avg_size, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_newest_mtime ON table_stats (scan_id, newest_mtime, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS table_stats_scan_partitions ON table_stats (scan_id, partitions, name);

-- One table's partitions by each sort key, ties broken by spec.
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_files ON partition_stats (table_id, files, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_bytes ON partition_stats (table_id, bytes, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_small_files ON partition_stats (table_id, small_files, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_small_ratio ON partition_stats (table_id, small_ratio, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_namenode_heap ON partition_stats (table_id, namenode_heap, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_reducible_files ON partition_stats (table_id, reducible_files, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_avg_size ON partition_stats (table_id, avg_size, spec);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_table_newest_mtime ON partition_stats (table_id, newest_mtime, spec);
-- The top partitions of a snapshot by the most used sort keys, ties broken
-- by spec, then by table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_scan_small_files ON partition_stats (scan_id, small_files, spec, table_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_scan_files ON partition_stats (scan_id, files, spec, table_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_scan_reducible_files ON partition_stats (scan_id, reducible_files, spec, table_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_scan_bytes ON partition_stats (scan_id, bytes, spec, table_id);
-- Partitions whose listing failed, which are few.
CREATE INDEX CONCURRENTLY IF NOT EXISTS partition_stats_errors ON partition_stats (scan_id, table_id) WHERE error <> '';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS scans_state_finished;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_db_tbl;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_name;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_files;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_bytes;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_small_files;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_small_ratio;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_namenode_heap;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_reducible_files;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_avg_size;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_newest_mtime;
DROP INDEX CONCURRENTLY IF EXISTS table_stats_scan_partitions;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_bytes;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_small_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_small_ratio;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_namenode_heap;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_reducible_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_avg_size;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_table_newest_mtime;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_scan_small_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_scan_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_scan_reducible_files;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_scan_bytes;
DROP INDEX CONCURRENTLY IF EXISTS partition_stats_errors;

// Package sqlite implements shoal.Store on an embedded SQLite database, the
// default store of a single Shoal server.
//
// It uses modernc.org/sqlite (pure Go) in WAL mode. Every pooled connection
// gets a busy timeout, synchronous=NORMAL, foreign keys, an in-memory
// temp store and a memory map, and begins its transactions with BEGIN
// IMMEDIATE, so that a writer waits for the lock instead of failing on a lock
// upgrade. SQLite has a single writer and the job queue (River) writes to the
// same file through DB, so every write transaction here is short: a
// SnapshotWriter commits each batch on its own, and deletions run in batches
// of a few thousand rows. Do not limit DB to one connection: reads run in
// parallel in WAL mode, and the hot queries need it.
//
// Open does not change the schema: call Migrate, which applies the embedded
// goose migrations under migrations/.
//
// # Schema
//
// scans holds one row per scan, with its thresholds, progress and totals as
// columns, and the number of table and partition rows of its snapshot.
// table_stats holds one row per table of a snapshot and partition_stats one
// row per partition; a partition row references its table row by an integer
// id. A table or partition is stored whole in a packed binary record (see
// record.go), so that a read decodes one column instead of twenty: the
// driver takes a lock for every column of every row. The columns beside the
// record repeat what queries filter, sort and sum on, derived sort keys
// (small_ratio, avg_size) included, so that sorted pages come from indexes:
// (scan_id, key, name) for tables and (table_id, key, spec) for one table's
// partitions.
//
// Partitions are ranked across a snapshot without an index over the whole
// snapshot, which would cost a random insert per partition and sort key
// while a snapshot is written. Each table row bounds the sort keys of its
// partitions instead (the pmin_ and pmax_ columns), and a ranking visits the
// tables best bound first, reading each table's best partitions from its own
// index, until no table left can beat the page's last partition.
//
// Times are Unix microseconds in UTC. The zero time is NULL in scans and
// keeps its own value (year 1) in statistics, where it sorts before every
// other time. The histogram of a scan's totals is its comma-separated
// counts, without trailing zeros.
//
// SQLite prepares a statement again whenever a parameter of its LIMIT
// changes, so page bounds are written into the SQL, and the Store keeps the
// statements it prepares.
package sqlite

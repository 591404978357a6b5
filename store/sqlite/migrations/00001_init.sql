-- Scans, table statistics and partition statistics.
--
-- Times are Unix microseconds (UTC). The zero time is NULL in scans, and its
-- own value (year 1) in statistics, where it sorts before every other time.
-- The histogram of a scan's totals is its comma-separated bucket counts,
-- without trailing zeros.
--
-- The statistics of a table or partition are stored whole in data, a packed
-- record (see record.go) that a read decodes from one column. The columns
-- beside it repeat what queries filter, sort and sum on.

-- +goose Up
CREATE TABLE IF NOT EXISTS scans (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog           TEXT    NOT NULL DEFAULT '',
    state             TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    error             TEXT    NOT NULL DEFAULT '',
    job_id            INTEGER NOT NULL DEFAULT 0,
    -- Thresholds.
    small_file_size   INTEGER NOT NULL DEFAULT 0,
    target_file_size  INTEGER NOT NULL DEFAULT 0,
    block_size        INTEGER NOT NULL DEFAULT 0,
    -- Progress.
    partitions_done   INTEGER NOT NULL DEFAULT 0,
    partitions_total  INTEGER NOT NULL DEFAULT 0,
    total_known       INTEGER NOT NULL DEFAULT 0,
    tables_done       INTEGER NOT NULL DEFAULT 0,
    tables_total      INTEGER NOT NULL DEFAULT 0,
    progress_files    INTEGER NOT NULL DEFAULT 0,
    progress_bytes    INTEGER NOT NULL DEFAULT 0,
    progress_errors   INTEGER NOT NULL DEFAULT 0,
    rate              REAL    NOT NULL DEFAULT 0,
    eta               INTEGER NOT NULL DEFAULT 0, -- nanoseconds
    -- Totals.
    databases         INTEGER NOT NULL DEFAULT 0,
    tables            INTEGER NOT NULL DEFAULT 0,
    partitions        INTEGER NOT NULL DEFAULT 0,
    files             INTEGER NOT NULL DEFAULT 0,
    bytes             INTEGER NOT NULL DEFAULT 0,
    small_files       INTEGER NOT NULL DEFAULT 0,
    blocks            INTEGER NOT NULL DEFAULT 0,
    namenode_heap     INTEGER NOT NULL DEFAULT 0,
    files_after_merge INTEGER NOT NULL DEFAULT 0,
    reducible_files   INTEGER NOT NULL DEFAULT 0,
    error_partitions  INTEGER NOT NULL DEFAULT 0,
    histogram         TEXT    NOT NULL DEFAULT '',
    -- The table and partition rows of the scan's snapshot.
    table_rows        INTEGER NOT NULL DEFAULT 0,
    partition_rows    INTEGER NOT NULL DEFAULT 0
);

-- Snapshots are ordered by finish time.
CREATE INDEX IF NOT EXISTS scans_state_finished ON scans (state, finished_at, id);

-- One row per table of a snapshot. A row may be created by the partitions of
-- its table before the table's own statistics arrive (data is then empty).
-- part_rows counts the partition rows that reference it, and the pmin_ and
-- pmax_ columns bound their sort keys (NULL when there are none), so that
-- partitions can be ranked across a snapshot by visiting only the tables
-- that may hold the best.
CREATE TABLE IF NOT EXISTS table_stats (
    id                   INTEGER PRIMARY KEY,
    scan_id              INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    db                   TEXT    NOT NULL,
    tbl                  TEXT    NOT NULL,
    name                 TEXT    NOT NULL, -- db || '.' || tbl
    format               TEXT    NOT NULL DEFAULT '',
    partitions           INTEGER NOT NULL DEFAULT 0,
    files                INTEGER NOT NULL DEFAULT 0,
    bytes                INTEGER NOT NULL DEFAULT 0,
    small_files          INTEGER NOT NULL DEFAULT 0,
    small_ratio          REAL    NOT NULL DEFAULT 0,
    avg_size             INTEGER NOT NULL DEFAULT 0,
    namenode_heap        INTEGER NOT NULL DEFAULT 0,
    reducible_files      INTEGER NOT NULL DEFAULT 0,
    newest_mtime         INTEGER NOT NULL DEFAULT -62135596800000000,
    data                 BLOB    NOT NULL DEFAULT x'',
    part_rows            INTEGER NOT NULL DEFAULT 0,
    pmin_spec            TEXT,
    pmax_spec            TEXT,
    pmin_files           INTEGER,
    pmax_files           INTEGER,
    pmin_bytes           INTEGER,
    pmax_bytes           INTEGER,
    pmin_small_files     INTEGER,
    pmax_small_files     INTEGER,
    pmin_small_ratio     REAL,
    pmax_small_ratio     REAL,
    pmin_namenode_heap   INTEGER,
    pmax_namenode_heap   INTEGER,
    pmin_reducible_files INTEGER,
    pmax_reducible_files INTEGER,
    pmin_avg_size        INTEGER,
    pmax_avg_size        INTEGER,
    pmin_newest_mtime    INTEGER,
    pmax_newest_mtime    INTEGER
);

CREATE UNIQUE INDEX IF NOT EXISTS table_stats_scan_db_tbl ON table_stats (scan_id, db, tbl);
CREATE INDEX IF NOT EXISTS table_stats_db_tbl ON table_stats (db, tbl);
-- One index per sort key, so that a sorted page reads only its rows.
CREATE INDEX IF NOT EXISTS table_stats_scan_name ON table_stats (scan_id, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_files ON table_stats (scan_id, files, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_bytes ON table_stats (scan_id, bytes, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_small_files ON table_stats (scan_id, small_files, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_small_ratio ON table_stats (scan_id, small_ratio, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_namenode_heap ON table_stats (scan_id, namenode_heap, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_reducible_files ON table_stats (scan_id, reducible_files, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_avg_size ON table_stats (scan_id, avg_size, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_newest_mtime ON table_stats (scan_id, newest_mtime, name);
CREATE INDEX IF NOT EXISTS table_stats_scan_partitions ON table_stats (scan_id, partitions, name);

-- The tables of a snapshot in the order of the bounds of their partitions'
-- sort keys, for rankings. Bounds are NULL where a table has no partition
-- rows left, so these stay small once old snapshots are pruned.
CREATE INDEX IF NOT EXISTS table_stats_pmin_spec ON table_stats (scan_id, pmin_spec) WHERE pmin_spec IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_spec ON table_stats (scan_id, pmax_spec) WHERE pmax_spec IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_files ON table_stats (scan_id, pmin_files) WHERE pmin_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_files ON table_stats (scan_id, pmax_files) WHERE pmax_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_bytes ON table_stats (scan_id, pmin_bytes) WHERE pmin_bytes IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_bytes ON table_stats (scan_id, pmax_bytes) WHERE pmax_bytes IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_small_files ON table_stats (scan_id, pmin_small_files) WHERE pmin_small_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_small_files ON table_stats (scan_id, pmax_small_files) WHERE pmax_small_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_small_ratio ON table_stats (scan_id, pmin_small_ratio) WHERE pmin_small_ratio IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_small_ratio ON table_stats (scan_id, pmax_small_ratio) WHERE pmax_small_ratio IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_namenode_heap ON table_stats (scan_id, pmin_namenode_heap) WHERE pmin_namenode_heap IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_namenode_heap ON table_stats (scan_id, pmax_namenode_heap) WHERE pmax_namenode_heap IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_reducible_files ON table_stats (scan_id, pmin_reducible_files) WHERE pmin_reducible_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_reducible_files ON table_stats (scan_id, pmax_reducible_files) WHERE pmax_reducible_files IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_avg_size ON table_stats (scan_id, pmin_avg_size) WHERE pmin_avg_size IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_avg_size ON table_stats (scan_id, pmax_avg_size) WHERE pmax_avg_size IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmin_newest_mtime ON table_stats (scan_id, pmin_newest_mtime) WHERE pmin_newest_mtime IS NOT NULL;
CREATE INDEX IF NOT EXISTS table_stats_pmax_newest_mtime ON table_stats (scan_id, pmax_newest_mtime) WHERE pmax_newest_mtime IS NOT NULL;

-- One row per partition of a snapshot (one for an unpartitioned table). Every
-- index leads with table_id, so that the rows a batch writes land in few
-- pages: an index on (scan_id, key) would take a random insert per row.
CREATE TABLE IF NOT EXISTS partition_stats (
    id              INTEGER PRIMARY KEY,
    table_id        INTEGER NOT NULL REFERENCES table_stats (id) ON DELETE CASCADE,
    spec            TEXT    NOT NULL,
    files           INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    small_files     INTEGER NOT NULL,
    small_ratio     REAL    NOT NULL,
    avg_size        INTEGER NOT NULL,
    namenode_heap   INTEGER NOT NULL,
    reducible_files INTEGER NOT NULL,
    newest_mtime    INTEGER NOT NULL,
    failed          INTEGER NOT NULL, -- 1 when the listing failed
    data            BLOB    NOT NULL
);

-- One table's partitions by each sort key, ties broken by spec.
CREATE UNIQUE INDEX IF NOT EXISTS partition_stats_table_spec ON partition_stats (table_id, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_files ON partition_stats (table_id, files, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_bytes ON partition_stats (table_id, bytes, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_small_files ON partition_stats (table_id, small_files, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_small_ratio ON partition_stats (table_id, small_ratio, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_namenode_heap ON partition_stats (table_id, namenode_heap, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_reducible_files ON partition_stats (table_id, reducible_files, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_avg_size ON partition_stats (table_id, avg_size, spec);
CREATE INDEX IF NOT EXISTS partition_stats_table_newest_mtime ON partition_stats (table_id, newest_mtime, spec);
-- Partitions whose listing failed are few.
CREATE INDEX IF NOT EXISTS partition_stats_table_failed ON partition_stats (table_id) WHERE failed = 1;

-- +goose Down
DROP TABLE IF EXISTS partition_stats;
DROP TABLE IF EXISTS table_stats;
DROP TABLE IF EXISTS scans;

// Package demo generates Hive warehouses on local disk: a realistic demo for
// the dashboard and for end-to-end tests, and a bare tree of a million tiny
// files for benchmarks.
//
// # The demo warehouse
//
// Generate writes real data files: Parquet (parquet-go, snappy and zstd),
// Avro object container files (hamba/avro, snappy and deflate), ORC
// (scritchley/orc, ZLIB and uncompressed), CSV with a header, Hive default
// text with \x01 separators and gzip-compressed text. Its 13 tables mimic the
// writers that cause small files:
//
//	web.clickstream            parquet   dt              Spark streaming sink, hundreds of files a day
//	web.page_views             avro      dt/hour         Kafka Connect HDFS sink
//	web.sessions               parquet   dt/country      nightly Spark job, with __HIVE_DEFAULT_PARTITION__
//	sales.orders               parquet   dt              nightly Spark job with _SUCCESS markers
//	sales.order_items          orc       dt              Hive INSERT OVERWRITE plus _copy_1 appends
//	sales.customers            parquet   (none)          unpartitioned, one INSERT INTO a day
//	logs.app_logs              text+gzip dt/hour         Flume HDFS sink
//	logs.audit_events          text      batch_ts        Hive text with escaped ':' and zero-byte files
//	finance.ledger             parquet   dt              healthy: one or two large files a day
//	finance.gl_entries         orc       dt              healthy: one large file a day
//	finance.fx_rates           text      dt              CSV, one tiny file a business day
//	default.staging_uploads    text      (none)          CSV with Hadoop .crc files
//	default.web_events_backup  avro      dt              Hive backup, with a leftover _temporary/
//
// The tree also holds the cases a scanner must get right: hidden files and
// directories (_SUCCESS, .crc, _temporary/, _spark_metadata/, .hive-staging,
// Flume's in-use .tmp), empty partitions, zero-byte files and partition
// values that need Hive escaping. File and directory mtimes fall inside each
// partition's day, counted back from Options.Now, so recent partitions are
// hot and old ones cold.
//
// Sizes follow three classes, see Class: scanned with Thresholds (small
// files below 1 MiB, merge target 4 MiB), every file of a streaming or batch
// table is small, and no healthy partition has anything to merge. At Scale 1
// the demo has about 2,700 visible files and 140 MB.
//
// The returned Manifest is the generator's ground truth, partition by
// partition, for tests of scanners to compare against. The same seed, Now
// and Scale give the same tree, byte for byte.
//
// # The benchmark tree
//
// GenerateTree writes <dir>/bench.db/t<NN>/dt=<i>/part-<j> with files of a
// few bytes, as fast as the file system allows.
package demo

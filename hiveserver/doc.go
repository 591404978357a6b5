// Package hiveserver merges partitions on the cluster, through HiveServer2
// or Kyuubi, for the formats and sizes Shoal's in-process mergers should
// not take (SequenceFile, RCFile, ACID tables, very large partitions). It is
// how Shoal scales past one machine: the work runs as Hive (Tez, MapReduce)
// or Spark jobs.
//
// It uses github.com/beltran/gohive for the connection (Thrift binary
// transport, with SASL PLAIN or without SASL, or HTTP) and the session, and
// runs every statement asynchronously, polling its state, so that a
// cancelled context cancels the operation on the server (CancelOperation).
//
// # Strategies
//
// Choose picks one per partition:
//
//   - StrategyCompact for ACID and insert-only tables (transactional=true):
//     ALTER TABLE `db`.`t` PARTITION (k='v') COMPACT 'major', then SHOW
//     COMPACTIONS is polled (compaction_poll) until that compaction of that
//     partition is "succeeded" or "ready for cleaning"; "failed", "did not
//     initiate", "attempted", "refused" and "aborted" are errors, and the
//     wait ends after compaction_timeout (the compaction goes on in Hive).
//     Ours is the compaction with an id larger than any listed before the
//     request, or one still initiated/working (Hive 3 joins a request to a
//     queued compaction of the same partition); on Hive 2, which lists no
//     ids, a row not listed before. Columns are found by name, and the
//     header row Hive 2 and 3 put in the data is skipped.
//   - StrategyConcatenate for RCFile, and for ORC partitions of at least
//     ChooseOptions.ConcatenateORCAbove bytes (0, the default, never):
//     ALTER TABLE `db`.`t` PARTITION (…) CONCATENATE, with
//     hive.merge.orcfile.stripe.level=true for ORC. Hive merges blocks or
//     stripes without decoding rows. Not for bucketed tables, which Hive
//     refuses to concatenate.
//   - StrategyInsertOverwrite otherwise: INSERT OVERWRITE TABLE `db`.`t`
//     PARTITION (k='v') SELECT <non-partition columns> FROM `db`.`t` WHERE
//     k='v', after the SET statements below.
//
// The SET statements before INSERT OVERWRITE (Hive dialect):
//
//	SET hive.merge.mapfiles=true
//	SET hive.merge.mapredfiles=true
//	SET hive.merge.tezfiles=true
//	SET hive.merge.sparkfiles=true
//	SET hive.merge.size.per.task=<Request.TargetBytes>
//	SET hive.merge.smallfiles.avgsize=<Request.SmallBytes, or TargetBytes>
//	SET hive.enforce.bucketing=true                 bucketed tables (Hive 1.x;
//	                                                later versions always keep
//	                                                bucketing and ignore it)
//	SET hive.exec.dynamic.partition=true            only for a NULL partition
//	SET hive.exec.dynamic.partition.mode=nonstrict  value, see below
//	SET hive.compute.query.using.stats=false
//
// The columns come from Request.Columns or, when empty, from DESCRIBE (the
// names before the first empty or "#" row, partition keys left out). A
// partition value that is Hive's default partition
// (__HIVE_DEFAULT_PARTITION__, a NULL) cannot be named statically: that key
// and the keys after it become dynamic (PARTITION (k1='v', k2), selected
// with k2 IS NULL).
//
// Refused, as *shoal.RefusalError: views, partitions of mixed formats,
// text tables with skip.header.line.count or skip.footer.line.count (INSERT
// OVERWRITE would drop the header or footer lines of every file), and,
// through Kyuubi's Spark engine, ACID and bucketed tables.
//
// Through kyuubi:// with the default SPARK_SQL engine the dialect is
// Spark's: no CONCATENATE or COMPACT, and INSERT OVERWRITE runs with
// spark.sql.hive.convertMetastoreParquet/Orc=false (the Hive SerDe write
// path, which may overwrite the partition it reads), adaptive execution
// with spark.sql.adaptive.advisoryPartitionSizeInBytes=<target>, and a
// /*+ COALESCE(n) */ hint, n = ceil(partition bytes / target), or
// /*+ REBALANCE */ (Spark 3.2+) when the size is unknown. With
// engine=HIVE_SQL the Hive dialect applies.
//
// # Safety checks
//
// Merge counts the partition's rows (SELECT COUNT(*) … WHERE <partition
// predicate>, with hive.compute.query.using.stats=false so that Hive reads
// the data instead of trusting statistics) before and after, for every
// strategy, and returns *CountMismatchError (code EINTERNAL) when they
// differ. The check detects, it does not prevent: INSERT OVERWRITE and
// CONCATENATE have replaced the files by then. The partition must be cold
// (the policy's min_age), since a concurrent writer also changes the count.
//
// Identifiers are quoted with backticks (embedded backticks doubled).
// String literals are quoted with single quotes; ' and \ are escaped with a
// backslash, and control characters and '$' are written as octal escapes
// (\012, \044): statements stay on one line and contain no "${", which
// Hive's and Spark's variable substitution would expand even inside a
// literal. Values are always quoted; Hive casts them for numeric partition
// columns.
//
// # URI
//
//	hive2://host[:port]/[database]?param=value&…
//	kyuubi://host[:port]/[database]?param=value&…
//
// Ports default to 10000 (hive2), 10001 (hive2, http), 10009 (kyuubi) and
// 10010 (kyuubi, http). The database is for display: statements always
// name it. Parameters (anything else is refused):
//
//	auth                NONE (default: SASL PLAIN, any password), NOSASL,
//	                    LDAP (user and password required), KERBEROS (only
//	                    in builds with -tags kerberos, else ENOTIMPLEMENTED)
//	user, password      the session user (default: the OS user) and
//	                    password; never printed (Config.String masks it)
//	service             Kerberos service name (default hive)
//	transport           binary (default) or http
//	http_path           default cliservice
//	ssl                 true for TLS (system roots, host name checked)
//	queue               YARN queue: mapreduce.job.queuename and
//	                    tez.queue.name (Hive), spark.yarn.queue (Spark)
//	engine              kyuubi only: SPARK_SQL or HIVE_SQL, sent as
//	                    kyuubi.engine.type
//	conf.KEY=VALUE      any session configuration sent with OpenSession
//	timeout             one statement (default 4h); the statement is
//	                    cancelled on the server when it passes
//	connect_timeout     connecting and opening the session (default 30s)
//	socket_timeout      every socket read and write (default 5m); bounds an
//	                    unresponsive server
//	poll_interval       longest wait between operation polls (default 2s)
//	compaction_timeout  waiting for a compaction (default 12h)
//	compaction_poll     between SHOW COMPACTIONS (default 30s)
//
// Hive settings in the session configuration are sent as
// "set:hiveconf:KEY" for hive2:// (as Hive's JDBC driver does) and as
// plain keys for kyuubi://.
//
// A Client is safe for concurrent use. Each Merge runs in one session
// (SET statements apply to the statements after them), taken from a pool
// of up to two idle sessions or opened for it; a session whose connection
// failed is discarded.
//
// # Testing
//
// The protocol is tested only against the in-process TCLIService server in
// hiveserver/hs2test (binary transport with and without SASL PLAIN, and
// HTTP), through gohive's real client. It is untested against a real
// HiveServer2 or Kyuubi: the SQL, the session configuration keys, the SHOW
// COMPACTIONS layouts and the Spark hints follow Hive's and Spark's
// documentation and source, not a run on a cluster. Kerberos and TLS are
// untested.
package hiveserver

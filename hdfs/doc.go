// Package hdfs is the shoal.WritableFS over HDFS, a thin adapter over
// github.com/colinmarc/hdfs/v2 (pure Go, Hadoop RPC and the DataNode
// transfer protocol; no JVM, no libhdfs).
//
// # No HDFS runs in CI
//
// No HDFS cluster runs in CI or on a developer machine by default. The
// adapter's file operations are exercised only by the shared contract suite
// (fstest.Run), and only when SHOAL_TEST_HDFS names a scratch directory on a
// real cluster:
//
//	HADOOP_CONF_DIR=/etc/hadoop/conf SHOAL_TEST_HDFS=hdfs://ns/tmp/shoal-test \
//	    go test -run TestContract ./hdfs/
//
// Without it that test skips. What runs everywhere: the parsing of the
// Hadoop configuration (unit tests on XML fixtures in testdata, and
// FuzzParseConf), URI splitting, Kerberos credential errors, error mapping,
// and the timeouts against a closed port and a listener that never answers.
//
// # URIs
//
// Paths are hdfs://nameservice/path (an HA or federated nameservice of the
// configuration) or hdfs://host:port/path (one NameNode). hdfs:///path and
// plain /path use fs.defaultFS. An authority without a port that is not a
// configured nameservice is an error rather than a guess at port 8020. The
// path is used literally, never percent-decoded, because Hive's escaped
// partition values (dt=10%3A00) are the directory names themselves.
// FileInfo.Path keeps the form the caller used. The FS keeps one client, one
// NameNode connection, per authority.
//
// # Configuration
//
// Options.ConfDir, else HADOOP_CONF_DIR, holds core-site.xml and
// hdfs-site.xml (hdfs-site.xml wins where both set a property). Read from
// them: fs.defaultFS; dfs.nameservices, dfs.ha.namenodes.<ns> and
// dfs.namenode.rpc-address.<ns>.<nn> (HA, NameNodes tried in the listed
// order, failing over on a StandbyException or a dead connection) or
// dfs.namenode.rpc-address.<ns> (federation); hadoop.security.authentication
// and dfs.namenode.kerberos.principal; dfs.data.transfer.protection (the
// highest listed level is asked for) and dfs.encrypt.data.transfer;
// dfs.client.use.datanode.hostname; dfs.replication and dfs.blocksize for
// new files (128m-style suffixes accepted). A directory that does not exist
// or holds neither file, XML that does not parse, and a bad value of any of
// these properties are EINVALID errors that name the file and the property,
// reported by New. ${variables} and XInclude are not supported. Without
// Kerberos the HDFS user is Options.User, else HADOOP_USER_NAME, else the OS
// user.
//
// # Kerberos
//
// With hadoop.security.authentication=kerberos, New logs in with
// Options.Keytab as Options.Principal (gokrb5; the realm defaults to
// krb5.conf's default_realm), or, without a keytab, loads the ticket cache
// (Options.CCache, else KRB5CCNAME, else /tmp/krb5cc_<uid>; file caches
// only) left by kinit. krb5.conf is Options.KerberosConfig, else
// KRB5_CONFIG, else /etc/krb5.conf. The NameNode's principal is
// dfs.namenode.kerberos.principal, with _HOST replaced by each NameNode's
// host name as Hadoop does. No credentials, an unreadable keytab or cache,
// or an expired cached ticket are EINVALID errors from New. A keytab login
// renews itself; a ticket cache is not renewed by Shoal, so long-running
// processes should use a keytab.
//
// # Rate limit and timeouts
//
// Options.OpsPerSecond is a token bucket in front of the NameNode: each
// Stat, Open, OpenFile, Create, Mkdir, Rename, RemoveAll, Link and SyncDir,
// and each List batch of up to 1000 entries, waits for one token (the wait
// honours the context). The library's calls take no context, so a call in
// flight is bounded by Options.Timeout instead: dials, and every read and
// write on NameNode and DataNode connections, must make progress within it.
// A closed port, all NameNodes down or a NameNode that stops answering is
// an EUNAVAILABLE error; the failed connection is discarded, and the next
// call connects again. A read (Stat, List before its first entry, Open,
// OpenFile, SyncDir) that fails on a connection made by an earlier call is
// tried once more on a new one, so that a NameNode failover or restart does
// not fail it; changes are never retried. The library renews file leases
// once a second on each connection, outside the rate limit.
//
// # Write semantics
//
// Create fails with fs.ErrExist on an existing path (the NameNode checks
// atomically) and with fs.ErrNotExist when the parent is missing; new files
// get mode 0644 and dfs.replication and dfs.blocksize, or the NameNode's
// defaults. FS.CreateWith sets replication and block size per file, so that
// a merged file can keep those of its inputs. WriteFile.Sync sends buffered
// packets to the DataNodes without waiting (the library has hflush, not
// hsync); Close waits for every acknowledgement and completes the file,
// retrying while the NameNode waits for the last block's replicas.
//
// Rename fails with fs.ErrExist when the target exists. HDFS's rename2 is
// atomic and can refuse to overwrite, but the library only exposes it with
// overwriting on, so Rename checks the target first: a target created by
// another client between the check and the rename would be replaced if it
// is a file or an empty directory (HDFS never overwrites a non-empty
// directory). Shoal's own renames go to names it has just chosen, under a
// partition lease, so this window is not reachable by Shoal itself.
//
// Link copies, because HDFS has no hard links; the copy keeps the source's
// replication and block size, and costs a full read and write. SyncDir only
// checks that the directory exists: the NameNode logs an edit durably
// before acknowledging it. Mkdir creates mode 0755 directories, one level.
// RemoveAll refuses the root directory.
//
// # Errors
//
// As in localfs, a missing path is an error with code ENOTFOUND that also
// satisfies errors.Is(err, fs.ErrNotExist), and an existing one (Create,
// Mkdir, Rename) satisfies errors.Is(err, fs.ErrExist) with code ECONFLICT.
// Permission denied satisfies fs.ErrPermission and names the HDFS user. A
// NameNode in safe mode or standby is EUNAVAILABLE.
package hdfs

// Package hms implements shoal.Catalog and shoal.CatalogWriter over the Hive
// Metastore Thrift API, with gohive's generated Thrift bindings
// (github.com/beltran/gohive/hive_metastore) and Apache Thrift's Go
// library.
//
// # URIs
//
//	thrift://hms1:9083
//	thrift://hms1:9083,hms2:9083?connect_timeout=5s&read_timeout=2m
//	thrift://alice:secret@hms1:9083?auth=PLAIN
//	thrift://hms1:9083?auth=KERBEROS&service=hive
//
// Hosts are tried in the order given (failover, not load balancing); the
// port defaults to 9083 and IPv6 addresses are written in brackets. No
// path is allowed. Parameters, anything else being refused with EINVALID:
//
//	auth             NOSASL (default: plain unframed socket), PLAIN (SASL
//	                 PLAIN, framed; NONE is accepted as an alias, as gohive
//	                 names it) or KERBEROS (SASL GSSAPI; GSSAPI is an alias)
//	user, password   PLAIN credentials; they may also be given as user
//	                 information (user:password@host), which is better,
//	                 because URL redaction elsewhere hides only that form.
//	                 Percent-encode special characters. A password is
//	                 refused unless auth=PLAIN.
//	service          Kerberos service name (default hive): the principal is
//	                 service/host@REALM
//	connect_timeout  TCP connect timeout per host (default 10s)
//	read_timeout     socket read and write timeout (default 60s): the
//	                 longest wait for any bytes of a reply, whatever the
//	                 context's deadline. It must exceed the server time of
//	                 the slowest call, such as get_partitions_by_names of
//	                 batch_size partitions; Hive's own client waits 600s.
//	batch_size       names per get_table_objects_by_name and
//	                 get_partitions_by_names call (default 1000, 1 to 10000)
//	max_conns        connections kept to the metastore (default 4, up to 64)
//
// Durations are Go durations ("30s") or whole seconds ("30"). Passwords
// never appear in errors or in String; Redact hides them in a URI,
// whether in the user information or in the password parameter.
//
// # Connections and failover
//
// Open connects to the first host that accepts a TCP connection and
// completes the SASL negotiation, then checks it with get_all_databases.
// Connections are pooled (max_conns). When a call fails at the connection
// level (network error, read timeout, closed connection, undecodable
// reply), the connection is discarded, a new one is made starting with the
// next host in the list, and the call is retried once; a second failure is
// an EUNAVAILABLE error naming both attempts. The calls Shoal makes are
// reads or idempotent writes (alter with the same object), so a retry after
// a lost reply is safe. Cancelling the context closes the connection of a
// call in progress, so that it returns at once. Server exceptions are not
// retried: NoSuchObjectException (and UnknownDB/UnknownTable) is ENOTFOUND;
// MetaException and InvalidOperationException are returned with their
// message.
//
// # Kerberos
//
// auth=KERBEROS needs the kerberos build tag (go build -tags kerberos),
// which builds gosasl's GSSAPI mechanism against libkrb5 (cgo, the libkrb5
// development headers), and a credentials cache from kinit or KRB5CCNAME.
// Without the tag Open refuses auth=KERBEROS with ENOTIMPLEMENTED ("built
// without the kerberos tag"); KerberosSupported tells which build this is.
// With the tag the package builds and vets (checked with Debian's
// libkrb5-dev), and a test checks that auth=KERBEROS without credentials
// fails cleanly; a real Kerberos negotiation is untested, as there is no
// KDC here.
//
// # Calls
//
// Databases: get_all_databases, then get_database for each (location,
// owner). Tables: get_database (a missing database is ENOTFOUND),
// get_all_tables, then get_table_objects_by_name in chunks of batch_size,
// falling back to get_table per table when the server answers
// UNKNOWN_METHOD. Partitions: get_partition_names, then
// get_partitions_by_names in chunks of batch_size, yielded sorted by name
// (byte order), one chunk in memory at a time besides the names, and no
// connection held while the callback runs. Tables and partitions dropped
// between the listing and the fetch are left out, not errors. Views and
// materialized views are listed with their type and have no partitions.
//
// The mapping of a Thrift Table (location, input format and SerDe to
// shoal.Format, table type, transactional, transactional_properties,
// bucketing, skip.header.line.count from the SerDe or table parameters,
// owner, transient_lastDdlTime, parameters) is shared with hmsdb through
// internal/hivemeta, so both catalogs return the same shoal.Table for the
// same metadata; MapTable and MapPartition expose it.
//
// # Writes
//
// Relocate reads the partition (get_partition_by_name) or, for a nil
// partition, the table (get_table), fails with ECONFLICT unless its
// location is oldLocation (ignoring a trailing slash), and writes it back
// with the new location. UpdateStats sets numFiles, totalSize and
// transient_lastDdlTime (now, Unix seconds) and keeps the other
// parameters. Both write with alter_partition_with_environment_context
// (alter_table_with_environment_context) and DO_NOT_UPDATE_STATS=true, so
// that the metastore does not list the files to recompute statistics, and
// fall back to alter_partition (alter_table) when the server does not have
// those calls. The check and the write are two calls: the Thrift API has no
// compare-and-set, so a change by another client in between is not
// detected. For a table, alter_table changes metadata only: the metastore
// moves data only when a table is renamed, which Shoal never does.
//
// # Tests
//
// The tests run gohive's real Thrift client against an in-process Thrift
// test server (package hmstest) that implements only the calls Shoal uses,
// over loopback sockets with the binary protocol, NOSASL or SASL PLAIN.
// This package is untested against a real Hive Metastore: the behaviour of
// real servers (exceptions for missing objects, ordering, what alter_table
// does to partition locations, statistics handling, Kerberos) is taken from
// Hive's source and documentation, not observed.
package hms

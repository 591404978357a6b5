// Package fsimage reads HDFS NameNode fsimage files offline, without a
// NameNode, Hadoop or protoc, to find small files in Hive warehouses.
//
// It handles the protobuf format Hadoop has written since 2.4 (magic
// "HDFSIMG1"; layout versions -60 of Hadoop 2.6, -63 of 2.7 to 2.10 and
// -65 of 3.x are tested against real images). The file is laid out as
//
//	MAGIC SECTION* FileSummary summaryLength(4 bytes, big-endian)
//
// where FileSummary is a varint-delimited message naming each section's
// absolute offset and length and, optionally, a codec. Messages are decoded
// by hand with protowire, following the field numbers of Hadoop's
// fsimage.proto.
//
// Open reads the summary, NS_INFO (transaction id), STRING_TABLE and
// INODE_REFERENCE. Hadoop 3 string tables (maskBits > 0) tag each entry
// id with its kind in the top bits; the 24-bit user and group serials of a
// permission word are resolved accordingly.
//
// Image.Walk yields every inode reachable from the root with its full
// path, like `hdfs oiv -p Delimited`, streaming the INODE section rather
// than loading it: memory grows with the number of directories plus
// Image.BatchSize, not with the number of files. Image.Stats aggregates
// totals, per-owner and per-directory usage and small-file counts.
//
// Sections may be uncompressed or compressed with Hadoop's DefaultCodec
// (zlib) or GzipCodec. Not supported:
//   - other codecs (Snappy, LZ4, BZip2, Zstandard): Open returns an error
//     naming the codec;
//   - the legacy pre-protobuf image format (layout versions above -51);
//   - the *_SUB sections of images saved for parallel loading (Hadoop
//     3.3+, dfs.image.parallel.load): they are ignored and the enclosing
//     section is read, which works uncompressed, but with a codec each
//     sub-section is its own stream and Walk reports a truncated section
//     (untested: no such image is available);
//   - snapshot contents: SNAPSHOT and SNAPSHOT_DIFF are ignored, and inodes
//     reachable only from a snapshot are skipped, as oiv does;
//   - ACLs, extended attributes, storage policies, erasure coding policies,
//     delegation tokens and cache directives, which are skipped.
//
// Malformed input yields errors wrapping ErrFormat; Open validates the
// magic, the summary length and that every section lies inside the file.
package fsimage

// Package s3 is the shoal.ObjectStore over Amazon S3 and S3-compatible
// services (versitygw, MinIO, Ceph RGW, …), built on aws-sdk-go-v2.
//
// # Paths
//
// Paths are URIs s3://bucket/key/prefix or s3a://bucket/key/prefix (Hive and
// Spark write s3a://); both are accepted, any case, and FileInfo.Path keeps
// the scheme it was given. Everything after the bucket is the key, taken
// literally: Hive's escaped partition names such as
// dt=2026-01-01 10%3A00 are not percent-decoded. Trailing slashes are
// dropped and repeated slashes collapsed, as Hadoop's Path does; "." and
// ".." segments and credentials in the URI are refused (EINVALID).
//
// Directories are key prefixes. List sends ListObjectsV2 with Delimiter "/"
// and MaxKeys 1000, following continuation tokens; common prefixes become
// IsDir entries, and Hadoop's directory markers ("dir/" objects and
// "dir_$folder$" objects) are skipped. A prefix with no objects is
// ENOTFOUND unless a marker says it is an empty directory. Stat reports a
// directory for a prefix with objects or a marker. Blocks is 0.
//
// # Options
//
// New(ctx, Options) builds the client: Endpoint (empty for AWS), Region,
// PathStyle (versitygw and MinIO need it), AccessKey/SecretKey/SessionToken
// (otherwise the SDK's default chain: environment, shared config, web
// identity, ECS, EC2 instance metadata), MaxRetries, ConnectTimeout and
// RequestTimeout (so that an unreachable or silent endpoint fails with
// EUNAVAILABLE instead of hanging), PartSize, OpsPerSecond (a token bucket
// in front of every request attempt), Concurrency (copies and deletes in
// flight during Rename) and DisableConditionalWrites. ParseOptions reads
// the same settings from URI query parameters.
//
// # Writing
//
// Create checks with HeadObject that the object does not exist, buffers up
// to PartSize, and writes with one PutObject, or with a multipart upload
// for larger files. PutObject and CompleteMultipartUpload carry
// If-None-Match: *, so a concurrent creator makes Close fail with
// fs.ErrExist rather than overwrite. Nothing is visible, and nothing is
// durable, until Close returns nil; Sync does nothing. A failed write
// aborts its multipart upload. Mkdir and SyncDir do nothing and return nil
// (Mkdir does not fail on an existing path). Link is a CopyObject.
//
// # Rename is not atomic
//
// Rename(old, new) fails with fs.ErrExist when anything exists at or below
// new. It then copies every object at or below old (CopyObject, or
// UploadPartCopy for objects over 5 GiB), Concurrency at a time, and only
// after every copy succeeded deletes the sources with DeleteObjects, 1000
// keys per request. Readers can see both names, or a partly filled new
// name, while it runs. A crash or error leaves the objects split between
// the two names; ResumeRename(old, new) finishes the move, copying only the
// objects not already at new with the same size, and is idempotent. The
// merge engine's journal must therefore record a rename before starting it
// and call ResumeRename on recovery.
//
// # Errors
//
// A missing key is ENOTFOUND and fs.ErrNotExist; a missing bucket is
// ENOTFOUND naming the bucket. AccessDenied, InvalidAccessKeyId,
// SignatureDoesNotMatch, expired tokens (and versitygw's
// XAdminUserNotFound) are EUNAVAILABLE with "access denied … check
// credentials". Unreachable endpoints, timeouts, throttling and 5xx
// answers are EUNAVAILABLE. Create, Rename and Link onto an existing name
// are ECONFLICT and fs.ErrExist. A ReadAt on an object replaced since
// OpenFile is ECONFLICT (the reads are conditional on the ETag).
//
// # Tests
//
// The tests run against a real versitygw v1.8.0 with its POSIX backend,
// started by package s3test (skipped when the binary is missing, failed
// when SHOAL_REQUIRE_INTEGRATION=1): the fstest contract suite with the
// default and the minimum part size and both schemes; racing creators
// (If-None-Match honoured for PutObject and multipart); multipart uploads
// and their abort; 2,500 keys in a directory (pagination, batched
// deletes); wrong secret and unknown access key; a missing bucket; a
// refused and a silent endpoint; a rename cut short and resumed; multipart
// copy; directory markers; a replaced object under OpenFile; the request
// rate limit. bench/s3scan measures List against the SDK paginator.
package s3

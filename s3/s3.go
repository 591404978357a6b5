package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/shoalhq/shoal"
)

// FS is a shoal.ObjectStore over S3 or an S3-compatible service. It is safe
// for concurrent use. Paths are s3://bucket/key or s3a://bucket/key URIs;
// one FS serves every bucket its credentials reach.
type FS struct {
	client *s3.Client
	opts   Options
}

var _ shoal.ObjectStore = (*FS)(nil)

// folderSuffix marks an empty directory in Hadoop's old s3n layout: an
// object "dir_$folder$" next to the directory.
const folderSuffix = "_$folder$"

// listPage is the MaxKeys of every listing (1000 is the S3 maximum).
const listPage = 1000

// New returns an FS. It loads credentials and region but sends no request,
// so it succeeds with a wrong endpoint or key; the first call reports those.
func New(ctx context.Context, opts Options) (*FS, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = opts.ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = opts.ConnectTimeout
			t.ResponseHeaderTimeout = opts.RequestTimeout
			t.MaxIdleConns = 256
			t.MaxIdleConnsPerHost = 128
		})
	loads := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				switch {
				case opts.MaxRetries > 0:
					so.MaxAttempts = opts.MaxRetries + 1
				case opts.MaxRetries < 0:
					so.MaxAttempts = 1
				}
				// A scan sends thousands of requests; one bad minute
				// must not exhaust a client-side retry quota.
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if opts.Region != "" {
		loads = append(loads, config.WithRegion(opts.Region))
	}
	if opts.AccessKey != "" {
		loads = append(loads, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, opts.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "s3: load AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	var limiter *rate.Limiter
	if opts.OpsPerSecond > 0 {
		burst := int(opts.OpsPerSecond)
		if burst < 1 {
			burst = 1
		}
		limiter = rate.NewLimiter(rate.Limit(opts.OpsPerSecond), burst)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
		if limiter != nil {
			o.APIOptions = append(o.APIOptions, rateLimit(limiter))
		}
	})
	return &FS{client: client, opts: opts}, nil
}

// Client returns the SDK client, for tests and tools.
func (f *FS) Client() *s3.Client { return f.client }

// rateLimit waits for the limiter before every attempt of every request
// (retries included: the middleware runs after the retry loop's).
func rateLimit(l *rate.Limiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("ShoalRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

func (f *FS) endpointName() string {
	if f.opts.Endpoint != "" {
		if u, err := url.Parse(f.opts.Endpoint); err == nil {
			return u.Host
		}
		return f.opts.Endpoint
	}
	return "AWS S3"
}

func (f *FS) parse(op, path string) (location, error) {
	l, err := parseURI(path)
	if err != nil {
		return l, fmt.Errorf("%s %s: %w", op, path, err)
	}
	return l, nil
}

// List streams the files and subdirectories directly under dir: one
// ListObjectsV2 with Delimiter "/" per 1000 entries. Common prefixes are
// IsDir entries; Hadoop's directory markers ("dir/" and "x_$folder$") are
// skipped. A prefix with no objects (and no marker) is ENOTFOUND, as is a
// missing bucket; the bucket root of an empty bucket lists nothing.
func (f *FS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	l, err := f.parse("list", dir)
	if err != nil {
		return err
	}
	prefix := l.prefix()
	base := l.scheme + "://" + l.bucket + "/"
	in := &s3.ListObjectsV2Input{
		Bucket:    aws.String(l.bucket),
		Prefix:    aws.String(prefix),
		Delimiter: aws.String("/"),
		MaxKeys:   aws.Int32(listPage),
	}
	seen := false
	for {
		out, err := f.client.ListObjectsV2(ctx, in)
		if err != nil {
			return f.wrapErr("list", l, err)
		}
		for i := range out.Contents {
			o := &out.Contents[i]
			key := aws.ToString(o.Key)
			seen = true
			if key == prefix || strings.HasSuffix(key, "/") || strings.HasSuffix(key, folderSuffix) {
				continue // directory markers
			}
			fi := shoal.FileInfo{Path: base + key, Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				fi.ModTime = *o.LastModified
			}
			if err := fn(fi); err != nil {
				return err
			}
		}
		for _, cp := range out.CommonPrefixes {
			p := strings.TrimSuffix(aws.ToString(cp.Prefix), "/")
			seen = true
			if p == "" || p+"/" == prefix {
				continue
			}
			if err := fn(shoal.FileInfo{Path: base + p, IsDir: true}); err != nil {
				return err
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	if seen || l.key == "" {
		return nil
	}
	// Nothing under the prefix: an empty directory with an s3n marker, a
	// file, or nothing at all.
	if _, err := f.head(ctx, l.with(l.key+folderSuffix)); err == nil {
		return nil
	}
	if _, err := f.head(ctx, l); err == nil {
		return fmt.Errorf("list %s: %w", l, shoal.Errorf(shoal.EINVALID, "%s is a file, not a directory", l))
	}
	return errNotExist("list", l)
}

// head is HeadObject, returning the raw SDK error.
func (f *FS) head(ctx context.Context, l location) (*s3.HeadObjectOutput, error) {
	return f.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(l.key)})
}

// Stat describes a path: an object, or a directory when objects (or a
// directory marker) exist below the key. The bucket itself is a directory.
func (f *FS) Stat(ctx context.Context, path string) (shoal.FileInfo, error) {
	l, err := f.parse("stat", path)
	if err != nil {
		return shoal.FileInfo{}, err
	}
	if l.key == "" {
		if _, err := f.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(l.bucket)}); err != nil {
			if isNotFound(err) {
				return shoal.FileInfo{}, fmt.Errorf("stat %s: %w", l, errNoBucket(l))
			}
			return shoal.FileInfo{}, f.wrapErr("stat", l, err)
		}
		return shoal.FileInfo{Path: l.String(), IsDir: true}, nil
	}
	out, err := f.head(ctx, l)
	if err == nil {
		fi := shoal.FileInfo{Path: l.String(), Size: aws.ToInt64(out.ContentLength)}
		if out.LastModified != nil {
			fi.ModTime = *out.LastModified
		}
		return fi, nil
	}
	if !isNotFound(err) {
		return shoal.FileInfo{}, f.wrapErr("stat", l, err)
	}
	lo, err := f.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(l.bucket),
		Prefix:  aws.String(l.prefix()),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return shoal.FileInfo{}, f.wrapErr("stat", l, err)
	}
	if len(lo.Contents) > 0 || len(lo.CommonPrefixes) > 0 {
		return shoal.FileInfo{Path: l.String(), IsDir: true}, nil
	}
	if m, err := f.head(ctx, l.with(l.key+folderSuffix)); err == nil {
		fi := shoal.FileInfo{Path: l.String(), IsDir: true}
		if m.LastModified != nil {
			fi.ModTime = *m.LastModified
		}
		return fi, nil
	}
	return shoal.FileInfo{}, errNotExist("stat", l)
}

// errNoBucket is ENOTFOUND naming the bucket.
func errNoBucket(l location) error {
	return errors.Join(shoal.Errorf(shoal.ENOTFOUND, "bucket %s does not exist", l.bucket), fs.ErrNotExist)
}

// Open streams an object with one GetObject.
func (f *FS) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	l, err := f.parse("open", path)
	if err != nil {
		return nil, err
	}
	if l.key == "" {
		return nil, fmt.Errorf("open %s: %w", l, shoal.Errorf(shoal.EINVALID, "%s is a bucket, not a file", l))
	}
	out, err := f.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(l.key)})
	if err != nil {
		return nil, f.wrapErr("open", l, err)
	}
	return out.Body, nil
}

// OpenFile opens an object for random access: a HeadObject for the size
// and ETag, then one ranged GetObject per ReadAt, conditional on the ETag,
// so that a replaced object fails with ECONFLICT instead of mixing
// versions. ReadAt uses the context given to OpenFile.
func (f *FS) OpenFile(ctx context.Context, path string) (shoal.ReadAtCloser, int64, error) {
	l, err := f.parse("open", path)
	if err != nil {
		return nil, 0, err
	}
	if l.key == "" {
		return nil, 0, fmt.Errorf("open %s: %w", l, shoal.Errorf(shoal.EINVALID, "%s is a bucket, not a file", l))
	}
	out, err := f.head(ctx, l)
	if err != nil {
		return nil, 0, f.wrapErr("open", l, err)
	}
	size := aws.ToInt64(out.ContentLength)
	return &readerAt{f: f, ctx: ctx, l: l, size: size, etag: out.ETag}, size, nil
}

type readerAt struct {
	f    *FS
	ctx  context.Context
	l    location
	size int64
	etag *string
}

// ReadAt reads len(p) bytes at off with one ranged GetObject; like
// os.File it returns io.EOF with a short read at the end.
func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset", r.l)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	want := int64(len(p))
	if off+want > r.size {
		want = r.size - off
	}
	out, err := r.f.client.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket:  aws.String(r.l.bucket),
		Key:     aws.String(r.l.key),
		Range:   aws.String(fmt.Sprintf("bytes=%d-%d", off, off+want-1)),
		IfMatch: r.etag,
	})
	if err != nil {
		return 0, r.f.wrapErr("read", r.l, err)
	}
	defer func() { _ = out.Body.Close() }()
	n, err := io.ReadFull(out.Body, p[:want])
	if err != nil {
		return n, r.f.wrapErr("read", r.l, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *readerAt) Close() error { return nil }

// Mkdir does nothing and returns nil: a directory exists on S3 as soon as
// an object is written below it. It creates no marker object and does not
// fail when the path exists.
func (f *FS) Mkdir(ctx context.Context, path string) error {
	_, err := f.parse("mkdir", path)
	return err
}

// SyncDir does nothing: an object is durable once the request that wrote
// it succeeded.
func (f *FS) SyncDir(ctx context.Context, path string) error {
	_, err := f.parse("sync", path)
	return err
}

package s3

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// Options configure an FS. The zero value talks to AWS with the default
// credential chain and region.
type Options struct {
	// Endpoint is the base URL of an S3-compatible service, such as
	// http://127.0.0.1:7070 for versitygw or MinIO; empty for AWS.
	Endpoint string
	// Region is the signing region. Empty takes AWS_REGION or the shared
	// config's region, else us-east-1.
	Region string
	// PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key; versitygw and MinIO need it.
	PathStyle bool
	// AccessKey and SecretKey (and SessionToken for temporary credentials)
	// are static credentials. When AccessKey is empty the SDK's default
	// chain is used: environment, shared config and credentials files, web
	// identity (EKS), ECS and EC2 instance metadata.
	AccessKey    string
	SecretKey    string
	SessionToken string
	// MaxRetries is how often a failed request is retried (throttling,
	// 5xx, connection errors). 0 takes the SDK default (2 retries, 3
	// attempts); negative disables retries.
	MaxRetries int
	// ConnectTimeout bounds opening a connection (default 5s);
	// RequestTimeout bounds waiting for the response headers of each
	// attempt (default 60s). A body being read is not bounded.
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	// PartSize is the multipart upload part size (default 16 MiB, at least
	// 5 MiB). Files up to PartSize go up in one PutObject; larger ones in
	// parts of PartSize, so memory per open file is PartSize.
	PartSize int64
	// OpsPerSecond limits requests (every attempt) per second; 0 is no
	// limit.
	OpsPerSecond float64
	// Concurrency is how many objects Rename, ResumeRename and RemoveAll
	// copy or delete at a time (default 16).
	Concurrency int
	// DisableConditionalWrites stops Create from sending If-None-Match: *
	// for stores that reject the header; Create then relies on its
	// HeadObject check alone, which races with another writer.
	DisableConditionalWrites bool
}

// Defaults.
const (
	DefaultPartSize       = 16 << 20
	MinPartSize           = 5 << 20
	DefaultConnectTimeout = 5 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultConcurrency    = 16
)

// withDefaults fills the unset fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartSize < MinPartSize {
		return o, shoal.Errorf(shoal.EINVALID, "s3 part size %d is below the S3 minimum of 5 MiB", o.PartSize)
	}
	if o.PartSize > 5<<30 {
		return o, shoal.Errorf(shoal.EINVALID, "s3 part size %d is above the S3 maximum of 5 GiB", o.PartSize)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.OpsPerSecond < 0 {
		return o, shoal.Errorf(shoal.EINVALID, "s3 ops per second must not be negative")
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return o, shoal.Errorf(shoal.EINVALID, "s3 access key and secret key must be set together")
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, shoal.Errorf(shoal.EINVALID, "s3 endpoint %q is not an http:// or https:// URL", o.Endpoint)
		}
	}
	return o, nil
}

// ParseOptions reads Options from URL query parameters (or any string map
// of settings), for a file-system URI such as
// s3://bucket/warehouse?endpoint=http://127.0.0.1:7070&path_style=true.
// Keys: endpoint, region, path_style, access_key, secret_key,
// session_token, max_retries, connect_timeout and request_timeout (Go
// durations such as 5s), part_size (bytes, or with a KiB, MiB or GiB
// suffix), ops_per_second, concurrency, conditional_writes (default true).
// An unknown key is an EINVALID error, so a typo is never ignored.
func ParseOptions(q url.Values) (Options, error) {
	var o Options
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		v := vs[len(vs)-1]
		var err error
		switch k {
		case "endpoint":
			o.Endpoint = v
		case "region":
			o.Region = v
		case "path_style":
			o.PathStyle, err = strconv.ParseBool(v)
		case "access_key":
			o.AccessKey = v
		case "secret_key":
			o.SecretKey = v
		case "session_token":
			o.SessionToken = v
		case "max_retries":
			o.MaxRetries, err = strconv.Atoi(v)
		case "connect_timeout":
			o.ConnectTimeout, err = time.ParseDuration(v)
		case "request_timeout":
			o.RequestTimeout, err = time.ParseDuration(v)
		case "part_size":
			o.PartSize, err = parseSize(v)
		case "ops_per_second":
			o.OpsPerSecond, err = strconv.ParseFloat(v, 64)
		case "concurrency":
			o.Concurrency, err = strconv.Atoi(v)
		case "conditional_writes":
			var on bool
			on, err = strconv.ParseBool(v)
			o.DisableConditionalWrites = !on
		default:
			return Options{}, shoal.Errorf(shoal.EINVALID, "unknown s3 option %q", k)
		}
		if err != nil {
			return Options{}, shoal.Errorf(shoal.EINVALID, "s3 option %s=%q: %v", k, v, err)
		}
	}
	if _, err := o.withDefaults(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// parseSize reads a byte count with an optional KiB, MiB or GiB suffix
// (also K, M, G, KB, MB, GB, all binary).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	upper := strings.ToUpper(s)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(upper, u.suffix) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > (1<<62)/mult {
		return 0, strconv.ErrRange
	}
	return n * mult, nil
}

package s3

import (
	"strings"
	"unicode/utf8"

	"github.com/shoalhq/shoal"
)

// location is a parsed s3:// or s3a:// URI. key never starts or ends with
// "/" and never holds "//"; it is empty for the bucket itself.
type location struct {
	scheme string // as given: "s3" or "s3a" (any case)
	bucket string
	key    string
}

// uri formats the location, with key in place of l.key.
func (l location) uri(key string) string {
	if key == "" {
		return l.scheme + "://" + l.bucket
	}
	return l.scheme + "://" + l.bucket + "/" + key
}

// String returns the URI of the location.
func (l location) String() string { return l.uri(l.key) }

// prefix returns the key prefix of the objects below the location seen as a
// directory: "" for the bucket, else key + "/".
func (l location) prefix() string {
	if l.key == "" {
		return ""
	}
	return l.key + "/"
}

// with returns the location of another key in the same bucket.
func (l location) with(key string) location {
	l.key = key
	return l
}

// ParseURI splits an s3:// or s3a:// URI into its bucket and key. The key is
// everything after the bucket, taken literally (no percent-decoding, so a
// Hive partition directory such as dt=2024-01-01%3A00 keeps its name), with
// trailing slashes dropped and repeated slashes collapsed as Hadoop's Path
// does. "." and ".." segments, credentials in the authority and keys that
// are not UTF-8 are refused with EINVALID.
func ParseURI(uri string) (bucket, key string, err error) {
	l, err := parseURI(uri)
	return l.bucket, l.key, err
}

func parseURI(uri string) (location, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || !strings.EqualFold(scheme, "s3") && !strings.EqualFold(scheme, "s3a") {
		return location{}, shoal.Errorf(shoal.EINVALID, "%q is not an s3:// or s3a:// URI", uri)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return location{}, shoal.Errorf(shoal.EINVALID, "%q names no bucket", uri)
	}
	if strings.Contains(bucket, "@") {
		return location{}, shoal.Errorf(shoal.EINVALID, "%q: credentials in the URI are not supported; use the access_key and secret_key options", uri)
	}
	for i := 0; i < len(bucket); i++ {
		c := bucket[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
			return location{}, shoal.Errorf(shoal.EINVALID, "%q: invalid bucket name %q", uri, bucket)
		}
	}
	if len(bucket) > 255 {
		return location{}, shoal.Errorf(shoal.EINVALID, "%q: bucket name too long", uri)
	}
	if !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return location{}, shoal.Errorf(shoal.EINVALID, "%q: the key is not valid UTF-8", uri)
	}
	key = cleanKey(key)
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return location{}, shoal.Errorf(shoal.EINVALID, "%q: %q segments are not allowed in an S3 path", uri, seg)
		}
	}
	return location{scheme: scheme, bucket: bucket, key: key}, nil
}

// cleanKey drops leading and trailing slashes and collapses repeated ones.
func cleanKey(key string) string {
	if !strings.Contains(key, "//") && !strings.HasPrefix(key, "/") && !strings.HasSuffix(key, "/") {
		return key // the common case: no allocation
	}
	parts := strings.Split(key, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

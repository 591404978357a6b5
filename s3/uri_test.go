package s3

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, bucket, key string
	}{
		{"s3://b", "s3", "b", ""},
		{"s3://b/", "s3", "b", ""},
		{"s3a://my.bucket-1/warehouse/db.db/t", "s3a", "my.bucket-1", "warehouse/db.db/t"},
		{"s3://b/w//t///", "s3", "b", "w/t"},
		{"S3A://b/x", "S3A", "b", "x"},
		{"s3://b/dt=2026-01-01 10%3A00/part 0.parquet", "s3", "b", "dt=2026-01-01 10%3A00/part 0.parquet"},
		{"s3://b/a?b#c", "s3", "b", "a?b#c"},
	} {
		l, err := parseURI(tc.in)
		if err != nil || l.scheme != tc.scheme || l.bucket != tc.bucket || l.key != tc.key {
			t.Errorf("parseURI(%q) = %+v, %v; want %s %s %q", tc.in, l, err, tc.scheme, tc.bucket, tc.key)
		}
	}
	for _, bad := range []string{"", "b/k", "/tmp/x", "hdfs://nn/x", "s3://", "s3:///k", "s3://ak:sk@b/k",
		"s3://b/../x", "s3://b/a/./c", "s3://bu cket/k", "s3://b/\xff", "s3://b/a\x00"} {
		if l, err := parseURI(bad); err == nil || shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("parseURI(%q) = %+v, %v; want EINVALID", bad, l, err)
		}
	}
	l, _ := parseURI("s3a://b/k/x")
	if l.String() != "s3a://b/k/x" || l.prefix() != "k/x/" || l.with("").prefix() != "" {
		t.Errorf("formatting %+v: %s %s", l, l, l.prefix())
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"s3://b/k", "s3a://b//x/", "s3://b/dt=1%3A2/a b", "s3://b/../x", "s3://@/", "s3://b/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseURI(s)
		if err != nil {
			if shoal.ErrorCode(err) != shoal.EINVALID {
				t.Fatalf("parseURI(%q): %v is not EINVALID", s, err)
			}
			return
		}
		if l.bucket == "" || strings.HasPrefix(l.key, "/") || strings.HasSuffix(l.key, "/") || strings.Contains(l.key, "//") {
			t.Fatalf("parseURI(%q) = %+v: bad bucket or key", s, l)
		}
		again, err := parseURI(l.String())
		if err != nil || again != l {
			t.Fatalf("parseURI(%q) = %+v, but its String %q parses to %+v, %v", s, l, l.String(), again, err)
		}
		if sub, err := parseURI(l.uri(l.prefix() + "x")); err != nil || sub.key != l.prefix()+"x" {
			t.Fatalf("child of %+v: %+v, %v", l, sub, err)
		}
	})
}

func TestCopySource(t *testing.T) {
	l, _ := parseURI("s3://b/dt=1 2%3A3/a+b.parquet")
	if got, want := copySource(l), "b/dt%3D1%202%253A3/a%2Bb.parquet"; got != want {
		t.Errorf("copySource = %q, want %q", got, want)
	}
}

func TestParseOptions(t *testing.T) {
	q, _ := url.ParseQuery("endpoint=http://127.0.0.1:7070&region=eu-west-1&path_style=true&access_key=a&secret_key=s" +
		"&max_retries=5&connect_timeout=2s&request_timeout=1m&part_size=8MiB&ops_per_second=100.5&concurrency=4&conditional_writes=false")
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1", PathStyle: true, AccessKey: "a", SecretKey: "s",
		MaxRetries: 5, ConnectTimeout: 2 * time.Second, RequestTimeout: time.Minute, PartSize: 8 << 20, OpsPerSecond: 100.5,
		Concurrency: 4, DisableConditionalWrites: true}
	if o != want {
		t.Errorf("ParseOptions = %+v\nwant %+v", o, want)
	}
	for _, bad := range []string{"bogus=1", "part_size=1MiB", "part_size=x", "path_style=maybe", "endpoint=ftp://x",
		"access_key=a", "connect_timeout=5", "ops_per_second=-1"} {
		q, _ := url.ParseQuery(bad)
		if _, err := ParseOptions(q); shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("ParseOptions(%s) = %v, want EINVALID", bad, err)
		}
	}
	for in, want := range map[string]int64{"5242880": 5 << 20, "16M": 16 << 20, "1 GiB": 1 << 30, "64kb": 64 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

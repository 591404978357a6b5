package hms_test

import (
	"context"
	"net"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hms"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		uri   string
		hosts []string
		auth  string
		user  string
		batch int
	}{
		{"thrift://hms", []string{"hms:9083"}, "NOSASL", "", 1000},
		{"thrift://hms:9084/", []string{"hms:9084"}, "NOSASL", "", 1000},
		{"thrift://a:9083,b,[::1]:9000,[fe80::1]", []string{"a:9083", "b:9083", "[::1]:9000", "[fe80::1]:9083"}, "NOSASL", "", 1000},
		{"thrift://u%40x:p%2F%40w@h?auth=plain", []string{"h:9083"}, "PLAIN", "u@x", 1000},
		{"thrift://h?auth=PLAIN&user=bob&password=pw&batch_size=250&connect_timeout=3&read_timeout=2m&max_conns=1", []string{"h:9083"}, "PLAIN", "bob", 250},
		{"thrift://h?auth=NONE&user=bob", []string{"h:9083"}, "PLAIN", "bob", 1000},
		{"thrift://h?auth=GSSAPI&service=hive2", []string{"h:9083"}, "KERBEROS", "", 1000},
	} {
		hosts, auth, user, batch, err := hms.ParseURIForTest(tc.uri)
		if err != nil {
			t.Errorf("%s: %v", tc.uri, err)
			continue
		}
		if !reflect.DeepEqual(hosts, tc.hosts) || auth != tc.auth || user != tc.user || batch != tc.batch {
			t.Errorf("%s: hosts %v auth %s user %q batch %d; want %v %s %q %d", tc.uri, hosts, auth, user, batch, tc.hosts, tc.auth, tc.user, tc.batch)
		}
	}
}

func TestParseURI_Invalid(t *testing.T) {
	for _, uri := range []string{
		"",
		"hms:9083",
		"http://hms:9083",
		"thrift://",
		"thrift://hms:0",
		"thrift://hms:65536",
		"thrift://hms:90x",
		"thrift://hms:+90",
		"thrift://a,,b",
		"thrift://::1",
		"thrift://[::1",
		"thrift://[nothost]:1",
		"thrift://hms/db",
		"thrift://hms#frag",
		"thrift://hms?bogus=1",
		"thrift://hms?auth=LDAP",
		"thrift://hms?auth=PLAIN",
		"thrift://u:secretpw@hms",
		"thrift://hms?password=secretpw",
		"thrift://hms?batch_size=0",
		"thrift://hms?batch_size=10001",
		"thrift://hms?max_conns=100",
		"thrift://hms?connect_timeout=-1s",
		"thrift://hms?read_timeout=soon",
		"thrift://hms?service=",
		"thrift://u:secretpw@hms?auth=PLAIN&password=otherpw",
		"thrift://hms?a=%zz",
	} {
		_, _, _, _, err := hms.ParseURIForTest(uri)
		if shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("%q: %v, want EINVALID", uri, err)
			continue
		}
		for _, pw := range []string{"secretpw", "otherpw"} {
			if strings.Contains(err.Error(), pw) {
				t.Errorf("%q: error shows the password: %v", uri, err)
			}
		}
		// Open refuses it the same way, without connecting.
		if _, err := hms.Open(context.Background(), uri); shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("Open(%q) = %v", uri, err)
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"thrift://hms:9083",
		"thrift://a:1,b:2,[::1]:3?auth=PLAIN&user=u&password=p",
		"thrift://u:p%40ss@h?auth=PLAIN&batch_size=5&connect_timeout=1s&read_timeout=3",
		"thrift://h?auth=KERBEROS&service=hive",
		"thrift://[fe80::1%25eth0]:9083",
		"thrift://h?password=p#x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		red := shoal.RedactURI(uri)
		if shoal.RedactURI(red) != red {
			t.Fatalf("Redact not idempotent: %q -> %q -> %q", uri, red, shoal.RedactURI(red))
		}
		hosts, auth, _, batch, err := hms.ParseURIForTest(uri)
		if err != nil {
			if shoal.ErrorCode(err) != shoal.EINVALID {
				t.Fatalf("%q: error %v is not EINVALID", uri, err)
			}
			return
		}
		if len(hosts) == 0 || batch < 1 || batch > hms.MaxBatchSize {
			t.Fatalf("%q: hosts %v batch %d", uri, hosts, batch)
		}
		for _, h := range hosts {
			if _, _, err := net.SplitHostPort(h); err != nil {
				t.Fatalf("%q: host %q: %v", uri, h, err)
			}
		}
		switch auth {
		case hms.AuthNoSASL, hms.AuthPlain, hms.AuthKerberos:
		default:
			t.Fatalf("%q: auth %q", uri, auth)
		}
		// A password given in a valid URI does not survive redaction.
		q := uri
		if i := strings.IndexByte(q, '?'); i >= 0 {
			if v, err := url.ParseQuery(q[i+1:]); err == nil {
				for _, pw := range v["password"] {
					if len(pw) >= 4 && strings.Contains(red, "password="+url.QueryEscape(pw)) && url.QueryEscape(pw) != "xxxxx" {
						t.Fatalf("%q: redacted %q keeps password", uri, red)
					}
				}
			}
		}
	})
}

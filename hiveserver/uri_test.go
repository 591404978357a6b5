package hiveserver_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
)

func TestParseURI(t *testing.T) {
	c, err := hiveserver.ParseURI("hive2://hs2.example.com/sales?auth=ldap&user=etl&password=pw%26x&queue=etl&timeout=2h&transport=http&http_path=/gateway/cliservice&conf.hive.exec.parallel=true")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "hs2.example.com" || c.Port != hiveserver.DefaultHiveHTTPPort || c.Database != "sales" || c.Auth != "LDAP" ||
		c.User != "etl" || c.Password != "pw&x" || c.Queue != "etl" || c.Timeout != 2*time.Hour || c.Transport != "http" ||
		c.HTTPPath != "gateway/cliservice" || c.Conf["hive.exec.parallel"] != "true" || c.Dialect() != hiveserver.DialectHive {
		t.Fatalf("%+v", c)
	}
	if s := c.String(); strings.Contains(s, "pw") {
		t.Fatalf("String shows the password: %s", s)
	}
	k, err := hiveserver.ParseURI("kyuubi://k:1/")
	if err != nil || k.Port != 1 || k.Dialect() != hiveserver.DialectSpark || k.Database != "default" || k.Auth != "NONE" || k.User == "" {
		t.Fatalf("%+v %v", k, err)
	}
	k, err = hiveserver.ParseURI("kyuubi://k?conf.kyuubi.engine.type=hive_sql")
	if err != nil || k.Port != hiveserver.DefaultKyuubiPort || k.Dialect() != hiveserver.DialectHive {
		t.Fatalf("%+v %v", k, err)
	}
	h, err := hiveserver.ParseURI("hive2://h")
	if err != nil || h.Port != hiveserver.DefaultHivePort || h.Transport != "binary" || h.SocketTimeout != hiveserver.DefaultSocketTimeout {
		t.Fatalf("%+v %v", h, err)
	}

	bad := map[string]string{
		"http://h:1/":                           "scheme",
		"hive2://:1/":                           "missing host",
		"hive2://u:secretpw@h/":                 "credentials",
		"hive2://h/a/b":                         "database",
		"hive2://h/?bogus=1&password=secretpw":  `unknown parameter "bogus"`,
		"hive2://h/?auth=PLAIN":                 "auth must be",
		"hive2://h/?auth=NOSASL&transport=http": "NOSASL",
		"hive2://h/?auth=LDAP&user=u":           "needs user and password",
		"hive2://h/?password=secretpw":          "without user",
		"hive2://h/?transport=grpc":             "transport",
		"hive2://h/?timeout=forever":            "timeout must be",
		"hive2://h/?timeout=-1s":                "timeout must be",
		"hive2://h/?engine=SPARK_SQL":           "kyuubi",
		"kyuubi://h/?engine=FLINK_SQL":          "SPARK_SQL or HIVE_SQL",
		"hive2://h/?user=a&user=b":              "given 2 times",
		"hive2://h:99999/":                      "port",
		"hive2://h/?queue=":                     "empty",
		"hive2://h/?conf.=x":                    "empty conf",
	}
	for uri, want := range bad {
		_, err := hiveserver.ParseURI(uri)
		if shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", uri, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: error shows the password: %v", uri, err)
		}
	}
}

func TestParseURIKerberosWithoutTag(t *testing.T) {
	_, err := hiveserver.ParseURI("hive2://h/?auth=KERBEROS&service=hive")
	if shoal.ErrorCode(err) != shoal.ENOTIMPLEMENTED || !strings.Contains(err.Error(), "-tags kerberos") {
		t.Fatalf("got %v", err)
	}
}

// FuzzParseURI: the parser never panics, and neither its errors nor
// Config.String ever show the password.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"hive2://h:10000/default?auth=NONE", "kyuubi://h/?engine=HIVE_SQL", "hive2://h/?auth=LDAP&user=u&password=P",
		"hive2://[::1]:1/?transport=http", "hive2://h/?timeout=1s&conf.a=b", "hive2://u:p@h/", "%zz", "hive2://h/?a=%zz",
	} {
		f.Add(s, "Zq9#secret")
	}
	f.Fuzz(func(t *testing.T, uri, pw string) {
		if len(pw) < 6 {
			return
		}
		full := uri
		if strings.Contains(uri, "?") {
			full += "&password=" + pw
		} else {
			full += "?password=" + pw
		}
		c, err := hiveserver.ParseURI(full)
		if err != nil {
			if strings.Contains(err.Error(), pw) && !strings.Contains(uri, pw) {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		if c.Password != "" && c.Password != "xxxxx" && strings.Contains(c.String(), "password="+url.QueryEscape(c.Password)) {
			t.Fatalf("String shows the password: %s", c.String())
		}
		if c.Port <= 0 || c.Port > 65535 || c.Host == "" {
			t.Fatalf("accepted %q as %+v", full, c)
		}
	})
}

package shoal_test

import (
	"testing"

	"github.com/shoalhq/shoal"
)

func TestRedactURI(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"thrift://h:9083":                                       "thrift://h:9083",
		"thrift://u:pw@h":                                       "thrift://u:xxxxx@h",
		"thrift://u:p/w@x@h1,h2?auth=PLAIN":                     "thrift://u:xxxxx@h1,h2?auth=PLAIN",
		"thrift://u:pw@h1:9083,h2:9083":                         "thrift://u:xxxxx@h1:9083,h2:9083",
		"thrift://h?user=u&password=pw&auth=PLAIN":              "thrift://h?user=u&password=xxxxx&auth=PLAIN",
		"thrift://h?pass%77ord=pw":                              "thrift://h?pass%77ord=xxxxx",
		"thrift://u@h?password=pw&password=pw2#frag":            "thrift://u@h?password=xxxxx&password=xxxxx#frag",
		"postgres://shoal:s3cret@db:5432/shoal?sslmode=disable": "postgres://shoal:xxxxx@db:5432/shoal?sslmode=disable",
		"hive2://hs2:10000/default?user=u&password=pw":          "hive2://hs2:10000/default?user=u&password=xxxxx",
		"s3://b/k?access_key=A&secret_key=S&session_token=T":    "s3://b/k?access_key=A&secret_key=xxxxx&session_token=xxxxx",
		"warehouse:///data/warehouse":                           "warehouse:///data/warehouse",
		"sqlite://shoal.db":                                     "sqlite://shoal.db",
	} {
		if got := shoal.RedactURI(in); got != want {
			t.Errorf("RedactURI(%q) = %q, want %q", in, got, want)
		}
		if got := shoal.RedactURI(want); got != want {
			t.Errorf("RedactURI is not idempotent on %q: %q", want, got)
		}
	}
}

package warehouse

import (
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
)

func TestParseProperties(t *testing.T) {
	var tb shoal.Table
	err := parseProperties([]byte("# comment\nskip.header.line.count = 2\ntransactional=TRUE\ntransactional_properties=insert_only\n"+
		"shoal.num_buckets=4\nshoal.bucket_columns=id,dt\nowner.team=ads\n"), &tb)
	if err != nil {
		t.Fatal(err)
	}
	if tb.HeaderLines != 2 || !tb.Transactional || tb.TransactionalProperties != "insert_only" || tb.NumBuckets != 4 ||
		strings.Join(tb.BucketColumns, ",") != "id,dt" || tb.Params["owner.team"] != "ads" {
		t.Fatalf("table = %+v", tb)
	}
	for _, bad := range []string{"novalue\n", "skip.header.line.count=x\n", "shoal.num_buckets=-1\n", "=v\n"} {
		if err := parseProperties([]byte(bad), &shoal.Table{}); shoal.ErrorCode(err) != shoal.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseProperties(f *testing.F) {
	f.Add([]byte("skip.header.line.count=1\n"))
	f.Add([]byte("transactional=true\nshoal.num_buckets=8\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tb shoal.Table
		if err := parseProperties(data, &tb); err == nil && (tb.HeaderLines < 0 || tb.NumBuckets < 0) {
			t.Fatalf("accepted negative counts: %+v", tb)
		}
	})
}

package sqlstore_test

import (
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/store/internal/sqlstore"
)

func TestHistogram_RoundTrip(t *testing.T) {
	t.Parallel()
	for _, h := range []shoal.Histogram{{}, {1}, {0, 0, 5}, {23: 9}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 1 << 62}} {
		s := sqlstore.EncodeHistogram(&h)
		var got shoal.Histogram
		if err := sqlstore.DecodeHistogram(s, &got); err != nil || got != h {
			t.Errorf("round trip of %v via %q = %v, %v", h, s, got, err)
		}
	}
	var h shoal.Histogram
	for _, bad := range []string{"x", "1,,2", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25"} {
		if err := sqlstore.DecodeHistogram(bad, &h); err == nil {
			t.Errorf("DecodeHistogram(%q) accepted", bad)
		}
	}
}

func TestOrderBy(t *testing.T) {
	t.Parallel()
	if got := sqlstore.OrderBy("p.", "files", true, "spec", "files"); got != "p.files DESC, p.spec DESC" {
		t.Errorf("OrderBy = %q", got)
	}
	if got := sqlstore.LikeSubstring(`a%b_c\`); got != `%a\%b\_c\\%` {
		t.Errorf("LikeSubstring = %q", got)
	}
}

func FuzzDecodeHistogram(f *testing.F) {
	f.Add("1,2,3")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		var h shoal.Histogram
		if err := sqlstore.DecodeHistogram(s, &h); err != nil {
			return
		}
		var again shoal.Histogram
		if err := sqlstore.DecodeHistogram(sqlstore.EncodeHistogram(&h), &again); err != nil || again != h {
			t.Fatalf("re-encoding %v failed: %v", h, err)
		}
	})
}

package shoal_test

import (
	"testing"

	"github.com/shoalhq/shoal"
)

func TestPartitionValueEscaping(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"2026-01-01", "a:b", "x/y", "50%", "a=b", "中国", "tab\there", "#[]"} {
		esc := shoal.EscapePartitionValue(v)
		if got := shoal.UnescapePartitionValue(esc); got != v {
			t.Errorf("round trip of %q: escaped %q, back %q", v, esc, got)
		}
	}
	if got := shoal.EscapePartitionValue("12:30"); got != "12%3A30" {
		t.Errorf("escape 12:30 = %q", got)
	}
	if got := shoal.UnescapePartitionValue("bad%zzescape%"); got != "bad%zzescape%" {
		t.Errorf("malformed escapes must be kept, got %q", got)
	}
	if k, v, ok := shoal.ParsePartitionDir("hour=12%3A00"); !ok || k != "hour" || v != "12:00" {
		t.Errorf("ParsePartitionDir = %q %q %v", k, v, ok)
	}
	if _, _, ok := shoal.ParsePartitionDir("=x"); ok {
		t.Error("an empty key is not a partition directory")
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	for head, want := range map[string]shoal.Format{
		"PAR1\x15\x04":      shoal.FormatParquet,
		"ORC\x0a":           shoal.FormatORC,
		"Obj\x01\x04":       shoal.FormatAvro,
		"\x1f\x8b\x08\x00":  shoal.FormatTextGzip,
		"SEQ\x06":           shoal.FormatSequence,
		"RCF\x01":           shoal.FormatRCFile,
		"id,name\n1,x\n":    shoal.FormatText,
		"a\x01b\x01c\n":     shoal.FormatText,
		"":                  shoal.FormatUnknown,
		"\x00\x00\x00\x10x": shoal.FormatUnknown,
	} {
		if got := shoal.DetectFormat([]byte(head)); got != want {
			t.Errorf("DetectFormat(%q) = %s, want %s", head, got, want)
		}
	}
}

func TestHistogramBucket(t *testing.T) {
	t.Parallel()
	for size, want := range map[int64]int{0: 0, 1023: 0, 1024: 1, 2047: 1, 2048: 2, 1 << 20: 11, 16<<20 - 1: 14, 1 << 31: 22, 1 << 32: 23, 1 << 50: 23} {
		if got := shoal.HistogramBucket(size); got != want {
			t.Errorf("HistogramBucket(%d) = %d, want %d", size, got, want)
		}
		lo, hi := shoal.HistogramBucketBounds(want)
		if size < lo || (hi >= 0 && size >= hi) {
			t.Errorf("size %d outside bucket %d bounds [%d, %d)", size, want, lo, hi)
		}
	}
}

func TestThresholds_Validate(t *testing.T) {
	t.Parallel()
	if err := shoal.DefaultThresholds.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := shoal.DefaultThresholds
	bad.SmallFileSize = bad.TargetFileSize + 1
	if shoal.ErrorCode(bad.Validate()) != shoal.EINVALID {
		t.Error("small > target must be invalid")
	}
}

func FuzzUnescapePartitionValue(f *testing.F) {
	for _, s := range []string{"a%3Ab", "%", "%%", "%zz", "中%E4%B8%AD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := shoal.EscapePartitionValue(s)
		if got := shoal.UnescapePartitionValue(esc); got != s {
			t.Fatalf("round trip of %q via %q gave %q", s, esc, got)
		}
	})
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 12 << 20: "12.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := shoal.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

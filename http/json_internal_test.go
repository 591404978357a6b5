package http

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/http/api"
)

// The hand-written list encoders must produce the same documents as
// encoding/json on the generated API types.

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, b)
	}
	return v
}

var awkward = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x01\x1f ctl", "<script>&amp;",
	"中国 ünïcödé", "bad utf8 \xff\xfe", "line\u2028sep\u2029", "dt=2026-01-01/country=a%3Ab"}

func sampleTables() []shoal.TableStats {
	var out []shoal.TableStats
	for i, s := range awkward {
		t := shoal.TableStats{
			Database: s, Table: "t" + s, Location: "/wh/" + s, Format: shoal.FormatParquet, Owner: s,
			Partitioned: i%2 == 0, Transactional: i%3 == 0, Partitions: int64(i), Files: int64(i * 7), Bytes: int64(i) << 33,
			Small: int64(i * 3), MinSize: 1, MaxSize: 1 << 40, Blocks: 9, NameNodeHeap: 1 << 50,
			FilesAfterMerge: 2, ReducibleFiles: int64(i * 5), ErrorPartitions: int64(i % 2),
		}
		if i%3 != 1 {
			t.OldestModTime = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
			t.NewestModTime = time.Date(2026, 11, 2, 3, 4, 5, 0, time.FixedZone("x", 8*3600))
		}
		for b := range t.Histogram {
			t.Histogram[b] = int64(b * i)
		}
		out = append(out, t)
	}
	return out
}

func TestTableListResponse_MatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	tables := sampleTables()
	rec := httptest.NewRecorder()
	if err := (tableListResponse{scanID: 7, total: 1234, items: tables}).VisitListTablesResponse(rec); err != nil {
		t.Fatal(err)
	}
	want := api.TableList{ScanId: 7, Total: 1234}
	for i := range tables {
		want.Items = append(want.Items, tableJSON(&tables[i]))
	}
	wb, _ := json.Marshal(want)
	if got, exp := decode(t, rec.Body.Bytes()), decode(t, wb); !reflect.DeepEqual(got, exp) {
		t.Errorf("fast encoding differs:\n got %s\nwant %s", rec.Body.Bytes(), wb)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
}

func TestPartitionListResponse_MatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	var parts []shoal.PartitionStats
	for i, s := range awkward {
		p := shoal.PartitionStats{
			Database: "db", Table: s, Spec: s, Location: "/x/" + s, Format: shoal.FormatTextGzip,
			Files: int64(i), Bytes: int64(i * 1000), Small: int64(i / 2), MinSize: 3, MedianSize: 5, MaxSize: 9,
			Blocks: 4, NameNodeHeap: 750, FilesAfterMerge: 1, ReducibleFiles: int64(i), Error: s,
		}
		if i%2 == 0 {
			p.OldestModTime = time.Unix(1.7e9, 5).UTC()
			p.NewestModTime = time.Unix(1.8e9, 0).In(time.FixedZone("y", -5*3600))
		}
		p.Histogram[i] = int64(i + 1)
		parts = append(parts, p)
	}
	rec := httptest.NewRecorder()
	if err := (partitionListResponse{scanID: 3, total: 99, items: parts}).VisitListTablePartitionsResponse(rec); err != nil {
		t.Fatal(err)
	}
	want := api.PartitionList{ScanId: 3, Total: 99}
	for i := range parts {
		want.Items = append(want.Items, partitionJSON(&parts[i]))
	}
	wb, _ := json.Marshal(want)
	if got, exp := decode(t, rec.Body.Bytes()), decode(t, wb); !reflect.DeepEqual(got, exp) {
		t.Errorf("fast encoding differs:\n got %s\nwant %s", rec.Body.Bytes(), wb)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("appendString(%q) is not JSON: %v", s, err)
		}
		var want string
		wb, _ := json.Marshal(s)
		if err := json.Unmarshal(wb, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	})
}

// partitionJSON is the reference: the generated type, filled field by field.
func partitionJSON(p *shoal.PartitionStats) api.PartitionStats {
	return api.PartitionStats{
		Database: p.Database, Table: p.Table, Spec: p.Spec, Location: p.Location, Format: api.Format(p.Format),
		Files: p.Files, Bytes: p.Bytes, SmallFiles: p.Small, SmallRatio: p.SmallRatio(), AvgSize: avg(p.Bytes, p.Files),
		MinSize: p.MinSize, MedianSize: p.MedianSize, MaxSize: p.MaxSize, OldestMtime: timePtr(p.OldestModTime),
		NewestMtime: timePtr(p.NewestModTime), NamenodeHeapBytes: p.NameNodeHeap, FilesAfterMerge: p.FilesAfterMerge,
		ReducibleFiles: p.ReducibleFiles, Histogram: p.Histogram[:], Error: strPtr(p.Error),
	}
}

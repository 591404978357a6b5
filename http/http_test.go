package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	shoalhttp "github.com/shoalhq/shoal/http"
	"github.com/shoalhq/shoal/store/sqlite"
)

// newHandler serves a real SQLite store holding one snapshot of two tables.
func newHandler(tb testing.TB) http.Handler {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "s.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	sc := &shoal.Scan{Catalog: "warehouse:///wh", State: shoal.ScanRunning, Thresholds: shoal.DefaultThresholds}
	if err := st.CreateScan(ctx, sc); err != nil {
		tb.Fatal(err)
	}
	w, err := st.SnapshotWriter(ctx, sc.ID)
	if err != nil {
		tb.Fatal(err)
	}
	var totals shoal.Totals
	for _, name := range []string{"a", "b"} {
		tbl := shoal.Table{Database: "db", Name: name, PartitionKeys: []string{"dt"}}
		ts := shoal.NewTableStats(&tbl)
		var parts []shoal.PartitionStats
		for i := range 5 {
			p := shoal.PartitionStats{Database: "db", Table: name, Spec: "dt=" + string(rune('0'+i)), Files: int64(i + 1), Bytes: int64(100 * i), Small: 1}
			ts.AddPartition(&p)
			parts = append(parts, p)
		}
		if err := w.WritePartitions(ctx, parts); err != nil {
			tb.Fatal(err)
		}
		if err := w.WriteTables(ctx, []shoal.TableStats{ts}); err != nil {
			tb.Fatal(err)
		}
		totals.Add(&ts)
	}
	w.Close()
	done, now := shoal.ScanSucceeded, time.Now()
	if _, err := st.UpdateScan(ctx, sc.ID, shoal.ScanUpdate{State: &done, FinishedAt: &now, Totals: &totals}); err != nil {
		tb.Fatal(err)
	}
	h, err := (&shoalhttp.Server{Store: st}).Handler()
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// FuzzHandler_Query sends arbitrary query strings to every read endpoint:
// the answer is never a 5xx, and an error is JSON with a code and message.
func FuzzHandler_Query(f *testing.F) {
	for _, q := range []string{"", "limit=10&offset=5", "sort=files&order=asc", "limit=abc", "limit=99999",
		"offset=-3", "sort=nope", "order=up", "format=orc", "scan_id=1", "scan_id=0", "scan_id=99999999999999999999",
		"search=%25", "search=a_b", "errors=true", "errors=maybe", "state=running", "database=db&table=a", "database=db",
		"limit=1&limit=2", "%zz", "scan_id=-1", "limit=0", "search=" + strings.Repeat("x", 300)} {
		f.Add(q)
	}
	h := newHandler(f)
	paths := []string{"/api/v1/summary", "/api/v1/scans", "/api/v1/databases", "/api/v1/tables", "/api/v1/tables/db/a",
		"/api/v1/tables/db/a/partitions", "/api/v1/tables/db/missing/partitions", "/api/v1/partitions", "/api/v1/trends"}
	f.Fuzz(func(t *testing.T, q string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL = &url.URL{Path: p, RawQuery: q}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s?%s = %d: %s", p, q, rec.Code, rec.Body.String())
			}
			if rec.Code >= 400 {
				var e struct{ Code, Message string }
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
					t.Fatalf("GET %s?%s = %d with a body that is not a JSON error: %s", p, q, rec.Code, rec.Body.String())
				}
			}
		}
	})
}

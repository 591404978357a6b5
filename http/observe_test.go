package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	shoalhttp "github.com/shoalhq/shoal/http"
	"github.com/shoalhq/shoal/internal/telemetry"
	"github.com/shoalhq/shoal/store/sqlite"
)

// faultyStore panics on ListScans and fails GetScan with an internal
// error; everything else is a real SQLite store.
type faultyStore struct{ shoal.Store }

func (faultyStore) ListScans(context.Context, shoal.ScanFilter) ([]*shoal.Scan, int64, error) {
	panic("boom in ListScans")
}

func (faultyStore) GetScan(context.Context, int64) (*shoal.Scan, error) {
	return nil, errors.New("disk on fire in GetScan")
}

// sentryEvent is the part of an envelope's event item the test reads.
type sentryEvent struct {
	Message string            `json:"message"`
	Level   string            `json:"level"`
	Tags    map[string]string `json:"tags"`
	Release string            `json:"release"`
	// Envelope events hold the exception list itself.
	Exception []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"exception"`
}

// sentryServer stands in for Sentry: it parses the envelopes posted to
// /api/1/envelope/ and keeps their event items.
type sentryServer struct {
	*httptest.Server
	mu     sync.Mutex
	events []sentryEvent
	raw    []string
}

func newSentryServer(t *testing.T) *sentryServer {
	s := &sentryServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/1/envelope/" {
			t.Errorf("sentry request to %s", r.URL.Path)
			return
		}
		// An envelope is a header line, then item header and payload
		// lines.
		lines := bytes.Split(bytes.TrimSpace(body), []byte("\n"))
		var head struct {
			DSN string `json:"dsn"`
		}
		if err := json.Unmarshal(lines[0], &head); err != nil {
			t.Errorf("envelope header %q: %v", lines[0], err)
		}
		for i := 1; i+1 < len(lines); i += 2 {
			var item struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(lines[i], &item); err != nil {
				t.Errorf("item header %q: %v", lines[i], err)
				return
			}
			if item.Type != "event" {
				continue
			}
			var e sentryEvent
			if err := json.Unmarshal(lines[i+1], &e); err != nil {
				t.Errorf("event %q: %v", lines[i+1], err)
				return
			}
			s.mu.Lock()
			s.events = append(s.events, e)
			s.raw = append(s.raw, string(lines[i+1]))
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sentryServer) got() ([]sentryEvent, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentryEvent(nil), s.events...), append([]string(nil), s.raw...)
}

func TestSentry_PanicAndErrorArrive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sentrySrv := newSentryServer(t)
	dsn := "http://public@" + strings.TrimPrefix(sentrySrv.URL, "http://") + "/1"
	rep, err := telemetry.NewSentry(config.SentryConfig{DSN: dsn, Environment: "test", SampleRate: 1}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv := &shoalhttp.Server{Store: faultyStore{st}, Sentry: rep}
	h, err := srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, c := range []struct {
		path string
		want int
	}{{"/api/v1/scans", 500}, {"/api/v1/scans/1", 500}, {"/healthz", 200}, {"/api/v1/scans/1", 500}} {
		resp, err := http.Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("GET %s = %d %s, want %d", c.path, resp.StatusCode, body, c.want)
		}
		if c.want == 500 && (strings.Contains(string(body), "disk on fire") || strings.Contains(string(body), "boom")) {
			t.Errorf("GET %s leaks the internal error: %s", c.path, body)
		}
	}
	if err := rep.Close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	events, raw := sentrySrv.got()
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3 (a panic, two errors): %v", len(events), raw)
	}
	var panics, errs int
	for i, e := range events {
		switch {
		case strings.Contains(raw[i], "boom in ListScans"):
			panics++
			if e.Tags["route"] != "GET /api/v1/scans" || e.Level != "fatal" {
				t.Errorf("panic event %s", raw[i])
			}
		case strings.Contains(raw[i], "disk on fire in GetScan"):
			errs++
			if e.Tags["route"] != "GET /api/v1/scans/{id}" || e.Tags["status"] != "500" || len(e.Exception) == 0 || e.Exception[0].Value != "disk on fire in GetScan" {
				t.Errorf("error event %s", raw[i])
			}
		default:
			t.Errorf("unexpected event %s", raw[i])
		}
		if e.Release != "shoal@1.2.3" {
			t.Errorf("release %q", e.Release)
		}
	}
	if panics != 1 || errs != 2 {
		t.Errorf("%d panic and %d error events", panics, errs)
	}
}

func TestSentry_OffIsNil(t *testing.T) {
	t.Parallel()
	rep, err := telemetry.NewSentry(config.SentryConfig{SampleRate: 1}, "x")
	if rep != nil || err != nil {
		t.Fatalf("no DSN: %v, %v", rep, err)
	}
	rep.CaptureError(context.Background(), errors.New("ignored"), nil)
	if err := rep.Close(time.Second); err != nil {
		t.Fatal(err)
	}
}

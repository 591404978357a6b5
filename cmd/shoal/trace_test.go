package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/shoalhq/shoal/config"
)

// otlpCollector is an OTLP/HTTP traces endpoint: it decodes the protobuf
// export requests and keeps their spans.
type otlpCollector struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []*tracepb.Span
	services map[string]bool
}

func newOTLPCollector(t *testing.T) *otlpCollector {
	c := &otlpCollector{services: map[string]bool{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP request %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Error(err)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Errorf("decode OTLP request: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.GetKey() == "service.name" {
					c.services[a.GetValue().GetStringValue()] = true
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				c.spans = append(c.spans, ss.GetSpans()...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTracing_RequestAndJobSpans runs serve with tracing on against a
// local OTLP collector: a scan queued with a W3C traceparent gives one
// trace in which the HTTP span is the child of the caller's span, the job
// span the child of the HTTP span, and the catalog and file-system spans
// descendants of the job span; the job's JSON logs carry its trace and
// span IDs. It is not parallel: tracing uses the global provider.
func TestTracing_RequestAndJobSpans(t *testing.T) {
	collector := newOTLPCollector(t)
	cfg := config.DefaultConfig()
	cfg.Catalog.URL = "warehouse://" + writeWarehouse(t)
	cfg.Store.URL = "sqlite://" + filepath.Join(t.TempDir(), "shoal.db")
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Tracing = config.TracingConfig{Enabled: true, Endpoint: collector.URL, SampleRatio: 1, ServiceName: "shoal-test"}
	cfg.Log = config.LogConfig{Level: "info", Format: "json"}
	if err := cfg.Validate(true); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	m := &Main{Config: cfg, Logger: newLogger(cfg.Log, &logs)}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = m.Close(context.Background())
		}
	}()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, err := http.NewRequest("POST", m.URL()+"/api/v1/scans", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sc scanResp
	if err := json.NewDecoder(resp.Body).Decode(&sc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /scans = %d", resp.StatusCode)
	}
	waitUntil(t, "the scan", 30*time.Second, func() bool {
		getJSON(t, fmt.Sprintf("%s/api/v1/scans/%d", m.URL(), sc.ID), 200, &sc)
		return sc.State == "succeeded"
	})
	time.Sleep(200 * time.Millisecond) // the job's span ends after the scan record
	closed = true
	if err := m.Close(context.Background()); err != nil { // flushes the spans
		t.Fatal(err)
	}

	collector.mu.Lock()
	defer collector.mu.Unlock()
	if !collector.services["shoal-test"] {
		t.Errorf("service names %v", collector.services)
	}
	byID := map[string]*tracepb.Span{}
	var inTrace []*tracepb.Span
	for _, s := range collector.spans {
		if hex.EncodeToString(s.GetTraceId()) == traceID {
			inTrace = append(inTrace, s)
			byID[hex.EncodeToString(s.GetSpanId())] = s
		}
	}
	find := func(name string) *tracepb.Span {
		for _, s := range inTrace {
			if s.GetName() == name {
				return s
			}
		}
		var names []string
		for _, s := range inTrace {
			names = append(names, s.GetName())
		}
		t.Fatalf("no span %q in the trace; it holds %v (%d spans received in all)", name, names, len(collector.spans))
		return nil
	}
	httpSpan := find("POST /api/v1/scans")
	if hex.EncodeToString(httpSpan.GetParentSpanId()) != parentID || httpSpan.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("HTTP span parent %x kind %v, want parent %s (the traceparent)", httpSpan.GetParentSpanId(), httpSpan.GetKind(), parentID)
	}
	job := find("job scan")
	if string(job.GetParentSpanId()) != string(httpSpan.GetSpanId()) {
		t.Errorf("job span parent %x, want the HTTP span %x", job.GetParentSpanId(), httpSpan.GetSpanId())
	}
	// descends reports whether s is below ancestor in the trace.
	descends := func(s, ancestor *tracepb.Span) bool {
		for p := byID[hex.EncodeToString(s.GetParentSpanId())]; p != nil; p = byID[hex.EncodeToString(p.GetParentSpanId())] {
			if p == ancestor {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"catalog.Databases", "catalog.Tables", "fs.List"} {
		if s := find(name); !descends(s, job) {
			t.Errorf("span %s is not below the job span", name)
		}
	}
	// The job's logs carry its trace and span.
	jobSpanID := hex.EncodeToString(job.GetSpanId())
	found := false
	sc2 := bufio.NewScanner(bytes.NewReader([]byte(logs.String())))
	for sc2.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc2.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc2.Text(), err)
		}
		if rec["msg"] == "scan started" {
			found = true
			if rec["trace_id"] != traceID || rec["span_id"] != jobSpanID {
				t.Errorf("scan started logged with trace_id %v span_id %v, want %s %s", rec["trace_id"], rec["span_id"], traceID, jobSpanID)
			}
		}
	}
	if !found {
		t.Errorf("no scan started record in %s", logs.String())
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
)

// contractMetrics are the metric names every fresh `shoal serve` exports
// (the shared monitoring contract; dashboards and alerts use them).
var contractMetrics = []string{
	"shoal_build_info",
	"shoal_http_requests_total", "shoal_http_request_duration_seconds", "shoal_http_requests_in_flight",
	"shoal_scan_listings_total", "shoal_scan_partitions_total", "shoal_scan_files_total", "shoal_scan_bytes_total",
	"shoal_scan_partition_errors_total",
	"shoal_warehouse_files", "shoal_warehouse_small_files", "shoal_warehouse_bytes", "shoal_warehouse_partitions",
	"shoal_warehouse_tables", "shoal_warehouse_namenode_heap_bytes", "shoal_warehouse_reducible_files",
	"shoal_warehouse_snapshot_timestamp_seconds",
	"shoal_jobs_queued", "shoal_jobs_running", "shoal_jobs_oldest_running_seconds",
	"shoal_jobs_finished_total", "shoal_job_duration_seconds",
	"shoal_merges_total", "shoal_merge_bytes_total", "shoal_merge_files_removed_total",
	"shoal_merge_validation_failures_total", "shoal_merge_rollbacks_total",
	"shoal_store_up", "shoal_store_pool_connections", "shoal_store_query_duration_seconds",
	"shoal_notifications_total",
	"go_goroutines", "process_cpu_seconds_total",
}

// scrape reads and parses a /metrics page.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// value returns the value of the series of family name whose labels
// include want; ok is false when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func mustValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := value(mfs, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

type labels = map[string]string

func TestObserve_FreshServeExportsTheContract(t *testing.T) {
	t.Parallel()
	m := newMainWith(t, writeWarehouse(t), func(c *mainConfig) {
		c.Catalogs = []config.CatalogConfig{{Name: "second", URL: c.Catalog.URL}}
	})
	mfs := scrape(t, m.URL()+"/metrics")
	for _, name := range contractMetrics {
		if _, ok := mfs[name]; !ok {
			t.Errorf("a fresh serve does not export %s", name)
		}
	}
	// One series per configured catalog, zero before the first scan.
	for _, cat := range []string{"default", "second"} {
		for _, name := range []string{"shoal_warehouse_files", "shoal_warehouse_snapshot_timestamp_seconds", "shoal_merge_rollbacks_total"} {
			if v := mustValue(t, mfs, name, labels{"catalog": cat}); v != 0 {
				t.Errorf("%s{catalog=%s} = %v before any scan", name, cat, v)
			}
		}
		for _, st := range []string{"succeeded", "failed"} {
			mustValue(t, mfs, "shoal_merges_total", labels{"catalog": cat, "status": st})
		}
	}
	for _, kind := range []string{"scan", "merge"} {
		for _, st := range []string{"succeeded", "failed", "cancelled"} {
			mustValue(t, mfs, "shoal_jobs_finished_total", labels{"kind": kind, "status": st})
		}
		for _, g := range []string{"shoal_jobs_queued", "shoal_jobs_running", "shoal_jobs_oldest_running_seconds"} {
			if v := mustValue(t, mfs, g, labels{"kind": kind}); v != 0 {
				t.Errorf("%s{kind=%s} = %v on an idle server", g, kind, v)
			}
		}
	}
	for _, typ := range config.NotifyTypes {
		mustValue(t, mfs, "shoal_notifications_total", labels{"type": typ, "status": "sent"})
		mustValue(t, mfs, "shoal_notifications_total", labels{"type": typ, "status": "failed"})
	}
	if v := mustValue(t, mfs, "shoal_store_up", nil); v != 1 {
		t.Errorf("shoal_store_up = %v", v)
	}
	mustValue(t, mfs, "shoal_store_pool_connections", labels{"state": "idle"})
	mustValue(t, mfs, "shoal_store_pool_connections", labels{"state": "in_use"})
	// Each scrape pings the store and reads the newest snapshots.
	mfs = scrape(t, m.URL()+"/metrics")
	if v := mustValue(t, mfs, "shoal_store_query_duration_seconds", labels{"op": "LatestSnapshot"}); v < 2 {
		t.Errorf("LatestSnapshot measured %v times, want one per catalog", v)
	}
}

// TestObserve_ReferenceListsEveryMetric checks that the observability
// reference documents every metric family a fresh serve exports.
func TestObserve_ReferenceListsEveryMetric(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/operations/observability-reference.md")
	if err != nil {
		t.Fatal(err)
	}
	m := newMain(t, writeWarehouse(t))
	mfs := scrape(t, m.URL()+"/metrics")
	var missing []string
	for name := range mfs {
		documented := bytes.Contains(doc, []byte("`"+name+"`"))
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			documented = bytes.Contains(doc, []byte("`go_*`")) && bytes.Contains(doc, []byte("`process_*`"))
		}
		if !documented {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/operations/observability-reference.md does not document %v", missing)
	}
	// And the reference names no shoal_ metric that does not exist.
	for _, name := range regexp.MustCompile("`(shoal_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		if _, ok := mfs[name[1]]; !ok {
			t.Errorf("the reference documents %s, which serve does not export", name[1])
		}
	}
}

// hookRecorder is a webhook endpoint that records notifications.
type hookRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func newHookRecorder(t *testing.T) *hookRecorder {
	h := &hookRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e map[string]any
		if err := json.NewDecoder(r.Body).Decode(&e); err == nil {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookRecorder) ofType(typ string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, e := range h.events {
		if e["event"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestObserve_CountersMove runs a scan, a merge and its rollback through
// the API and checks that the job, scan, merge, store and warehouse
// metrics count them, and that the rollback is notified.
func TestObserve_CountersMove(t *testing.T) {
	t.Parallel()
	hook := newHookRecorder(t)
	root := coldWarehouse(t)
	m := newMainWith(t, root, func(c *mainConfig) {
		c.Merge.MinAge = config.Duration(time.Hour)
		c.Notify.Channels = []config.NotifyChannel{{Name: "hook", Type: "webhook", URL: hook.URL}}
	})
	base := m.URL() + "/api/v1"
	var sc scanResp
	if code, body := send(t, "POST", base+"/scans", "", ""); code != http.StatusAccepted {
		t.Fatalf("scan: %d %s", code, body)
	} else if err := json.Unmarshal(body, &sc); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the scan", 30*time.Second, func() bool {
		getJSON(t, fmt.Sprintf("%s/scans/%d", base, sc.ID), 200, &sc)
		return sc.State == "succeeded"
	})
	mfs := scrape(t, m.URL()+"/metrics")
	if v := mustValue(t, mfs, "shoal_jobs_finished_total", labels{"kind": "scan", "status": "succeeded"}); v != 1 {
		t.Errorf("scan jobs succeeded = %v", v)
	}
	if v := mustValue(t, mfs, "shoal_job_duration_seconds", labels{"kind": "scan"}); v != 1 {
		t.Errorf("scan durations observed = %v", v)
	}
	if v := mustValue(t, mfs, "shoal_warehouse_files", labels{"catalog": "default"}); v != 8 {
		t.Errorf("warehouse files = %v, want 8", v)
	}
	if v := mustValue(t, mfs, "shoal_warehouse_snapshot_timestamp_seconds", labels{"catalog": "default"}); time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("snapshot timestamp %v is not recent", v)
	}
	if v := mustValue(t, mfs, "shoal_scan_files_total", nil); v != 8 {
		t.Errorf("scan files = %v", v)
	}
	if v := mustValue(t, mfs, "shoal_store_query_duration_seconds", labels{"op": "WritePartitions"}); v < 1 {
		t.Errorf("WritePartitions measured %v times", v)
	}
	if v := mustValue(t, mfs, "shoal_http_requests_total", labels{"route": "POST /api/v1/scans", "code": "202"}); v != 1 {
		t.Errorf("POST /scans counted %v times", v)
	}

	code, body := send(t, "POST", base+"/merges", "", `{"database":"db1","table":"events"}`)
	if code != http.StatusCreated {
		t.Fatalf("plan: %d %s", code, body)
	}
	var job shoal.MergeJob
	if err := json.Unmarshal(body, &job); err != nil {
		t.Fatal(err)
	}
	if code, body := send(t, "POST", fmt.Sprintf("%s/merges/%d/run", base, job.ID), "", ""); code != http.StatusAccepted {
		t.Fatalf("run: %d %s", code, body)
	}
	waitUntil(t, "the merge", 30*time.Second, func() bool {
		getJSON(t, fmt.Sprintf("%s/merges/%d", base, job.ID), 200, &job)
		if job.State == shoal.MergeFailed {
			t.Fatalf("merge failed: %s", job.Error)
		}
		return job.State == shoal.MergeSucceeded
	})
	var bytesMerged, removed float64
	for _, p := range job.Plan.Partitions {
		bytesMerged += float64(p.BytesToRewrite)
		removed += float64(p.FilesBefore - p.FilesAfter)
	}
	// The job's state is written before the worker counts it.
	waitUntil(t, "the merge job metric", 10*time.Second, func() bool {
		v, _ := value(scrape(t, m.URL()+"/metrics"), "shoal_jobs_finished_total", labels{"kind": "merge", "status": "succeeded"})
		return v == 1
	})
	mfs = scrape(t, m.URL()+"/metrics")
	cat := labels{"catalog": "default"}
	if v := mustValue(t, mfs, "shoal_merges_total", labels{"catalog": "default", "status": "succeeded"}); v != 1 {
		t.Errorf("merges succeeded = %v", v)
	}
	if v := mustValue(t, mfs, "shoal_merge_bytes_total", cat); v != bytesMerged || v == 0 {
		t.Errorf("merge bytes = %v, want %v", v, bytesMerged)
	}
	if v := mustValue(t, mfs, "shoal_merge_files_removed_total", cat); v != removed || v != 6 {
		t.Errorf("files removed = %v, want %v (2 partitions of 4 files into 1)", v, removed)
	}
	if v := mustValue(t, mfs, "shoal_merge_rollbacks_total", cat); v != 0 {
		t.Errorf("rollbacks before the rollback = %v", v)
	}
	if code, body := send(t, "POST", fmt.Sprintf("%s/merges/%d/rollback", base, job.ID), "", ""); code != 200 {
		t.Fatalf("rollback: %d %s", code, body)
	}
	mfs = scrape(t, m.URL()+"/metrics")
	if v := mustValue(t, mfs, "shoal_merge_rollbacks_total", cat); v != 1 {
		t.Errorf("rollbacks = %v, want 1", v)
	}
	waitUntil(t, "the rollback notification", 10*time.Second, func() bool { return len(hook.ofType("rollback")) == 1 })
	e := hook.ofType("rollback")[0]
	if e["catalog"] != "default" || !strings.Contains(fmt.Sprint(e["title"]), fmt.Sprintf("merge %d of db1.events rolled back", job.ID)) {
		t.Errorf("rollback notification %v", e)
	}
	waitUntil(t, "the sent count", 10*time.Second, func() bool {
		v, _ := value(scrape(t, m.URL()+"/metrics"), "shoal_notifications_total", labels{"type": "webhook", "status": "sent"})
		return v == 1
	})
}

// TestObserve_FailedScanIsCountedAndNotified removes the warehouse under a
// running serve: the scan fails, is counted failed, and job_failed is
// posted to the webhook.
func TestObserve_FailedScanIsCountedAndNotified(t *testing.T) {
	t.Parallel()
	hook := newHookRecorder(t)
	root := writeWarehouse(t)
	m := newMainWith(t, root, func(c *mainConfig) {
		c.Notify.Channels = []config.NotifyChannel{{Name: "hook", Type: "webhook", URL: hook.URL}}
		c.Notify.Routes = []config.NotifyRoute{{Events: []string{"job_failed"}, Catalogs: []string{"default"}, Channels: []string{"hook"}}}
	})
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	sc, err := m.StartScan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the failure notification", 30*time.Second, func() bool { return len(hook.ofType("job_failed")) == 1 })
	e := hook.ofType("job_failed")[0]
	j, _ := e["job"].(map[string]any)
	if e["catalog"] != "default" || j["kind"] != "scan" || j["id"] != float64(sc.ID) || j["error"] == "" {
		t.Errorf("notification %v", e)
	}
	mfs := scrape(t, m.URL()+"/metrics")
	if v := mustValue(t, mfs, "shoal_jobs_finished_total", labels{"kind": "scan", "status": "failed"}); v != 1 {
		t.Errorf("failed scans = %v", v)
	}
}

func TestWorker_ListenerServesProbesAndMetrics(t *testing.T) {
	t.Parallel()
	cfg := config.DefaultConfig()
	cfg.Catalog.URL = "warehouse://" + writeWarehouse(t)
	cfg.Store.URL = "sqlite://" + filepath.Join(t.TempDir(), "shoal.db")
	cfg.Worker.Addr = "127.0.0.1:0"
	if err := cfg.Validate(true); err != nil {
		t.Fatal(err)
	}
	w := &Worker{Config: cfg, Logger: newLogger(config.LogConfig{Level: "warn", Format: "text"}, io.Discard)}
	if err := w.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	storeClosed := false
	defer func() {
		// The store is closed below on purpose; only other errors count.
		if err := w.Close(context.Background()); err != nil && !storeClosed {
			t.Error(err)
		}
	}()
	getJSON(t, w.URL()+"/healthz", 200, nil)
	getJSON(t, w.URL()+"/readyz", 200, nil)
	mfs := scrape(t, w.URL()+"/metrics")
	for _, name := range []string{"shoal_jobs_queued", "shoal_jobs_finished_total", "shoal_merges_total", "shoal_scan_files_total",
		"shoal_store_up", "shoal_store_query_duration_seconds", "shoal_notifications_total", "go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("worker /metrics lacks %s", name)
		}
	}
	if _, ok := mfs["shoal_http_requests_total"]; ok {
		t.Error("the worker exports the API's HTTP metrics")
	}
	// With the store gone, readiness fails and shoal_store_up drops.
	storeClosed = true
	if err := w.backend.store.Close(); err != nil {
		t.Fatal(err)
	}
	var e struct{ Status string }
	getJSON(t, w.URL()+"/readyz", 503, &e)
	if e.Status != "store unreachable" {
		t.Errorf("readyz = %+v", e)
	}
	mfs = scrape(t, w.URL()+"/metrics")
	if v := mustValue(t, mfs, "shoal_store_up", nil); v != 0 {
		t.Errorf("shoal_store_up = %v with the store closed", v)
	}
	if _, ok := mfs["shoal_jobs_queued"]; ok {
		t.Error("job gauges reported with the store closed")
	}
}

func TestRun_WorkerListenerAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"worker", "--addr", ln.Addr().String(), "--catalog", "warehouse://" + writeWarehouse(t),
		"--store", "sqlite://" + filepath.Join(t.TempDir(), "s.db")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "worker.addr") {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_Healthcheck(t *testing.T) {
	t.Parallel()
	m := newMain(t, writeWarehouse(t))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--url", m.URL() + "/healthz"}, &out, io.Discard); err != nil {
		t.Fatalf("healthy server: %v", err)
	}
	if !strings.Contains(out.String(), "200 OK") {
		t.Errorf("output %q", out.String())
	}
	// A 404 is unhealthy.
	err := run(context.Background(), []string{"healthcheck", "--url", m.URL() + "/api/v1/nope"}, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: err = %v", err)
	}
	// A closed port is unhealthy.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()
	err = run(context.Background(), []string{"healthcheck", "--url", closed}, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed port: err = %v", err)
	}
	// A server that does not answer times out after 3 s.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hang.Close()
	start := time.Now()
	err = run(context.Background(), []string{"healthcheck", "--url", hang.URL}, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "no answer within 3s") || time.Since(start) > 6*time.Second {
		t.Errorf("hanging server: err = %v after %s", err, time.Since(start))
	}
	if err := run(context.Background(), []string{"healthcheck", "--url", "ftp://x"}, io.Discard, io.Discard); err == nil || exitCode(err) != 1 {
		t.Errorf("bad URL: err = %v", err)
	}
}

func TestRun_Version(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^shoal \S+ \(commit \S+, built \S+\)$`).MatchString(lines[0]) ||
		lines[1] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version output %q", out.String())
	}
}

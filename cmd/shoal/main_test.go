package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
)

// writeWarehouse writes a small warehouse: db1.t1 with 3 partitions of
// 1..3 files of 100 bytes and db1.t2 unpartitioned with 2 files.
func writeWarehouse(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for p := 1; p <= 3; p++ {
		for f := 0; f < p; f++ {
			write(t, filepath.Join(root, "db1.db", "t1", fmt.Sprintf("dt=2026-01-0%d", p), fmt.Sprintf("part-%d", f)), 100)
		}
	}
	write(t, filepath.Join(root, "db1.db", "t2", "a.csv"), 5000)
	write(t, filepath.Join(root, "db1.db", "t2", "b.csv"), 70)
	return root
}

func write(t *testing.T, p string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Repeat([]byte("a,b\n"), n/4+1)[:n], 0o644); err != nil {
		t.Fatal(err)
	}
}

// newMain starts a real Main on a loopback port with a temporary store.
func newMain(t *testing.T, root string) *Main {
	t.Helper()
	return newMainWith(t, root, nil)
}

type mainConfig = config.Config

// newMainWith is newMain with a hook that changes the config.
func newMainWith(t *testing.T, root string, change func(*mainConfig)) *Main {
	t.Helper()
	cfg := config.DefaultConfig()
	cfg.Catalog.URL = "warehouse://" + root
	cfg.Store.URL = "sqlite://" + filepath.Join(t.TempDir(), "shoal.db")
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Policy.SmallFileSize = 1000
	cfg.Policy.TargetFileSize = 4096
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Validate(true); err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Logger: newLogger(config.LogConfig{Level: "warn", Format: "text"}, io.Discard)}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return m
}

func getJSON(t *testing.T, url string, wantStatus int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s = %d %s, want %d", url, resp.StatusCode, body, wantStatus)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
}

type scanResp struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Error  string `json:"error"`
	Totals struct {
		Files      int64 `json:"files"`
		SmallFiles int64 `json:"small_files"`
		Partitions int64 `json:"partitions"`
		Tables     int64 `json:"tables"`
	} `json:"totals"`
}

func TestMain_ScanThroughAPI(t *testing.T) {
	t.Parallel()
	m := newMain(t, writeWarehouse(t))
	base := m.URL()

	// Before the first scan: an empty summary, not an error.
	var sum struct {
		Snapshot *scanResp `json:"snapshot"`
	}
	getJSON(t, base+"/api/v1/summary", 200, &sum)
	if sum.Snapshot != nil {
		t.Fatalf("summary before any scan has a snapshot: %+v", sum.Snapshot)
	}

	resp, err := http.Post(base+"/api/v1/scans", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var started scanResp
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || started.ID == 0 {
		t.Fatalf("POST /scans = %d %+v", resp.StatusCode, started)
	}

	// Follow the scan's server-sent events until the done event.
	ev, err := http.Get(fmt.Sprintf("%s/api/v1/scans/%d/events", base, started.ID))
	if err != nil {
		t.Fatal(err)
	}
	if ct := ev.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events content type %q", ct)
	}
	var last scanResp
	var sawDone bool
	sc := bufio.NewScanner(ev.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			if err := json.Unmarshal([]byte(d), &last); err != nil {
				t.Fatal(err)
			}
			if event == "done" {
				sawDone = true
			}
		}
	}
	ev.Body.Close()
	if !sawDone || last.State != "succeeded" {
		t.Fatalf("last event done=%v state=%q error=%q", sawDone, last.State, last.Error)
	}
	if last.Totals.Files != 8 || last.Totals.Tables != 2 || last.Totals.Partitions != 3 || last.Totals.SmallFiles != 7 {
		t.Errorf("totals = %+v, want 8 files, 2 tables, 3 partitions, 7 small", last.Totals)
	}

	var tables struct {
		Items []struct {
			Database   string `json:"database"`
			Table      string `json:"table"`
			Files      int64  `json:"files"`
			SmallFiles int64  `json:"small_files"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	getJSON(t, base+"/api/v1/tables?sort=name", 200, &tables)
	if tables.Total != 2 || tables.Items[0].Table != "t1" || tables.Items[0].Files != 6 || tables.Items[1].Files != 2 {
		t.Errorf("tables = %+v", tables)
	}
	var parts struct {
		Items []struct {
			Spec  string `json:"spec"`
			Files int64  `json:"files"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	getJSON(t, base+"/api/v1/tables/db1/t1/partitions?sort=files&order=desc&limit=2", 200, &parts)
	if parts.Total != 3 || len(parts.Items) != 2 || parts.Items[0].Spec != "dt=2026-01-03" || parts.Items[0].Files != 3 {
		t.Errorf("partitions = %+v", parts)
	}

	// A second scan while none runs is accepted; trends then hold two points.
	resp, _ = http.Post(base+"/api/v1/scans", "application/json", nil)
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s scanResp
		getJSON(t, fmt.Sprintf("%s/api/v1/scans/%d", base, started.ID), 200, &s)
		if s.State == "succeeded" {
			break
		}
		if time.Now().After(deadline) || s.State == "failed" {
			t.Fatalf("second scan: %+v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var trend struct {
		Items []struct {
			Files int64 `json:"files"`
		} `json:"items"`
	}
	getJSON(t, base+"/api/v1/trends?database=db1&table=t1", 200, &trend)
	if len(trend.Items) != 2 || trend.Items[1].Files != 6 {
		t.Errorf("trend = %+v", trend)
	}
}

func TestMain_BadRequests(t *testing.T) {
	t.Parallel()
	m := newMain(t, writeWarehouse(t))
	base := m.URL() + "/api/v1"
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/tables?limit=abc", 400, shoal.EINVALID},
		{"/tables?limit=5000", 400, shoal.EINVALID},
		{"/tables?offset=-1", 400, shoal.EINVALID},
		{"/tables?sort=bogus", 400, shoal.EINVALID},
		{"/tables?order=sideways", 400, shoal.EINVALID},
		{"/tables?format=xls", 400, shoal.EINVALID},
		{"/scans?state=exploded", 400, shoal.EINVALID},
		{"/scans/abc", 400, shoal.EINVALID},
		{"/scans/999", 404, shoal.ENOTFOUND},
		{"/scans/0/events", 400, shoal.EINVALID},
		{"/trends?database=x", 400, shoal.EINVALID},
		{"/tables/nodb/notable?scan_id=12345", 404, shoal.ENOTFOUND},
		{"/nope", 404, shoal.ENOTFOUND},
	} {
		var e struct{ Code, Message string }
		getJSON(t, base+c.path, c.status, &e)
		if e.Code != c.code || e.Message == "" {
			t.Errorf("GET %s: error %+v, want code %s with a message", c.path, e, c.code)
		}
	}
}

func TestMain_Probes(t *testing.T) {
	t.Parallel()
	m := newMain(t, writeWarehouse(t))
	getJSON(t, m.URL()+"/healthz", 200, nil)
	getJSON(t, m.URL()+"/readyz", 200, nil)
	var spec map[string]any
	getJSON(t, m.URL()+"/api/v1/openapi.json", 200, &spec)
	if spec["openapi"] != "3.0.3" {
		t.Errorf("openapi.json has openapi=%v", spec["openapi"])
	}
	resp, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"shoal_http_requests_total", `route="GET /api/v1/openapi.json"`, "shoal_warehouse_files", "shoal_build_info"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRun_ScanJSON(t *testing.T) {
	t.Parallel()
	root := writeWarehouse(t)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"scan", "--catalog", "warehouse://" + root,
		"--store", "sqlite://" + filepath.Join(t.TempDir(), "s.db"), "--output", "json"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var got scanJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if got.ScanID == 0 || got.Totals.Files != 8 || got.Totals.Tables != 2 || got.Totals.Partitions != 3 || got.Totals.Bytes != 6*100+5070 {
		t.Errorf("scan json = %+v", got)
	}
	// Field names scripts rely on.
	for _, f := range []string{`"scan_id"`, `"totals"`, `"small_files"`, `"tables"`, `"reducible_files"`, `"namenode_heap_bytes"`, `"format"`} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("output lacks %s", f)
		}
	}
}

func TestRun_Errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("scan:\n  concurrency: -3\nlog:\n  level: loud\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, 2},
		{[]string{"scan"}, "catalog.url: is required", 1},
		{[]string{"scan", "--catalog", "warehouse://" + dir, "--config", bad}, "scan.concurrency: must be between 1 and 1024, got -3", 1},
		{[]string{"scan", "--catalog", "warehouse://" + dir, "--config", bad}, `log.level: must be debug, info, warn or error, got "loud"`, 1},
		{[]string{"scan", "--catalog", "warehouse://" + dir, "--output", "xml", "--store", "sqlite://" + filepath.Join(dir, "x.db")}, "--output must be table or json", 2},
		{[]string{"scan", "--catalog", "thrift://hms:9083", "--store", "sqlite://" + filepath.Join(dir, "y.db")}, "cannot connect", 1},
		{[]string{"scan", "--catalog", "warehouse://" + filepath.Join(dir, "missing"), "--store", "sqlite://" + filepath.Join(dir, "z.db")}, "does not exist", 1},
		{[]string{"serve", "--addr", "nowhere"}, `server.addr: "nowhere" is not host:port`, 1},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
			continue
		}
		if exitCode(err) != c.code {
			t.Errorf("%v: exit code %d, want %d", c.args, exitCode(err), c.code)
		}
	}
}

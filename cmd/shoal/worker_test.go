package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
)

// postgresURL returns a PostgreSQL store URL in a fresh schema, dropped when
// the test ends, or skips without SHOAL_TEST_POSTGRES (fails when
// SHOAL_REQUIRE_INTEGRATION=1).
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SHOAL_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("SHOAL_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("SHOAL_TEST_POSTGRES is required")
		}
		t.Skip("SHOAL_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "shoal_cmd_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// TestWorker_RunsScansForServe runs `shoal serve` without an embedded
// worker and a separate `shoal worker` on one PostgreSQL store: the scan
// queued through the API is run by the worker.
func TestWorker_RunsScansForServe(t *testing.T) {
	t.Parallel()
	root := writeWarehouse(t)
	store := postgresURL(t)

	cfg := config.DefaultConfig()
	cfg.Catalog.URL = "warehouse://" + root
	cfg.Store.URL = store
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.EmbeddedWorker = false
	m := &Main{Config: cfg, Logger: newLogger(config.LogConfig{Level: "warn", Format: "text"}, io.Discard)}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())

	resp, err := http.Post(m.URL()+"/api/v1/scans", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var s scanResp
	json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /scans = %d", resp.StatusCode)
	}
	// Without a worker the scan stays queued.
	time.Sleep(300 * time.Millisecond)
	getJSON(t, fmt.Sprintf("%s/api/v1/scans/%d", m.URL(), s.ID), 200, &s)
	if s.State != "queued" {
		t.Fatalf("scan is %s with no worker running, want queued", s.State)
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var werr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"worker", "--addr", "127.0.0.1:0", "--catalog", "warehouse://" + root, "--store", store}, io.Discard, &werr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for s.State != "succeeded" {
		if time.Now().After(deadline) || s.State == "failed" {
			stop()
			t.Fatalf("scan %d is %s (%s); worker: %s", s.ID, s.State, s.Error, werr.String())
		}
		time.Sleep(100 * time.Millisecond)
		getJSON(t, fmt.Sprintf("%s/api/v1/scans/%d", m.URL(), s.ID), 200, &s)
	}
	if s.Totals.Files != 8 || s.Totals.Tables != 2 {
		t.Errorf("totals = %+v, want 8 files in 2 tables", s.Totals)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("worker: %v: %s", err, werr.String())
	}
}

// TestWorker_RunsMergesForServe plans a merge through the API of a serve
// without an embedded worker and lets a separate `shoal worker` run it, on
// PostgreSQL; then rolls it back through the API.
func TestWorker_RunsMergesForServe(t *testing.T) {
	t.Parallel()
	root := coldWarehouse(t)
	store := postgresURL(t)
	cfgFile := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfgFile, []byte("policy:\n  small_file_size: 1KiB\n  target_file_size: 4KiB\nmerge:\n  min_age: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultConfig()
	cfg.Catalog.URL = "warehouse://" + root
	cfg.Store.URL = store
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.EmbeddedWorker = false
	cfg.Policy.SmallFileSize, cfg.Policy.TargetFileSize = 1024, 4096
	cfg.Merge.MinAge = config.Duration(time.Hour)
	m := &Main{Config: cfg, Logger: newLogger(config.LogConfig{Level: "warn", Format: "text"}, io.Discard)}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	base := m.URL() + "/api/v1"

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
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var werr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"worker", "--addr", "127.0.0.1:0", "--config", cfgFile, "--catalog", "warehouse://" + root, "--store", store}, io.Discard, &werr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for job.State != shoal.MergeSucceeded {
		if time.Now().After(deadline) || job.State.Final() {
			stop()
			t.Fatalf("merge %d is %s (%s); worker: %s", job.ID, job.State, job.Error, werr.String())
		}
		time.Sleep(100 * time.Millisecond)
		getJSON(t, fmt.Sprintf("%s/merges/%d", base, job.ID), 200, &job)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("worker: %v: %s", err, werr.String())
	}
	for _, r := range job.Results {
		if r.Step != shoal.StepSwapped || r.FilesAfter != 1 || r.RowsAfter != r.RowsBefore {
			t.Fatalf("result %+v", r)
		}
		if n := countVisible(t, r.Location); n != 1 {
			t.Fatalf("%s holds %d files", r.Location, n)
		}
	}
	if code, body := send(t, "POST", fmt.Sprintf("%s/merges/%d/rollback", base, job.ID), "", ""); code != 200 {
		t.Fatalf("rollback: %d %s", code, body)
	}
	for _, r := range job.Results {
		if n := countVisible(t, r.Location); n != 4 {
			t.Fatalf("%s holds %d files after the rollback", r.Location, n)
		}
	}
}

package main

import (
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
)

// coldWarehouse writes db1.events with two partitions of four small CSV
// files each, two days old.
func coldWarehouse(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	for p := 1; p <= 2; p++ {
		for f := range 4 {
			path := filepath.Join(root, "db1.db", "events", fmt.Sprintf("dt=2026-01-0%d", p), fmt.Sprintf("part-%d.csv", f))
			write(t, path, 100+f)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestRun_MergeAndRollbackJSON(t *testing.T) {
	t.Parallel()
	root := coldWarehouse(t)
	store := "sqlite://" + filepath.Join(t.TempDir(), "s.db")
	args := []string{"--catalog", "warehouse://" + root, "--store", store}
	cfg := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfg, []byte("policy:\n  small_file_size: 1KiB\n  target_file_size: 4KiB\nmerge:\n  min_age: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(args, "--config", cfg)

	// A plan changes nothing.
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"plan", "--table", "db1.events", "--output", "json"}, args...), &out, &errb); err != nil {
		t.Fatalf("plan: %v: %s", err, errb.String())
	}
	var plan shoal.Plan
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil {
		t.Fatal(err)
	}
	if !plan.Runnable() || plan.FilesBefore != 8 || plan.FilesAfter != 2 {
		t.Fatalf("plan = %+v", plan)
	}

	// Without --yes and without a terminal, merge is a usage error.
	err := run(context.Background(), append([]string{"merge", "--table", "db1.events", "--output", "json"}, args...), io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Fatalf("merge without --yes: %v (exit %d)", err, exitCode(err))
	}

	out.Reset()
	if err := run(context.Background(), append([]string{"merge", "--table", "db1.events", "--partition", "dt=2026-01-01", "--yes", "--output", "json"}, args...), &out, &errb); err != nil {
		t.Fatalf("merge: %v: %s", err, errb.String())
	}
	var res struct {
		JobID      int64  `json:"job_id"`
		State      string `json:"state"`
		Partitions []struct {
			Partition   string `json:"partition"`
			FilesBefore int    `json:"files_before"`
			FilesAfter  int    `json:"files_after"`
			BytesBefore int64  `json:"bytes_before"`
			BytesAfter  int64  `json:"bytes_after"`
			RowsBefore  int64  `json:"rows_before"`
			RowsAfter   int64  `json:"rows_after"`
			Mode        string `json:"mode"`
			Swap        string `json:"swap"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if res.JobID == 0 || res.State != "succeeded" || len(res.Partitions) != 1 {
		t.Fatalf("merge json = %s", out.String())
	}
	p := res.Partitions[0]
	if p.Partition != "dt=2026-01-01" || p.FilesBefore != 4 || p.FilesAfter != 1 || p.BytesAfter < p.BytesBefore || p.BytesAfter > p.BytesBefore+4 ||
		p.RowsBefore != p.RowsAfter || p.RowsBefore == 0 || p.Mode != "concat" || p.Swap != "rename" {
		t.Fatalf("partition = %+v", p)
	}
	dir := filepath.Join(root, "db1.db", "events", "dt=2026-01-01")
	if n := countVisible(t, dir); n != 1 {
		t.Fatalf("%d files after the merge", n)
	}

	out.Reset()
	if err := run(context.Background(), append([]string{"rollback", fmt.Sprint(res.JobID)}, args...), &out, &errb); err != nil {
		t.Fatalf("rollback: %v: %s", err, errb.String())
	}
	if n := countVisible(t, dir); n != 4 {
		t.Fatalf("%d files after the rollback", n)
	}
	// Rolling back twice is refused (exit 1), a bad id is a usage error.
	if err := run(context.Background(), append([]string{"rollback", fmt.Sprint(res.JobID)}, args...), io.Discard, io.Discard); exitCode(err) != 1 {
		t.Fatalf("second rollback: %v", err)
	}
	if err := run(context.Background(), append([]string{"rollback", "x"}, args...), io.Discard, io.Discard); exitCode(err) != 2 {
		t.Fatalf("rollback x: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), append([]string{"recover"}, args...), &out, &errb); err != nil || !strings.Contains(out.String(), "recovered:") {
		t.Fatalf("recover: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), append([]string{"gc"}, args...), &out, &errb); err != nil || !strings.Contains(out.String(), "gc: 0 expired backups") {
		t.Fatalf("gc: %v %s", err, out.String())
	}
}

func TestRun_MergeFailsWithExitOne(t *testing.T) {
	t.Parallel()
	root := coldWarehouse(t)
	// A corrupt Parquet file among the CSV files: the plan refuses the
	// partition, the merge ends failed (exit 1), nothing changes.
	dir := filepath.Join(root, "db1.db", "events", "dt=2026-01-02")
	old := time.Now().Add(-48 * time.Hour)
	bad := filepath.Join(dir, "x.parquet")
	if err := os.WriteFile(bad, []byte("PAR1 not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(bad, old, old)
	var out bytes.Buffer
	err := run(context.Background(), []string{"merge", "--catalog", "warehouse://" + root, "--store",
		"sqlite://" + filepath.Join(t.TempDir(), "s.db"), "--table", "db1.events", "--partition", "dt=2026-01-02",
		"--yes", "--output", "json"}, &out, io.Discard)
	if exitCode(err) != 1 {
		t.Fatalf("merge: %v (exit %d)", err, exitCode(err))
	}
	if !strings.Contains(out.String(), `"state": "cancelled"`) || !strings.Contains(out.String(), "x.parquet") {
		t.Fatalf("output: %s", out.String())
	}
	if n := countVisible(t, dir); n != 5 {
		t.Fatalf("%d files after a refused merge", n)
	}
}

func countVisible(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if !shoal.IsHidden(e.Name()) {
			n++
		}
	}
	return n
}

// TestMain_MergeThroughAPI plans, runs, follows and rolls back a merge over
// HTTP with a bearer token, and checks the audit log.
func TestMain_MergeThroughAPI(t *testing.T) {
	root := coldWarehouse(t)
	m := newMainWith(t, root, func(c *mainConfig) {
		c.Merge.MinAge = 3600 * 1e9
		c.Auth.Tokens = []string{"ops:0123456789abcdef"}
	})
	base := m.URL() + "/api/v1"
	var auth struct {
		Required bool `json:"required"`
	}
	getJSON(t, base+"/auth", 200, &auth)
	if !auth.Required {
		t.Fatal("auth not required with tokens configured")
	}
	body := `{"database":"db1","table":"events"}`
	if code, _ := send(t, "POST", base+"/merges", "", body); code != http.StatusUnauthorized {
		t.Fatalf("plan without a token: %d", code)
	}
	if code, _ := send(t, "POST", base+"/merges", "wrong", body); code != http.StatusUnauthorized {
		t.Fatalf("plan with a wrong token: %d", code)
	}
	code, resp := send(t, "POST", base+"/merges", "0123456789abcdef", body)
	if code != http.StatusCreated {
		t.Fatalf("plan: %d %s", code, resp)
	}
	var job shoal.MergeJob
	if err := json.Unmarshal(resp, &job); err != nil {
		t.Fatal(err)
	}
	if job.State != shoal.MergePlanned || job.CreatedBy != "token:ops" || !job.Plan.Runnable() {
		t.Fatalf("planned job = %+v", job)
	}
	if code, resp := send(t, "POST", fmt.Sprintf("%s/merges/%d/run", base, job.ID), "0123456789abcdef", ""); code != http.StatusAccepted {
		t.Fatalf("run: %d %s", code, resp)
	}
	deadline := time.Now().Add(30 * time.Second)
	for job.State != shoal.MergeSucceeded {
		if time.Now().After(deadline) || job.State == shoal.MergeFailed {
			t.Fatalf("job = %s %q", job.State, job.Error)
		}
		time.Sleep(50 * time.Millisecond)
		getJSON(t, fmt.Sprintf("%s/merges/%d", base, job.ID), 200, &job)
	}
	if len(job.Results) != 2 || job.Progress.FilesDone != 8 {
		t.Fatalf("results %+v progress %+v", job.Results, job.Progress)
	}
	var list struct {
		Items []shoal.MergeJob `json:"items"`
		Total int64            `json:"total"`
	}
	getJSON(t, base+"/merges?state=succeeded", 200, &list)
	if list.Total != 1 || list.Items[0].Plan.Partitions[0].Listing != nil {
		t.Fatalf("merge list = %+v", list)
	}
	if code, resp := send(t, "POST", fmt.Sprintf("%s/merges/%d/rollback", base, job.ID), "0123456789abcdef", ""); code != 200 {
		t.Fatalf("rollback: %d %s", code, resp)
	}
	if code, _ := send(t, "POST", fmt.Sprintf("%s/merges/%d/rollback", base, job.ID), "0123456789abcdef", ""); code != http.StatusConflict {
		t.Fatalf("second rollback: %d", code)
	}
	// Policies: a bad one is a 400, a good one is stored and audited.
	if code, _ := send(t, "PUT", base+"/policies/db1", "0123456789abcdef", `{"min_age":"soon"}`); code != 400 {
		t.Fatalf("bad policy: %d", code)
	}
	if code, resp := send(t, "PUT", base+"/policies/db1", "0123456789abcdef", `{"min_age":"72h","exclude":["db1.tmp_*"]}`); code != 200 {
		t.Fatalf("policy: %d %s", code, resp)
	}
	var eff shoal.EffectivePolicy
	getJSON(t, base+"/policies/db1.events/effective", 200, &eff)
	if eff.MinAge != shoal.Duration(72*time.Hour) || len(eff.Sources) != 2 {
		t.Fatalf("effective policy = %+v", eff)
	}
	var audit struct {
		Items []shoal.AuditEntry `json:"items"`
		Total int64              `json:"total"`
	}
	getJSON(t, base+"/audit", 200, &audit)
	var actions []string
	for _, e := range audit.Items {
		if e.Actor != "token:ops" {
			t.Errorf("audit actor %q", e.Actor)
		}
		actions = append(actions, e.Action)
	}
	want := "PUT policies/db1,POST merges/{id}/rollback,POST merges/{id}/run,POST merges"
	if strings.Join(actions, ",") != want {
		t.Fatalf("audit actions %v, want %s", actions, want)
	}
}

func send(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestMain_CandidatesPlan scans, ranks candidates and plans them within
// the run budget.
func TestMain_CandidatesPlan(t *testing.T) {
	root := coldWarehouse(t)
	m := newMainWith(t, root, func(c *mainConfig) { c.Merge.MinAge = 3600 * 1e9 })
	base := m.URL() + "/api/v1"
	sc, err := m.StartScan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var s scanResp
	for deadline := time.Now().Add(20 * time.Second); s.State != "succeeded"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("scan %d: %+v", sc.ID, s)
		}
		getJSON(t, fmt.Sprintf("%s/scans/%d", base, sc.ID), 200, &s)
	}
	var cands struct {
		Items []struct {
			Table     string      `json:"table"`
			Partition string      `json:"partition"`
			Score     shoal.Score `json:"score"`
		} `json:"items"`
	}
	getJSON(t, base+"/candidates", 200, &cands)
	if len(cands.Items) != 2 || cands.Items[0].Score.Value <= 0 || cands.Items[0].Score.FilesRemoved != 3 || cands.Items[0].Score.Coldness <= 0 {
		t.Fatalf("candidates = %+v", cands)
	}
	code, body := send(t, "POST", base+"/candidates/plan", "", `{"limit":10}`)
	if code != http.StatusCreated {
		t.Fatalf("plan candidates: %d %s", code, body)
	}
	var planned struct {
		Items          []shoal.MergeJob `json:"items"`
		BytesToRewrite int64            `json:"bytes_to_rewrite"`
	}
	if err := json.Unmarshal(body, &planned); err != nil {
		t.Fatal(err)
	}
	if len(planned.Items) != 1 || len(planned.Items[0].Plan.Partitions) != 2 || planned.BytesToRewrite == 0 {
		t.Fatalf("planned = %s", body)
	}
}

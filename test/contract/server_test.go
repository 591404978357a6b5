package contract

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// server is a `shoal serve` process on a generated demo warehouse.
type server struct {
	base  string // http://127.0.0.1:PORT
	token string // the bearer secret of the token named "contract"
	cmd   *exec.Cmd
	logs  *syncBuffer
	done  chan error
}

// syncBuffer collects the server's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// moduleRoot is the main module's directory, two levels up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

// shoalBinary builds cmd/shoal, or returns $SHOAL_BINARY when it is set.
func shoalBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SHOAL_BINARY"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("SHOAL_BINARY: %v", err)
		}
		return abs
	}
	bin := filepath.Join(t.TempDir(), "shoal")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/shoal")
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/shoal: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// childEnv is a minimal environment: nothing of the test's SHOAL_*
// variables (SHOAL_TEST_POSTGRES, …) reaches the server's configuration.
func childEnv(extra ...string) []string {
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// startServer generates the demo warehouse, starts `shoal serve` on it with
// a bearer token and waits until it is ready.
func startServer(t *testing.T) *server {
	t.Helper()
	bin := shoalBinary(t)
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse")
	gen := exec.Command(bin, "demo", "--generate-only", "--dir", wh)
	gen.Env = childEnv()
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("shoal demo --generate-only: %v\n%s", err, out)
	}

	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	s := &server{token: hex.EncodeToString(secret), logs: &syncBuffer{}, done: make(chan error, 1)}
	addr := freeAddr(t)
	s.base = "http://" + addr
	s.cmd = exec.Command(bin, "serve",
		"--catalog", "warehouse://"+filepath.ToSlash(wh),
		"--store", "sqlite://"+filepath.Join(dir, "shoal.db"),
		"--addr", addr)
	s.cmd.Env = childEnv(
		"SHOAL_AUTH_TOKENS=contract:"+s.token,
		// The demo's thresholds, as `shoal demo` sets them.
		"SHOAL_POLICY_SMALL_FILE_SIZE=1MiB",
		"SHOAL_POLICY_TARGET_FILE_SIZE=4MiB",
		"SHOAL_WORKER_ADDR="+freeAddr(t),
	)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("shoal serve exited before it was ready: %v\n%s", err, s.logs)
		default:
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("shoal serve not ready after 90 s (last error %v)\n%s", err, s.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the server with SIGINT, as an operator's Ctrl-C would, and
// checks that it shut down cleanly.
func (s *server) stop(t *testing.T) {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("shoal serve did not exit cleanly: %v\n%s", err, s.logs)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("shoal serve ignored SIGINT for 30 s\n%s", s.logs)
	}
}

// getJSON fetches an API path and decodes a 200 answer.
func (s *server) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(s.base + "/api/v1" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// waitScan polls a scan until it reaches a final state and returns it.
func (s *server) waitScan(t *testing.T, id int64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var sc map[string]any
		s.getJSON(t, "/scans/"+strconv.FormatInt(id, 10), &sc)
		switch sc["state"] {
		case "succeeded", "failed", "cancelled":
			return sc
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %d still %v after 3 minutes", id, sc["state"])
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitMerge polls a merge job until it leaves queued and running.
func (s *server) waitMerge(t *testing.T, id int64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var job map[string]any
		s.getJSON(t, "/merges/"+strconv.FormatInt(id, 10), &job)
		switch job["state"] {
		case "queued", "running":
		default:
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("merge job %d still %v after 3 minutes", id, job["state"])
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func idOf(t *testing.T, v map[string]any) int64 {
	t.Helper()
	f, ok := v["id"].(float64)
	if !ok {
		t.Fatalf("no numeric id in %v", v)
	}
	return int64(f)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("contract test setup: %v", err))
	}
	return v
}

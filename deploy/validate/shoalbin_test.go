package validate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fromRepo returns the path of rel in the repository (two levels up from
// this module).
func fromRepo(t *testing.T, rel string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	shoalBinOnce sync.Once
	shoalBinPath string
	shoalBinErr  error
)

// shoalBinary builds the real shoal binary once per test run into a fixed
// directory under the temporary directory, overwritten by the next run
// ($VALIDATE_SHOAL_BINARY, when set, is used instead; shoal itself
// rejects unknown SHOAL_* variables).
func shoalBinary(t *testing.T) string {
	t.Helper()
	shoalBinOnce.Do(func() {
		if p := os.Getenv("VALIDATE_SHOAL_BINARY"); p != "" {
			shoalBinPath, shoalBinErr = filepath.Abs(p)
			return
		}
		dir := filepath.Join(os.TempDir(), "shoal-deploy-validate")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			shoalBinErr = err
			return
		}
		shoalBinPath = filepath.Join(dir, "shoal")
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			shoalBinErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", shoalBinPath, "./cmd/shoal")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			shoalBinErr = fmt.Errorf("go build ./cmd/shoal: %w\n%s", err, out)
		}
	})
	if shoalBinErr != nil {
		t.Fatal(shoalBinErr)
	}
	return shoalBinPath
}

// servingURL is the line `shoal serve` prints once it listens.
var servingURL = regexp.MustCompile(`Shoal is serving at (http://\S+)`)

// shoalServer is a running `shoal serve` on a throw-away warehouse and
// SQLite store.
type shoalServer struct {
	URL    string
	Stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// startShoal starts `shoal serve` with env added to the environment and
// stops it when the test ends.
func startShoal(t *testing.T, env ...string) *shoalServer {
	t.Helper()
	bin := shoalBinary(t)
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse")
	// A tiny warehouse: one table of one partition with two files.
	part := filepath.Join(wh, "sales.db", "orders", "dt=2024-01-01")
	if err := os.MkdirAll(part, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"part-0.txt", "part-1.txt"} {
		if err := os.WriteFile(filepath.Join(part, f), []byte("a,1\nb,2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve",
		"--catalog", "warehouse://"+filepath.ToSlash(wh),
		"--store", "sqlite://"+filepath.Join(dir, "s.db"),
		"--addr", "127.0.0.1:0")
	// The test runner's SHOAL_* variables (SHOAL_TEST_POSTGRES, ...) are
	// not settings: shoal would reject them.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHOAL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urls:
		return &shoalServer{URL: strings.TrimSuffix(u, "/"), Stderr: stderr}
	case <-exited:
		t.Fatalf("shoal serve exited before serving; stderr:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("shoal serve did not print its URL within 60s; stderr:\n%s", stderr.String())
	}
	return nil
}

// get fetches path from the server and returns the body.
func (s *shoalServer) get(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	return string(body)
}

// Package s3test runs a versitygw S3 gateway (POSIX backend) for tests and
// benchmarks. The binary is $SHOAL_VERSITYGW, else $(go env GOPATH)/bin/versitygw,
// else versitygw on PATH; install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Start skips the test when the binary is absent, unless
// SHOAL_REQUIRE_INTEGRATION=1, when it fails.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/shoalhq/shoal/s3"
)

// The root credentials every gateway started here accepts.
const (
	AccessKey = "shoaltest"
	SecretKey = "shoaltest-secret-key"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is the gateway's base URL, http://127.0.0.1:port.
	Endpoint string
	// Dir is the POSIX backend's root: each bucket is a directory in it.
	Dir string
	cmd *exec.Cmd
	log *os.File

	stopOnce sync.Once
	exited   chan struct{}
	waitErr  error
}

// Binary finds the versitygw binary.
func Binary() (string, error) {
	if p := os.Getenv("SHOAL_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("SHOAL_VERSITYGW=%s: %w", p, err)
		}
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("versitygw not found (set SHOAL_VERSITYGW, or go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
}

// Launch starts versitygw with its POSIX backend in dir (created if
// missing; its file system must support extended attributes) on a free
// loopback port and waits until it answers. Stop it with Stop. Its output
// goes to a temporary file, readable with Log and removed by Stop.
func Launch(ctx context.Context, bin, dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before versitygw binds it
		s, err := launch(ctx, bin, dir)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launch(ctx context.Context, bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	log, err := os.CreateTemp("", "versitygw-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", dir) //nolint:gosec // test helper
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey, "VGW_REGION="+Region)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		_ = os.Remove(log.Name())
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	s := &Server{Endpoint: "http://" + addr, Dir: dir, cmd: cmd, log: log, exited: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.Endpoint + "/")
		if err == nil {
			_ = resp.Body.Close()
			return s, nil // any answer (403 without credentials) means it serves
		}
		select {
		case <-s.exited:
			out, _ := os.ReadFile(log.Name())
			s.cleanupLog()
			return nil, fmt.Errorf("versitygw exited: %w: %s", s.waitErr, out)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("versitygw did not answer on %s within 15s", addr)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop terminates the gateway and waits for it.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.cleanupLog()
	})
}

func (s *Server) cleanupLog() {
	_ = s.log.Close()
	_ = os.Remove(s.log.Name())
}

// Log returns what the gateway printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log.Name())
	return string(b)
}

// Options returns FS options for the gateway: its endpoint, path-style
// addressing and the root credentials.
func (s *Server) Options() s3.Options {
	return s3.Options{
		Endpoint:  s.Endpoint,
		Region:    Region,
		PathStyle: true,
		AccessKey: AccessKey,
		SecretKey: SecretKey,
	}
}

// FS returns an FS on the gateway with the given options changed by edit
// (which may be nil).
func (s *Server) FS(ctx context.Context, edit func(*s3.Options)) (*s3.FS, error) {
	o := s.Options()
	if edit != nil {
		edit(&o)
	}
	return s3.New(ctx, o)
}

// CreateBucket creates a bucket; an existing bucket owned by the root
// account is not an error.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	fsys, err := s.FS(ctx, nil)
	if err != nil {
		return err
	}
	_, err = fsys.Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil && (strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") || strings.Contains(err.Error(), "BucketAlreadyExists")) {
		return nil
	}
	return err
}

// Start runs a gateway on a temporary directory for the test, creates one
// bucket and returns the server and the bucket's name. The gateway stops at
// cleanup. Without the binary the test is skipped, or fails when
// SHOAL_REQUIRE_INTEGRATION=1.
func Start(tb testing.TB) (*Server, string) {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("SHOAL_REQUIRE_INTEGRATION") == "1" {
			tb.Fatalf("SHOAL_REQUIRE_INTEGRATION=1: %v", err)
		}
		tb.Skipf("skipping S3 integration test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Launch(ctx, bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	bucket := "shoal-" + randomHex(4)
	if err := s.CreateBucket(ctx, bucket); err != nil {
		tb.Fatalf("create bucket: %v\n%s", err, s.Log())
	}
	return s, bucket
}

// NewFS is Start plus an FS for the gateway with the options changed by
// edit; it returns the FS and the bucket's URI, s3://bucket.
func NewFS(tb testing.TB, edit func(*s3.Options)) (*s3.FS, string) {
	tb.Helper()
	s, bucket := Start(tb)
	fsys, err := s.FS(context.Background(), edit)
	if err != nil {
		tb.Fatal(err)
	}
	return fsys, "s3://" + bucket
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

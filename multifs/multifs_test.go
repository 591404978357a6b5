package multifs_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/localfs"
	"github.com/shoalhq/shoal/multifs"
)

// recorder is a file system that records the paths it is given.
type recorder struct {
	shoal.WritableFS // nil: only the methods below are called
	calls            []string
}

func (r *recorder) Stat(_ context.Context, p string) (shoal.FileInfo, error) {
	r.calls = append(r.calls, "stat "+p)
	return shoal.FileInfo{Path: p}, nil
}

func (r *recorder) Rename(_ context.Context, a, b string) error {
	r.calls = append(r.calls, "rename "+a+" "+b)
	return nil
}

func (r *recorder) Create(_ context.Context, p string) (shoal.WriteFile, error) {
	r.calls = append(r.calls, "create "+p)
	return nil, nil
}

// objectStore is a recorder that is a shoal.ObjectStore.
type objectStore struct{ *recorder }

func (objectStore) ResumeRename(context.Context, string, string) error { return nil }

// paramsFS is a recorder with CreateWith.
type paramsFS struct{ *recorder }

func (p paramsFS) CreateWith(_ context.Context, path string, repl int, bs int64) (shoal.WriteFile, error) {
	p.calls = append(p.calls, "createwith "+path)
	return nil, nil
}

func TestFS_Routes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	hdfs, s3 := &recorder{}, &recorder{}
	opened := map[string]int{}
	fs := multifs.New(localfs.New(),
		func(context.Context) (shoal.WritableFS, error) { opened["hdfs"]++; return paramsFS{hdfs}, nil },
		func(context.Context) (shoal.WritableFS, error) { opened["s3"]++; return objectStore{s3}, nil })

	// Local paths and file: URIs go to local disk, without the scheme.
	for _, p := range []string{filepath.Join(dir, "f"), "file:" + filepath.Join(dir, "f"), "file://" + filepath.Join(dir, "f")} {
		fi, err := fs.Stat(ctx, p)
		if err != nil || fi.Size != 3 {
			t.Errorf("Stat(%s) = %+v, %v", p, fi, err)
		}
	}
	if len(opened) != 0 {
		t.Errorf("local paths opened %v", opened)
	}
	// HDFS and S3 are opened once, on first use, and get the whole URI.
	for range 2 {
		if _, err := fs.Stat(ctx, "hdfs://ns/w/t"); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Stat(ctx, "s3a://b/w/t"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.Stat(ctx, "S3://b/x"); err != nil {
		t.Fatal(err)
	}
	if opened["hdfs"] != 1 || opened["s3"] != 1 {
		t.Errorf("opened %v, want each once", opened)
	}
	if strings.Join(hdfs.calls, ";") != "stat hdfs://ns/w/t;stat hdfs://ns/w/t" || len(s3.calls) != 3 {
		t.Errorf("hdfs calls %q, s3 calls %q", hdfs.calls, s3.calls)
	}
	// Renames stay within one file system.
	if err := fs.Rename(ctx, "s3://b/a", "s3a://b/c"); err != nil {
		t.Errorf("rename within S3: %v", err)
	}
	err := fs.Rename(ctx, "s3://b/a", "hdfs://ns/a")
	if shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), "different file systems") {
		t.Errorf("rename across file systems = %v", err)
	}
	// Object stores are recognised; CreateWith reaches file systems that
	// have it and falls back to Create elsewhere.
	if _, ok := fs.ObjectStore(ctx, "s3://b/x"); !ok {
		t.Error("s3 path is not an object store")
	}
	if _, ok := fs.ObjectStore(ctx, "hdfs://ns/x"); ok {
		t.Error("hdfs path is an object store")
	}
	if _, err := fs.CreateWith(ctx, "hdfs://ns/o", 3, 1<<27); err != nil || hdfs.calls[len(hdfs.calls)-1] != "createwith hdfs://ns/o" {
		t.Errorf("CreateWith on HDFS: %v, calls %q", err, hdfs.calls)
	}
	if _, err := fs.CreateWith(ctx, "s3://b/o", 3, 1<<27); err != nil || s3.calls[len(s3.calls)-1] != "create s3://b/o" {
		t.Errorf("CreateWith on S3: %v, calls %q", err, s3.calls)
	}
}

func TestFS_Errors(t *testing.T) {
	ctx := context.Background()
	fails := 0
	fs := multifs.New(localfs.New(), nil, func(context.Context) (shoal.WritableFS, error) {
		fails++
		return nil, errors.New("no credentials")
	})
	for _, c := range []struct{ path, want string }{
		{"hdfs://ns/x", "hdfs paths are not configured"},
		{"gs://b/x", `scheme "gs" is not supported`},
		{"file://host/x", "must not name a host"},
		{"c:relative", "unknown scheme"},
		{"s3://b/x", "no credentials"},
		{"s3://b/y", "no credentials"},
	} {
		_, err := fs.Stat(ctx, c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Stat(%s) = %v, want %q", c.path, err, c.want)
		}
	}
	if fails != 2 {
		t.Errorf("a failed opener was called %d times, want it retried on each use (2)", fails)
	}
	if err := fs.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	var _ io.Closer = fs
}

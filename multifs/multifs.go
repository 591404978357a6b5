// Package multifs routes paths to file systems by URI scheme, so that one
// catalog can hold tables on local disk, HDFS and S3: a Hive Metastore
// records each table's location as a URI (hdfs://nameservice/..., s3a://
// bucket/..., file:/...).
//
// Local paths and file: URIs go to Local; hdfs:// to HDFS; s3:// and s3a://
// to S3. HDFS and S3 are opened on first use, so that a catalog that never
// names them needs no Hadoop configuration or AWS credentials. An opener
// that fails is retried on the next call.
package multifs

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/shoalhq/shoal"
)

// Opener opens one file system.
type Opener func(ctx context.Context) (shoal.WritableFS, error)

// FS is a shoal.WritableFS over several file systems.
type FS struct {
	local shoal.WritableFS
	hdfs  lazy
	s3    lazy
}

// New returns a router. hdfs and s3 may be nil: paths with their schemes
// are then refused.
func New(local shoal.WritableFS, hdfs, s3 Opener) *FS {
	return &FS{local: local, hdfs: lazy{name: "hdfs", open: hdfs}, s3: lazy{name: "s3", open: s3}}
}

// lazy opens a file system once, on first use.
type lazy struct {
	name string
	open Opener
	mu   sync.Mutex
	fs   shoal.WritableFS
}

func (l *lazy) get(ctx context.Context) (shoal.WritableFS, error) {
	if l.open == nil {
		return nil, shoal.Errorf(shoal.EINVALID, "%s paths are not configured on this catalog", l.name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fs == nil {
		fs, err := l.open(ctx)
		if err != nil {
			return nil, err
		}
		l.fs = fs
	}
	return l.fs, nil
}

// Resolve returns the file system that holds path and the path as that
// file system names it.
func (f *FS) Resolve(ctx context.Context, path string) (shoal.WritableFS, string, error) {
	scheme, rest, ok := strings.Cut(path, "://")
	if !ok {
		if p, isFile := strings.CutPrefix(path, "file:"); isFile {
			return f.local, p, nil // file:/abs/path
		}
		if strings.Contains(path, ":") && !strings.HasPrefix(path, "/") {
			return nil, "", shoal.Errorf(shoal.EINVALID, "path %q: unknown scheme", path)
		}
		return f.local, path, nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		if !strings.HasPrefix(rest, "/") {
			return nil, "", shoal.Errorf(shoal.EINVALID, "path %q: file URIs must not name a host", path)
		}
		return f.local, rest, nil
	case "hdfs":
		fs, err := f.hdfs.get(ctx)
		return fs, path, err
	case "s3", "s3a":
		fs, err := f.s3.get(ctx)
		return fs, path, err
	}
	return nil, "", shoal.Errorf(shoal.EINVALID, "path %q: scheme %q is not supported (file, hdfs, s3, s3a)", path, scheme)
}

// same resolves two paths that must be on one file system.
func (f *FS) same(ctx context.Context, a, b string) (shoal.WritableFS, string, string, error) {
	fa, pa, err := f.Resolve(ctx, a)
	if err != nil {
		return nil, "", "", err
	}
	fb, pb, err := f.Resolve(ctx, b)
	if err != nil {
		return nil, "", "", err
	}
	if fa != fb {
		return nil, "", "", shoal.Errorf(shoal.EINVALID, "%s and %s are on different file systems", a, b)
	}
	return fa, pa, pb, nil
}

// List implements shoal.FileSystem.
func (f *FS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	fs, p, err := f.Resolve(ctx, dir)
	if err != nil {
		return err
	}
	return fs.List(ctx, p, fn)
}

// Stat implements shoal.FileSystem.
func (f *FS) Stat(ctx context.Context, path string) (shoal.FileInfo, error) {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return shoal.FileInfo{}, err
	}
	return fs.Stat(ctx, p)
}

// Open implements shoal.FileSystem.
func (f *FS) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return nil, err
	}
	return fs.Open(ctx, p)
}

// OpenFile implements shoal.WritableFS.
func (f *FS) OpenFile(ctx context.Context, path string) (shoal.ReadAtCloser, int64, error) {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	return fs.OpenFile(ctx, p)
}

// Create implements shoal.WritableFS.
func (f *FS) Create(ctx context.Context, path string) (shoal.WriteFile, error) {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return nil, err
	}
	return fs.Create(ctx, p)
}

// CreateWith creates a file with a replication factor and block size on
// file systems that have them (shoal.ParamsCreator), and as Create
// elsewhere.
func (f *FS) CreateWith(ctx context.Context, path string, replication int, blockSize int64) (shoal.WriteFile, error) {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return nil, err
	}
	if pc, ok := fs.(shoal.ParamsCreator); ok {
		return pc.CreateWith(ctx, p, replication, blockSize)
	}
	return fs.Create(ctx, p)
}

// Mkdir implements shoal.WritableFS.
func (f *FS) Mkdir(ctx context.Context, path string) error {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return err
	}
	return fs.Mkdir(ctx, p)
}

// Rename implements shoal.WritableFS; both paths must be on one file
// system.
func (f *FS) Rename(ctx context.Context, oldpath, newpath string) error {
	fs, a, b, err := f.same(ctx, oldpath, newpath)
	if err != nil {
		return err
	}
	return fs.Rename(ctx, a, b)
}

// RemoveAll implements shoal.WritableFS.
func (f *FS) RemoveAll(ctx context.Context, path string) error {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return err
	}
	return fs.RemoveAll(ctx, p)
}

// Link implements shoal.WritableFS; both paths must be on one file system.
func (f *FS) Link(ctx context.Context, oldpath, newpath string) error {
	fs, a, b, err := f.same(ctx, oldpath, newpath)
	if err != nil {
		return err
	}
	return fs.Link(ctx, a, b)
}

// SyncDir implements shoal.WritableFS.
func (f *FS) SyncDir(ctx context.Context, path string) error {
	fs, p, err := f.Resolve(ctx, path)
	if err != nil {
		return err
	}
	return fs.SyncDir(ctx, p)
}

// ObjectStore returns the object store that holds path, when it is one
// (S3): its renames are not atomic, and merges there swap differently.
func (f *FS) ObjectStore(ctx context.Context, path string) (shoal.ObjectStore, bool) {
	fs, _, err := f.Resolve(ctx, path)
	if err != nil {
		return nil, false
	}
	os, ok := fs.(shoal.ObjectStore)
	return os, ok
}

// Close closes the file systems that were opened and have a Close method.
func (f *FS) Close() error {
	var errs []error
	for _, l := range []*lazy{&f.hdfs, &f.s3} {
		l.mu.Lock()
		if c, ok := l.fs.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
		l.fs = nil
		l.mu.Unlock()
	}
	return errors.Join(errs...)
}

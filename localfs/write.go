package localfs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shoalhq/shoal"
)

var _ shoal.WritableFS = (*FileSystem)(nil)

// checkNew refuses a path whose parent directory lies outside the root.
func (f *FileSystem) checkNew(op, p string) error {
	return f.check(op, filepath.Dir(p))
}

// OpenFile opens a file for random access.
func (f *FileSystem) OpenFile(ctx context.Context, path string) (shoal.ReadAtCloser, int64, error) {
	r, err := f.Open(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	file := r.(*os.File)
	st, err := file.Stat()
	if err != nil {
		_ = file.Close()
		return nil, 0, wrap("stat", path, err)
	}
	if !st.Mode().IsRegular() {
		_ = file.Close()
		return nil, 0, fmt.Errorf("open %s: %w", path, shoal.Errorf(shoal.EINVALID, "%s is not a regular file", path))
	}
	return file, st.Size(), nil
}

// Create creates a new file, failing if it exists.
func (f *FileSystem) Create(ctx context.Context, path string) (shoal.WriteFile, error) {
	if err := f.checkNew("create", path); err != nil {
		return nil, err
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) //nolint:gosec // data files are world-readable like Hive's
	if err != nil {
		return nil, wrap("create", path, err)
	}
	return w, nil
}

// Mkdir creates one directory.
func (f *FileSystem) Mkdir(ctx context.Context, path string) error {
	if err := f.checkNew("mkdir", path); err != nil {
		return err
	}
	if err := os.Mkdir(path, 0o755); err != nil { //nolint:gosec // table directories are world-readable like Hive's
		return wrap("mkdir", path, err)
	}
	return nil
}

// Rename moves oldpath to newpath atomically, failing if newpath exists.
func (f *FileSystem) Rename(ctx context.Context, oldpath, newpath string) error {
	if err := f.check("rename", oldpath); err != nil {
		return err
	}
	if err := f.checkNew("rename", newpath); err != nil {
		return err
	}
	if err := renameNoReplace(oldpath, newpath); err != nil {
		return wrap("rename", oldpath, err)
	}
	return nil
}

// RemoveAll removes path and its contents; a missing path is not an error.
func (f *FileSystem) RemoveAll(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		return nil
	}
	if err := f.checkNew("remove", path); err != nil {
		return err
	}
	if err := os.RemoveAll(path); err != nil {
		return wrap("remove", path, err)
	}
	return nil
}

// Link hard-links newpath to oldpath, or copies the file when the two are
// on different devices.
func (f *FileSystem) Link(ctx context.Context, oldpath, newpath string) error {
	if err := f.check("link", oldpath); err != nil {
		return err
	}
	if err := f.checkNew("link", newpath); err != nil {
		return err
	}
	if err := os.Link(oldpath, newpath); err == nil {
		return nil
	}
	return copyFile(oldpath, newpath)
}

func copyFile(oldpath, newpath string) (err error) {
	src, err := os.Open(oldpath) //nolint:gosec // checked by the caller
	if err != nil {
		return wrap("copy", oldpath, err)
	}
	defer func() { _ = src.Close() }()
	dst, err := os.OpenFile(newpath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) //nolint:gosec // as Create
	if err != nil {
		return wrap("copy", newpath, err)
	}
	defer func() {
		if cerr := dst.Close(); err == nil && cerr != nil {
			err = wrap("copy", newpath, cerr)
		}
	}()
	if _, err := io.Copy(dst, src); err != nil {
		return wrap("copy", oldpath, err)
	}
	return dst.Sync()
}

// SyncDir fsyncs a directory, making renames and new entries durable.
func (f *FileSystem) SyncDir(ctx context.Context, path string) error {
	d, err := os.Open(path) //nolint:gosec // a table directory
	if err != nil {
		return wrap("sync", path, err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return wrap("sync", path, err)
	}
	return nil
}

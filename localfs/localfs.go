// Package localfs is the local-disk shoal.FileSystem, used by the warehouse
// catalog and by tests. It streams directory listings in batches, so that a
// directory of any size is never loaded at once.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shoalhq/shoal"
)

// FileSystem is the local file system. Paths are absolute OS paths.
type FileSystem struct {
	// root, when set, confines every path and symbolic link to this
	// directory (with symbolic links in root itself resolved).
	root string
}

var _ shoal.FileSystem = (*FileSystem)(nil)

// New returns the local file system, unconfined.
func New() *FileSystem { return &FileSystem{} }

// NewConfined returns a file system that refuses paths outside root and
// skips symbolic links that resolve outside it, so that a link in a table
// directory can never make Shoal read or count files elsewhere.
func NewConfined(root string) (*FileSystem, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("confine to %s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, wrap("confine", root, err)
	}
	return &FileSystem{root: real}, nil
}

// Within reports whether p lies inside dir, both clean absolute paths.
func Within(dir, p string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// check refuses a path outside the root. It resolves symbolic links, so
// that a path through a link that escapes is refused too.
func (f *FileSystem) check(op, p string) error {
	if f.root == "" {
		return nil
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return wrap(op, p, err)
	}
	if !Within(f.root, real) {
		return fmt.Errorf("%s %s: %w", op, p, shoal.Errorf(shoal.EINVALID, "path %s resolves outside the warehouse root %s", p, f.root))
	}
	return nil
}

// listBatch is how many directory entries List reads at a time, so that a
// directory of a million files is streamed, not loaded.
const listBatch = 1024

// List streams the entries of dir. Symbolic links are reported as what they
// point to; a dangling link is skipped.
func (f *FileSystem) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	dir = filepath.Clean(dir)
	d, err := os.Open(dir)
	if err != nil {
		return wrap("list", dir, err)
	}
	defer d.Close()
	if f.root != "" {
		// Check the directory actually opened, which also closes the race
		// of a link swapped in between a check and the open.
		real, err := openedPath(d)
		if err != nil {
			return wrap("list", dir, err)
		}
		if !Within(f.root, real) {
			return fmt.Errorf("list %s: %w", dir, shoal.Errorf(shoal.EINVALID, "path %s resolves outside the warehouse root %s", dir, f.root))
		}
	}
	return f.readEntries(ctx, d, dir, fn)
}

// readDirEntries lists an open directory with os.File.ReadDir, in batches.
// It is the portable path; Linux uses getdents and fstatat directly.
func (f *FileSystem) readDirEntries(ctx context.Context, d *os.File, dir string, fn func(shoal.FileInfo) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := d.ReadDir(listBatch)
		for _, e := range entries {
			fi, ierr := f.entryInfo(dir, e)
			if errors.Is(ierr, fs.ErrNotExist) {
				continue // removed since readdir, or a dangling link
			}
			if ierr != nil {
				return wrap("list", filepath.Join(dir, e.Name()), ierr)
			}
			if err := fn(fi); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wrap("list", dir, err)
		}
	}
}

// openedPath returns the resolved path of an open file: one readlink of
// /proc/self/fd on Linux, or a full symbolic-link walk elsewhere.
func openedPath(d *os.File) (string, error) {
	if p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(d.Fd()))); err == nil && filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.EvalSymlinks(d.Name())
}

// entryInfo describes one directory entry. A symbolic link that resolves
// outside the root is reported as not existing, so List skips it.
func (f *FileSystem) entryInfo(dir string, e fs.DirEntry) (shoal.FileInfo, error) {
	p := dir + string(filepath.Separator) + e.Name() // dir is clean: no filepath.Join per file
	if e.Type()&fs.ModeSymlink != 0 {
		return f.linkInfo(p)
	}
	info, err := e.Info()
	if err != nil {
		return shoal.FileInfo{}, err
	}
	return toFileInfo(p, info), nil
}

// linkInfo describes what the symbolic link p points to, or reports it as
// not existing when it is dangling or leaves the root.
func (f *FileSystem) linkInfo(p string) (shoal.FileInfo, error) {
	if f.root != "" {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return shoal.FileInfo{}, err
		}
		if !Within(f.root, real) {
			return shoal.FileInfo{}, fs.ErrNotExist
		}
	}
	info, err := os.Stat(p)
	if err != nil {
		return shoal.FileInfo{}, err
	}
	return toFileInfo(p, info), nil
}

func toFileInfo(p string, info fs.FileInfo) shoal.FileInfo {
	fi := shoal.FileInfo{
		Path:    p,
		Size:    info.Size(),
		ModTime: info.ModTime(),
		IsDir:   info.IsDir(),
	}
	if fi.IsDir {
		fi.Size = 0
	}
	return fi
}

// Stat describes one path, following symbolic links.
func (f *FileSystem) Stat(ctx context.Context, path string) (shoal.FileInfo, error) {
	if err := f.check("stat", path); err != nil {
		return shoal.FileInfo{}, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return shoal.FileInfo{}, wrap("stat", path, err)
	}
	return toFileInfo(path, info), nil
}

// Open opens a file for reading.
func (f *FileSystem) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, wrap("open", path, err)
	}
	if f.root != "" {
		// Check the file actually opened: one readlink instead of a walk
		// of every path element, and no race with a swapped link.
		real, err := openedPath(r)
		if err == nil && !Within(f.root, real) {
			err = shoal.Errorf(shoal.EINVALID, "path %s resolves outside the warehouse root %s", path, f.root)
		}
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	return r, nil
}

// wrap turns a missing path into ENOTFOUND and keeps the cause.
func wrap(op, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, path, errors.Join(shoal.Errorf(shoal.ENOTFOUND, "%s does not exist", path), err))
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// Package imagefs serves an HDFS fsimage as a read-only shoal.FileSystem,
// so that a scan lists a whole warehouse from an offline image without one
// NameNode call: catalog files: fsimage:///path/to/fsimage_000000000000123.
//
// Open reads the image once and keeps, for every directory under the
// prefix, its entries in a compact form: about 40 bytes plus the name per
// file or directory, so an image of 20 million inodes needs roughly 1 GB.
// The ?prefix=/warehouse parameter limits the index to one subtree (and
// the memory to what it holds).
//
// Paths may be absolute image paths (/warehouse/db/t) or URIs with any
// scheme and authority (hdfs://nameservice/warehouse/db/t), as a metastore
// records table locations: only the path part is looked up, and listings
// return paths in the caller's form. The image is a snapshot: ModTime and
// sizes are as of the image's transaction, which Txid reports.
package imagefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/fsimage"
)

// entry is one file or directory of the index. Its name is
// names[off:off+n].
type entry struct {
	off    uint64
	n      uint32
	dir    bool
	repl   uint16
	owner  uint32
	size   int64
	mtime  int64 // Unix milliseconds
	blocks int64
}

// FS is the read-only file system of one image.
type FS struct {
	source string
	prefix string
	// dirs maps a directory's path to the index of its first entry in
	// entries and its count; entries of one directory are contiguous.
	dirs    map[string]span
	entries []entry
	names   []byte
	owners  []string
	txid    uint64
}

type span struct{ start, n uint32 }

// Open reads the image a URI names: fsimage:///abs/path[?prefix=/dir].
func Open(uri string) (*FS, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "fsimage" || u.Path == "" || u.Host != "" {
		return nil, shoal.Errorf(shoal.EINVALID, "fsimage URI %q: want fsimage:///absolute/path/to/fsimage", uri)
	}
	prefix := "/"
	for k, v := range u.Query() {
		switch k {
		case "prefix":
			prefix = strings.TrimSuffix(v[0], "/")
			if !strings.HasPrefix(prefix, "/") {
				return nil, shoal.Errorf(shoal.EINVALID, "fsimage URI %q: prefix must be an absolute path", uri)
			}
			if prefix == "" {
				prefix = "/"
			}
		default:
			return nil, shoal.Errorf(shoal.EINVALID, "fsimage URI %q: unknown parameter %q (prefix)", uri, k)
		}
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, fmt.Errorf("open fsimage: %w", err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open fsimage: %w", err)
	}
	im, err := fsimage.Open(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read fsimage %s: %w", u.Path, err)
	}
	return build(im, u.Path, prefix)
}

// OpenImage indexes an image that is already open.
func OpenImage(im *fsimage.Image, source, prefix string) (*FS, error) {
	return build(im, source, prefix)
}

func build(im *fsimage.Image, source, prefix string) (*FS, error) {
	fs := &FS{source: source, prefix: prefix, dirs: map[string]span{}, txid: im.TransactionID}
	// Children are grouped by parent, then laid out contiguously.
	owners := map[string]uint32{}
	byParent := map[string][]entry{prefix: nil} // the prefix lists, if only as empty
	under := func(p string) bool {
		return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
	}
	err := im.Walk(func(e fsimage.Entry) error {
		if e.Path == "/" || e.Type == fsimage.Symlink {
			return nil
		}
		i := strings.LastIndexByte(e.Path, '/')
		parent, name := e.Path[:i], e.Path[i+1:]
		if parent == "" {
			parent = "/"
		}
		if e.Type == fsimage.Directory && under(e.Path) {
			if _, ok := byParent[e.Path]; !ok {
				byParent[e.Path] = nil // an empty directory still lists
			}
		}
		if !under(parent) {
			return nil
		}
		id, ok := owners[e.User]
		if !ok {
			id = uint32(len(fs.owners))
			owners[e.User] = id
			fs.owners = append(fs.owners, e.User)
		}
		en := entry{off: uint64(len(fs.names)), n: uint32(len(name)), dir: e.Type == fsimage.Directory,
			repl: uint16(min(e.Replication, 1<<16-1)), owner: id, size: int64(e.Size), mtime: e.ModTime.UnixMilli(), blocks: int64(e.Blocks)}
		fs.names = append(fs.names, name...)
		byParent[parent] = append(byParent[parent], en)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index fsimage %s: %w", source, err)
	}
	for dir, es := range byParent {
		if len(fs.entries)+len(es) > 1<<32-1 {
			return nil, shoal.Errorf(shoal.EINVALID, "fsimage %s: too many entries to index; set ?prefix=", source)
		}
		fs.dirs[dir] = span{start: uint32(len(fs.entries)), n: uint32(len(es))}
		fs.entries = append(fs.entries, es...)
		delete(byParent, dir)
	}
	return fs, nil
}

// Txid is the last transaction the image holds.
func (fs *FS) Txid() uint64 { return fs.txid }

// Close releases nothing: the index is in memory.
func (fs *FS) Close() error { return nil }

// imagePath returns the path part of p: the image knows paths, not the
// NameNode's address.
func imagePath(p string) (string, error) {
	if _, rest, ok := strings.Cut(p, "://"); ok {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "/", nil
		}
		p = rest[i:]
	} else if after, ok := strings.CutPrefix(p, "file:"); ok {
		p = after
	}
	if !strings.HasPrefix(p, "/") {
		return "", shoal.Errorf(shoal.EINVALID, "path %q is not absolute", p)
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p, nil
}

func (fs *FS) info(dir string, e *entry) shoal.FileInfo {
	return shoal.FileInfo{
		Path:        strings.TrimSuffix(dir, "/") + "/" + string(fs.names[e.off:e.off+uint64(e.n)]),
		Size:        e.size,
		ModTime:     time.UnixMilli(e.mtime).UTC(),
		IsDir:       e.dir,
		Blocks:      e.blocks,
		Replication: int(e.repl),
		Owner:       fs.owners[e.owner],
	}
}

func (fs *FS) notFound(p string) error {
	if fs.prefix != "/" && p != fs.prefix && !strings.HasPrefix(p, fs.prefix+"/") {
		return fmt.Errorf("%s: %w", p, errors.Join(shoal.Errorf(shoal.ENOTFOUND, "%s is outside the indexed prefix %s of the fsimage", p, fs.prefix), os.ErrNotExist))
	}
	return fmt.Errorf("%s: %w", p, errors.Join(shoal.Errorf(shoal.ENOTFOUND, "%s is not in the fsimage", p), os.ErrNotExist))
}

// List implements shoal.FileSystem.
func (fs *FS) List(ctx context.Context, dir string, fn func(shoal.FileInfo) error) error {
	p, err := imagePath(dir)
	if err != nil {
		return err
	}
	sp, ok := fs.dirs[p]
	if !ok {
		return fs.notFound(p)
	}
	for i := sp.start; i < sp.start+sp.n; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(fs.info(dir, &fs.entries[i])); err != nil {
			return err
		}
	}
	return nil
}

// Stat implements shoal.FileSystem.
func (fs *FS) Stat(ctx context.Context, path string) (shoal.FileInfo, error) {
	p, err := imagePath(path)
	if err != nil {
		return shoal.FileInfo{}, err
	}
	if p == "/" {
		return shoal.FileInfo{Path: path, IsDir: true}, nil
	}
	i := strings.LastIndexByte(p, '/')
	parent, name := p[:i], p[i+1:]
	if parent == "" {
		parent = "/"
	}
	sp, ok := fs.dirs[parent]
	if !ok {
		return shoal.FileInfo{}, fs.notFound(p)
	}
	pdir := path[:len(path)-len(name)]
	for j := sp.start; j < sp.start+sp.n; j++ {
		e := &fs.entries[j]
		if string(fs.names[e.off:e.off+uint64(e.n)]) == name {
			return fs.info(pdir, e), nil
		}
	}
	return shoal.FileInfo{}, fs.notFound(p)
}

// Open implements shoal.FileSystem: an image holds no file contents.
func (fs *FS) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	return nil, shoal.Errorf(shoal.ENOTIMPLEMENTED, "%s: an fsimage holds metadata, not file contents", path)
}

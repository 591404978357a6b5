package localfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shoalhq/shoal"
)

// direntBufs recycles getdents buffers between listings.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Offsets in struct linux_dirent64.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// readEntries lists an open directory with getdents64 and fstatat relative
// to the directory's descriptor: the system calls find(1) makes, without
// the allocations of os.DirEntry.
func (f *FileSystem) readEntries(ctx context.Context, d *os.File, dir string, fn func(shoal.FileInfo) error) error {
	rc, err := d.SyscallConn()
	if err != nil {
		return f.readDirEntries(ctx, d, dir, fn)
	}
	bufp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bufp)
	buf := *bufp
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			n    int
			rerr error
			fd   int
		)
		if err := rc.Control(func(sysfd uintptr) {
			fd = int(sysfd)
			for {
				n, rerr = unix.Getdents(fd, buf)
				if rerr != unix.EINTR {
					return
				}
			}
		}); err != nil {
			return wrap("list", dir, err)
		}
		if rerr != nil {
			return wrap("list", dir, rerr)
		}
		if n <= 0 {
			return nil
		}
		for off := 0; off < n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+direntReclen:]))
			if reclen < direntName || off+reclen > n {
				return wrap("list", dir, errors.New("malformed directory entry"))
			}
			typ := buf[off+direntType]
			name := buf[off+direntName : off+reclen]
			off += reclen
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if string(name) == "." || string(name) == ".." {
				continue
			}
			fi, err := f.direntInfo(rc, dir, string(name), typ)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since getdents, or a link that is dangling or escapes
			}
			if err != nil {
				return wrap("list", filepath.Join(dir, string(name)), err)
			}
			if err := fn(fi); err != nil {
				return err
			}
		}
	}
}

// direntInfo describes one entry of the directory behind rc.
func (f *FileSystem) direntInfo(rc syscall.RawConn, dir, name string, typ uint8) (shoal.FileInfo, error) {
	p := dir + string(filepath.Separator) + name
	if typ == unix.DT_LNK {
		return f.linkInfo(p)
	}
	var (
		st   unix.Stat_t
		serr error
	)
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	}); err != nil {
		return shoal.FileInfo{}, err
	}
	if serr != nil {
		if serr == unix.ENOENT {
			return shoal.FileInfo{}, fs.ErrNotExist
		}
		return shoal.FileInfo{}, serr
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK: // the file system did not report the type
		return f.linkInfo(p)
	case unix.S_IFDIR:
		return shoal.FileInfo{Path: p, IsDir: true, ModTime: time.Unix(st.Mtim.Unix())}, nil
	}
	return shoal.FileInfo{Path: p, Size: st.Size, ModTime: time.Unix(st.Mtim.Unix())}, nil
}

// ReadHead reads the first bytes of a file into buf with three system calls
// and no allocation of an os.File: the scanner reads the head of a file in
// every partition to detect its format. A file outside the root is refused.
func (f *FileSystem) ReadHead(ctx context.Context, path string, buf []byte) (int, error) {
	const flags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY
	checked := f.root == ""
	// A path without any symbolic link cannot leave the root it was listed
	// in: openat2 with RESOLVE_NO_SYMLINKS proves that in the same call.
	// Paths through links (and kernels before 5.6) take the slow check.
	fd, err := unix.Openat2(unix.AT_FDCWD, path, &unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_NO_SYMLINKS})
	if err == nil {
		checked = true
	} else {
		fd, err = unix.Open(path, flags, 0)
	}
	if err != nil {
		return 0, wrap("read head", path, err)
	}
	defer unix.Close(fd)
	if !checked {
		var link [unix.PathMax]byte
		n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), link[:])
		if err != nil {
			return 0, wrap("read head", path, err)
		}
		if !Within(f.root, string(link[:n])) {
			return 0, fmt.Errorf("read head %s: %w", path, shoal.Errorf(shoal.EINVALID, "path %s resolves outside the warehouse root %s", path, f.root))
		}
	}
	for {
		n, err := unix.Pread(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, wrap("read head", path, err)
		}
		return n, nil
	}
}

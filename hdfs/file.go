package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	gohdfs "github.com/colinmarc/hdfs/v2"

	"github.com/shoalhq/shoal"
)

// open opens a regular file; a directory is EINVALID.
func (f *FS) open(ctx context.Context, path string) (*gohdfs.FileReader, error) {
	var r *gohdfs.FileReader
	err := f.read(ctx, "open", path, func(c conn) (err error) {
		r, err = c.client.Open(c.path)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Stat().IsDir() {
		_ = r.Close()
		return nil, fmt.Errorf("open %s: %w", path, shoal.Errorf(shoal.EINVALID, "%s is a directory", path))
	}
	return r, nil
}

// Open opens a file for reading.
func (f *FS) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	r, err := f.open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &reader{fs: f, r: r, path: path}, nil
}

// OpenFile opens a file for random access. Its size is the length the
// NameNode reported at open.
func (f *FS) OpenFile(ctx context.Context, path string) (shoal.ReadAtCloser, int64, error) {
	r, err := f.open(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	return &reader{fs: f, r: r, path: path}, r.Stat().Size(), nil
}

// reader is an open file. The library's reader keeps one position, so
// ReadAt calls are serialized: each seeks, then reads.
type reader struct {
	fs   *FS
	path string
	mu   sync.Mutex
	r    *gohdfs.FileReader
}

func (r *reader) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.r.Read(b)
	return n, r.err("read", err)
}

// ReadAt reads len(b) bytes at off; fewer only at the end of the file,
// with io.EOF.
func (r *reader) ReadAt(b []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if off < 0 {
		return 0, fmt.Errorf("read %s: %w", r.path, shoal.Errorf(shoal.EINVALID, "negative offset %d", off))
	}
	if off >= r.r.Stat().Size() {
		if len(b) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n, err := r.r.ReadAt(b, off)
	return n, r.err("read", err)
}

func (r *reader) err(op string, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	return r.fs.wrap(op, r.path, nil, err)
}

func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err("close", r.r.Close())
}

// Create creates a new file; it fails with fs.ErrExist if path exists (the
// NameNode checks, atomically) and with fs.ErrNotExist if its directory
// does not. The file gets dfs.replication and dfs.blocksize from the
// configuration, or the NameNode's defaults where those are unset, as the
// Java client does; CreateWith chooses them.
func (f *FS) Create(ctx context.Context, path string) (shoal.WriteFile, error) {
	return f.CreateWith(ctx, path, 0, 0)
}

// CreateWith is Create with the replication and block size of the new
// file, so that a merged file keeps those of the files it replaces. Zero
// takes the default Create uses. The merge engine reaches it through an
// interface of its own:
//
//	interface {
//		CreateWith(ctx context.Context, path string, replication int, blockSize int64) (shoal.WriteFile, error)
//	}
func (f *FS) CreateWith(ctx context.Context, path string, replication int, blockSize int64) (shoal.WriteFile, error) {
	if replication < 0 || replication > maxReplication {
		return nil, fmt.Errorf("create %s: %w", path, shoal.Errorf(shoal.EINVALID, "replication %d is not from 1 to %d", replication, maxReplication))
	}
	if blockSize != 0 {
		if err := checkBlockSize(blockSize); err != nil {
			return nil, fmt.Errorf("create %s: %w", path, shoal.Errorf(shoal.EINVALID, "block size %d: %v", blockSize, err))
		}
	}
	if replication == 0 {
		replication, _ = f.conf.replication() // validated
	}
	if blockSize == 0 {
		blockSize, _ = f.conf.blockSize()
	}
	c, err := f.acquire(ctx, "create", path)
	if err != nil {
		return nil, err
	}
	if replication == 0 || blockSize == 0 {
		// Fetched once per client, then cached by the library.
		def, err := c.client.ServerDefaults()
		if err != nil {
			return nil, f.wrap("create", path, &c, err)
		}
		if replication == 0 {
			replication = def.Replication
		}
		if blockSize == 0 {
			blockSize = def.BlockSize
		}
	}
	w, err := c.client.CreateFile(c.path, replication, blockSize, 0o644)
	if err != nil {
		return nil, f.wrap("create", path, &c, err)
	}
	return &writer{fs: f, ctx: ctx, w: w, path: path}, nil
}

// writer is a file being written.
type writer struct {
	fs     *FS
	ctx    context.Context
	path   string
	w      *gohdfs.FileWriter
	closed bool
}

func (w *writer) Write(b []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: %w", w.path, fs.ErrClosed)
	}
	n, err := w.w.Write(b)
	if err != nil {
		return n, w.fs.wrap("write", w.path, nil, err)
	}
	return n, nil
}

// Sync sends the buffered data to the DataNode pipeline (the library's
// Flush, like hflush) without waiting for acknowledgements. HDFS data is
// durable only once Close has returned: the library has no hsync.
func (w *writer) Sync() error {
	if w.closed {
		return fmt.Errorf("sync %s: %w", w.path, fs.ErrClosed)
	}
	return w.fs.wrap("sync", w.path, nil, w.w.Flush())
}

// Close writes out the last packets, waits for the DataNodes to
// acknowledge every one, and completes the file on the NameNode. While the
// NameNode has not seen the last block minimally replicated it answers
// "not yet"; Close asks again with backoff, as the Java client does, for up
// to the timeout.
func (w *writer) Close() error {
	if w.closed {
		return fmt.Errorf("close %s: %w", w.path, fs.ErrClosed)
	}
	w.closed = true
	deadline := time.Now().Add(w.fs.timeout)
	for delay := 50 * time.Millisecond; ; delay *= 2 {
		err := w.w.Close()
		if !gohdfs.IsErrReplicating(err) {
			return w.fs.wrap("close", w.path, nil, err)
		}
		if time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("close %s: %w", w.path, errors.Join(shoal.Errorf(shoal.EUNAVAILABLE, "the NameNode did not complete %s within %s: its last block is not yet replicated", w.path, w.fs.timeout), err))
		}
		t := time.NewTimer(delay)
		select {
		case <-w.ctx.Done():
			t.Stop()
			return fmt.Errorf("close %s: %w", w.path, w.ctx.Err())
		case <-t.C:
		}
	}
}

// Link copies oldpath to newpath, with the same replication and block size:
// HDFS has no hard links. The copy reads and writes every byte, so it costs
// what the file weighs; a failed copy is removed.
func (f *FS) Link(ctx context.Context, oldpath, newpath string) (err error) {
	r, err := f.open(ctx, oldpath)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	var repl int
	var bs int64
	if st, ok := r.Stat().Sys().(*gohdfs.FileStatus); ok && st != nil {
		repl, bs = int(st.GetBlockReplication()), clampInt64(st.GetBlocksize())
	}
	if checkBlockSize(bs) != nil {
		bs = 0
	}
	w, err := f.CreateWith(ctx, newpath, repl, bs)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, &reader{fs: f, r: r, path: oldpath})
	if err == nil {
		err = w.Close()
	} else {
		_ = w.Close()
	}
	if err != nil {
		_ = f.RemoveAll(context.WithoutCancel(ctx), newpath)
		return fmt.Errorf("link %s to %s: %w", oldpath, newpath, err)
	}
	return nil
}

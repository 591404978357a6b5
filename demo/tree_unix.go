//go:build unix

package demo

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// treeWriter creates GenerateTree's files with system calls relative to
// open table directory handles, which saves path lookups and the bookkeeping
// of os.File.
type treeWriter struct {
	base   string
	tables []int // directory file descriptors
	files  []string
}

func newTreeWriter(base string, tables, files int) (*treeWriter, error) {
	tw := &treeWriter{base: base}
	for j := range files {
		tw.files = append(tw.files, fileName(j))
	}
	for t := range tables {
		name := filepath.Join(base, tableName(t))
		if err := unix.Mkdir(name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			tw.close()
			return nil, fmt.Errorf("create table dir: %w", err)
		}
		fd, err := openDir(unix.AT_FDCWD, name)
		if err != nil {
			tw.close()
			return nil, fmt.Errorf("open table dir: %w", err)
		}
		tw.tables = append(tw.tables, fd)
	}
	return tw, nil
}

func (tw *treeWriter) close() {
	for _, fd := range tw.tables {
		unix.Close(fd)
	}
	tw.tables = nil
}

// partition writes partition i of table t.
func (tw *treeWriter) partition(t, i int) error {
	name := partitionName(i)
	err := retry(func() error { return unix.Mkdirat(tw.tables[t], name, 0o755) })
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create partition dir %s: %w", filepath.Join(tw.base, tableName(t), name), err)
	}
	dfd, err := openDir(tw.tables[t], name)
	if err != nil {
		return fmt.Errorf("open partition dir %s: %w", filepath.Join(tw.base, tableName(t), name), err)
	}
	defer unix.Close(dfd)
	for j, file := range tw.files {
		if err := writeAt(dfd, file, treePayload[:treeFileSize(t, i, j)]); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(tw.base, tableName(t), name, file), err)
		}
	}
	return nil
}

func openDir(at int, name string) (int, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Openat(at, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

// writeAt creates or truncates the file name in directory dfd and writes
// data to it.
func writeAt(dfd int, name string, data []byte) error {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
		return err
	})
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return err
		}
		data = data[n:]
	}
	return unix.Close(fd)
}

// retry calls fn until it fails with an error other than EINTR.
func retry(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

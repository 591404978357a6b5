//go:build !linux

package localfs

import (
	"context"
	"io"
	"os"

	"github.com/shoalhq/shoal"
)

func (f *FileSystem) readEntries(ctx context.Context, d *os.File, dir string, fn func(shoal.FileInfo) error) error {
	return f.readDirEntries(ctx, d, dir, fn)
}

// ReadHead reads the first bytes of a file into buf.
func (f *FileSystem) ReadHead(ctx context.Context, path string, buf []byte) (int, error) {
	r, err := f.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

//go:build !linux

package localfs

import (
	"io/fs"
	"os"
)

// renameNoReplace checks that newpath is absent, then renames. Without
// renameat2 the check and the rename are two steps.
func renameNoReplace(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	}
	return os.Rename(oldpath, newpath)
}

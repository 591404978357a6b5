package localfs

import "golang.org/x/sys/unix"

// renameNoReplace renames atomically and fails with EEXIST when newpath
// exists, even for directories (rename(2) would replace an empty one).
func renameNoReplace(oldpath, newpath string) error {
	return unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
}

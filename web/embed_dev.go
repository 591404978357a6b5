//go:build devui

package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// FS returns web/dist from disk, for front-end development.
func FS() fs.FS {
	_, file, _, _ := runtime.Caller(0)
	return os.DirFS(filepath.Join(filepath.Dir(file), "dist"))
}

// Package realdata locates the files written by other people's software
// (Impala, parquet-mr, Arrow, Hive, Hadoop) that tests read: the folder
// ../shared/realdata beside the repository, or $SHOAL_REALDATA. The files
// are never copied into the repository.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the real-data folder, or skips the test when it is absent;
// with SHOAL_REQUIRE_REALDATA=1 (as in CI) it fails the test instead.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := find()
	if err != nil {
		if os.Getenv("SHOAL_REQUIRE_REALDATA") == "1" {
			tb.Fatalf("real data required but missing: %v (set SHOAL_REALDATA or check out beside ../shared)", err)
		}
		tb.Skipf("real data not found: %v (see ../shared/realdata/CATALOG.md)", err)
	}
	return dir
}

// Path returns a path inside the real-data folder, like Dir.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, elem...)...)
}

// Find returns the real-data folder without a test, for fuzz seeds; ok is
// false when it is absent.
func Find() (string, bool) {
	dir, err := find()
	return dir, err == nil
}

func find() (string, error) {
	if dir := os.Getenv("SHOAL_REALDATA"); dir != "" {
		if _, err := os.Stat(dir); err != nil { //nolint:gosec // a folder the developer names, read by tests

			return "", err
		}
		return dir, nil
	}
	// The repository root is the nearest folder above with a go.mod.
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", os.ErrNotExist
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", "realdata")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

package localfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal/fstest"
	"github.com/shoalhq/shoal/localfs"
)

func TestContract(t *testing.T) {
	t.Parallel()
	fstest.Run(t, localfs.New(), t.TempDir())
}

func TestContractConfined(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fsys, err := localfs.NewConfined(dir)
	if err != nil {
		t.Fatal(err)
	}
	fstest.Run(t, fsys, dir)
}

func TestContractReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fstest.RunReadOnly(t, localfs.New(), dir, func(path string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

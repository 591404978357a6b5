package localfs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/localfs"
)

// A directory far larger than one getdents buffer is listed completely,
// each entry once, with the sizes and times os.Stat reports.
func TestFileSystem_ListLargeDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 5000
	mt := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	for i := range n {
		// Long names make the directory span many getdents calls.
		p := filepath.Join(dir, fmt.Sprintf("part-%05d-%s.parquet", i, strings.Repeat("x", 100)))
		if err := os.WriteFile(p, make([]byte, i%97), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	fsys, err := localfs.NewConfined(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var dirs int
	err = fsys.List(context.Background(), dir, func(fi shoal.FileInfo) error {
		if seen[fi.Path] {
			t.Errorf("%s listed twice", fi.Path)
		}
		seen[fi.Path] = true
		if fi.IsDir {
			dirs++
			return nil
		}
		st, err := os.Stat(fi.Path)
		if err != nil {
			return err
		}
		if fi.Size != st.Size() || !fi.ModTime.Equal(st.ModTime()) {
			t.Errorf("%s: size %d mtime %v, os.Stat says %d %v", fi.Name(), fi.Size, fi.ModTime, st.Size(), st.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n+1 || dirs != 1 {
		t.Errorf("listed %d entries (%d directories), want %d and 1", len(seen), dirs, n+1)
	}
}

func TestFileSystem_ListStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 10 {
		os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), nil, 0o644)
	}
	stop := errors.New("stop")
	calls := 0
	err := localfs.New().List(context.Background(), dir, func(shoal.FileInfo) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List = %v after %d calls, want the callback's error after 1", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := localfs.New().List(ctx, dir, func(shoal.FileInfo) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context = %v", err)
	}
}

func TestFileSystem_Errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fsys := localfs.New()
	ctx := context.Background()
	err := fsys.List(ctx, filepath.Join(dir, "missing"), func(shoal.FileInfo) error { return nil })
	if shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("listing a missing directory: %v, want ENOTFOUND", err)
	}
	if _, err := fsys.Stat(ctx, filepath.Join(dir, "missing")); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("stat of a missing file: %v, want ENOTFOUND", err)
	}
	if _, err := fsys.Open(ctx, filepath.Join(dir, "missing")); shoal.ErrorCode(err) != shoal.ENOTFOUND {
		t.Errorf("open of a missing file: %v, want ENOTFOUND", err)
	}
}

func TestFileSystem_ReadHead(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(root, "short"), []byte("PAR"), 0o644)
	os.WriteFile(filepath.Join(root, "long"), []byte("PAR1 and much more after the head"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("ORC secret"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "escape"))
	os.Symlink(filepath.Join(root, "long"), filepath.Join(root, "inside"))
	fsys, err := localfs.NewConfined(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	buf := make([]byte, 4)
	for name, want := range map[string]string{"short": "PAR", "long": "PAR1", "inside": "PAR1"} {
		n, err := fsys.ReadHead(ctx, filepath.Join(root, name), buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("ReadHead(%s) = %q, %v; want %q", name, buf[:n], err, want)
		}
	}
	if _, err := fsys.ReadHead(ctx, filepath.Join(root, "escape"), buf); shoal.ErrorCode(err) != shoal.EINVALID {
		t.Errorf("ReadHead through a link outside the root: %v, want EINVALID", err)
	}
	var names []string
	fsys.List(ctx, root, func(fi shoal.FileInfo) error { names = append(names, fi.Name()); return nil })
	slices.Sort(names)
	if !slices.Equal(names, []string{"inside", "long", "short"}) {
		t.Errorf("listing = %v; the link leaving the root must be skipped", names)
	}
}

package schema

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLatestIn(t *testing.T) {
	fsys := fstest.MapFS{
		"m/00001_a.sql": {Data: []byte("-- +goose Up\n")},
		"m/00012_b.sql": {Data: []byte("-- +goose Up\n")},
		"m/00003_c.sql": {Data: []byte("-- +goose Up\n")},
		"m/README.md":   {Data: []byte("not a migration")},
	}
	if v, err := LatestIn(fsys, "m"); err != nil || v != 12 {
		t.Errorf("LatestIn = %d, %v; want 12", v, err)
	}
	if _, err := LatestIn(fsys, "none"); err == nil || !strings.Contains(err.Error(), "no migrations") {
		t.Errorf("LatestIn of an empty directory: %v", err)
	}
	bad := fstest.MapFS{"m/first.sql": {Data: []byte("")}}
	if _, err := LatestIn(bad, "m"); err == nil {
		t.Error("LatestIn accepted a migration without a version")
	}
}

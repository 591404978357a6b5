//go:build !unix

package demo

import (
	"fmt"
	"os"
	"path/filepath"
)

// treeWriter creates GenerateTree's files with the os package.
type treeWriter struct {
	base   string
	tables []string
	files  []string
}

func newTreeWriter(base string, tables, files int) (*treeWriter, error) {
	tw := &treeWriter{base: base}
	for j := range files {
		tw.files = append(tw.files, fileName(j))
	}
	for t := range tables {
		dir := filepath.Join(base, tableName(t))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create table dir: %w", err)
		}
		tw.tables = append(tw.tables, dir)
	}
	return tw, nil
}

func (tw *treeWriter) close() {}

// partition writes partition i of table t.
func (tw *treeWriter) partition(t, i int) error {
	dir := filepath.Join(tw.tables[t], partitionName(i))
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create partition dir: %w", err)
	}
	for j, file := range tw.files {
		if err := os.WriteFile(filepath.Join(dir, file), treePayload[:treeFileSize(t, i, j)], 0o644); err != nil {
			return fmt.Errorf("write file: %w", err)
		}
	}
	return nil
}

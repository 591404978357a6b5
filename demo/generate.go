package demo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure Generate.
type Options struct {
	// Dir is the warehouse root directory. It must be empty or absent; it is
	// created with its parents.
	Dir string
	// Seed selects the generated content. The same Seed, Now and Scale give
	// the same tree and the same Manifest, byte for byte.
	Seed int64
	// Now is the reference time. Daily partitions count back from its UTC
	// date, today's partitions of streaming tables stop at Now, and no file
	// is newer than Now. Zero means time.Now().
	Now time.Time
	// Scale multiplies the days of history of every table, and so the number
	// of partitions and files; below 1 it also thins the files of each
	// partition. 1 is the default demo: about 2,700 files and 140 MB. Every
	// special case (escaped and default partition values, empty partitions,
	// hidden and zero-byte files) is present at any scale. Zero means 1;
	// negative values are invalid.
	Scale float64
	// Workers is the number of partitions written concurrently. Zero means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// Generate writes a demo Hive warehouse at opts.Dir and returns its Manifest.
//
// The warehouse holds four databases (sales, web, logs, finance) laid out as
// <root>/<db>.db/<table>/<k1=v1>/[<k2=v2>/]<files>, plus two tables of the
// default database directly under <root>/<table>. File mtimes fall inside
// their partition's time window. On error or cancellation the tree is left
// as far as it was written.
func Generate(ctx context.Context, opts Options) (*Manifest, error) {
	scale := opts.Scale
	switch {
	case opts.Dir == "":
		return nil, errors.New("demo dir is required")
	case scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0):
		return nil, fmt.Errorf("invalid demo scale %v", scale)
	case opts.Workers < 0:
		return nil, fmt.Errorf("invalid demo workers %d", opts.Workers)
	case scale == 0:
		scale = 1
	}
	root, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("demo dir: %w", err)
	}
	if err := checkEmpty(root); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	p := &plan{
		root:  root,
		now:   now,
		today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		scale: scale,
		seed:  opts.Seed,
	}
	p.build()

	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create demo dir: %w", err)
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := p.write(ctx, workers); err != nil {
		return nil, err
	}
	m := p.manifest()
	m.Seed = opts.Seed
	m.Scale = scale
	return m, nil
}

// checkEmpty fails unless dir is an empty directory or does not exist.
func checkEmpty(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("open demo dir: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("read demo dir: %w", err)
	case len(names) > 0:
		return fmt.Errorf("demo dir %s is not empty", dir)
	}
	return nil
}

// work is one directory to write.
type work struct {
	ps *partSpec
	// touchDir sets the directory's mtime to its newest file's. It is false
	// for table roots, where other workers create partition directories.
	touchDir bool
	cost     int64
}

// write writes all planned files with a pool of workers, the most expensive
// directories first.
func (p *plan) write(ctx context.Context, workers int) error {
	var items []work
	for _, t := range p.tables {
		for _, ps := range t.parts {
			items = append(items, work{ps: ps, touchDir: true})
		}
		if t.aux != nil {
			items = append(items, work{ps: t.aux})
		}
	}
	for i := range items {
		for _, f := range items[i].ps.files {
			items[i].cost += 1 + f.rows
		}
	}
	slices.SortStableFunc(items, func(a, b work) int { return cmp.Compare(b.cost, a.cost) })

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan work)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			var buf bytes.Buffer
			for it := range next {
				if err := writeDir(ctx, it, &buf); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case next <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("generate demo: %w", err)
	}
	return p.touchParents()
}

// writeDir writes the files of one directory and records them in its
// PartitionManifest.
func writeDir(ctx context.Context, it work, buf *bytes.Buffer) error {
	ps := it.ps
	if err := os.MkdirAll(ps.dir, 0o755); err != nil {
		return fmt.Errorf("create partition dir: %w", err)
	}
	m := &ps.m
	newest := ps.from
	// Hidden subdirectories get the mtime of their newest file.
	var subdirs map[string]time.Time
	touchSubdirs := func(path string, t time.Time) {
		for d := filepath.Dir(path); d != ps.dir && len(d) > len(ps.dir); d = filepath.Dir(d) {
			if subdirs == nil {
				subdirs = map[string]time.Time{}
			}
			subdirs[d] = maxTime(subdirs[d], t)
		}
	}
	for _, f := range ps.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(ps.dir, filepath.FromSlash(f.rel))
		if strings.Contains(f.rel, "/") {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("create dir: %w", err)
			}
		}
		buf.Reset()
		rows, err := f.write(buf, f, rand.New(rand.NewPCG(f.seed, 0x9e3779b97f4a7c15)))
		if err != nil {
			return fmt.Errorf("generate %s: %w", path, err)
		}
		if err := writeFile(path, buf.Bytes(), f.mtime); err != nil {
			return err
		}
		newest = maxTime(newest, f.mtime)
		touchSubdirs(path, f.mtime)
		if f.hidden {
			m.HiddenFiles++
		} else {
			size := int64(buf.Len())
			if m.Files == 0 || size < m.MinSize {
				m.MinSize = size
			}
			if m.Files == 0 || f.mtime.Before(m.OldestModTime) {
				m.OldestModTime = f.mtime
			}
			m.MaxSize = max(m.MaxSize, size)
			m.NewestModTime = maxTime(m.NewestModTime, f.mtime)
			m.Files++
			m.Bytes += size
			m.Rows += rows
		}
		if f.crc {
			crc := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".crc")
			if err := writeFile(crc, hadoopCRC(buf.Bytes()), f.mtime); err != nil {
				return err
			}
			m.HiddenFiles++
		}
	}
	for d, t := range subdirs {
		if err := os.Chtimes(d, t, t); err != nil {
			return fmt.Errorf("set dir time: %w", err)
		}
	}
	ps.newest = newest
	if it.touchDir {
		if err := os.Chtimes(ps.dir, newest, newest); err != nil {
			return fmt.Errorf("set partition dir time: %w", err)
		}
	}
	return nil
}

// touchParents sets the mtime of every directory between the partitions and
// the root (table directories, outer partition levels, database
// directories) to that of the newest file below it, as if the tree had
// been written at the planned times. The root itself is left alone.
func (p *plan) touchParents() error {
	dirs := map[string]time.Time{}
	up := func(d string, t time.Time) {
		for ; d != p.root && len(d) > len(p.root); d = filepath.Dir(d) {
			dirs[d] = maxTime(dirs[d], t)
		}
	}
	for _, t := range p.tables {
		for _, ps := range t.parts {
			up(filepath.Dir(ps.dir), ps.newest)
		}
		if t.aux != nil {
			up(t.aux.dir, t.aux.newest)
		}
	}
	for d, t := range dirs {
		if err := os.Chtimes(d, t, t); err != nil {
			return fmt.Errorf("set dir time: %w", err)
		}
	}
	return nil
}

func writeFile(path string, data []byte, mtime time.Time) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write file: %w", err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		return fmt.Errorf("set file time: %w", err)
	}
	return nil
}

// manifest assembles the Manifest from the written plan.
func (p *plan) manifest() *Manifest {
	m := &Manifest{Root: p.root, Now: p.now}
	dbs := map[string]bool{}
	for _, t := range p.tables {
		tm := t.m
		dbs[tm.Database] = true
		for _, ps := range t.parts {
			pm := ps.m
			pm.Spec, pm.Values, pm.Dir = ps.spec, ps.values, ps.dir
			tm.Partitions = append(tm.Partitions, pm)
			tm.Files += int64(pm.Files)
			tm.Bytes += pm.Bytes
			tm.Rows += pm.Rows
			tm.HiddenFiles += int64(pm.HiddenFiles)
		}
		if t.aux != nil {
			tm.HiddenFiles += int64(t.aux.m.HiddenFiles)
		}
		slices.SortFunc(tm.Partitions, func(a, b PartitionManifest) int { return strings.Compare(a.Spec, b.Spec) })
		m.Tables = append(m.Tables, tm)
		m.Partitions += len(tm.Partitions)
		m.Files += tm.Files
		m.Bytes += tm.Bytes
		m.Rows += tm.Rows
		m.HiddenFiles += tm.HiddenFiles
	}
	slices.SortFunc(m.Tables, func(a, b TableManifest) int {
		return cmp.Or(strings.Compare(a.Database, b.Database), strings.Compare(a.Table, b.Table))
	})
	m.Databases = len(dbs)
	return m
}

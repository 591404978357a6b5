// Package warehouse implements shoal.Catalog over a Hive warehouse directory
// on local disk, with no metastore: the embedded default and the demo.
//
// The layout is Hive's: <root>/<db>.db/<table>/<k1=v1>/<k2=v2>/files, and
// tables of the default database directly under <root>. Partition keys are
// inferred from the first chain of key=value directories of each table;
// directories that do not follow the table's keys are not partitions. Names
// beginning with '.' or '_' are ignored, as Hive ignores them, and symbolic
// links are followed only while they stay inside the root.
package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/localfs"
)

// Scheme is the URI scheme of the catalog: warehouse:///abs/path.
const Scheme = "warehouse"

// DefaultDatabase holds the tables found directly under the root.
const DefaultDatabase = "default"

// Catalog is a warehouse directory.
type Catalog struct {
	root string // resolved absolute root
	fs   *localfs.FileSystem

	mu     sync.Mutex
	owners map[uint32]string
}

var _ shoal.Catalog = (*Catalog)(nil)

// ParseURI returns the directory of a warehouse:///abs/path URI.
func ParseURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", shoal.Errorf(shoal.EINVALID, "catalog URI %q: %v", uri, err)
	}
	if u.Scheme != Scheme {
		return "", shoal.Errorf(shoal.EINVALID, "catalog URI %q: scheme must be %s", uri, Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", shoal.Errorf(shoal.EINVALID, "catalog URI %q: want warehouse:///absolute/path (three slashes), got host %q", uri, u.Host)
	}
	if !filepath.IsAbs(u.Path) {
		return "", shoal.Errorf(shoal.EINVALID, "catalog URI %q: path must be absolute", uri)
	}
	return filepath.Clean(u.Path), nil
}

// Open opens the warehouse at dir, which must be an existing directory.
func Open(dir string) (*Catalog, error) {
	cfs, err := localfs.NewConfined(dir)
	if err != nil {
		return nil, fmt.Errorf("open warehouse: %w", err)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("open warehouse: %w", err)
	}
	root, _ = filepath.Abs(root)
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("open warehouse: %w", err)
	}
	if !info.IsDir() {
		return nil, shoal.Errorf(shoal.EINVALID, "warehouse %s is not a directory", dir)
	}
	return &Catalog{root: root, fs: cfs, owners: make(map[uint32]string)}, nil
}

// Root returns the resolved root directory.
func (c *Catalog) Root() string { return c.root }

// FileSystem returns the file system of the warehouse, confined to its root.
func (c *Catalog) FileSystem() shoal.FileSystem { return c.fs }

// Close does nothing: the catalog holds no connections.
func (c *Catalog) Close() error { return nil }

// entry is a visible subdirectory.
type entry struct {
	name string
	path string
}

// subdirs lists the visible subdirectories of dir, sorted by name, following
// symbolic links that stay inside the root.
func (c *Catalog) subdirs(dir string) ([]entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if shoal.IsHidden(name) {
			continue
		}
		p := filepath.Join(dir, name)
		switch {
		case de.IsDir():
			out = append(out, entry{name: name, path: p})
		case de.Type()&fs.ModeSymlink != 0:
			real, err := filepath.EvalSymlinks(p)
			if err != nil || !localfs.Within(c.root, real) {
				continue // dangling, or escaping the root
			}
			if info, err := os.Stat(real); err == nil && info.IsDir() {
				out = append(out, entry{name: name, path: p})
			}
		}
	}
	return out, nil
}

// Databases lists default (when tables sit directly under the root) and
// every <name>.db directory.
func (c *Catalog) Databases(ctx context.Context) ([]shoal.Database, error) {
	ents, err := c.subdirs(c.root)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var dbs []shoal.Database
	hasDefault := false
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.name, ".db")
		if !ok || name == "" {
			hasDefault = true
			continue
		}
		dbs = append(dbs, shoal.Database{Name: name, Location: e.path, Owner: c.owner(e.path)})
	}
	if hasDefault {
		dbs = append(dbs, shoal.Database{Name: DefaultDatabase, Location: c.root, Owner: c.owner(c.root)})
	}
	slices.SortFunc(dbs, func(a, b shoal.Database) int { return strings.Compare(a.Name, b.Name) })
	return dbs, nil
}

// dbDir returns the directory of a database.
func (c *Catalog) dbDir(db string) (string, error) {
	if db == DefaultDatabase {
		return c.root, nil
	}
	if db == "" || strings.ContainsAny(db, "/\\") || db == "." || db == ".." {
		return "", shoal.Errorf(shoal.EINVALID, "invalid database name %q", db)
	}
	return filepath.Join(c.root, db+".db"), nil
}

// Tables lists the tables of a database, with their partition keys.
func (c *Catalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	dir, err := c.dbDir(db)
	if err != nil {
		return nil, err
	}
	ents, err := c.subdirs(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, shoal.Errorf(shoal.ENOTFOUND, "database %q not found", db)
	}
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	var tables []shoal.Table
	for _, e := range ents {
		if db == DefaultDatabase && strings.HasSuffix(e.name, ".db") {
			continue // a database directory, not a table
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		keys, err := c.inferKeys(e.path)
		if err != nil {
			return nil, fmt.Errorf("infer partition keys of %s.%s: %w", db, e.name, err)
		}
		t := shoal.Table{
			Database:      db,
			Name:          e.name,
			Location:      e.path,
			Format:        shoal.FormatUnknown,
			PartitionKeys: keys,
			Type:          shoal.TableExternal,
			Owner:         c.owner(e.path),
		}
		if err := readProperties(filepath.Join(e.path, PropertiesFile), &t); err != nil {
			return nil, fmt.Errorf("table %s.%s: %w", db, e.name, err)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// inferKeys follows the first key=value subdirectory at each level.
func (c *Catalog) inferKeys(dir string) ([]string, error) {
	var keys []string
	for depth := 0; depth < 64; depth++ {
		ents, err := c.subdirs(dir)
		if err != nil {
			return nil, err
		}
		next := ""
		for _, e := range ents {
			if k, _, ok := shoal.ParsePartitionDir(e.name); ok {
				keys = append(keys, k)
				next = e.path
				break
			}
		}
		if next == "" {
			return keys, nil
		}
		dir = next
	}
	return keys, nil
}

// Partitions walks the key=value directories of the table, depth first in
// name order, and yields the directories at the depth of the last key.
func (c *Catalog) Partitions(ctx context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	if !t.Partitioned() {
		return nil
	}
	values := make([]string, 0, len(t.PartitionKeys))
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := c.subdirs(dir)
		if err != nil {
			if depth == 0 {
				return fmt.Errorf("list partitions of %s: %w", t.QualifiedName(), err)
			}
			return nil // vanished or unreadable below the table: not a partition
		}
		for _, e := range ents {
			k, v, ok := shoal.ParsePartitionDir(e.name)
			if !ok || k != t.PartitionKeys[depth] {
				continue // not a partition of this table's layout
			}
			values = append(values[:depth], v)
			if depth == len(t.PartitionKeys)-1 {
				vals := slices.Clone(values)
				err := fn(shoal.Partition{
					Values:   vals,
					Spec:     shoal.PartitionSpec(t.PartitionKeys, vals),
					Location: e.path,
				})
				if err != nil {
					return err
				}
				continue
			}
			if err := walk(e.path, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(t.Location, 0)
}

// owner returns the user name owning path, or its numeric ID.
func (c *Catalog) owner(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.owners[st.Uid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	c.owners[st.Uid] = name
	return name
}

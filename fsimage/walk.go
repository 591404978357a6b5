package fsimage

import (
	"fmt"
)

const defaultBatchSize = 1 << 16

// dirNode is what Walk keeps per directory.
type dirNode struct {
	name      string
	parent    uint64
	hasParent bool
	path      string // memoized; "" until computed
}

// pending is an inode of the current Walk batch whose parent may still be
// unknown.
type pending struct {
	e         Entry
	name      string
	parent    uint64
	hasParent bool
}

// Walk calls fn for every inode reachable from the root, in INODE section
// order, with its full path. Inodes present only in snapshots (no parent
// in INODE_DIR) are skipped, as `hdfs oiv -p Delimited` does. If fn
// returns an error, Walk stops and returns it.
//
// Memory grows with the number of directories plus BatchSize: Walk reads
// INODE once to learn the directories, INODE_DIR once to link them, then
// streams INODE again, resolving each batch of files with one more pass
// over INODE_DIR.
func (im *Image) Walk(fn func(Entry) error) error {
	dirs := make(map[uint64]*dirNode)
	err := im.eachInode(func(in *inode) error {
		if in.Type == Directory {
			dirs[in.ID] = &dirNode{name: string(in.name)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", SectionInode, err)
	}
	err = im.eachDirEntry(func(parent, child uint64, name []byte) {
		if d, ok := dirs[child]; ok {
			d.parent, d.hasParent = parent, true
			if name != nil {
				d.name = string(name)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", SectionInodeDir, err)
	}
	w := walker{im: im, dirs: dirs, fn: fn, max: im.BatchSize}
	if w.max <= 0 {
		w.max = defaultBatchSize
	}
	w.index = make(map[uint64]int)
	err = im.eachInode(func(in *inode) error {
		p := pending{e: in.Entry, name: string(in.name)}
		p.e.User, p.e.Group = im.owner(in.perm)
		p.e.Mode = uint16(in.perm)
		if in.Type == Directory {
			p.e.Replication, p.e.PreferredBlockSize = 0, 0
		} else {
			w.index[in.ID] = len(w.batch)
		}
		w.batch = append(w.batch, p)
		if len(w.batch) >= w.max {
			return w.flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", SectionInode, err)
	}
	return w.flush()
}

type walker struct {
	im    *Image
	dirs  map[uint64]*dirNode
	fn    func(Entry) error
	max   int
	batch []pending
	index map[uint64]int // non-directory inode id -> batch position
}

// flush resolves the parents of the batched non-directories, then yields
// the whole batch.
func (w *walker) flush() error {
	if len(w.index) > 0 {
		err := w.im.eachDirEntry(func(parent, child uint64, name []byte) {
			if i, ok := w.index[child]; ok {
				w.batch[i].parent, w.batch[i].hasParent = parent, true
				if name != nil {
					w.batch[i].name = string(name)
				}
			}
		})
		if err != nil {
			return fmt.Errorf("read %s: %w", SectionInodeDir, err)
		}
	}
	for i := range w.batch {
		p := &w.batch[i]
		var ok bool
		if p.e.Type == Directory {
			p.e.Path, ok = w.dirPath(p.e.ID)
		} else if p.hasParent {
			var dir string
			dir, ok = w.dirPath(p.parent)
			p.e.Path = join(dir, p.name)
		}
		if !ok {
			continue
		}
		if err := w.fn(p.e); err != nil {
			return err
		}
	}
	w.batch = w.batch[:0]
	clear(w.index)
	return nil
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// dirPath returns the path of directory id, or false when it is not
// reachable from the root.
func (w *walker) dirPath(id uint64) (string, bool) {
	var chain []*dirNode
	path := ""
	for depth := 0; ; depth++ {
		d, ok := w.dirs[id]
		if !ok || depth > len(w.dirs) {
			return "", false // unknown parent, or a cycle
		}
		if d.path != "" {
			path = d.path
			break
		}
		if !d.hasParent {
			if d.name != "" {
				return "", false // detached: lives only in a snapshot
			}
			d.path = "/"
			path = "/"
			break
		}
		chain = append(chain, d)
		id = d.parent
	}
	for i := len(chain) - 1; i >= 0; i-- {
		path = join(path, chain[i].name)
		chain[i].path = path
	}
	return path, true
}

package fsimage

import (
	"path"
)

// Totals counts the inodes Walk yields.
type Totals struct {
	Inodes      int64
	Files       int64
	Directories int64
	Symlinks    int64
	// Bytes is the sum of the block sizes of all files (one replica).
	Bytes uint64
	// Blocks is the number of blocks of all files.
	Blocks int64
}

// Usage aggregates the files of one owner or one directory.
type Usage struct {
	Files int64
	Bytes uint64
	// SmallFiles counts files whose size is below the Stats threshold.
	SmallFiles int64
}

func (u *Usage) add(o Usage) {
	u.Files += o.Files
	u.Bytes += o.Bytes
	u.SmallFiles += o.SmallFiles
}

// Stats is the aggregation computed by Image.Stats.
type Stats struct {
	// SmallBelow is the threshold in bytes: a file is small when its size
	// is strictly below it (so empty files are small when SmallBelow > 0).
	SmallBelow uint64
	Totals     Totals
	// Owners maps a user name to the files it owns.
	Owners map[string]*Usage
	// Dirs maps a directory path to the files directly inside it (not in
	// its subdirectories). Only directories holding files appear.
	Dirs map[string]*Usage
}

// Stats aggregates totals, per-owner and per-directory usage of the
// inodes Walk would yield; smallBelow is the small-file threshold in
// bytes. It gives the same result as calling Add for each entry of Walk,
// faster: it decodes only the fields it needs, counts files per directory
// and per user serial, and builds a path only per directory at the end.
func (im *Image) Stats(smallBelow uint64) (*Stats, error) {
	s := &Stats{
		SmallBelow: smallBelow,
		Owners:     make(map[string]*Usage),
		Dirs:       make(map[string]*Usage),
	}
	var (
		perDir  []Usage
		perUser []Usage               // by user serial below 1<<16
		bigUser = map[uint32]*Usage{} // other serials
		odd     = map[string]*Usage{} // directories of files with unusual names
		idx     *nsIndex
	)
	err := im.visit(func(x *nsIndex, in *inode, di, parent int32) error {
		t := &s.Totals
		switch in.typ {
		case Directory:
			t.Inodes++
			t.Directories++
			return nil
		case Symlink:
			t.Inodes++
			t.Symlinks++
			return nil
		}
		if err := decodeBody(in); err != nil {
			return err
		}
		t.Inodes++
		t.Files++
		t.Bytes += in.size
		t.Blocks += int64(in.blocks)
		u := Usage{Files: 1, Bytes: in.size}
		if in.size < smallBelow {
			u.SmallFiles = 1
		}
		serial := uint32(in.perm>>40) & 0xFFFFFF
		if serial < 1<<16 {
			if int(serial) >= len(perUser) {
				perUser = append(perUser, make([]Usage, int(serial)+1-len(perUser))...)
			}
			perUser[serial].add(u)
		} else {
			p := bigUser[serial]
			if p == nil {
				p = new(Usage)
				bigUser[serial] = p
			}
			p.add(u)
		}
		name := in.name
		if len(x.refName) > 0 {
			if rn, ok := x.refName[in.id]; ok {
				name = rn
			}
		}
		if plainName(name) {
			if perDir == nil {
				idx = x
				perDir = make([]Usage, len(x.parent))
			}
			perDir[parent].add(u)
		} else {
			addUsage(odd, path.Dir(joinBytes(x.dirPath(parent), name)), u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for serial, u := range perUser {
		if u.Files > 0 {
			addUsage(s.Owners, im.users.get(uint32(serial)), u)
		}
	}
	for serial, u := range bigUser {
		addUsage(s.Owners, im.users.get(serial), *u)
	}
	for i, u := range perDir {
		if u.Files > 0 {
			addUsage(s.Dirs, path.Clean(idx.dirPath(int32(i))), u)
		}
	}
	for p, u := range odd {
		addUsage(s.Dirs, p, *u)
	}
	return s, nil
}

// plainName reports whether path.Dir(dir + "/" + name) is path.Clean(dir).
func plainName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c == '/' {
			return false
		}
	}
	return true
}

func addUsage(m map[string]*Usage, key string, u Usage) {
	p := m[key]
	if p == nil {
		p = new(Usage)
		m[key] = p
	}
	p.add(u)
}

// Add counts one entry into s.
func (s *Stats) Add(e Entry) {
	s.Totals.Inodes++
	switch e.Type {
	case Directory:
		s.Totals.Directories++
		return
	case Symlink:
		s.Totals.Symlinks++
		return
	case File:
	default:
		return
	}
	s.Totals.Files++
	s.Totals.Bytes += e.Size
	s.Totals.Blocks += int64(e.Blocks)
	u := Usage{Files: 1, Bytes: e.Size}
	if e.Size < s.SmallBelow {
		u.SmallFiles = 1
	}
	addUsage(s.Owners, e.User, u)
	addUsage(s.Dirs, path.Dir(e.Path), u)
}

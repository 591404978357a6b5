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

// Stats walks the image and aggregates totals, per-owner and
// per-directory usage. smallBelow is the small-file threshold in bytes.
func (im *Image) Stats(smallBelow uint64) (*Stats, error) {
	s := &Stats{
		SmallBelow: smallBelow,
		Owners:     make(map[string]*Usage),
		Dirs:       make(map[string]*Usage),
	}
	err := im.Walk(func(e Entry) error {
		s.Add(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
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
	small := e.Size < s.SmallBelow
	add := func(m map[string]*Usage, key string) {
		u := m[key]
		if u == nil {
			u = new(Usage)
			m[key] = u
		}
		u.Files++
		u.Bytes += e.Size
		if small {
			u.SmallFiles++
		}
	}
	add(s.Owners, e.User)
	add(s.Dirs, path.Dir(e.Path))
}

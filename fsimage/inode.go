package fsimage

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Type is the kind of an inode.
type Type uint8

// Inode types, numbered as in fsimage.proto.
const (
	File      Type = 1
	Directory Type = 2
	Symlink   Type = 3
)

// String returns FILE, DIR or SYMLINK.
func (t Type) String() string {
	switch t {
	case File:
		return "FILE"
	case Directory:
		return "DIR"
	case Symlink:
		return "SYMLINK"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Entry is one inode of the namespace, as yielded by Walk.
type Entry struct {
	ID   uint64
	Type Type
	// Path is the absolute path, "/" for the root.
	Path string
	// User and Group are resolved through the string table; "" if the
	// permission names an id the table lacks.
	User, Group string
	// Mode holds the low 16 bits of the permission word (0o755, 0o1777...).
	Mode       uint16
	ModTime    time.Time
	AccessTime time.Time // zero for directories
	// Replication and PreferredBlockSize are 0 for directories and symlinks.
	Replication        uint32
	PreferredBlockSize uint64
	// Blocks is the number of blocks of a file; Size the sum of their
	// numBytes.
	Blocks int
	Size   uint64
	// UnderConstruction is true for a file open for write when the image
	// was saved.
	UnderConstruction bool
	// NsQuota and DsQuota are the directory quotas (-1 when unset).
	NsQuota, DsQuota int64
	// Target is the symlink target.
	Target string
}

// inode is a decoded INode message before its path is known.
type inode struct {
	Entry
	name []byte
	perm uint64
}

func msTime(ms uint64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// decodeInode decodes an INode message into in, reusing in.name's storage.
func decodeInode(b []byte, in *inode) error {
	*in = inode{name: in.name[:0]}
	in.NsQuota, in.DsQuota = -1, -1
	var body []byte
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.Type = Type(v)
		case num == 2 && typ == protowire.VarintType:
			in.ID = v
		case num == 3 && typ == protowire.BytesType:
			in.name = append(in.name, data...)
		case num >= 4 && num <= 6 && typ == protowire.BytesType:
			body = data
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch in.Type {
	case File:
		return decodeFile(body, in)
	case Directory:
		return decodeDir(body, in)
	case Symlink:
		return decodeSymlink(body, in)
	}
	return formatErr("inode %d has unknown type %d", in.ID, in.Type)
}

func decodeFile(b []byte, in *inode) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.Replication = uint32(v)
		case num == 2 && typ == protowire.VarintType:
			in.ModTime = msTime(v)
		case num == 3 && typ == protowire.VarintType:
			in.AccessTime = msTime(v)
		case num == 4 && typ == protowire.VarintType:
			in.PreferredBlockSize = v
		case num == 5 && typ == protowire.Fixed64Type:
			in.perm = v
		case num == 6 && typ == protowire.BytesType:
			in.Blocks++
			err := eachField(data, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
				if num == 3 && typ == protowire.VarintType {
					in.Size += v
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("inode %d block: %w", in.ID, err)
			}
		case num == 7 && typ == protowire.BytesType:
			in.UnderConstruction = true
		}
		return nil
	})
}

func decodeDir(b []byte, in *inode) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.ModTime = msTime(v)
		case num == 2 && typ == protowire.VarintType:
			in.NsQuota = int64(v)
		case num == 3 && typ == protowire.VarintType:
			in.DsQuota = int64(v)
		case num == 4 && typ == protowire.Fixed64Type:
			in.perm = v
		}
		return nil
	})
}

func decodeSymlink(b []byte, in *inode) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			in.perm = v
		case num == 2 && typ == protowire.BytesType:
			in.Target = string(data)
		case num == 3 && typ == protowire.VarintType:
			in.ModTime = msTime(v)
		case num == 4 && typ == protowire.VarintType:
			in.AccessTime = msTime(v)
		}
		return nil
	})
}

// eachInode streams the INODE section, calling fn with each decoded inode.
// The inode is reused between calls.
func (im *Image) eachInode(fn func(in *inode) error) error {
	return im.withSection(SectionInode, true, func(m *msgReader) error { return readInodes(m, fn) })
}

// readInodes reads the INODE section's header and its inodes.
func readInodes(m *msgReader, fn func(in *inode) error) error {
	b, err := m.must("header")
	if err != nil {
		return err
	}
	var num uint64
	err = eachField(b, func(f protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
		if f == 2 && typ == protowire.VarintType {
			num = v
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	var in inode
	for i := uint64(0); i < num; i++ {
		b, err := m.must("inode")
		if err != nil {
			return fmt.Errorf("inode %d of %d: %w", i, num, err)
		}
		if err := decodeInode(b, &in); err != nil {
			return fmt.Errorf("inode %d of %d: %w", i, num, err)
		}
		if err := fn(&in); err != nil {
			return err
		}
	}
	return nil
}

// eachDirEntry streams INODE_DIR, calling fn for every (parent, child)
// pair. name is non-nil for reference children that carry their own name.
func (im *Image) eachDirEntry(fn func(parent, child uint64, name []byte)) error {
	return im.withSection(SectionInodeDir, false, func(m *msgReader) error {
		return m.each(func(b []byte) error { return im.dirEntry(b, fn) })
	})
}

// dirEntry decodes one INODE_DIR message.
func (im *Image) dirEntry(b []byte, fn func(parent, child uint64, name []byte)) error {
	var parent uint64
	var kids, refKids [][]byte
	err := eachField(b, func(f protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case f == 1 && typ == protowire.VarintType:
			parent = v
		case f == 2:
			kids = append(kids, packed(typ, v, data))
		case f == 3:
			refKids = append(refKids, packed(typ, v, data))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dir entry: %w", err)
	}
	for _, p := range kids {
		for len(p) > 0 {
			c, n := protowire.ConsumeVarint(p)
			if n < 0 {
				return formatErr("dir %d children: %v", parent, protowire.ParseError(n))
			}
			p = p[n:]
			fn(parent, c, nil)
		}
	}
	for _, p := range refKids {
		for len(p) > 0 {
			c, n := protowire.ConsumeVarint(p)
			if n < 0 {
				return formatErr("dir %d reference children: %v", parent, protowire.ParseError(n))
			}
			p = p[n:]
			if c >= uint64(len(im.refs)) {
				return formatErr("dir %d names reference %d of %d", parent, c, len(im.refs))
			}
			r := im.refs[c]
			fn(parent, r.referred, r.name)
		}
	}
	return nil
}

// packed returns the varint payload of a repeated field given either
// packed (bytes) or unpacked (single varint) encoding.
func packed(typ protowire.Type, v uint64, data []byte) []byte {
	if typ == protowire.BytesType {
		return data
	}
	return protowire.AppendVarint(nil, v)
}

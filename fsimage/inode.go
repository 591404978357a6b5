package fsimage

import (
	"encoding/binary"
	"errors"
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

// inode is a decoded INode message. Its byte slices alias the message.
type inode struct {
	typ    Type
	id     uint64
	name   []byte
	body   []byte
	perm   uint64
	repl   uint32
	mtime  uint64 // milliseconds since the epoch
	atime  uint64
	pbs    uint64
	blocks int
	size   uint64
	uc     bool
	nsq    int64
	dsq    int64
	target []byte
}

func msTime(ms uint64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// uvarint is protowire.ConsumeVarint with a fast path for one byte.
func uvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return protowire.ConsumeVarint(b)
}

// nextField decodes the first field of b. Varint and fixed values are in
// v, length-delimited values in data (aliasing b). n is the number of
// bytes consumed, or a negative protowire error code.
func nextField(b []byte) (num protowire.Number, typ protowire.Type, v uint64, data []byte, n int) {
	var k int
	if len(b) > 0 && b[0] < 0x80 && b[0] >= 8 {
		num, typ, k = protowire.Number(b[0]>>3), protowire.Type(b[0]&7), 1
	} else {
		num, typ, k = protowire.ConsumeTag(b)
		if k < 0 {
			return 0, 0, 0, nil, k
		}
	}
	b = b[k:]
	var m int
	switch typ {
	case protowire.VarintType:
		v, m = uvarint(b)
	case protowire.Fixed64Type:
		if len(b) < 8 {
			return 0, 0, 0, nil, -1
		}
		v, m = binary.LittleEndian.Uint64(b), 8
	case protowire.Fixed32Type:
		if len(b) < 4 {
			return 0, 0, 0, nil, -1
		}
		v, m = uint64(binary.LittleEndian.Uint32(b)), 4
	case protowire.BytesType:
		l, j := uvarint(b)
		if j < 0 {
			return 0, 0, 0, nil, j
		}
		if l > uint64(len(b)-j) {
			return 0, 0, 0, nil, -1
		}
		data, m = b[j:j+int(l)], j+int(l)
	default:
		m = protowire.ConsumeFieldValue(num, typ, b)
	}
	if m < 0 {
		return 0, 0, 0, nil, m
	}
	return num, typ, v, data, k + m
}

func fieldErr(what string, id uint64, n int) error {
	return formatErr("inode %d %s: %v", id, what, protowire.ParseError(n))
}

// decodeHead decodes the INode message b without its type-specific body,
// which it leaves in in.body.
func decodeHead(b []byte, in *inode) error {
	in.typ, in.id, in.name, in.body = 0, 0, nil, nil
	for len(b) > 0 {
		num, typ, v, data, n := nextField(b)
		if n < 0 {
			return fieldErr("field", in.id, n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.typ = Type(v)
		case num == 2 && typ == protowire.VarintType:
			in.id = v
		case num == 3 && typ == protowire.BytesType:
			in.name = data
		case num >= 4 && num <= 6 && typ == protowire.BytesType:
			in.body = data
		}
	}
	switch in.typ {
	case File, Directory, Symlink:
		return nil
	}
	return formatErr("inode %d has unknown type %d", in.id, in.typ)
}

// decodeBody decodes in.body according to in.typ.
func decodeBody(in *inode) error {
	in.perm, in.repl, in.mtime, in.atime, in.pbs = 0, 0, 0, 0, 0
	in.blocks, in.size, in.uc, in.nsq, in.dsq, in.target = 0, 0, false, -1, -1, nil
	switch in.typ {
	case File:
		return decodeFile(in.body, in)
	case Directory:
		return decodeDir(in.body, in)
	case Symlink:
		return decodeSymlink(in.body, in)
	}
	return formatErr("inode %d has unknown type %d", in.id, in.typ)
}

func decodeFile(b []byte, in *inode) error {
	for len(b) > 0 {
		// Fast path for the one-byte tags Hadoop writes.
		switch tag := b[0]; tag {
		case 0x08, 0x10, 0x18, 0x20: // replication, mtime, atime, preferred block size
			v, n := uvarint(b[1:])
			if n < 0 {
				return fieldErr("file field", in.id, n)
			}
			b = b[1+n:]
			switch tag {
			case 0x08:
				in.repl = uint32(v)
			case 0x10:
				in.mtime = v
			case 0x18:
				in.atime = v
			default:
				in.pbs = v
			}
			continue
		case 0x29: // permission
			if len(b) < 9 {
				return fieldErr("file field", in.id, -1)
			}
			in.perm = binary.LittleEndian.Uint64(b[1:])
			b = b[9:]
			continue
		case 0x32: // block
			l, n := uvarint(b[1:])
			if n < 0 || l > uint64(len(b)-1-n) {
				return fieldErr("block", in.id, -1)
			}
			size, err := blockBytes(b[1+n : 1+n+int(l)])
			if err != nil {
				return fieldErr("block", in.id, -1)
			}
			in.blocks++
			in.size += size
			b = b[1+n+int(l):]
			continue
		}
		num, typ, v, data, n := nextField(b)
		if n < 0 {
			return fieldErr("file field", in.id, n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.repl = uint32(v)
		case num == 2 && typ == protowire.VarintType:
			in.mtime = v
		case num == 3 && typ == protowire.VarintType:
			in.atime = v
		case num == 4 && typ == protowire.VarintType:
			in.pbs = v
		case num == 5 && typ == protowire.Fixed64Type:
			in.perm = v
		case num == 6 && typ == protowire.BytesType:
			size, err := blockBytes(data)
			if err != nil {
				return fieldErr("block", in.id, -1)
			}
			in.blocks++
			in.size += size
		case num == 7 && typ == protowire.BytesType:
			in.uc = true
		}
	}
	return nil
}

var errBlock = errors.New("bad block")

// blockBytes returns BlockProto.numBytes (field 3) of a block.
func blockBytes(b []byte) (uint64, error) {
	var size uint64
	for len(b) > 0 {
		if tag := b[0]; tag == 0x08 || tag == 0x10 || tag == 0x18 {
			v, n := uvarint(b[1:])
			if n < 0 {
				return 0, errBlock
			}
			if tag == 0x18 {
				size += v
			}
			b = b[1+n:]
			continue
		}
		num, typ, v, _, n := nextField(b)
		if n < 0 {
			return 0, errBlock
		}
		b = b[n:]
		if num == 3 && typ == protowire.VarintType {
			size += v
		}
	}
	return size, nil
}

func decodeDir(b []byte, in *inode) error {
	for len(b) > 0 {
		num, typ, v, _, n := nextField(b)
		if n < 0 {
			return fieldErr("directory field", in.id, n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			in.mtime = v
		case num == 2 && typ == protowire.VarintType:
			in.nsq = int64(v)
		case num == 3 && typ == protowire.VarintType:
			in.dsq = int64(v)
		case num == 4 && typ == protowire.Fixed64Type:
			in.perm = v
		}
	}
	return nil
}

func decodeSymlink(b []byte, in *inode) error {
	for len(b) > 0 {
		num, typ, v, data, n := nextField(b)
		if n < 0 {
			return fieldErr("symlink field", in.id, n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			in.perm = v
		case num == 2 && typ == protowire.BytesType:
			in.target = data
		case num == 3 && typ == protowire.VarintType:
			in.mtime = v
		case num == 4 && typ == protowire.VarintType:
			in.atime = v
		}
	}
	return nil
}

// entry fills e from a decoded inode; Path is left to the caller.
func (im *Image) entry(in *inode, e *Entry) {
	*e = Entry{
		ID:                 in.id,
		Type:               in.typ,
		User:               im.userOf(in.perm),
		Group:              im.groupOf(in.perm),
		Mode:               uint16(in.perm),
		ModTime:            msTime(in.mtime),
		AccessTime:         msTime(in.atime),
		Replication:        in.repl,
		PreferredBlockSize: in.pbs,
		Blocks:             in.blocks,
		Size:               in.size,
		UnderConstruction:  in.uc,
		NsQuota:            in.nsq,
		DsQuota:            in.dsq,
	}
	if in.target != nil {
		e.Target = string(in.target)
	}
}

// eachInode streams the INODE section's inodes, calling fn with each
// one decoded up to its body.
func (im *Image) eachInode(fn func(in *inode) error) error {
	var in inode
	return im.eachInodeRaw(func(b []byte) error {
		if err := decodeHead(b, &in); err != nil {
			return err
		}
		return fn(&in)
	})
}

// eachInodeRaw streams the INODE section's header and calls fn with each
// inode message.
func (im *Image) eachInodeRaw(fn func(b []byte) error) error {
	return im.withSection(SectionInode, true, func(m *msgReader) error {
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
		for i := uint64(0); i < num; i++ {
			b, err := m.must("inode")
			if err != nil {
				return fmt.Errorf("inode %d of %d: %w", i, num, err)
			}
			if err := fn(b); err != nil {
				return fmt.Errorf("inode %d of %d: %w", i, num, err)
			}
		}
		return nil
	})
}

// peekFile recognizes the common prefix of a file or symlink inode as
// Hadoop writes it (type, then id, as fields 1 and 2) and returns its id.
func peekFile(b []byte) (id uint64, ok bool) {
	if len(b) < 4 || b[0] != 0x08 || (b[1] != byte(File) && b[1] != byte(Symlink)) || b[2] != 0x10 {
		return 0, false
	}
	id, n := uvarint(b[3:])
	return id, n > 0
}

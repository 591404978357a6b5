package fsimage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// defaultBatchSize is the default run budget (16 bytes a run: 64 MiB).
const defaultBatchSize = 1 << 22

// numBuckets is how finely Walk splits inode ids when the runs of an
// image exceed the budget.
const numBuckets = 4096

// run says that the inodes start..start+n-1 are children of directory
// parent (an index into nsIndex's directory tables).
type run struct {
	start  uint64
	n      uint32
	parent int32
}

// Parent states of a directory besides a directory index.
const (
	noParent      = -1 // no INODE_DIR entry names it: a root, or snapshot-only
	unknownParent = -2 // its parent is not a directory of INODE
)

// nsIndex is what Walk and Stats learn before streaming INODE: the
// directories (tables indexed by a dense directory number), the tree they
// form, and, as runs of consecutive ids, the parent of every other inode.
// It grows with directories and runs, not with files: a warehouse writes
// the files of a partition with consecutive ids.
type nsIndex struct {
	im      *Image
	dirIdx  map[uint64]int32
	names   []byte
	nameEnd []uint32          // dir i's name is names[nameEnd[i-1]:nameEnd[i]]
	renamed map[int32]string  // names given by reference children
	parent  []int32           // directory index, noParent or unknownParent
	reach   []int8            // 1 reachable from the root, -1 not
	paths   []string          // memoized paths of reachable directories
	bloom   []uint64          // bitset of hashed directory ids
	refName map[uint64][]byte // names given by reference children to non-directories

	minID, maxID uint64

	runs          []run
	hint          int
	scratch       []uint64 // non-directory children of the current entry
	scratchParent int32
	runBuf        []run
}

const bloomBits = 1 << 20

func bloomHash(id uint64) uint64 { return (id * 0x9E3779B97F4A7C15) >> (64 - 20) }

func (x *nsIndex) maybeDir(id uint64) bool {
	h := bloomHash(id)
	return x.bloom[h>>6]&(1<<(h&63)) != 0
}

func (x *nsIndex) dir(id uint64) (int32, bool) {
	if !x.maybeDir(id) {
		return 0, false
	}
	i, ok := x.dirIdx[id]
	return i, ok
}

func (x *nsIndex) name(i int32) []byte {
	start := uint32(0)
	if i > 0 {
		start = x.nameEnd[i-1]
	}
	return x.names[start:x.nameEnd[i]]
}

// window is a range [lo, hi) of inode ids handled by one INODE pass.
type window struct{ lo, hi uint64 }

// index reads INODE for its directories and INODE_DIR for the tree, and
// plans the windows of ids the final INODE passes cover. budget bounds
// the runs held at once.
func (im *Image) index(budget int) (*nsIndex, []window, error) {
	x := &nsIndex{
		im:      im,
		dirIdx:  make(map[uint64]int32),
		bloom:   make([]uint64, bloomBits/64),
		minID:   ^uint64(0),
		renamed: map[int32]string{},
		refName: map[uint64][]byte{},
	}
	var in inode
	err := im.eachInodeRaw(func(b []byte) error {
		if id, ok := peekFile(b); ok {
			x.minID, x.maxID = min(x.minID, id), max(x.maxID, id)
			return nil
		}
		if err := decodeHead(b, &in); err != nil {
			return err
		}
		x.minID, x.maxID = min(x.minID, in.id), max(x.maxID, in.id)
		if in.typ != Directory {
			return nil
		}
		if i, ok := x.dirIdx[in.id]; ok {
			// A duplicate id: the later inode wins, as the name of the last.
			x.renamed[i] = string(in.name)
			return nil
		}
		x.dirIdx[in.id] = int32(len(x.nameEnd))
		x.names = append(x.names, in.name...)
		x.nameEnd = append(x.nameEnd, uint32(len(x.names)))
		h := bloomHash(in.id)
		x.bloom[h>>6] |= 1 << (h & 63)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", SectionInode, err)
	}
	if uint64(len(x.names)) > 1<<32-1 {
		return nil, nil, formatErr("directory names exceed 4 GiB")
	}
	n := len(x.nameEnd)
	x.parent = make([]int32, n)
	for i := range x.parent {
		x.parent[i] = noParent
	}
	var counts []int
	if x.minID <= x.maxID {
		counts = make([]int, min(numBuckets, x.maxID-x.minID+1))
	}
	overflow, err := x.scanDirs(window{0, ^uint64(0)}, true, budget, counts)
	if err != nil {
		return nil, nil, err
	}
	x.resolveReach()
	x.paths = make([]string, n)
	if !overflow {
		return x, []window{{0, ^uint64(0)}}, nil
	}
	// Too many runs: split the ids into windows of at most budget runs.
	width := (x.maxID-x.minID)/uint64(len(counts)) + 1
	var ws []window
	lo, sum := uint64(0), 0
	for b, c := range counts {
		if sum > 0 && sum+c > budget {
			hi := x.minID + uint64(b)*width
			ws = append(ws, window{lo, hi})
			lo, sum = hi, 0
		}
		sum += c
	}
	ws = append(ws, window{lo, ^uint64(0)})
	return x, ws, nil
}

// bucket returns the counting bucket of id.
func (x *nsIndex) bucket(id uint64, counts []int) int {
	width := (x.maxID-x.minID)/uint64(len(counts)) + 1
	return int((id - x.minID) / width)
}

// scanDirs reads INODE_DIR. The first scan links directories to their
// parents; every scan collects the runs of non-directory children whose
// ids lie in w, up to budget runs, and counts runs per bucket in counts
// (when non-nil). It reports whether the runs exceeded the budget, in
// which case x.runs is discarded.
func (x *nsIndex) scanDirs(w window, first bool, budget int, counts []int) (overflow bool, err error) {
	x.runs, x.hint = x.runs[:0], 0
	err = x.im.withSection(SectionInodeDir, false, func(m *msgReader) error {
		for {
			b, err := m.next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := x.dirEntry(b, w, first); err != nil {
				return fmt.Errorf("dir entry: %w", err)
			}
			for _, r := range x.entryRuns() {
				if counts != nil && r.start >= x.minID && r.start <= x.maxID {
					counts[x.bucket(r.start, counts)]++
				}
				if overflow {
					continue
				}
				if len(x.runs) >= budget {
					overflow = true
					x.runs = nil
					continue
				}
				x.runs = append(x.runs, r)
			}
		}
	})
	if err != nil {
		return false, fmt.Errorf("read %s: %w", SectionInodeDir, err)
	}
	slices.SortFunc(x.runs, func(a, b run) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return overflow, nil
}

// dirEntry decodes one INODE_DIR message: it links directory children
// (on the first scan) and collects the other children in w into
// x.scratch, tagged with the parent in x.scratchParent.
func (x *nsIndex) dirEntry(b []byte, w window, first bool) error {
	x.scratch = x.scratch[:0]
	// The parent is field 1, normally first; find it before the children.
	var parentID uint64
	for p := b; len(p) > 0; {
		num, typ, v, _, n := nextField(p)
		if n < 0 {
			return formatErr("bad field: %v", protowire.ParseError(n))
		}
		p = p[n:]
		if num == 1 && typ == protowire.VarintType {
			parentID = v
		}
	}
	pi, ok := x.dir(parentID)
	if !ok {
		pi = unknownParent
	}
	x.scratchParent = pi
	child := func(c uint64, name []byte) {
		if ci, ok := x.dir(c); ok {
			if first {
				x.parent[ci] = pi
				if name != nil {
					x.renamed[ci] = string(name)
				}
			}
			return
		}
		if first && name != nil {
			x.refName[c] = append([]byte(nil), name...)
		}
		if pi >= 0 && c >= w.lo && c < w.hi {
			x.scratch = append(x.scratch, c)
		}
	}
	for len(b) > 0 {
		num, typ, v, data, n := nextField(b)
		if n < 0 {
			return formatErr("bad field: %v", protowire.ParseError(n))
		}
		b = b[n:]
		if num != 2 && num != 3 {
			continue
		}
		var one [binary10]byte
		if typ == protowire.VarintType {
			data = protowire.AppendVarint(one[:0], v)
		} else if typ != protowire.BytesType {
			continue
		}
		for len(data) > 0 {
			c, k := uvarint(data)
			if k < 0 {
				return formatErr("dir %d children: %v", parentID, protowire.ParseError(k))
			}
			data = data[k:]
			if num == 2 {
				child(c, nil)
				continue
			}
			if c >= uint64(len(x.im.refs)) {
				return formatErr("dir %d names reference %d of %d", parentID, c, len(x.im.refs))
			}
			r := x.im.refs[c]
			child(r.referred, r.name)
		}
	}
	return nil
}

const binary10 = 10

// entryRuns turns the children collected by dirEntry into runs.
func (x *nsIndex) entryRuns() []run {
	s := x.scratch
	if len(s) == 0 {
		return nil
	}
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
	out := x.runBuf[:0]
	cur := run{start: s[0], n: 1, parent: x.scratchParent}
	for _, c := range s[1:] {
		switch {
		case c == cur.start+uint64(cur.n)-1:
			// duplicate
		case c == cur.start+uint64(cur.n) && cur.n < 1<<31:
			cur.n++
		default:
			out = append(out, cur)
			cur = run{start: c, n: 1, parent: x.scratchParent}
		}
	}
	out = append(out, cur)
	x.runBuf = out
	return out
}

// parentOf returns the directory holding the non-directory id, or -1.
func (x *nsIndex) parentOf(id uint64) int32 {
	runs := x.runs
	for h := x.hint; h < len(runs) && h <= x.hint+1; h++ {
		if r := runs[h]; id >= r.start && id-r.start < uint64(r.n) {
			x.hint = h
			return r.parent
		}
	}
	i := sort.Search(len(runs), func(i int) bool { return runs[i].start > id }) - 1
	if i < 0 || id-runs[i].start >= uint64(runs[i].n) {
		return -1
	}
	x.hint = i
	return runs[i].parent
}

// resolveReach marks each directory reachable from a root (a directory
// with an empty name and no parent) or not.
func (x *nsIndex) resolveReach() {
	x.reach = make([]int8, len(x.parent))
	const visiting = 2
	var stack []int32
	for i := range x.parent {
		for j := int32(i); ; {
			if x.reach[j] != 0 {
				break
			}
			p := x.parent[j]
			if p >= 0 {
				x.reach[j] = visiting
				stack = append(stack, j)
				j = p
				continue
			}
			x.reach[j] = -1
			if p == noParent && len(x.dirName(j)) == 0 {
				x.reach[j] = 1
			}
			break
		}
		// Unwind: each directory on the chain takes its parent's state; a
		// cycle (parent still visiting) is unreachable.
		for k := len(stack) - 1; k >= 0; k-- {
			j := stack[k]
			st := x.reach[x.parent[j]]
			if st == visiting {
				st = -1
			}
			x.reach[j] = st
		}
		stack = stack[:0]
	}
}

// dirName returns the name of directory i.
func (x *nsIndex) dirName(i int32) string {
	if s, ok := x.renamed[i]; ok {
		return s
	}
	return string(x.name(i))
}

// dirPath returns the path of the reachable directory i.
func (x *nsIndex) dirPath(i int32) string {
	if p := x.paths[i]; p != "" {
		return p
	}
	var chain []int32
	j := i
	for x.paths[j] == "" && x.parent[j] >= 0 {
		chain = append(chain, j)
		j = x.parent[j]
	}
	path := x.paths[j]
	if path == "" { // a root
		path = "/"
		x.paths[j] = path
	}
	for k := len(chain) - 1; k >= 0; k-- {
		path = join(path, x.dirName(chain[k]))
		x.paths[chain[k]] = path
	}
	return path
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// joinBytes is join with one allocation.
func joinBytes(dir string, name []byte) string {
	var sb strings.Builder
	sb.Grow(len(dir) + 1 + len(name))
	sb.WriteString(dir)
	if dir != "/" {
		sb.WriteByte('/')
	}
	sb.Write(name)
	return sb.String()
}

// visit calls fn for every inode reachable from the root, in INODE order
// within each id window, with the directory holding it (-1 for
// directories, whose index is di). fn may decode the body.
func (im *Image) visit(fn func(x *nsIndex, in *inode, di, parent int32) error) error {
	budget := im.BatchSize
	if budget <= 0 {
		budget = defaultBatchSize
	}
	x, windows, err := im.index(budget)
	if err != nil {
		return err
	}
	for _, w := range windows {
		if len(windows) > 1 {
			if _, err := x.scanDirs(w, false, int(^uint(0)>>1), nil); err != nil {
				return err
			}
		}
		err := im.eachInode(func(in *inode) error {
			if in.id < w.lo || in.id >= w.hi {
				return nil
			}
			if in.typ == Directory {
				di, ok := x.dir(in.id)
				if !ok || x.reach[di] != 1 {
					return nil
				}
				return fn(x, in, di, -1)
			}
			p := x.parentOf(in.id)
			if p < 0 || x.reach[p] != 1 {
				return nil
			}
			return fn(x, in, -1, p)
		})
		if err != nil {
			return fmt.Errorf("read %s: %w", SectionInode, err)
		}
	}
	return nil
}

// Walk calls fn for every inode reachable from the root with its full
// path, like `hdfs oiv -p Delimited`, in INODE section order (when the
// image needs several id windows, see BatchSize, in that order within
// each window). Inodes present only in snapshots (no parent in INODE_DIR)
// are skipped, as oiv does. If fn returns an error, Walk stops and
// returns it (possibly wrapped).
//
// Walk reads INODE once for the directories, INODE_DIR once, then INODE
// again; memory grows with the directories and with the runs of
// consecutive file ids in each directory, not with the files.
func (im *Image) Walk(fn func(Entry) error) error {
	var e Entry
	return im.visit(func(x *nsIndex, in *inode, di, parent int32) error {
		if err := decodeBody(in); err != nil {
			return err
		}
		im.entry(in, &e)
		if di >= 0 {
			e.Path = x.dirPath(di)
		} else {
			name := in.name
			if len(x.refName) > 0 {
				if rn, ok := x.refName[in.id]; ok {
					name = rn
				}
			}
			e.Path = joinBytes(x.dirPath(parent), name)
		}
		return fn(e)
	})
}

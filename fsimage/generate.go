package fsimage

import (
	"cmp"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// GenOptions configures Generate.
type GenOptions struct {
	// Files is the number of files (default 10,000).
	Files int
	// Dirs is the number of leaf directories (partitions, or unpartitioned
	// tables) the files are spread over, unevenly (default Files/64, at
	// least 1). Databases, tables, /tmp and home directories come on top.
	Dirs int
	// Seed makes the image reproducible: the same options give the same
	// bytes.
	Seed uint64
	// Writer options: layout version, codec and so on.
	WriterOptions
	// OnEntry, when set, is called with every inode written, in INODE
	// order, with its full path.
	OnEntry func(*Entry)
}

// GenResult summarizes a generated image.
type GenResult struct {
	Inodes, Files, Dirs uint64
	Bytes               uint64 // sum of file sizes
	Blocks              uint64
	SmallFiles          uint64 // files below 16 MiB
	Sections            []Section
}

// GenSmallFile is the threshold GenResult.SmallFiles counts below.
const GenSmallFile = 16 << 20

// gdir is a directory of the generated tree.
type gdir struct {
	name   string
	parent int32
	kids   []int32
	files  int
	id     uint64
	user   uint8
	format uint8 // 0 parquet, 1 orc, 2 text: how files are named
	path   string
}

var genUsers = []string{"hive", "etl", "spark", "analyst", "ml", "reporting", "ingest"}

// splitmix is a stateless generator: the attributes of inode id are
// drawn from splitmix(seed, id, k) so that they need not be stored.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

type rng struct{ s uint64 }

func (r *rng) u64() uint64    { r.s = splitmix(r.s); return r.s }
func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }
func (r *rng) intn(n int) int { return int(r.u64() % uint64(n)) }
func (r *rng) norm() float64 {
	return math.Sqrt(-2*math.Log(1-r.float())) * math.Cos(2*math.Pi*r.float())
}
func logUniform(u, lo, hi float64) uint64 {
	return uint64(math.Exp(math.Log(lo) + u*(math.Log(hi)-math.Log(lo))))
}

// genEpoch is the modification time of the oldest generated inode.
var genEpoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// fileSize draws a warehouse-like size: 3% empty, 62% small (1 KiB to
// 16 MiB, log-uniform), 25% 16 to 256 MiB, 10% 256 MiB to 2 GiB.
func fileSize(r *rng) uint64 {
	p, u := r.float(), r.float()
	switch {
	case p < 0.03:
		return 0
	case p < 0.65:
		return logUniform(u, 1<<10, 16<<20-1)
	case p < 0.90:
		return logUniform(u, 16<<20, 256<<20)
	default:
		return logUniform(u, 256<<20, 2<<30)
	}
}

// Generate writes a synthetic fsimage of a Hive warehouse to w:
// /user/hive/warehouse/db_NNN.db/tbl_NNN[/dt=YYYY-MM-DD]/files, plus /tmp
// and home directories. Files of one directory get consecutive inode ids
// and are named like Spark, Hive ORC or text output; sizes, replication
// and owners are drawn from warehouse-like distributions. It streams:
// memory grows with Dirs, not Files.
func Generate(w io.Writer, o GenOptions) (GenResult, error) {
	if o.Files < 0 || o.Dirs < 0 {
		return GenResult{}, errors.New("fsimage generate: negative Files or Dirs")
	}
	if o.Files == 0 {
		o.Files = 10000
	}
	if o.Dirs == 0 {
		o.Dirs = max(1, o.Files/64)
	}
	if o.TransactionID == 0 {
		o.TransactionID = 1000 + uint64(o.Files)
	}
	dirs := planTree(o)
	// Ids in pre-order: a directory, its files, then its subdirectories.
	next := uint64(RootID)
	var assign func(i int32)
	assign = func(i int32) {
		d := &dirs[i]
		d.id = next
		next += 1 + uint64(d.files)
		for _, k := range d.kids {
			assign(k)
		}
	}
	assign(0)
	res := GenResult{Inodes: next - RootID, Dirs: uint64(len(dirs)), Files: uint64(o.Files)}

	wr, err := NewWriter(w, o.WriterOptions)
	if err != nil {
		return res, err
	}
	if err := wr.BeginInodes(res.Inodes, next-1); err != nil {
		return res, err
	}
	var (
		e    Entry
		name []byte
	)
	var emit func(i int32) error
	emit = func(i int32) error {
		d := &dirs[i]
		r := rng{o.Seed ^ d.id*0x2545F4914F6CDD1D}
		mtime := genEpoch + int64(d.id-RootID)*1000
		e = Entry{ID: d.id, Type: Directory, Path: d.path, User: genUsers[d.user], Group: "hadoop",
			Mode: 0o755, ModTime: time.UnixMilli(mtime).UTC(), NsQuota: -1, DsQuota: -1}
		switch d.path {
		case "/":
			e.NsQuota = math.MaxInt64
		case "/tmp":
			e.Mode = 0o1777
		}
		if err := wr.WriteInode(&e); err != nil {
			return err
		}
		if o.OnEntry != nil {
			o.OnEntry(&e)
		}
		uuid := strconv.FormatUint(r.u64()>>32, 16)
		for f := 0; f < d.files; f++ {
			id := d.id + 1 + uint64(f)
			fr := rng{o.Seed ^ id*0x9E3779B97F4A7C15}
			size := fileSize(&fr)
			repl := uint32(3)
			switch p := fr.float(); {
			case p < 0.05:
				repl = 1
			case p < 0.15:
				repl = 2
			}
			const bs = 128 << 20
			mt := mtime + int64(f)*37 + int64(fr.intn(1000))
			name = name[:0]
			switch d.format {
			case 0:
				name = append(name, "part-"...)
				name = appendPadded(name, f, 5)
				name = append(name, '-')
				name = append(name, uuid...)
				name = append(name, "-c000.snappy.parquet"...)
			case 1:
				name = appendPadded(name, f, 6)
				name = append(name, "_0"...)
			default:
				name = appendPadded(name, f, 6)
				name = append(name, "_0.gz"...)
			}
			e = Entry{ID: id, Type: File, User: genUsers[d.user], Group: "hadoop", Mode: 0o644,
				ModTime: time.UnixMilli(mt).UTC(), AccessTime: time.UnixMilli(mt + int64(fr.intn(86400000))).UTC(),
				Replication: repl, PreferredBlockSize: bs, Size: size, Blocks: int((size + bs - 1) / bs),
				NsQuota: -1, DsQuota: -1}
			if o.OnEntry != nil {
				e.Path = join(d.path, string(name))
			} else {
				e.Path = string(name)
			}
			if err := wr.WriteInode(&e); err != nil {
				return err
			}
			res.Bytes += size
			res.Blocks += uint64(e.Blocks)
			if size < GenSmallFile {
				res.SmallFiles++
			}
			if o.OnEntry != nil {
				o.OnEntry(&e)
			}
		}
		for _, k := range d.kids {
			if err := emit(k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := emit(0); err != nil {
		return res, err
	}
	if err := wr.BeginDirs(); err != nil {
		return res, err
	}
	var kids []uint64
	var byName []int32
	for i := range dirs {
		d := &dirs[i]
		if d.files == 0 && len(d.kids) == 0 {
			continue
		}
		kids = kids[:0]
		// Files are named in id order; subdirectories are sorted by name,
		// as Hadoop lists children.
		for f := 0; f < d.files; f++ {
			kids = append(kids, d.id+1+uint64(f))
		}
		byName = append(byName[:0], d.kids...)
		slices.SortFunc(byName, func(a, b int32) int { return cmp.Compare(dirs[a].name, dirs[b].name) })
		for _, k := range byName {
			kids = append(kids, dirs[k].id)
		}
		if err := wr.WriteDir(d.id, kids); err != nil {
			return res, err
		}
	}
	if err := wr.Close(); err != nil {
		return res, err
	}
	res.Sections = wr.Sections()
	return res, nil
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// planTree lays out the directories: index 0 is the root.
func planTree(o GenOptions) []gdir {
	r := rng{o.Seed ^ 0x5DEECE66D}
	dirs := []gdir{{name: "", parent: -1, path: "/"}}
	add := func(parent int32, name string, user uint8) int32 {
		i := int32(len(dirs))
		p := dirs[parent].path
		dirs = append(dirs, gdir{name: name, parent: parent, user: user, path: join(p, name),
			format: dirs[parent].format})
		dirs[parent].kids = append(dirs[parent].kids, i)
		return i
	}
	add(0, "tmp", 0)
	user := add(0, "user", 0)
	for u := range genUsers {
		add(user, genUsers[u], uint8(u))
	}
	hive := dirs[user].kids[0]
	wh := add(hive, "warehouse", 0)

	var leaves []int32
	db, tablesInDB := int32(-1), 0
	for t := 0; len(leaves) < o.Dirs; t++ {
		if db < 0 || tablesInDB == 20 {
			n := len(dirs[wh].kids)
			db = add(wh, "db_"+pad(n, 3)+".db", uint8(r.intn(len(genUsers))))
			tablesInDB = 0
		}
		tablesInDB++
		owner := dirs[db].user
		if r.float() < 0.4 {
			owner = uint8(r.intn(len(genUsers)))
		}
		tbl := add(db, "tbl_"+pad(t, 5), owner)
		dirs[tbl].format = uint8(r.intn(3))
		left := o.Dirs - len(leaves)
		if r.float() < 0.15 {
			leaves = append(leaves, tbl) // unpartitioned
			continue
		}
		parts := min(left, 1+r.intn(max(1, min(200, o.Dirs/4))))
		day := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
		for p := 0; p < parts; p++ {
			leaves = append(leaves, add(tbl, "dt="+day.AddDate(0, 0, p).Format("2006-01-02"), dirs[tbl].user))
		}
	}
	// Spread the files over the leaves with log-normal weights: most
	// partitions hold a few files, some hold thousands.
	weights := make([]float64, len(leaves))
	var sum float64
	for i := range weights {
		weights[i] = math.Exp(1.2 * r.norm())
		sum += weights[i]
	}
	given := 0
	for i, l := range leaves {
		n := int(float64(o.Files) * weights[i] / sum)
		dirs[l].files = n
		given += n
	}
	for i := 0; given < o.Files; i = (i + 1) % len(leaves) {
		dirs[leaves[i]].files++
		given++
	}
	return dirs
}

func pad(n, width int) string { return string(appendPadded(nil, n, width)) }

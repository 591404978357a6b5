package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

const hiveDefault = shoal.HiveDefaultPartition

// A plan is the complete, deterministic description of a demo warehouse:
// every directory and file with its content seed and mtime. Planning is
// sequential and uses the seed only; writing may then happen in any order.
type plan struct {
	root   string
	now    time.Time // UTC, millisecond precision
	today  time.Time // midnight UTC of now
	scale  float64
	seed   int64
	tables []*tablePlan
}

type tablePlan struct {
	m     TableManifest
	parts []*partSpec
	// aux holds hidden files at the table root (no manifest entry).
	aux *partSpec
}

// partSpec is one directory of data files: a partition, or the root of an
// unpartitioned table.
type partSpec struct {
	values []string
	spec   string
	dir    string
	// from is the start of the partition's time window; the directory gets
	// it as mtime when it holds no file.
	from  time.Time
	files []*fileSpec
	// Filled in by the writer: the manifest entry and the newest mtime of
	// any file written in or below dir (from when none).
	m      PartitionManifest
	newest time.Time
}

// fileSpec is one file to write.
type fileSpec struct {
	// rel is the slash-separated path below the partition directory.
	rel    string
	write  content
	rows   int64 // planned rows; content may decide otherwise
	seed   uint64
	mtime  time.Time
	from   time.Time // row timestamps fall in [from, to)
	to     time.Time
	values []string // partition values
	seq    int      // sequence number of the file in its table
	hidden bool
	// crc asks for a Hadoop ".<name>.crc" checksum file next to this one.
	crc bool
}

// tableBuilder adds one table to a plan.
type tableBuilder struct {
	p   *plan
	r   *rand.Rand
	t   *tablePlan
	seq int
}

func (p *plan) table(db, name string, format shoal.Format, class Class, typ shoal.TableType, keys ...string) *tableBuilder {
	dir := filepath.Join(p.root, db+".db", name)
	if db == "default" {
		dir = filepath.Join(p.root, name)
	}
	h := fnv.New64a()
	h.Write([]byte(db + "." + name))
	t := &tablePlan{m: TableManifest{
		Database:      db,
		Table:         name,
		Dir:           dir,
		Format:        format,
		Class:         class,
		Type:          typ,
		PartitionKeys: keys,
	}}
	p.tables = append(p.tables, t)
	return &tableBuilder{p: p, t: t, r: rand.New(rand.NewPCG(uint64(p.seed), h.Sum64()))}
}

// days returns base scaled by the plan's scale, at least least.
func (b *tableBuilder) days(base, least int) int {
	return max(least, int(math.Round(float64(base)*b.p.scale)))
}

// count returns a file count in [lo, hi], thinned when scale < 1.
func (b *tableBuilder) count(lo, hi int) int {
	n := lo + b.r.IntN(hi-lo+1)
	if b.p.scale < 1 {
		n = max(1, int(math.Round(float64(n)*b.p.scale)))
	}
	return n
}

// logSize returns a size in [lo, hi) drawn log-uniformly, so that small
// sizes are as common as large ones on a log scale.
func (b *tableBuilder) logSize(lo, hi int64) int64 {
	return int64(math.Exp(math.Log(float64(lo)) + b.r.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
}

// uniformSize returns a size in [lo, hi).
func (b *tableBuilder) uniformSize(lo, hi int64) int64 { return lo + b.r.Int64N(hi-lo) }

// at returns a random time in [from, to) at millisecond precision, never
// after the plan's now: when now cuts the window short, the time is in
// [from, now), or now itself when from is not before now.
func (b *tableBuilder) at(from, to time.Time) time.Time {
	to = minTime(to, b.p.now)
	if !to.After(from) {
		return minTime(from, b.p.now)
	}
	return from.Add(time.Duration(b.r.Int64N(int64(to.Sub(from))))).Truncate(time.Millisecond)
}

// day returns the window of the day i days before today; today's window ends
// at now.
func (p *plan) day(i int) (from, to time.Time) {
	from = p.today.AddDate(0, 0, -i)
	return from, minTime(from.AddDate(0, 0, 1), p.now)
}

// elapsed returns the fraction of [from, from+span) that lies before now.
func (p *plan) elapsed(from time.Time, span time.Duration) float64 {
	return math.Min(1, math.Max(0, float64(p.now.Sub(from))/float64(span)))
}

// partition adds a partition with the given decoded values.
func (b *tableBuilder) partition(from time.Time, values ...string) *partSpec {
	spec := shoal.PartitionSpec(b.t.m.PartitionKeys, values)
	ps := &partSpec{
		values: values,
		spec:   spec,
		dir:    filepath.Join(b.t.m.Dir, filepath.FromSlash(spec)),
		from:   from,
	}
	b.t.parts = append(b.t.parts, ps)
	return ps
}

// unpartitioned adds the single partition of an unpartitioned table.
func (b *tableBuilder) unpartitioned(from time.Time) *partSpec {
	ps := &partSpec{dir: b.t.m.Dir, from: from}
	b.t.parts = append(b.t.parts, ps)
	return ps
}

// aux returns the pseudo-partition that holds hidden files at the table root.
func (b *tableBuilder) aux() *partSpec {
	if b.t.aux == nil {
		b.t.aux = &partSpec{dir: b.t.m.Dir}
	}
	return b.t.aux
}

// properties writes the table's TBLPROPERTIES into ps as the hidden file
// the warehouse catalog reads (warehouse.PropertiesFile).
func (b *tableBuilder) properties(ps *partSpec) {
	at := b.p.now.Add(-30 * 24 * time.Hour)
	b.file(ps, ".tblproperties", tblProperties(b.t.m.HeaderLines), 0, at, at, at.Add(time.Second))
}

// file adds a file to ps. Row timestamps fall in [from, to).
func (b *tableBuilder) file(ps *partSpec, rel string, c content, rows int64, mtime, from, to time.Time) *fileSpec {
	hidden := false
	for _, el := range strings.Split(rel, "/") {
		hidden = hidden || shoal.IsHidden(el)
	}
	if !hidden && strings.Contains(rel, "/") {
		panic("demo: visible file below a partition directory: " + rel)
	}
	f := &fileSpec{
		rel:    rel,
		write:  c,
		rows:   rows,
		seed:   b.r.Uint64(),
		mtime:  mtime,
		from:   from,
		to:     minTime(to, mtime),
		values: ps.values,
		seq:    b.seq,
		hidden: hidden,
	}
	if !f.to.After(f.from) {
		f.to = f.from.Add(time.Millisecond)
	}
	b.seq++
	ps.files = append(ps.files, f)
	return f
}

// uuid returns a random UUID from the table's planning stream.
func (b *tableBuilder) uuid() string { return uuid(b.r) }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

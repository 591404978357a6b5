package merge

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// PlanRequest asks for a plan of one table.
type PlanRequest struct {
	Database string
	Table    string
	// Partitions are the specs to plan ("dt=2026-01-01/h=3"); empty plans
	// every partition.
	Partitions []string
	// Mode overrides the policy's mode when set.
	Mode shoal.MergeMode
}

// Throughputs behind the plan's time estimate, measured by make bench on
// the reference machine (docs/benchmarks.md) and rounded down.
const (
	concatBytesPerSecond  = 400 << 20
	rewriteBytesPerSecond = 60 << 20
)

// Plan lists and inspects the partitions of a table and packs their small
// files into merge groups. It reads footers but changes nothing.
func (e *Engine) Plan(ctx context.Context, req PlanRequest) (*shoal.Plan, error) {
	if req.Mode != "" && !req.Mode.Valid() {
		return nil, shoal.Errorf(shoal.EINVALID, "unknown mode %q: want auto, concat or rewrite", req.Mode)
	}
	t, err := e.findTable(ctx, req.Database, req.Table)
	if err != nil {
		return nil, err
	}
	policies, err := e.Store.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	pol := shoal.ResolvePolicy(e.Defaults, policies, t.Database, t.Name)
	plan := &shoal.Plan{
		Database: t.Database, Table: t.Name, Format: t.Format, Mode: pol.Mode, Policy: pol,
		Eligible: true, CreatedAt: e.now().UTC(),
	}
	if req.Mode != "" {
		plan.Mode = req.Mode
	}
	if ok, why := pol.Admits(t.Database, t.Name); !ok {
		plan.Eligible, plan.Reason = false, why
		return plan, nil
	}
	if why := refuseTable(t); why != "" && (e.Cluster == nil || !t.Transactional) {
		// With a cluster, transactional tables go to Hive's compactor.
		plan.Eligible, plan.Reason = false, why
		return plan, nil
	}
	parts, err := e.partitions(ctx, t, req.Partitions)
	if err != nil {
		return nil, err
	}
	var budget int64
	for _, p := range parts {
		pp := e.planPartition(ctx, t, p, &pol, plan.Mode)
		if pp.Eligible && budget+pp.BytesToRewrite > pol.MaxBytesPerJob && budget > 0 {
			pp.Eligible = false
			pp.Reason = fmt.Sprintf("over this job's max_bytes_per_job (%s); merge it in a later job", bytesText(pol.MaxBytesPerJob))
		}
		if pp.Eligible {
			budget += pp.BytesToRewrite
			plan.FilesBefore += int64(pp.FilesBefore)
			plan.FilesAfter += int64(pp.FilesAfter)
			plan.BytesToRewrite += pp.BytesToRewrite
			plan.EstimatedSeconds += pp.EstimatedSeconds
		}
		// The listing stays in the plan for the concurrent-writer check;
		// ineligible partitions do not need it.
		if !pp.Eligible {
			pp.Listing, pp.Groups = nil, nil
		}
		plan.Partitions = append(plan.Partitions, pp)
	}
	plan.Format = planFormat(t.Format, plan.Partitions)
	if len(plan.Partitions) == 0 {
		plan.Eligible, plan.Reason = false, "the table has no partitions"
	} else if !plan.Runnable() {
		plan.Reason = "no partition can be merged; see each partition's reason"
	}
	return plan, nil
}

// planFormat is the format the partitions' files showed: the common one,
// FormatMixed when they differ, or the catalog's when none was inspected.
func planFormat(catalog shoal.Format, parts []shoal.PartitionPlan) shoal.Format {
	var f shoal.Format
	for _, pp := range parts {
		if !pp.Eligible || pp.Format == "" || pp.Format == shoal.FormatUnknown {
			continue
		}
		if f == "" {
			f = pp.Format
		} else if f != pp.Format {
			return shoal.FormatMixed
		}
	}
	if f == "" {
		return catalog
	}
	return f
}

func (e *Engine) findTable(ctx context.Context, db, name string) (*shoal.Table, error) {
	if db == "" || name == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "a table is named database.table")
	}
	tables, err := e.Catalog.Tables(ctx, db)
	if err != nil {
		return nil, err
	}
	for i := range tables {
		if tables[i].Name == name {
			return &tables[i], nil
		}
	}
	return nil, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found", db, name)
}

// refuseTable returns why a table must never be merged by moving files, or
// "" when it may be.
func refuseTable(t *shoal.Table) string {
	switch {
	case t.Transactional && t.TransactionalProperties == "insert_only":
		return "insert-only transactional table: its files belong to Hive's transaction manager; use Hive's compactor (ALTER TABLE … COMPACT 'major')"
	case t.Transactional:
		return "ACID table (transactional=true): its files belong to Hive's transaction manager; use Hive's compactor (ALTER TABLE … COMPACT 'major')"
	case t.Type == shoal.TableView:
		return "a view has no files"
	}
	return ""
}

// partitions returns the partitions to plan; an unpartitioned table is one
// partition with an empty spec.
func (e *Engine) partitions(ctx context.Context, t *shoal.Table, specs []string) ([]shoal.Partition, error) {
	if len(t.PartitionKeys) == 0 {
		whole := len(specs) == 0 || len(specs) == 1 && specs[0] == ""
		if !whole {
			return nil, shoal.Errorf(shoal.EINVALID, "table %s.%s is not partitioned", t.Database, t.Name)
		}
		return []shoal.Partition{{Location: t.Location, LastDDLTime: t.LastDDLTime}}, nil
	}
	want := make(map[string]bool, len(specs))
	for _, s := range specs {
		want[s] = true
	}
	all := len(want) == 0
	found := make(map[string]bool, len(want))
	var out []shoal.Partition
	err := e.Catalog.Partitions(ctx, t, func(p shoal.Partition) error {
		if all || want[p.Spec] {
			found[p.Spec] = true
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for s := range want {
		if !found[s] {
			return nil, shoal.Errorf(shoal.ENOTFOUND, "partition %s of %s.%s not found", s, t.Database, t.Name)
		}
	}
	slices.SortFunc(out, func(a, b shoal.Partition) int { return strings.Compare(a.Spec, b.Spec) })
	return out, nil
}

// planPartition plans one partition. It never fails: what cannot be
// merged is marked ineligible with the reason.
func (e *Engine) planPartition(ctx context.Context, t *shoal.Table, p shoal.Partition, pol *shoal.EffectivePolicy, mode shoal.MergeMode) shoal.PartitionPlan {
	pp := shoal.PartitionPlan{Spec: p.Spec, Location: p.Location, Format: t.Format, HeaderLines: t.HeaderLines}
	refuse := func(format string, args ...any) shoal.PartitionPlan {
		pp.Eligible, pp.Reason = false, fmt.Sprintf(format, args...)
		pp.FilesAfter = pp.FilesBefore // nothing changes
		return pp
	}
	if t.Transactional && e.Cluster != nil {
		// Its files (in base_ and delta_ directories) belong to Hive's
		// transaction manager: only Hive's compactor may merge them, and
		// it is safe with concurrent writers, so coldness does not matter.
		files, err := e.du(ctx, p.Location, 2)
		if err != nil {
			return refuse("cannot list the partition: %v", err)
		}
		pp.FilesBefore = len(files)
		for _, f := range files {
			pp.BytesBefore += f.Size
		}
		why := "ACID table (transactional=true)"
		if t.TransactionalProperties == "insert_only" {
			why = "insert-only transactional table"
		}
		return e.planCluster(pp, t, t.Format, pol, 0, 0, why)
	}
	l, err := e.list(ctx, p.Location)
	if err != nil {
		return refuse("cannot list the partition: %v", err)
	}
	pp.Listing = l.files
	pp.FilesBefore = len(l.files)
	var newest time.Time
	for _, f := range l.files {
		pp.BytesBefore += f.Size
		if f.ModTime.After(newest) {
			newest = f.ModTime
		}
	}
	if len(l.dirs) > 0 {
		return refuse("the partition has subdirectories (%s): an in-flight write or a layout Shoal does not merge", strings.Join(head(l.dirs), ", "))
	}
	// Coldness: the newest file and the last DDL must both be older than
	// the minimum age.
	now := e.now()
	changed := newest
	ddl := p.LastDDLTime
	if ddl.IsZero() {
		ddl = t.LastDDLTime
	}
	if ddl.After(changed) {
		changed = ddl
	}
	age := now.Sub(changed)
	minAge := time.Duration(pol.MinAge)
	if age < minAge {
		return refuse("not cold: last changed %s ago, policy min_age is %s", age.Round(time.Second), minAge)
	}
	var small []shoal.PlanFile
	for _, f := range l.files {
		if f.Size < pol.SmallFileSize {
			small = append(small, f)
		}
	}
	if len(small) < 2 {
		return refuse("nothing to merge: %d small file(s) below %s", len(small), bytesText(pol.SmallFileSize))
	}
	if e.Cluster != nil && pol.ClusterBytes > 0 && pp.BytesBefore >= pol.ClusterBytes {
		format := t.Format
		if format == "" || format == shoal.FormatUnknown {
			format = e.detect(ctx, p.Location, small[0].Name)
		}
		pp.Listing = nil
		return e.planCluster(pp, t, format, pol, age, minAge,
			fmt.Sprintf("%s is at least cluster_bytes (%s)", bytesText(pp.BytesBefore), bytesText(pol.ClusterBytes)))
	}
	metas, format, why := e.inspect(ctx, p.Location, small)
	if why != "" {
		if e.Cluster != nil && (format == shoal.FormatRCFile || format == shoal.FormatSequence) {
			return e.planCluster(pp, t, format, pol, age, minAge, string(format)+" files are merged by Hive")
		}
		return refuse("%s", why)
	}
	pp.Format = format
	for _, m := range metas {
		m.ApplyHeader(t.HeaderLines)
	}
	if t.HeaderLines > 0 && format != shoal.FormatText && format != shoal.FormatTextGzip && format != shoal.FormatTextBzip2 {
		return refuse("skip.header.line.count=%d on a %s table", t.HeaderLines, format)
	}
	if t.HeaderLines > 0 && format == shoal.FormatTextBzip2 {
		return refuse("text table with header lines in bzip2 files: headers cannot be stripped from every file but the first without recompressing bzip2")
	}
	resolved, modeWhy, why := resolveMode(mode, format, metas, pol.RowGroupSize)
	if why != "" {
		return refuse("%s", why)
	}
	pp.Mode, pp.ModeReason = resolved, modeWhy
	groups, why := pack(t, small, metas, pol.TargetFileSize)
	if why != "" {
		return refuse("%s", why)
	}
	_, ref := reference(metas)
	pp.Schema = metas[ref].Schema
	for i := range groups {
		g := &groups[i]
		for _, in := range g.Inputs {
			m := *metas[in]
			m.Schema = "" // the partition's, in pp.Schema
			g.Metas = append(g.Metas, m)
		}
	}
	removed := 0
	for _, g := range groups {
		removed += len(g.Inputs) - 1
		pp.BytesToRewrite += g.Bytes
		pp.Rows += g.Rows
	}
	if removed == 0 {
		return refuse("the plan would not reduce the file count (no two small files fit one %s output)", bytesText(pol.TargetFileSize))
	}
	pp.Groups = groups
	pp.FilesAfter = pp.FilesBefore - removed
	rate := float64(concatBytesPerSecond)
	if resolved == shoal.ModeRewrite {
		rate = rewriteBytesPerSecond
	}
	pp.EstimatedSeconds = float64(pp.BytesToRewrite) / rate
	pp.Score = shoal.ScoreCandidate(int64(removed), pp.BytesToRewrite, age, minAge).Value
	pp.Eligible = true
	return pp
}

func head(s []string) []string { return s[:min(3, len(s))] }

// inspect detects the format of each small file and reads its metadata. It
// returns the metadata by file name, the common format, or why the files
// cannot be merged.
func (e *Engine) inspect(ctx context.Context, dir string, files []shoal.PlanFile) (map[string]*shoal.FileMeta, shoal.Format, string) {
	metas := make(map[string]*shoal.FileMeta, len(files))
	var format shoal.Format
	for _, f := range files {
		r, size, err := e.FS.OpenFile(ctx, joinPath(dir, f.Name))
		if err != nil {
			return nil, "", fmt.Sprintf("cannot open %s: %v", f.Name, err)
		}
		fileFormat, meta, why := e.inspectFile(ctx, f.Name, r, size)
		_ = r.Close()
		if why != "" {
			if fileFormat == shoal.FormatRCFile || fileFormat == shoal.FormatSequence {
				// Not merged in-process, but the cluster may (planCluster).
				return nil, fileFormat, why
			}
			return nil, "", why
		}
		if format == "" {
			format = fileFormat
		} else if format != fileFormat {
			return nil, "", fmt.Sprintf("mixed formats: %s and %s (%s)", format, fileFormat, f.Name)
		}
		metas[f.Name] = meta
	}
	return metas, format, ""
}

func (e *Engine) inspectFile(ctx context.Context, name string, r shoal.ReadAtCloser, size int64) (shoal.Format, *shoal.FileMeta, string) {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	format := shoal.DetectFormat(head[:n])
	if n == 0 {
		// An empty file is empty text to Hive's text reader; it is
		// invalid in every binary format.
		format = shoal.FormatText
	}
	switch format {
	case shoal.FormatSequence, shoal.FormatRCFile:
		return format, nil, fmt.Sprintf("%s is a %s file: those are merged by Hive (the Hive SQL strategy, when a cluster is configured), not in-process", name, format)
	case shoal.FormatUnknown:
		return "", nil, fmt.Sprintf("%s: unknown file format", name)
	}
	m, ok := e.Mergers[format]
	if !ok {
		return "", nil, fmt.Sprintf("%s: no merger for format %s", name, format)
	}
	meta, err := m.Inspect(ctx, shoal.MergeInput{Name: name, Size: size, R: r})
	if err != nil {
		return "", nil, fmt.Sprintf("%s cannot be merged: %v", name, err)
	}
	return format, meta, ""
}

// detect returns the format of one file from its first bytes.
func (e *Engine) detect(ctx context.Context, dir, name string) shoal.Format {
	r, _, err := e.FS.OpenFile(ctx, joinPath(dir, name))
	if err != nil {
		return shoal.FormatUnknown
	}
	defer func() { _ = r.Close() }()
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	return shoal.DetectFormat(head[:n])
}

// resolveMode picks concat or rewrite for a partition. In auto mode a
// Parquet partition whose row groups average below a quarter of the target
// row-group size is rewritten (concatenation would keep its small row
// groups); ORC merges by stripe concatenation only; Avro is concatenated
// when every file has the same schema and codec, else rewritten; text is
// concatenated.
func resolveMode(mode shoal.MergeMode, format shoal.Format, metas map[string]*shoal.FileMeta, rowGroup int64) (shoal.MergeMode, string, string) {
	names, ref := reference(metas)
	first := metas[ref]
	var incompatible error
	var units, unitBytes int64
	for _, n := range names {
		m := metas[n]
		units += int64(m.Units)
		unitBytes += m.UnitBytes
		if m.Units == 0 && format == shoal.FormatParquet {
			// A Parquet file without row groups adds only its schema,
			// which must still match; its codec does not matter.
			if m.Schema != first.Schema && incompatible == nil {
				incompatible = fmt.Errorf("%s and %s: schemas differ", ref, n)
			}
			continue
		}
		if incompatible == nil {
			if err := shoal.ConcatCompatible(first, m); err != nil {
				incompatible = fmt.Errorf("%s and %s: %w", ref, n, err)
			}
		}
	}
	schemasDiffer := false
	for _, n := range names {
		if metas[n].Schema != first.Schema && (metas[n].Units > 0 || format != shoal.FormatParquet) {
			schemasDiffer = true
			incompatible = fmt.Errorf("%s differs from the others", n)
			break
		}
	}
	switch mode {
	case shoal.ModeConcat:
		if incompatible != nil {
			return "", "", fmt.Sprintf("byte-level merge impossible: %v", incompatible)
		}
		return shoal.ModeConcat, "requested", ""
	case shoal.ModeRewrite:
		if format == shoal.FormatORC {
			return "", "", "ORC is merged by stripe concatenation only; rewrite is not supported"
		}
		if schemasDiffer {
			return "", "", "schemas are not identical: " + incompatible.Error()
		}
		return shoal.ModeRewrite, "requested", ""
	}
	if schemasDiffer {
		// Writing every row with one of the schemas would drop, or
		// invent, the columns the others lack.
		return "", "", "schemas are not identical: " + incompatible.Error()
	}
	switch format {
	case shoal.FormatParquet:
		avg := int64(0)
		if units > 0 {
			avg = unitBytes / units
		}
		if incompatible != nil {
			return shoal.ModeRewrite, fmt.Sprintf("files differ in codec or layout (%v)", incompatible), ""
		}
		if avg < rowGroup/4 {
			return shoal.ModeRewrite, fmt.Sprintf("average row group %s is below a quarter of the %s target", bytesText(avg), bytesText(rowGroup)), ""
		}
		return shoal.ModeConcat, fmt.Sprintf("average row group %s is at least a quarter of the %s target", bytesText(avg), bytesText(rowGroup)), ""
	case shoal.FormatORC:
		if incompatible != nil {
			return "", "", fmt.Sprintf("ORC stripe concatenation impossible: %v", incompatible)
		}
		return shoal.ModeConcat, "ORC merges by stripe concatenation", ""
	case shoal.FormatAvro:
		if incompatible != nil {
			return shoal.ModeRewrite, fmt.Sprintf("files differ (%v): decode and re-encode", incompatible), ""
		}
		return shoal.ModeConcat, "same schema and codec: block concatenation", ""
	default:
		if incompatible != nil {
			return "", "", fmt.Sprintf("byte-level merge impossible: %v", incompatible)
		}
		return shoal.ModeConcat, "text is concatenated", ""
	}
}

// reference returns the names of the inspected files, sorted, and the name
// of the file the others are compared with: the first that has data (a Parquet file
// without row groups says nothing of codecs), or the first.
func reference(metas map[string]*shoal.FileMeta) (names []string, ref string) {
	names = make([]string, 0, len(metas))
	for n := range metas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if metas[n].Units > 0 {
			return names, n
		}
	}
	return names, names[0]
}

// bucketName matches Hive's bucket file names: 000003_0, 000003_0_copy_2,
// with an optional extension.
var bucketName = regexp.MustCompile(`^(\d+)_\d+(?:_copy_\d+)?(?:\..*)?$`)

// pack bin-packs the small files into groups of about target bytes, first
// fit by decreasing size. Bucketed tables are packed within each bucket.
// Groups of one file are dropped. Each group's output takes the name of its
// first input, by name.
func pack(t *shoal.Table, small []shoal.PlanFile, metas map[string]*shoal.FileMeta, target int64) ([]shoal.MergeGroup, string) {
	buckets := map[int][]shoal.PlanFile{}
	for _, f := range small {
		b := -1
		if t.NumBuckets > 0 {
			m := bucketName.FindStringSubmatch(f.Name)
			if m == nil {
				return nil, fmt.Sprintf("bucketed table (%d buckets) with a file that does not follow bucket naming: %s", t.NumBuckets, f.Name)
			}
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return nil, fmt.Sprintf("bad bucket number in %s", f.Name)
			}
			b = n
		}
		buckets[b] = append(buckets[b], f)
	}
	keys := make([]int, 0, len(buckets))
	for b := range buckets {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	var groups []shoal.MergeGroup
	for _, b := range keys {
		files := buckets[b]
		slices.SortStableFunc(files, func(x, y shoal.PlanFile) int {
			return cmp.Or(cmp.Compare(y.Size, x.Size), strings.Compare(x.Name, y.Name))
		})
		var bins []shoal.MergeGroup
		for _, f := range files {
			placed := false
			for i := range bins {
				if bins[i].Bytes+f.Size <= target {
					bins[i].Inputs = append(bins[i].Inputs, f.Name)
					bins[i].Bytes += f.Size
					placed = true
					break
				}
			}
			if !placed {
				bins = append(bins, shoal.MergeGroup{Inputs: []string{f.Name}, Bytes: f.Size, Bucket: b})
			}
		}
		for _, g := range bins {
			if len(g.Inputs) < 2 {
				continue
			}
			slices.Sort(g.Inputs)
			g.Output = g.Inputs[0]
			for _, in := range g.Inputs {
				g.Rows += metas[in].Rows
			}
			groups = append(groups, g)
		}
	}
	return groups, ""
}

func sortFiles(fs []shoal.PlanFile) {
	slices.SortFunc(fs, func(a, b shoal.PlanFile) int { return strings.Compare(a.Name, b.Name) })
}

// bytesText renders a size for messages: "16 MiB", "1.5 GiB".
func bytesText(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

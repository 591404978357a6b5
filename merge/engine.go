// Package merge plans and runs merges of small files: the planner picks
// and packs files per partition, the format mergers (merge/parquet,
// merge/orc, merge/avro, merge/text) write the merged files into a hidden
// staging directory, validation reads them back, and a journaled swap of
// two directory renames puts them in place (DESIGN.md §3). Recover finishes
// or undoes a swap that a crash interrupted; Rollback restores the
// originals from the backup; GC purges expired backups and orphans.
package merge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
	"github.com/shoalhq/shoal/internal/hivemeta"
)

// DefaultRetention is how long backups of merged partitions are kept.
const DefaultRetention = 7 * 24 * time.Hour

// leaseTTL bounds how long a dead worker's partition lease blocks others;
// a live worker renews it at every step.
const leaseTTL = 2 * time.Minute

// Engine plans, runs, recovers and rolls back merges. Its fields are set
// once, before use.
type Engine struct {
	Store   shoal.Store
	Catalog shoal.Catalog
	FS      shoal.WritableFS
	// CatalogName is recorded in the jobs the engine creates; with a
	// Catalog set, the engine recovers and cleans up only its own jobs.
	CatalogName string
	// Writer records merges in the metastore (partition statistics, and
	// catalog relocation on object stores); nil when the catalog cannot be
	// written.
	Writer shoal.CatalogWriter
	// Cluster merges the partitions the policy sends to the cluster with
	// Hive SQL (HiveServer2 or Kyuubi); nil when there is none.
	Cluster Cluster
	// Mergers holds one merger per format.
	Mergers map[shoal.Format]shoal.Merger
	// Defaults is the policy before stored policies apply.
	Defaults shoal.EffectivePolicy
	// Retention is how long backups are kept (DefaultRetention when 0).
	Retention time.Duration
	// Owner names this process in partition leases; NewOwner makes one.
	Owner string
	Log   *slog.Logger
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
	// Fault, when set, is called at each fault-injection point of a swap;
	// the fault-injection tests kill the process there.
	Fault func(point string)
	// Observer, when set, is told about merged partitions, validation
	// failures, finished jobs and rollbacks (metrics, notifications).
	Observer Observer
}

// Cluster runs Hive SQL merges of partitions on the cluster
// (hiveserver.Client).
type Cluster interface {
	Merge(ctx context.Context, t *shoal.Table, p *shoal.Partition, req hiveserver.Request) (hiveserver.Result, error)
}

// owns reports whether job j is this engine's to recover: every job for an
// engine without a catalog (shoal recover on its own), else the jobs of its
// catalog.
func (e *Engine) owns(j *shoal.MergeJob) bool {
	return e.Catalog == nil || j.Catalog == e.CatalogName
}

// Register adds mergers to the engine, one entry per format they handle.
func (e *Engine) Register(ms ...shoal.Merger) {
	if e.Mergers == nil {
		e.Mergers = make(map[shoal.Format]shoal.Merger)
	}
	for _, m := range ms {
		for _, f := range m.Formats() {
			e.Mergers[f] = m
		}
	}
}

// NewOwner returns a lease owner name for this process:
// "host/pid/nonce". Recovery on the same host takes over leases whose
// process is gone.
func NewOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b[:])
}

// ownerAlive reports whether the process named by a lease owner may still
// run: false only when it ran on this host and its pid is gone.
func ownerAlive(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return true
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if err != nil || parts[0] != host {
		return true
	}
	return processAlive(pid)
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Engine) retention() time.Duration {
	if e.Retention > 0 {
		return e.Retention
	}
	return DefaultRetention
}

func (e *Engine) fault(point string) {
	if e.Fault != nil {
		e.Fault(point)
	}
}

// leaseKey names the lease of one partition.
func leaseKey(db, table, spec string) string {
	return db + "." + table + "/" + spec
}

// jobLeaseKey names the lease a running job holds.
func jobLeaseKey(id int64) string { return "merge-job/" + strconv.FormatInt(id, 10) }

// Hidden names beside a partition directory. They start with '.', so Hive,
// Spark and the scanner skip them.
func stagingDir(partition string, job int64) string {
	return sibling(partition, "shoal-staging", job)
}

func backupDir(partition string, job int64) string {
	return sibling(partition, "shoal-backup", job)
}

func asideDir(partition string, job int64) string {
	return sibling(partition, "shoal-merged", job)
}

// relocatedDir is the new location of a partition merged by catalog
// relocation: it becomes the partition's location in the metastore.
func relocatedDir(partition string, job int64) string {
	return sibling(partition, "shoal-relocated", job)
}

func sibling(partition, kind string, job int64) string {
	dir, base := path.Split(strings.TrimSuffix(partition, "/"))
	return dir + "." + base + "." + kind + "-" + strconv.FormatInt(job, 10)
}

// parseSibling recognises a staging, backup, aside or relocated directory name and
// returns its kind and job.
func parseSibling(name string) (kind string, job int64, ok bool) {
	if !strings.HasPrefix(name, ".") {
		return "", 0, false
	}
	i := strings.LastIndex(name, ".shoal-")
	if i <= 0 {
		return "", 0, false
	}
	rest := name[i+len(".shoal-"):]
	kind, id, found := strings.Cut(rest, "-")
	if !found {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || (kind != "staging" && kind != "backup" && kind != "merged" && kind != "relocated") {
		return "", 0, false
	}
	return kind, n, true
}

// joinPath joins a directory path or URI and a name.
func joinPath(dir, name string) string {
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// sameLocation reports whether two locations name the same directory.
func sameLocation(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// objectStoreRouter is a WritableFS over several file systems that can say
// which object store holds a path (multifs.FS).
type objectStoreRouter interface {
	ObjectStore(ctx context.Context, path string) (shoal.ObjectStore, bool)
}

// objectStore returns the object store that holds path, when it is on one:
// its renames copy and delete, so they are not atomic.
func (e *Engine) objectStore(ctx context.Context, p string) (shoal.ObjectStore, bool) {
	if st, ok := e.FS.(shoal.ObjectStore); ok {
		return st, true
	}
	if r, ok := e.FS.(objectStoreRouter); ok {
		return r.ObjectStore(ctx, p)
	}
	return nil, false
}

// swapMethod picks how a partition at location is swapped: catalog
// relocation on an object store when the metastore can be written, copy
// renames on an object store without one, atomic renames elsewhere.
func (e *Engine) swapMethod(ctx context.Context, location string) string {
	if _, ok := e.objectStore(ctx, location); !ok {
		return shoal.SwapRename
	}
	if e.Writer != nil {
		return shoal.SwapRelocate
	}
	return shoal.SwapCopy
}

// resumeRename finishes a rename that a crash or an error cut short on an
// object store; elsewhere it is a plain rename (atomic renames are never
// half done).
func (e *Engine) resumeRename(ctx context.Context, from, to string) error {
	if st, ok := e.objectStore(ctx, from); ok {
		return st.ResumeRename(ctx, from, to)
	}
	return e.FS.Rename(ctx, from, to)
}

// target returns the table of job j and the partition of spec at location,
// as the metastore calls take them: nil for an unpartitioned table.
func (e *Engine) target(ctx context.Context, j *shoal.MergeJob, spec, location string) (*shoal.Table, *shoal.Partition, error) {
	if e.Catalog == nil {
		return nil, nil, errors.New("no catalog")
	}
	t, err := e.findTable(ctx, j.Database, j.Table)
	if err != nil {
		return nil, nil, err
	}
	if len(t.PartitionKeys) == 0 && spec == "" {
		return t, nil, nil
	}
	return t, &shoal.Partition{Spec: spec, Location: location, Values: hivemeta.ValuesFromName(spec, len(t.PartitionKeys))}, nil
}

// currentLocation asks the catalog where partition spec of job j's table
// is now (the table's location for an unpartitioned table).
func (e *Engine) currentLocation(ctx context.Context, j *shoal.MergeJob, spec string) (string, error) {
	t, p, err := e.target(ctx, j, spec, "")
	if err != nil {
		return "", err
	}
	if p == nil {
		return t.Location, nil
	}
	var loc string
	found := false
	errFound := errors.New("found")
	err = e.Catalog.Partitions(ctx, t, func(cp shoal.Partition) error {
		if cp.Spec == spec {
			loc, found = cp.Location, true
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", err
	}
	if !found {
		return "", shoal.Errorf(shoal.ENOTFOUND, "partition %s of %s.%s is no longer in the catalog", spec, j.Database, j.Table)
	}
	return loc, nil
}

// updateStats records a partition's file count and size in the metastore
// after a swap or a rollback. The data is already right when it runs, so a
// failure is only a warning, returned for the result's validation text.
func (e *Engine) updateStats(ctx context.Context, j *shoal.MergeJob, r *shoal.PartitionResult, location string, files int, bytes int64) string {
	if e.Writer == nil {
		return ""
	}
	t, p, err := e.target(ctx, j, r.Spec, location)
	if err == nil {
		err = e.Writer.UpdateStats(ctx, t, p, int64(files), bytes)
	}
	if err != nil {
		e.log().Warn("metastore statistics not updated", "job", j.ID, "table", j.Database+"."+j.Table, "partition", r.Spec, "err", err)
		return "; warning: metastore statistics (numFiles, totalSize) not updated: " + err.Error()
	}
	return "; metastore statistics updated"
}

// exists reports whether a path exists.
func (e *Engine) exists(ctx context.Context, p string) (bool, error) {
	_, err := e.FS.Stat(ctx, p)
	if err == nil {
		return true, nil
	}
	if shoal.ErrorCode(err) == shoal.ENOTFOUND {
		return false, nil
	}
	return false, err
}

// listFiles lists the entries of a partition directory: visible files,
// hidden files and subdirectories apart.
type listing struct {
	files  []shoal.PlanFile // visible data files, by name
	hidden []string         // hidden files (_SUCCESS, .crc…)
	dirs   []string         // subdirectories
}

func (e *Engine) list(ctx context.Context, dir string) (*listing, error) {
	l := &listing{}
	err := e.FS.List(ctx, dir, func(fi shoal.FileInfo) error {
		name := path.Base(fi.Path)
		switch {
		case fi.IsDir:
			l.dirs = append(l.dirs, name)
		case shoal.IsHidden(name):
			l.hidden = append(l.hidden, name)
		default:
			l.files = append(l.files, shoal.PlanFile{Name: name, Size: fi.Size, ModTime: fi.ModTime.UTC()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortFiles(l.files)
	return l, nil
}

// diffListing describes how the files of a partition differ from an
// earlier listing, or returns "" when they are the same.
func diffListing(was, now []shoal.PlanFile) string {
	old := make(map[string]shoal.PlanFile, len(was))
	for _, f := range was {
		old[f.Name] = f
	}
	var changes []string
	for _, f := range now {
		o, ok := old[f.Name]
		switch {
		case !ok:
			changes = append(changes, f.Name+" added")
		case o.Size != f.Size || !o.ModTime.Equal(f.ModTime):
			changes = append(changes, fmt.Sprintf("%s changed (%d → %d bytes)", f.Name, o.Size, f.Size))
		}
		delete(old, f.Name)
	}
	for _, f := range was {
		if _, ok := old[f.Name]; ok {
			changes = append(changes, f.Name+" removed")
		}
	}
	if len(changes) == 0 {
		return ""
	}
	if len(changes) > 5 {
		changes = append(changes[:5], fmt.Sprintf("and %d more", len(changes)-5))
	}
	return strings.Join(changes, ", ")
}

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
	"fmt"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/hiveserver"
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

func sibling(partition, kind string, job int64) string {
	dir, base := path.Split(strings.TrimSuffix(partition, "/"))
	return dir + "." + base + "." + kind + "-" + strconv.FormatInt(job, 10)
}

// parseSibling recognises a staging, backup or aside directory name and
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
	if err != nil || (kind != "staging" && kind != "backup" && kind != "merged") {
		return "", 0, false
	}
	return kind, n, true
}

// joinPath joins a directory path or URI and a name.
func joinPath(dir, name string) string {
	return strings.TrimSuffix(dir, "/") + "/" + name
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

package shoal

import (
	"context"
	"time"
)

// MergeState is the state of a merge job.
type MergeState string

// Merge job states. A job is created as planned; running it moves it to
// queued, then running, then one of the final states.
const (
	MergePlanned    MergeState = "planned"
	MergeQueued     MergeState = "queued"
	MergeRunning    MergeState = "running"
	MergeSucceeded  MergeState = "succeeded"
	MergeFailed     MergeState = "failed" // nothing changed, or rolled back by recovery
	MergeCancelled  MergeState = "cancelled"
	MergeRolledBack MergeState = "rolled_back" // by the user, after it succeeded
)

// Final reports whether the state is terminal for the job's run.
func (s MergeState) Final() bool {
	switch s {
	case MergeSucceeded, MergeFailed, MergeCancelled, MergeRolledBack:
		return true
	}
	return false
}

// Valid reports whether s is a known state.
func (s MergeState) Valid() bool {
	switch s {
	case MergePlanned, MergeQueued, MergeRunning, MergeSucceeded, MergeFailed, MergeCancelled, MergeRolledBack:
		return true
	}
	return false
}

// PlanFile is one file of a partition as the planner listed it.
type PlanFile struct {
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
}

// MergeGroup is a set of input files merged into one output file. The
// output takes the name of the first input, which keeps Hive's bucket file
// naming and the file extension that names a text codec.
type MergeGroup struct {
	Output string   `json:"output"`
	Inputs []string `json:"inputs"`
	// Metas are the inputs' metadata as planning read it, aligned with
	// Inputs, without the schema (PartitionPlan.Schema holds the one schema
	// every input has). A run merges with them once it has checked that the
	// partition still lists as planned.
	Metas []FileMeta `json:"metas,omitempty"`
	Bytes int64      `json:"bytes"`
	Rows  int64      `json:"rows"`
	// Bucket is the Hive bucket number of the inputs, -1 for a table that
	// is not bucketed.
	Bucket int `json:"bucket"`
}

// PartitionPlan is the plan for one partition.
type PartitionPlan struct {
	Spec     string `json:"partition"` // empty for an unpartitioned table
	Location string `json:"location"`
	Format   Format `json:"format"`
	// Eligible is false when the partition must not be merged; Reason
	// then says why.
	Eligible bool   `json:"eligible"`
	Reason   string `json:"reason,omitempty"`
	// Mode is the resolved mode (concat or rewrite) and ModeReason why.
	Mode        MergeMode `json:"mode,omitempty"`
	ModeReason  string    `json:"mode_reason,omitempty"`
	FilesBefore int       `json:"files_before"`
	FilesAfter  int       `json:"files_after"`
	BytesBefore int64     `json:"bytes_before"`
	// BytesToRewrite is the size of the inputs of all groups.
	BytesToRewrite int64        `json:"bytes_to_rewrite"`
	Rows           int64        `json:"rows"`
	Groups         []MergeGroup `json:"groups,omitempty"`
	// Listing is every visible file of the partition at planning time; the
	// concurrent-writer check compares the partition with it.
	Listing []PlanFile `json:"listing,omitempty"`
	// HeaderLines is the table's skip.header.line.count (text tables).
	HeaderLines int `json:"header_lines,omitempty"`
	// Schema is the inputs' schema (FileMeta.Schema), the same for all.
	Schema string `json:"schema,omitempty"`
	// Strategy is StrategyCluster when the partition is merged by the
	// cluster with Hive SQL (then it has no groups and ClusterStrategy
	// names the hiveserver strategy: compact, concatenate or
	// insert_overwrite), and empty when Shoal merges it in-process.
	Strategy         string  `json:"strategy,omitempty"`
	ClusterStrategy  string  `json:"cluster_strategy,omitempty"`
	Score            float64 `json:"score"`
	EstimatedSeconds float64 `json:"estimated_seconds"`
}

// Plan is a merge plan for partitions of one table.
type Plan struct {
	Database string          `json:"database"`
	Table    string          `json:"table"`
	Format   Format          `json:"format"`
	Mode     MergeMode       `json:"mode"`
	Policy   EffectivePolicy `json:"policy"`
	// Eligible is false when the whole table is refused; Reason says why.
	Eligible   bool            `json:"eligible"`
	Reason     string          `json:"reason,omitempty"`
	Partitions []PartitionPlan `json:"partitions"`
	// Totals over the eligible partitions.
	FilesBefore      int64     `json:"files_before"`
	FilesAfter       int64     `json:"files_after"`
	BytesToRewrite   int64     `json:"bytes_to_rewrite"`
	EstimatedSeconds float64   `json:"estimated_seconds"`
	CreatedAt        time.Time `json:"created_at"`
}

// Runnable reports whether the plan has any partition to merge.
func (p *Plan) Runnable() bool {
	if !p.Eligible {
		return false
	}
	for i := range p.Partitions {
		if p.Partitions[i].Eligible {
			return true
		}
	}
	return false
}

// SwapStep is a step of the journaled swap of one partition. Each step is
// written to the store before the action it names is taken; recovery reads
// the last step and finishes or undoes the action.
type SwapStep string

// Swap steps, in order.
const (
	StepPending   SwapStep = "pending"   // nothing done yet
	StepStaging   SwapStep = "staging"   // writing merged files into the staging directory
	StepValidated SwapStep = "validated" // staging holds validated output
	// StepBackup: about to rename the partition directory to the backup.
	StepBackup SwapStep = "rename_to_backup"
	// StepPromote: about to rename the staging directory to the partition.
	StepPromote SwapStep = "rename_staging"
	StepSwapped SwapStep = "swapped" // merged files in place, backup kept
	StepAborted SwapStep = "aborted" // originals untouched, staging removed
	// StepRollback: about to move the merged directory aside and the
	// backup back (a user's rollback).
	StepRollback   SwapStep = "rollback"
	StepRolledBack SwapStep = "rolled_back" // originals restored
	StepPurged     SwapStep = "purged"      // backup deleted after retention
	// StepRelocate: about to switch the partition's location in the
	// metastore to the relocated directory (swap "relocate").
	StepRelocate SwapStep = "relocate"
	// StepRollbackRestore: during a rollback on an object store (swap
	// "copy"), the merged files are aside; about to move the backup back.
	StepRollbackRestore SwapStep = "rollback_restore"
	// StepFailed: a Hive SQL merge (swap "hive-sql") failed; Hive decides
	// what changed, and Error says what is known.
	StepFailed SwapStep = "failed"
)

// StrategyCluster marks a partition planned for a Hive SQL merge on the
// cluster (PartitionPlan.Strategy).
const StrategyCluster = "cluster"

// Swap methods (PartitionResult.Swap).
const (
	// SwapRename: two atomic directory renames (local disk, HDFS).
	SwapRename = "rename"
	// SwapRelocate: merged files written to a new directory and the
	// partition's location switched in the metastore (object stores with
	// a writable metastore).
	SwapRelocate = "relocate"
	// SwapCopy: the two renames of SwapRename on an object store, where a
	// rename is a copy then a delete: not atomic for readers.
	SwapCopy = "copy"
	// SwapHiveSQL: the cluster merged the partition with Hive SQL.
	SwapHiveSQL = "hive-sql"
)

// PartitionResult is the outcome of one partition of a merge job. With
// SwapRelocate, Staging is the relocated directory (the partition's
// location once swapped) and Backup the old location, kept until the
// retention ends.
type PartitionResult struct {
	Index       int       `json:"index"`
	Spec        string    `json:"partition"`
	Location    string    `json:"location"`
	Step        SwapStep  `json:"step"`
	Mode        MergeMode `json:"mode"`
	Swap        string    `json:"swap"` // SwapRename, SwapRelocate, SwapCopy or SwapHiveSQL
	Staging     string    `json:"staging,omitempty"`
	Backup      string    `json:"backup,omitempty"`
	FilesBefore int       `json:"files_before"`
	FilesAfter  int       `json:"files_after"`
	BytesBefore int64     `json:"bytes_before"`
	BytesAfter  int64     `json:"bytes_after"`
	RowsBefore  int64     `json:"rows_before"`
	RowsAfter   int64     `json:"rows_after"`
	// After is the partition's listing right after the swap; rollback
	// refuses when the partition no longer matches it.
	After      []PlanFile `json:"after,omitempty"`
	Validation string     `json:"validation,omitempty"`
	Error      string     `json:"error,omitempty"`
	// ExpiresAt is when the backup may be purged.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
}

// MergeProgress counts the work of a running merge job.
type MergeProgress struct {
	FilesDone  int64 `json:"files_done"`
	FilesTotal int64 `json:"files_total"`
	BytesDone  int64 `json:"bytes_done"`
	BytesTotal int64 `json:"bytes_total"`
}

// MergeJob is a planned, running or finished merge of one table's
// partitions.
type MergeJob struct {
	ID         int64             `json:"id"`
	State      MergeState        `json:"state"`
	Database   string            `json:"database"`
	Table      string            `json:"table"`
	Catalog    string            `json:"catalog"`
	CreatedBy  string            `json:"created_by"`
	CreatedAt  time.Time         `json:"created_at"`
	StartedAt  time.Time         `json:"started_at,omitzero"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`
	Plan       *Plan             `json:"plan"`
	Progress   MergeProgress     `json:"progress"`
	Results    []PartitionResult `json:"results"`
	Error      string            `json:"error,omitempty"`
	RiverJobID int64             `json:"river_job_id,omitempty"`
}

// MergeJobUpdate lists the fields of a merge job to change; nil fields are
// kept.
type MergeJobUpdate struct {
	State      *MergeState
	StartedAt  *time.Time
	FinishedAt *time.Time
	Progress   *MergeProgress
	Error      *string
	RiverJobID *int64
	// From, when set, makes the update conditional on the current state.
	From []MergeState
}

// MergeJobFilter selects merge jobs.
type MergeJobFilter struct {
	State MergeState
	// Catalog is the catalog's name; "" matches every catalog.
	Catalog  string
	Database string
	Table    string
	Limit    int
	Offset   int
}

// Validate checks the filter and fills defaults.
func (f *MergeJobFilter) Validate() error {
	if f.State != "" && !f.State.Valid() {
		return Errorf(EINVALID, "unknown merge state %q", f.State)
	}
	return validatePage(&f.Limit, f.Offset)
}

// AuditEntry records a mutating action: who, what and when.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// MergeStore keeps policies, merge jobs with their swap journal, partition
// leases and the audit log. Both stores implement it.
type MergeStore interface {
	// ListPolicies returns every stored policy, global first, then by scope.
	ListPolicies(ctx context.Context) ([]Policy, error)
	// PutPolicy creates or replaces the policy of p.Scope.
	PutPolicy(ctx context.Context, p *Policy) error
	// DeletePolicy removes the policy of a scope; ENOTFOUND if absent.
	DeletePolicy(ctx context.Context, scope string) error

	// CreateMergeJob inserts a job and sets its ID and CreatedAt.
	CreateMergeJob(ctx context.Context, j *MergeJob) error
	// UpdateMergeJob changes a job; a state change whose From does not
	// match returns ECONFLICT.
	UpdateMergeJob(ctx context.Context, id int64, upd MergeJobUpdate) (*MergeJob, error)
	GetMergeJob(ctx context.Context, id int64) (*MergeJob, error)
	ListMergeJobs(ctx context.Context, f MergeJobFilter) ([]*MergeJob, int64, error)
	// PutMergeResult records the journal entry of one partition of a job
	// (by r.Index), durably, before the caller takes the step it names.
	PutMergeResult(ctx context.Context, jobID int64, r *PartitionResult) error
	// PendingSwaps returns the journal entries whose step is neither
	// final nor pending: the ones recovery must finish or undo.
	PendingSwaps(ctx context.Context) ([]JournalRef, error)
	// ExpiredBackups returns swapped entries whose backup expired.
	ExpiredBackups(ctx context.Context, now time.Time) ([]JournalRef, error)

	// AcquireLease takes the lease on key for owner until ttl from now.
	// It returns ECONFLICT when another owner holds an unexpired lease.
	// The owner may renew its own lease.
	AcquireLease(ctx context.Context, key, owner string, ttl time.Duration) error
	// ReleaseLease drops owner's lease on key, if it holds it.
	ReleaseLease(ctx context.Context, key, owner string) error
	// LeaseHolder returns the owner of the lease on key and its expiry;
	// ENOTFOUND when nobody holds it.
	LeaseHolder(ctx context.Context, key string) (string, time.Time, error)
	// StealLease gives the lease held by from to owner, for recovery after
	// from died; ECONFLICT when from no longer holds it.
	StealLease(ctx context.Context, key, from, owner string, ttl time.Duration) error

	// AppendAudit records an action and sets its ID and At.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns audit entries, newest first.
	ListAudit(ctx context.Context, limit, offset int) ([]AuditEntry, int64, error)
}

// JournalRef names one partition entry of a merge job.
type JournalRef struct {
	JobID  int64
	Result PartitionResult
}

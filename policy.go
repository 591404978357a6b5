package shoal

import (
	"math"
	"path"
	"strings"
	"time"
)

// PolicyGlobal is the scope of the policy that applies to every table.
const PolicyGlobal = "*"

// Policy is a set of merge settings for a scope: PolicyGlobal, a database
// ("sales") or a table ("sales.orders"). Nil fields inherit from the wider
// scope: table from database, database from global, global from the
// configured defaults.
type Policy struct {
	Scope string `json:"scope"`
	// Enabled false excludes the scope from merging.
	Enabled *bool `json:"enabled,omitempty"`
	// SmallFileSize: files below it are merged.
	SmallFileSize *int64 `json:"small_file_size,omitempty"`
	// TargetFileSize is the size the planner packs outputs to.
	TargetFileSize *int64 `json:"target_file_size,omitempty"`
	// MinAge is the minimum time since a partition's newest file and
	// last DDL before it counts as cold and may be merged.
	MinAge *Duration `json:"min_age,omitempty"`
	// Include and Exclude are glob patterns (path.Match syntax) over
	// "database.table"; a table is merged when it matches an Include
	// pattern (or Include is empty) and no Exclude pattern. They add up
	// across scopes.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// MaxBytesPerJob caps the bytes one job rewrites; MaxBytesPerRun caps
	// an automatic run across the warehouse.
	MaxBytesPerJob *int64 `json:"max_bytes_per_job,omitempty"`
	MaxBytesPerRun *int64 `json:"max_bytes_per_run,omitempty"`
	// Mode is the default merge mode.
	Mode *MergeMode `json:"mode,omitempty"`
	// RowGroupSize is the row-group or stripe size rewrite mode writes;
	// auto mode rewrites a partition whose average row group is below
	// a quarter of it.
	RowGroupSize *int64 `json:"row_group_size,omitempty"`
	// ClusterBytes sends partitions at least this large to the cluster
	// (HiveServer2 or Kyuubi) when the catalog has one; 0 never does.
	ClusterBytes *int64 `json:"cluster_bytes,omitempty"`

	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Duration is a time.Duration that marshals as a Go duration string.
type Duration time.Duration

// MarshalText renders the duration as "168h0m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return Errorf(EINVALID, "invalid duration %q: want a Go duration such as 72h", b)
	}
	*d = Duration(v)
	return nil
}

// Validate checks the policy's fields.
func (p *Policy) Validate() error {
	if err := ValidateScope(p.Scope); err != nil {
		return err
	}
	pos := func(name string, v *int64) error {
		if v != nil && *v <= 0 {
			return Errorf(EINVALID, "policy %s: %s must be positive", p.Scope, name)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		v    *int64
	}{
		{"small_file_size", p.SmallFileSize}, {"target_file_size", p.TargetFileSize},
		{"max_bytes_per_job", p.MaxBytesPerJob}, {"max_bytes_per_run", p.MaxBytesPerRun},
		{"row_group_size", p.RowGroupSize},
	} {
		if err := pos(c.name, c.v); err != nil {
			return err
		}
	}
	if p.SmallFileSize != nil && p.TargetFileSize != nil && *p.SmallFileSize > *p.TargetFileSize {
		return Errorf(EINVALID, "policy %s: small_file_size must not exceed target_file_size", p.Scope)
	}
	if p.ClusterBytes != nil && *p.ClusterBytes < 0 {
		return Errorf(EINVALID, "policy %s: cluster_bytes must not be negative", p.Scope)
	}
	if p.MinAge != nil && *p.MinAge < 0 {
		return Errorf(EINVALID, "policy %s: min_age must not be negative", p.Scope)
	}
	if p.Mode != nil && !p.Mode.Valid() {
		return Errorf(EINVALID, "policy %s: unknown mode %q (want auto, concat or rewrite)", p.Scope, *p.Mode)
	}
	for _, pat := range append(append([]string(nil), p.Include...), p.Exclude...) {
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return Errorf(EINVALID, "policy %s: bad pattern %q", p.Scope, pat)
		}
	}
	return nil
}

// ValidateScope checks a policy scope: "*", "db" or "db.table".
func ValidateScope(s string) error {
	if s == PolicyGlobal {
		return nil
	}
	db, tbl, dotted := strings.Cut(s, ".")
	if db == "" || (dotted && (tbl == "" || strings.Contains(tbl, "."))) || strings.ContainsAny(s, "/*?[ ") {
		return Errorf(EINVALID, "invalid policy scope %q: want *, a database or database.table", s)
	}
	return nil
}

// EffectivePolicy is the policy that applies to one table, every field
// resolved.
type EffectivePolicy struct {
	Enabled        bool      `json:"enabled"`
	SmallFileSize  int64     `json:"small_file_size"`
	TargetFileSize int64     `json:"target_file_size"`
	MinAge         Duration  `json:"min_age"`
	Include        []string  `json:"include,omitempty"`
	Exclude        []string  `json:"exclude,omitempty"`
	MaxBytesPerJob int64     `json:"max_bytes_per_job"`
	MaxBytesPerRun int64     `json:"max_bytes_per_run"`
	Mode           MergeMode `json:"mode"`
	RowGroupSize   int64     `json:"row_group_size"`
	// ClusterBytes: partitions at least this large go to the cluster; 0
	// never (by size).
	ClusterBytes int64 `json:"cluster_bytes"`
	// Sources names the scopes that contributed, widest first.
	Sources []string `json:"sources"`
}

// DefaultPolicy is the built-in global policy.
func DefaultPolicy() EffectivePolicy {
	return EffectivePolicy{
		Enabled:        true,
		SmallFileSize:  16 * MiB,
		TargetFileSize: 128 * MiB,
		MinAge:         Duration(24 * time.Hour),
		MaxBytesPerJob: 64 * GiB,
		MaxBytesPerRun: 512 * GiB,
		Mode:           ModeAuto,
		RowGroupSize:   128 * MiB,
		Sources:        []string{"default"},
	}
}

// ResolvePolicy applies the stored policies that cover db.table to base.
func ResolvePolicy(base EffectivePolicy, policies []Policy, db, table string) EffectivePolicy {
	eff := base
	eff.Sources = append([]string(nil), base.Sources...)
	for _, scope := range []string{PolicyGlobal, db, db + "." + table} {
		for i := range policies {
			if policies[i].Scope == scope {
				eff.apply(&policies[i])
			}
		}
	}
	return eff
}

func (e *EffectivePolicy) apply(p *Policy) {
	e.Sources = append(e.Sources, p.Scope)
	if p.Enabled != nil {
		e.Enabled = *p.Enabled
	}
	if p.SmallFileSize != nil {
		e.SmallFileSize = *p.SmallFileSize
	}
	if p.TargetFileSize != nil {
		e.TargetFileSize = *p.TargetFileSize
	}
	if p.MinAge != nil {
		e.MinAge = *p.MinAge
	}
	e.Include = append(e.Include, p.Include...)
	e.Exclude = append(e.Exclude, p.Exclude...)
	if p.MaxBytesPerJob != nil {
		e.MaxBytesPerJob = *p.MaxBytesPerJob
	}
	if p.MaxBytesPerRun != nil {
		e.MaxBytesPerRun = *p.MaxBytesPerRun
	}
	if p.Mode != nil {
		e.Mode = *p.Mode
	}
	if p.RowGroupSize != nil {
		e.RowGroupSize = *p.RowGroupSize
	}
	if p.ClusterBytes != nil {
		e.ClusterBytes = *p.ClusterBytes
	}
}

// Admits reports whether the policy lets db.table be merged, and if not,
// why.
func (e *EffectivePolicy) Admits(db, table string) (bool, string) {
	name := db + "." + table
	if !e.Enabled {
		return false, "merging is disabled by policy " + e.Sources[len(e.Sources)-1]
	}
	for _, pat := range e.Exclude {
		if ok, _ := path.Match(pat, name); ok {
			return false, "excluded by policy pattern " + pat
		}
	}
	if len(e.Include) == 0 {
		return true, ""
	}
	for _, pat := range e.Include {
		if ok, _ := path.Match(pat, name); ok {
			return true, ""
		}
	}
	return false, "not matched by any include pattern (" + strings.Join(e.Include, ", ") + ")"
}

// Score ranks merge candidates across the warehouse, from 0 to 100:
//
//	score = 100 × (0.45·F + 0.25·H + 0.20·C + 0.10·S)
//
// where each term is in [0, 1]:
//   - F = r / (r + 100), r the files a merge removes (saturates: 100 files
//     removed give 0.5, 1000 give 0.91);
//   - H = h / (h + 1 MiB), h the NameNode heap freed, 2 objects (inode and
//     block) × 150 bytes per file removed;
//   - C = min(1, age / (4 × min_age)), the coldness: how long since the
//     partition last changed, relative to the policy's minimum age (0 for
//     a partition that is not cold yet);
//   - S = 1 / (1 + b / 1 GiB), b the bytes to rewrite: cheaper merges first.
//
// The UI shows the score and its four terms.
type Score struct {
	Value        float64 `json:"value"`
	FilesRemoved int64   `json:"files_removed"`
	HeapSaved    int64   `json:"heap_saved"`
	Coldness     float64 `json:"coldness"`
	Files        float64 `json:"f"`
	Heap         float64 `json:"h"`
	Cost         float64 `json:"s"`
}

// ScoreCandidate computes the score of merging a partition that would lose
// filesRemoved files by rewriting bytes, age after its last change.
func ScoreCandidate(filesRemoved, bytes int64, age, minAge time.Duration) Score {
	if filesRemoved < 0 {
		filesRemoved = 0
	}
	r := float64(filesRemoved)
	heap := filesRemoved * 2 * NameNodeObjectBytes
	s := Score{FilesRemoved: filesRemoved, HeapSaved: heap}
	s.Files = r / (r + 100)
	s.Heap = float64(heap) / (float64(heap) + float64(MiB))
	if age >= minAge && age > 0 {
		if minAge <= 0 {
			s.Coldness = 1
		} else {
			s.Coldness = math.Min(1, float64(age)/float64(4*minAge))
		}
	}
	s.Cost = 1 / (1 + float64(bytes)/float64(GiB))
	s.Value = 100 * (0.45*s.Files + 0.25*s.Heap + 0.20*s.Coldness + 0.10*s.Cost)
	s.Value = math.Round(s.Value*100) / 100
	return s
}

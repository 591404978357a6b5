package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoalhq/shoal"
)

// FailureEvent is the job_failed event of a scan or merge job.
func FailureEvent(kind, catalog string, id int64, table, errText string) Event {
	title := fmt.Sprintf("Shoal %s %d failed", kind, id)
	if catalog != "" {
		title += " (catalog " + catalog + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- job: %s %d\n", kind, id)
	if catalog != "" {
		fmt.Fprintf(&b, "- catalog: %s\n", catalog)
	}
	if table != "" {
		fmt.Fprintf(&b, "- table: %s\n", table)
	}
	fmt.Fprintf(&b, "- error: %s\n", truncate(errText, 1000))
	return Event{Type: JobFailed, Catalog: catalog, Title: title, Text: b.String(),
		Job: &Job{Kind: kind, ID: id, Table: table, Error: errText}}
}

// RollbackEvent is the rollback event of a merge job whose originals were
// restored.
func RollbackEvent(j *shoal.MergeJob) Event {
	table := j.Database + "." + j.Table
	parts := 0
	for _, r := range j.Results {
		if r.Step == shoal.StepRolledBack {
			parts++
		}
	}
	title := fmt.Sprintf("Shoal merge %d of %s rolled back", j.ID, table)
	text := fmt.Sprintf("- job: merge %d\n- catalog: %s\n- table: %s\n- partitions restored: %d\n", j.ID, j.Catalog, table, parts)
	return Event{Type: Rollback, Catalog: j.Catalog, Title: title, Text: text,
		Job: &Job{Kind: "merge", ID: j.ID, Table: table}}
}

// Summary is the daily summary: each catalog's newest snapshot and the
// merges that finished in the period.
type Summary struct {
	Since    time.Time        `json:"since"`
	Until    time.Time        `json:"until"`
	Catalogs []CatalogSummary `json:"catalogs"`
}

// CatalogSummary is one catalog's part of the summary.
type CatalogSummary struct {
	Name string `json:"name"`
	// ScanID is the newest finished scan (0 when the catalog has none).
	ScanID         int64     `json:"scan_id"`
	ScannedAt      time.Time `json:"scanned_at,omitzero"`
	Tables         int64     `json:"tables"`
	Partitions     int64     `json:"partitions"`
	Files          int64     `json:"files"`
	SmallFiles     int64     `json:"small_files"`
	Bytes          int64     `json:"bytes"`
	ReducibleFiles int64     `json:"reducible_files"`
	NameNodeHeap   int64     `json:"namenode_heap_bytes"`
	// Merges finished in the period, by final state.
	MergesSucceeded  int   `json:"merges_succeeded"`
	MergesFailed     int   `json:"merges_failed"`
	MergesRolledBack int   `json:"merges_rolled_back"`
	FilesRemoved     int64 `json:"files_removed"`
	BytesMerged      int64 `json:"bytes_merged"`
}

// BuildSummary reads the newest snapshot of each catalog and the merge
// jobs of the 24 hours before now from st.
func BuildSummary(ctx context.Context, st shoal.Store, catalogs []string, now time.Time) (*Summary, error) {
	now = now.UTC()
	s := &Summary{Since: now.Add(-24 * time.Hour), Until: now}
	for _, name := range catalogs {
		cs := CatalogSummary{Name: name}
		sc, err := st.LatestSnapshot(ctx, name)
		switch {
		case err == nil:
			t := sc.Totals
			cs.ScanID, cs.ScannedAt = sc.ID, sc.FinishedAt.UTC()
			cs.Tables, cs.Partitions, cs.Files, cs.SmallFiles = t.Tables, t.Partitions, t.Files, t.Small
			cs.Bytes, cs.ReducibleFiles, cs.NameNodeHeap = t.Bytes, t.ReducibleFiles, t.NameNodeHeap
		case shoal.ErrorCode(err) != shoal.ENOTFOUND:
			return nil, fmt.Errorf("newest snapshot of catalog %s: %w", name, err)
		}
		if err := mergesSince(ctx, st, &cs, s.Since, now); err != nil {
			return nil, err
		}
		s.Catalogs = append(s.Catalogs, cs)
	}
	return s, nil
}

// mergesSince adds the merges of a catalog that finished in [since, until].
// Jobs are listed newest first; listing stops at jobs created more than a
// day before since (a merge does not run for a day).
func mergesSince(ctx context.Context, st shoal.Store, cs *CatalogSummary, since, until time.Time) error {
	stopAt := since.Add(-24 * time.Hour)
	for offset := 0; ; offset += shoal.MaxLimit {
		js, _, err := st.ListMergeJobs(ctx, shoal.MergeJobFilter{Catalog: cs.Name, Limit: shoal.MaxLimit, Offset: offset})
		if err != nil {
			return fmt.Errorf("merge jobs of catalog %s: %w", cs.Name, err)
		}
		for _, j := range js {
			if j.FinishedAt.IsZero() || j.FinishedAt.Before(since) || j.FinishedAt.After(until) {
				continue
			}
			switch j.State {
			case shoal.MergeSucceeded:
				cs.MergesSucceeded++
			case shoal.MergeFailed:
				cs.MergesFailed++
			case shoal.MergeRolledBack:
				cs.MergesRolledBack++
				continue // its files are back
			default:
				continue
			}
			// Lists leave the partition results out.
			full, err := st.GetMergeJob(ctx, j.ID)
			if err != nil {
				return fmt.Errorf("merge job %d: %w", j.ID, err)
			}
			for _, r := range full.Results {
				if r.Step == shoal.StepSwapped || r.Step == shoal.StepPurged {
					cs.FilesRemoved += int64(r.FilesBefore - r.FilesAfter)
					cs.BytesMerged += r.BytesBefore
				}
			}
		}
		if len(js) < shoal.MaxLimit || js[len(js)-1].CreatedAt.Before(stopAt) {
			return nil
		}
	}
}

// only returns the summary of the named catalogs.
func (s *Summary) only(names []string) *Summary {
	out := &Summary{Since: s.Since, Until: s.Until}
	for _, c := range s.Catalogs {
		if slices.Contains(names, c.Name) {
			out.Catalogs = append(out.Catalogs, c)
		}
	}
	return out
}

// Event renders the summary as a daily_summary event.
func (s *Summary) Event(at time.Time) Event {
	var b strings.Builder
	for _, c := range s.Catalogs {
		fmt.Fprintf(&b, "**%s**\n", c.Name)
		if c.ScanID == 0 {
			b.WriteString("- no finished scan yet\n")
		} else {
			fmt.Fprintf(&b, "- scan %d at %s: %d tables, %d partitions, %d files (%d small, %d reducible), %s\n",
				c.ScanID, c.ScannedAt.Format(time.RFC3339), c.Tables, c.Partitions, c.Files, c.SmallFiles, c.ReducibleFiles, shoal.FormatBytes(c.Bytes))
		}
		fmt.Fprintf(&b, "- merges in the last 24 h: %d succeeded, %d failed, %d rolled back; %d files removed, %s merged\n\n",
			c.MergesSucceeded, c.MergesFailed, c.MergesRolledBack, c.FilesRemoved, shoal.FormatBytes(c.BytesMerged))
	}
	catalog := ""
	if len(s.Catalogs) == 1 {
		catalog = s.Catalogs[0].Name
	}
	return Event{Type: DailySummary, Catalog: catalog, At: at,
		Title:   "Shoal daily summary " + s.Until.Format(time.DateOnly),
		Text:    strings.TrimRight(b.String(), "\n") + "\n",
		Summary: s}
}

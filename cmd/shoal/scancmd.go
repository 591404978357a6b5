package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/scan"
)

// scanJSON is the output of `shoal scan --output json`. Scripts depend on
// these field names: keep them stable.
type scanJSON struct {
	ScanID int64 `json:"scan_id"`
	Totals struct {
		Tables     int64 `json:"tables"`
		Partitions int64 `json:"partitions"`
		Files      int64 `json:"files"`
		Bytes      int64 `json:"bytes"`
		SmallFiles int64 `json:"small_files"`
	} `json:"totals"`
	Tables []scanTableJSON `json:"tables"`
}

type scanTableJSON struct {
	Database          string `json:"database"`
	Table             string `json:"table"`
	Format            string `json:"format"`
	Partitions        int64  `json:"partitions"`
	Files             int64  `json:"files"`
	Bytes             int64  `json:"bytes"`
	SmallFiles        int64  `json:"small_files"`
	ReducibleFiles    int64  `json:"reducible_files"`
	NamenodeHeapBytes int64  `json:"namenode_heap_bytes"`
}

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	f := newFlags("scan", stderr)
	f.withCatalog()
	f.withStore()
	output := f.fs.String("output", "table", "output `format`: table or json")
	concurrency := f.fs.Int("concurrency", 0, "partitions listed at once (overrides scan.concurrency)")
	ops := f.fs.Float64("ops-per-second", -1, "limit listings per second, 0 for none (overrides scan.ops_per_second)")
	cfg, err := f.parseWith(args, true, func(c *config.Config) {
		if *concurrency != 0 {
			c.Scan.Concurrency = *concurrency
		}
		if *ops >= 0 {
			c.Scan.OpsPerSecond = *ops
		}
	})
	if err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return &usageError{fmt.Sprintf("--output must be table or json, got %q", *output)}
	}
	log := newLogger(cfg.Log, stderr)

	be, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, be.Close()) }()
	if err := be.migrate(ctx); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	if err := be.openCatalogs(cfg, log); err != nil {
		return err
	}
	e, err := be.engine(f.selected)
	if err != nil {
		return err
	}
	sc, closer, err := scannerFactory(cfg, be, nil)(ctx, e.CatalogName)
	if err != nil {
		return err
	}
	defer closer.Close()

	rec := &shoal.Scan{Catalog: e.CatalogName, State: shoal.ScanQueued, Thresholds: sc.Options.Thresholds}
	if err := be.store.CreateScan(ctx, rec); err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	var bar *progressBar
	if fd, ok := stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
		bar = &progressBar{w: stderr}
		sc.Options.OnProgress = bar.update
	}
	log.Debug("scan started", "scan_id", rec.ID, "catalog", rec.Catalog)
	done, err := scan.Execute(ctx, be.store, sc, rec.ID)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return fmt.Errorf("scan %d: %w", rec.ID, err)
	}
	tables, err := allTables(ctx, be.store, done.ID)
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeScanJSON(stdout, done, tables)
	}
	return writeScanTable(stdout, done, tables)
}

// allTables pages through every table of a snapshot, most small files first.
func allTables(ctx context.Context, st shoal.Store, scanID int64) ([]shoal.TableStats, error) {
	var out []shoal.TableStats
	for {
		page, total, err := st.ListTables(ctx, shoal.TableFilter{
			ScanID: scanID, Sort: shoal.SortSmallFiles, Desc: true, Limit: shoal.MaxLimit, Offset: len(out),
		})
		if err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, page...)
		if len(page) == 0 || int64(len(out)) >= total {
			return out, nil
		}
	}
}

func writeScanJSON(w io.Writer, sc *shoal.Scan, tables []shoal.TableStats) error {
	var out scanJSON
	out.ScanID = sc.ID
	out.Totals.Tables = sc.Totals.Tables
	out.Totals.Partitions = sc.Totals.Partitions
	out.Totals.Files = sc.Totals.Files
	out.Totals.Bytes = sc.Totals.Bytes
	out.Totals.SmallFiles = sc.Totals.Small
	out.Tables = make([]scanTableJSON, len(tables))
	for i, t := range tables {
		out.Tables[i] = scanTableJSON{
			Database: t.Database, Table: t.Table, Format: string(t.Format), Partitions: t.Partitions,
			Files: t.Files, Bytes: t.Bytes, SmallFiles: t.Small, ReducibleFiles: t.ReducibleFiles,
			NamenodeHeapBytes: t.NameNodeHeap,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeScanTable(w io.Writer, sc *shoal.Scan, tables []shoal.TableStats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DATABASE\tTABLE\tFORMAT\tPARTITIONS\tFILES\tSMALL\tSMALL %\tBYTES\tREDUCIBLE\tNN HEAP\t")
	for _, t := range tables {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f%%\t%s\t%d\t%s\t\n", t.Database, t.Table, t.Format,
			t.Partitions, t.Files, t.Small, 100*t.SmallRatio(), shoal.FormatBytes(t.Bytes), t.ReducibleFiles, shoal.FormatBytes(t.NameNodeHeap))
	}
	tot := sc.Totals
	ratio := 0.0
	if tot.Files > 0 {
		ratio = 100 * float64(tot.Small) / float64(tot.Files)
	}
	fmt.Fprintf(tw, "TOTAL\t%d tables\t\t%d\t%d\t%d\t%.1f%%\t%s\t%d\t%s\t\n", tot.Tables, tot.Partitions, tot.Files,
		tot.Small, ratio, shoal.FormatBytes(tot.Bytes), tot.ReducibleFiles, shoal.FormatBytes(tot.NameNodeHeap))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nscan %d took %s; %d partitions could not be listed\n", sc.ID, sc.Duration(time.Now()).Round(time.Millisecond), tot.ErrorPartitions)
	return nil
}

// progressBar draws scan progress on a terminal.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) update(p shoal.ScanProgress) {
	const width = 30
	frac := 0.0
	if p.PartitionsTotal > 0 {
		frac = float64(p.PartitionsDone) / float64(p.PartitionsTotal)
	}
	filled := int(frac * width)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	total := fmt.Sprint(p.PartitionsTotal)
	if !p.TotalKnown {
		total += "+"
	}
	eta := "ETA ?"
	if p.ETA > 0 {
		eta = "ETA " + p.ETA.Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r[%s] %5.1f%% %d/%s partitions  %d files  %.0f/s  %s   ", bar, 100*frac, p.PartitionsDone, total, p.Files, p.Rate, eta)
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

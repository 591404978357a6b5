// Package scan walks a catalog, lists every partition through a file system
// and folds the files into per-partition statistics, which it streams into a
// store snapshot.
//
// Memory grows with the number of tables being scanned at once and the files
// of the partitions being listed, never with the files of the warehouse:
// partition statistics are written to the store in batches as they complete.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/shoalhq/shoal"
)

// Options tune a scan. The zero value of each field means its default.
type Options struct {
	// Thresholds decide small files and files after merge. Zero fields take
	// shoal.DefaultThresholds.
	Thresholds shoal.Thresholds
	// Concurrency is the number of partitions listed at once (default 8).
	Concurrency int
	// OpsPerSecond limits directory listings per second, to protect a
	// NameNode; 0 means unlimited.
	OpsPerSecond float64
	// SniffFiles is how many files of a sniffed partition have their first
	// bytes read to detect the format (default 1; -1 disables sniffing, for
	// catalogs that know the format).
	SniffFiles int
	// SniffEvery: the first sniffFirst partitions of each table are
	// sniffed, then one partition in SniffEvery (default 16; 1 sniffs every
	// partition). A partition that is not sniffed takes the format found in
	// its table so far. Reading a file costs more than listing it, so this
	// keeps format detection from doubling the time of a scan.
	SniffEvery int
	// BatchSize is how many partition statistics are written to the store
	// at once (default 1000).
	BatchSize int
	// ProgressInterval is how often OnProgress is called (default 500ms).
	ProgressInterval time.Duration
	// OnProgress, when set, receives progress reports from the scan's
	// goroutine; it must not block for long.
	OnProgress func(shoal.ScanProgress)
}

func (o *Options) setDefaults() {
	d := shoal.DefaultThresholds
	if o.Thresholds.SmallFileSize == 0 {
		o.Thresholds.SmallFileSize = d.SmallFileSize
	}
	if o.Thresholds.TargetFileSize == 0 {
		o.Thresholds.TargetFileSize = d.TargetFileSize
	}
	if o.Thresholds.BlockSize == 0 {
		o.Thresholds.BlockSize = d.BlockSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.SniffFiles == 0 {
		o.SniffFiles = 1
	}
	if o.SniffEvery <= 0 {
		o.SniffEvery = 16
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 500 * time.Millisecond
	}
}

// Scanner scans one catalog.
type Scanner struct {
	Catalog shoal.Catalog
	FS      shoal.FileSystem
	Options Options
	// Metrics, when set, counts what the scanner does.
	Metrics *Metrics
}

// work is one partition to list.
type work struct {
	table *tableState
	part  shoal.Partition
}

// result is one listed partition.
type result struct {
	table *tableState
	stats shoal.PartitionStats
}

// sniffFirst is how many partitions of each table are always sniffed.
const sniffFirst = 16

// tableState tracks a table whose partitions are being listed.
type tableState struct {
	// listed counts partitions handed to workers; format is the format
	// sniffed so far. Both are shared by the workers.
	listed atomic.Int64
	format atomic.Value // shoal.Format

	stats      shoal.TableStats
	enumerated int64 // partitions sent; final once done is set
	done       bool  // every partition has been sent
	received   int64
}

// event goes from the enumerator to the collector.
type event struct {
	table *tableState // a table starts (parts == -1) or its enumeration ended
	end   bool
	dbs   int64 // with end of enumeration: databases seen
}

// Run scans the catalog and writes the snapshot through w. It returns the
// totals. Partitions that cannot be listed are recorded with an error and the
// scan goes on; errors of the catalog itself, of the store and cancellation
// end the scan.
func (s *Scanner) Run(ctx context.Context, w shoal.SnapshotWriter) (shoal.Totals, error) {
	s.Options.setDefaults()
	if err := s.Options.Thresholds.Validate(); err != nil {
		return shoal.Totals{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var limiter *rate.Limiter
	if s.Options.OpsPerSecond > 0 {
		limiter = rate.NewLimiter(rate.Limit(s.Options.OpsPerSecond), max(1, int(s.Options.OpsPerSecond)))
	}

	conc := s.Options.Concurrency
	works := make(chan work, 4*conc)
	results := make(chan result, 4*conc)
	events := make(chan event, 64)

	var (
		enumErr    error
		enumExit   = make(chan struct{})
		partsFound atomic.Int64
	)
	go func() {
		defer close(enumExit)
		defer close(works)
		dbs, err := s.enumerate(ctx, works, events, &partsFound)
		if err != nil {
			enumErr = err
			cancel()
		}
		// The end event goes after every work item was handed over; the
		// collector still waits for their results.
		select {
		case events <- event{end: true, dbs: dbs}:
		case <-ctx.Done():
		}
	}()

	var (
		wg       sync.WaitGroup
		fatalMu  sync.Mutex
		fatalErr error
	)
	for range conc {
		wg.Go(func() {
			folder := shoal.NewPartitionFolder(s.Options.Thresholds)
			for wk := range works {
				st, err := s.listPartition(ctx, folder, limiter, wk)
				if err != nil {
					fatalMu.Lock()
					if fatalErr == nil {
						fatalErr = err
					}
					fatalMu.Unlock()
					cancel()
					return
				}
				select {
				case results <- result{table: wk.table, stats: st}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(results) }()

	totals, err := s.collect(ctx, w, results, events, &partsFound)
	cancel()
	wg.Wait()
	<-enumExit
	if fatalErr != nil {
		return totals, fatalErr
	}
	if enumErr != nil && !errors.Is(enumErr, context.Canceled) {
		return totals, enumErr
	}
	if err != nil {
		return totals, err
	}
	if enumErr != nil {
		return totals, enumErr
	}
	return totals, nil
}

// enumerate walks databases, tables and partitions.
func (s *Scanner) enumerate(ctx context.Context, works chan<- work, events chan<- event, found *atomic.Int64) (int64, error) {
	dbs, err := s.Catalog.Databases(ctx)
	if err != nil {
		return 0, fmt.Errorf("list databases: %w", err)
	}
	send := func(w work) error {
		found.Add(1)
		select {
		case works <- w:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	emit := func(ev event) error {
		select {
		case events <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, db := range dbs {
		tables, err := s.Catalog.Tables(ctx, db.Name)
		if shoal.ErrorCode(err) == shoal.ENOTFOUND {
			continue // dropped since the databases were listed
		}
		if err != nil {
			return 0, fmt.Errorf("list tables of %s: %w", db.Name, err)
		}
		for i := range tables {
			t := &tables[i]
			if t.Type == shoal.TableView {
				continue
			}
			ts := &tableState{stats: shoal.NewTableStats(t)}
			if err := emit(event{table: ts}); err != nil {
				return 0, err
			}
			if t.Partitioned() {
				err = s.Catalog.Partitions(ctx, t, func(p shoal.Partition) error {
					ts.enumerated++
					return send(work{table: ts, part: p})
				})
				// A table dropped since the tables were listed keeps the
				// partitions already sent; the scan goes on.
				if err != nil && shoal.ErrorCode(err) != shoal.ENOTFOUND {
					return 0, fmt.Errorf("list partitions of %s: %w", t.QualifiedName(), err)
				}
			} else {
				ts.enumerated = 1
				if err := send(work{table: ts, part: shoal.Partition{Location: t.Location}}); err != nil {
					return 0, err
				}
			}
			if err := emit(event{table: ts, end: true}); err != nil {
				return 0, err
			}
		}
	}
	return int64(len(dbs)), nil
}

// listPartition lists one partition, recursing into visible subdirectories,
// and returns its statistics. A listing error is recorded in the result; the
// error returned is cancellation, which ends the scan.
func (s *Scanner) listPartition(ctx context.Context, f *shoal.PartitionFolder, lim *rate.Limiter, wk work) (shoal.PartitionStats, error) {
	t := &wk.table.stats
	f.Reset(t.Database, t.Table, wk.part.Spec, wk.part.Location)
	seq := wk.table.listed.Add(1)
	sniffing := seq <= sniffFirst || seq%int64(s.Options.SniffEvery) == 0
	sniffed := 0
	if !sniffing {
		sniffed = s.Options.SniffFiles // nothing left to sniff here
	}
	var sniffErr error
	var list func(dir string) error
	list = func(dir string) error {
		if lim != nil {
			if err := lim.Wait(ctx); err != nil {
				return &fatal{err}
			}
		}
		var subdirs []string
		err := s.FS.List(ctx, dir, func(fi shoal.FileInfo) error {
			name := fi.Name()
			if shoal.IsHidden(name) {
				return nil
			}
			if fi.IsDir {
				subdirs = append(subdirs, fi.Path)
				return nil
			}
			format := shoal.FormatUnknown
			if sniffed < s.Options.SniffFiles && fi.Size > 0 {
				sniffed++
				format, sniffErr = s.sniff(ctx, fi.Path)
			}
			f.Add(&fi, format)
			return nil
		})
		if s.Metrics != nil {
			s.Metrics.listings.Inc()
		}
		if err != nil {
			return err
		}
		for _, d := range subdirs {
			if err := list(d); err != nil {
				return err
			}
		}
		return nil
	}
	err := list(wk.part.Location)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return shoal.PartitionStats{}, ctxErr
	}
	var fe *fatal
	if errors.As(err, &fe) {
		return shoal.PartitionStats{}, fmt.Errorf("rate limit: %w", fe.err)
	}
	st := f.Stats()
	switch {
	case sniffing && st.Format != shoal.FormatUnknown:
		wk.table.format.Store(st.Format)
	case !sniffing && st.Files > 0:
		if tf, ok := wk.table.format.Load().(shoal.Format); ok {
			st.Format = tf
		}
	}
	switch {
	case err != nil && shoal.ErrorCode(err) == shoal.ENOTFOUND:
		st.Error = "partition directory vanished during the scan: " + err.Error()
	case err != nil:
		st.Error = err.Error()
	case sniffErr != nil:
		st.Error = "read file header: " + sniffErr.Error()
	}
	return st, nil
}

// fatal marks an error that ends the scan rather than one partition.
type fatal struct{ err error }

func (f *fatal) Error() string { return f.err.Error() }
func (f *fatal) Unwrap() error { return f.err }

// HeadReader is implemented by file systems that read the first bytes of a
// file faster than Open and Read; localfs does.
type HeadReader interface {
	ReadHead(ctx context.Context, path string, buf []byte) (int, error)
}

// sniff reads the first bytes of a file to detect its format.
func (s *Scanner) sniff(ctx context.Context, p string) (shoal.Format, error) {
	var head [64]byte
	var (
		n   int
		err error
	)
	if hr, ok := s.FS.(HeadReader); ok {
		n, err = hr.ReadHead(ctx, p, head[:])
	} else {
		n, err = s.readHead(ctx, p, head[:])
	}
	if shoal.ErrorCode(err) == shoal.ENOTFOUND {
		return shoal.FormatUnknown, nil // removed since listed
	}
	if err != nil {
		return shoal.FormatUnknown, err
	}
	return shoal.DetectFormat(head[:n]), nil
}

func (s *Scanner) readHead(ctx context.Context, p string, buf []byte) (int, error) {
	r, err := s.FS.Open(ctx, p)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read %s: %w", path.Base(p), err)
	}
	return n, nil
}

// collect folds results into tables, writes them in batches and reports
// progress.
func (s *Scanner) collect(ctx context.Context, w shoal.SnapshotWriter, results <-chan result, events <-chan event, found *atomic.Int64) (shoal.Totals, error) {
	var (
		totals   shoal.Totals
		prog     shoal.ScanProgress
		parts    = make([]shoal.PartitionStats, 0, s.Options.BatchSize)
		tables   []shoal.TableStats
		start    = time.Now()
		ticker   = time.NewTicker(s.Options.ProgressInterval)
		enumDone bool
	)
	defer ticker.Stop()
	bw := newBatchWriter(ctx, w, 2)
	defer func() { _ = bw.close() }() // on early returns; the normal path checks it

	flush := func() error {
		if len(parts) == 0 && len(tables) == 0 {
			return nil
		}
		err := bw.send(ctx, batch{parts: parts, tables: tables})
		parts, tables = make([]shoal.PartitionStats, 0, s.Options.BatchSize), nil
		return err
	}
	finishTable := func(ts *tableState) {
		tables = append(tables, ts.stats)
		totals.Add(&ts.stats)
		prog.TablesDone++
	}
	report := func() {
		prog.PartitionsTotal = found.Load()
		prog.TotalKnown = enumDone
		prog.Rate, prog.ETA = 0, 0
		if el := time.Since(start).Seconds(); el > 0 {
			prog.Rate = float64(prog.PartitionsDone) / el
		}
		if enumDone && prog.Rate > 0 {
			prog.ETA = time.Duration(float64(prog.PartitionsTotal-prog.PartitionsDone) / prog.Rate * float64(time.Second))
		}
		if s.Options.OnProgress != nil {
			s.Options.OnProgress(prog)
		}
	}

	for results != nil || events != nil {
		select {
		case <-ctx.Done():
			return totals, ctx.Err()
		case <-ticker.C:
			report()
		case ev := <-events:
			switch {
			case ev.table == nil && ev.end:
				enumDone = true
				totals.Databases = ev.dbs
				events = nil
			case !ev.end:
				prog.TablesTotal++
			default:
				ev.table.done = true
				if ev.table.received == ev.table.enumerated {
					finishTable(ev.table)
				}
			}
		case r, ok := <-results:
			if !ok {
				results = nil
				continue
			}
			ts := r.table
			ts.stats.AddPartition(&r.stats)
			ts.received++
			parts = append(parts, r.stats)
			prog.PartitionsDone++
			prog.Files += r.stats.Files
			prog.Bytes += r.stats.Bytes
			if r.stats.Error != "" {
				prog.Errors++
			}
			if s.Metrics != nil {
				s.Metrics.observe(&r.stats)
			}
			if ts.done && ts.received == ts.enumerated {
				finishTable(ts)
			}
			if len(parts) >= s.Options.BatchSize {
				if err := flush(); err != nil {
					return totals, err
				}
			}
		}
	}
	if !enumDone {
		// Enumeration failed; Run reports its error.
		return totals, ctx.Err()
	}
	if err := flush(); err != nil {
		return totals, err
	}
	if err := bw.close(); err != nil {
		return totals, err
	}
	report()
	return totals, nil
}

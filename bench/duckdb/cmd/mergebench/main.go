// Command mergebench measures Shoal's format mergers against the floor of
// copying the same bytes with cat(1) and against DuckDB rewriting the same
// Parquet files, on one disk in one run, and the peak memory of merging a
// 4 GiB partition.
//
// It generates (or reuses) 1,000 files of about 1 MiB each per format:
// Parquet (snappy), ORC (zlib), Avro (snappy blocks) and plain text, in
// the shape of a streaming table's micro-batches. Every input is read once
// before the measurements, so all of them run with a warm page cache (the
// cache cannot be dropped here). Each measurement is the fastest of three
// runs; outputs are written without fsync by every tool, and sync(2) runs,
// untimed, before each run so that earlier writes do not slow it.
//
//	mergebench [-dir DIR] [-quick] [-runs 3] [-threads N] [-rss-inputs 4096]
//
// -quick runs with 100 files per format and one run of each measurement.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/merge/avro"
	"github.com/shoalhq/shoal/merge/orc"
	"github.com/shoalhq/shoal/merge/parquet"
	"github.com/shoalhq/shoal/merge/text"
)

// config is what one run measures.
type config struct {
	dir       string
	files     int
	runs      int
	threads   int
	rssInputs int
	quick     bool
	keep      bool
	stdout    io.Writer
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(childMain(os.Args[2:]))
	}
	var cfg config
	flag.StringVar(&cfg.dir, "dir", "", "working folder for inputs and outputs, on the disk to measure (default .bench/merge under the repository root)")
	flag.IntVar(&cfg.files, "files", 1000, "input files per format, about 1 MiB each")
	flag.IntVar(&cfg.runs, "runs", 3, "runs of each measurement; the fastest counts")
	flag.IntVar(&cfg.threads, "threads", runtime.GOMAXPROCS(0), "DuckDB threads (default GOMAXPROCS)")
	flag.IntVar(&cfg.rssInputs, "rss-inputs", 4096, "inputs of the peak-memory merge (the input files repeated), about 1 MiB each")
	flag.BoolVar(&cfg.quick, "quick", false, "a small run: 100 files per format, 400 inputs for peak memory, one run each")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the merged outputs")
	flag.Parse()
	if cfg.quick {
		cfg.files, cfg.runs, cfg.rssInputs = 100, 1, 400
	}
	if cfg.dir == "" {
		cfg.dir = filepath.Join(repoRoot(), ".bench", "merge")
	}
	cfg.stdout = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mergebench:", err)
		os.Exit(1)
	}
	if rep.failed > 0 {
		fmt.Fprintf(os.Stderr, "mergebench: %d of %d targets missed\n", rep.failed, rep.targets)
	}
}

// repoRoot returns the nearest folder above the working directory whose
// go.mod is the main Shoal module, or the working directory.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/shoalhq/shoal\n") {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func mergerFor(name string) shoal.Merger {
	switch name {
	case "parquet":
		return parquet.New()
	case "orc":
		return orc.New()
	case "avro":
		return avro.New()
	case "text":
		return text.New()
	}
	panic("no merger for " + name)
}

// measurement is one timed line of the report.
type measurement struct {
	format string
	what   string
	files  int
	in     int64 // input bytes
	out    int64 // output bytes
	best   time.Duration
	note   string
}

func (m measurement) mbps() float64 { return float64(m.in) / 1e6 / m.best.Seconds() }

// report collects the measurements and target checks of a run.
type report struct {
	lines   []measurement
	checks  []string
	targets int
	failed  int
}

func (r *report) add(m measurement) measurement {
	r.lines = append(r.lines, m)
	logf("  %-8s %-40s %8.3f s %8.0f MB/s %s", m.format, m.what, m.best.Seconds(), m.mbps(), m.note)
	return m
}

// ratio records a target on a ratio of two times: at most max, or at least
// min when atLeast.
func (r *report) ratio(name string, a, b time.Duration, limit float64, atLeast bool) {
	v := a.Seconds() / b.Seconds()
	ok := v <= limit
	op := "<="
	if atLeast {
		ok, op = v >= limit, ">="
	}
	r.check(fmt.Sprintf("%-38s %8.2fx   target %s %.1fx", name, v, op, limit), ok)
}

func (r *report) check(line string, ok bool) {
	r.targets++
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
		r.failed++
	}
	r.checks = append(r.checks, fmt.Sprintf("%s   %s", line, verdict))
}

// bestOf runs f runs times and returns the fastest. Before each run it
// calls prep and sync(2), untimed.
func bestOf(runs int, prep func() error, f func() error) (time.Duration, error) {
	var best time.Duration
	for i := range runs {
		if prep != nil {
			if err := prep(); err != nil {
				return 0, err
			}
		}
		syscall.Sync()
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); i == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

func removeFile(p string) func() error {
	return func() error {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return st.Size()
}

// catFiles copies the inputs into out with the real cat binary, through a
// shell glob as a person would.
func catFiles(set *inputSet, out string) error {
	cmd := exec.Command("sh", "-c", `exec cat "$1"/*`+set.format.ext+` > "$2"`, "sh", set.dir, out)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// warm reads every input once so that all measurements run with a warm
// page cache.
func warm(sets []*inputSet) (int64, time.Duration, error) {
	start := time.Now()
	var n int64
	buf := make([]byte, 1<<20)
	for _, s := range sets {
		for _, p := range s.files {
			f, err := os.Open(p)
			if err != nil {
				return n, 0, err
			}
			c, err := io.CopyBuffer(io.Discard, f, buf)
			f.Close()
			if err != nil {
				return n, 0, err
			}
			n += c
		}
	}
	return n, time.Since(start), nil
}

// mergeStats are the figures of one Shoal merge.
type mergeStats struct {
	rows  int64
	bytes int64
}

// openInputs opens each distinct path once and returns the inputs in the
// order of paths (a path may repeat) and a function closing the files.
func openInputs(paths []string) ([]shoal.MergeInput, func(), error) {
	files := map[string]*os.File{}
	sizes := map[string]int64{}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inputs := make([]shoal.MergeInput, len(paths))
	for i, p := range paths {
		f, ok := files[p]
		if !ok {
			var err error
			if f, err = os.Open(p); err != nil {
				closeAll()
				return nil, nil, err
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				closeAll()
				return nil, nil, err
			}
			files[p], sizes[p] = f, st.Size()
		}
		inputs[i] = shoal.MergeInput{Name: filepath.Base(p), Size: sizes[p], R: f}
	}
	return inputs, closeAll, nil
}

// shoalPlan does what planning does for one partition: open and Inspect
// every input. The run reuses the metadata, as the merge engine does.
func shoalPlan(ctx context.Context, m shoal.Merger, paths []string) ([]*shoal.FileMeta, time.Duration, error) {
	start := time.Now()
	inputs, closeAll, err := openInputs(paths)
	if err != nil {
		return nil, 0, err
	}
	defer closeAll()
	metas := make([]*shoal.FileMeta, len(inputs))
	for i, in := range inputs {
		if metas[i], err = m.Inspect(ctx, in); err != nil {
			return nil, 0, fmt.Errorf("Inspect(%s): %w", in.Name, err)
		}
	}
	return metas, time.Since(start), nil
}

// shoalMerge does what a merge run does for one partition, without the
// swap: open every input and Merge it, with the metadata planning read,
// into a buffered file, flushed and closed but not fsynced.
func shoalMerge(ctx context.Context, m shoal.Merger, paths []string, metas []*shoal.FileMeta, mode shoal.MergeMode, out string) (mergeStats, error) {
	var st mergeStats
	inputs, closeAll, err := openInputs(paths)
	if err != nil {
		return st, err
	}
	defer closeAll()
	var want int64
	for _, meta := range metas {
		want += meta.Rows
	}
	f, err := os.Create(out)
	if err != nil {
		return st, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	res, err := m.Merge(ctx, bw, inputs, metas, shoal.MergeOptions{Mode: mode})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("Merge(%s): %w", mode, err)
	}
	if res.Rows != want {
		return st, fmt.Errorf("Merge(%s) wrote %d rows, the inputs hold %d", mode, res.Rows, want)
	}
	st.rows, st.bytes = res.Rows, res.Bytes
	return st, nil
}

// shoalVerify reads a merged file back with the merger's reader and checks
// its row count.
func shoalVerify(ctx context.Context, m shoal.Merger, path string, want int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	meta, err := m.Verify(ctx, shoal.MergeInput{Name: filepath.Base(path), Size: st.Size(), R: f})
	if err != nil {
		return fmt.Errorf("Verify(%s): %w", path, err)
	}
	if meta.Rows != want {
		return fmt.Errorf("Verify(%s) counted %d rows, want %d", path, meta.Rows, want)
	}
	return nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// duckCount counts the rows of a Parquet file with DuckDB.
func duckCount(db *sql.DB, path string) (int64, error) {
	var n int64
	err := db.QueryRow("SELECT count(*) FROM read_parquet(" + sqlString(path) + ")").Scan(&n)
	return n, err
}

func run(ctx context.Context, cfg config) (*report, error) {
	rep := &report{}
	in := filepath.Join(cfg.dir, "in")
	outDir := filepath.Join(cfg.dir, "out")
	for _, d := range []string{in, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if !cfg.keep {
		defer os.RemoveAll(outDir)
	}

	var sets []*inputSet
	for _, fm := range formats {
		s, err := generate(ctx, in, fm, cfg.files)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	n, d, err := warm(sets)
	if err != nil {
		return nil, err
	}
	logf("warm-up: read %.0f MB of inputs in %v", float64(n)/1e6, d.Round(time.Millisecond))

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(fmt.Sprintf("SET threads = %d", cfg.threads)); err != nil {
		return nil, err
	}
	var duckVersion, duckThreads, duckMem string
	if err := db.QueryRow("SELECT version(), current_setting('threads')::VARCHAR, current_setting('memory_limit')").Scan(&duckVersion, &duckThreads, &duckMem); err != nil {
		return nil, err
	}

	results := map[string]measurement{}
	outputs := map[string]string{}
	for _, s := range sets {
		name := s.format.name
		m := mergerFor(name)
		catOut := filepath.Join(outDir, "cat"+s.format.ext)
		best, err := bestOf(cfg.runs, removeFile(catOut), func() error { return catFiles(s, catOut) })
		if err != nil {
			return nil, fmt.Errorf("cat %s: %w", name, err)
		}
		results[name+"/cat"] = rep.add(measurement{format: name, what: "cat (floor)", files: len(s.files), in: s.bytes, out: fileSize(catOut), best: best})
		os.Remove(catOut)

		modes := []shoal.MergeMode{shoal.ModeConcat}
		if name == "parquet" {
			modes = append(modes, shoal.ModeRewrite)
		}
		metas, planTime, err := shoalPlan(ctx, m, s.files)
		if err != nil {
			return nil, fmt.Errorf("shoal %s plan: %w", name, err)
		}
		for _, mode := range modes {
			out := filepath.Join(outDir, fmt.Sprintf("shoal-%s%s", mode, s.format.ext))
			var st mergeStats
			best, err := bestOf(cfg.runs, removeFile(out), func() (err error) {
				st, err = shoalMerge(ctx, m, s.files, metas, mode, out)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("shoal %s %s: %w", name, mode, err)
			}
			if st.rows != s.rows() {
				return nil, fmt.Errorf("shoal %s %s: %d rows, generated %d", name, mode, st.rows, s.rows())
			}
			results[name+"/"+string(mode)] = rep.add(measurement{format: name, what: "shoal " + string(mode) + " (open+Merge)", files: len(s.files), in: s.bytes, out: fileSize(out), best: best,
				note: fmt.Sprintf("planning (Inspect) %.2f s, apart", planTime.Seconds())})
			outputs[name+"/"+string(mode)] = out
		}

		if name == "parquet" {
			duckOut := filepath.Join(outDir, "duckdb.parquet")
			q := fmt.Sprintf("COPY (SELECT * FROM read_parquet(%s)) TO %s (FORMAT parquet)",
				sqlString(filepath.Join(s.dir, "*"+s.format.ext)), sqlString(duckOut))
			best, err := bestOf(cfg.runs, removeFile(duckOut), func() error {
				_, err := db.ExecContext(ctx, q)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("duckdb: %w", err)
			}
			results["parquet/duckdb"] = rep.add(measurement{format: name, what: "DuckDB COPY read_parquet -> parquet", files: len(s.files), in: s.bytes, out: fileSize(duckOut), best: best,
				note: "threads " + duckThreads})
			for _, p := range []string{duckOut, outputs["parquet/concat"], outputs["parquet/rewrite"]} {
				n, err := duckCount(db, p)
				if err != nil {
					return nil, fmt.Errorf("DuckDB reading %s: %w", p, err)
				}
				if n != s.rows() {
					return nil, fmt.Errorf("DuckDB counts %d rows in %s, generated %d", n, p, s.rows())
				}
			}
			os.Remove(duckOut)
		}

		for _, mode := range modes {
			out := outputs[name+"/"+string(mode)]
			best, err := bestOf(cfg.runs, nil, func() error { return shoalVerify(ctx, m, out, s.rows()) })
			if err != nil {
				return nil, err
			}
			results[name+"/verify-"+string(mode)] = rep.add(measurement{format: name, what: "shoal Verify of the " + string(mode) + " output", files: 1, in: fileSize(out), out: 0, best: best})
			os.Remove(out)
		}
	}

	// Peak memory of one large partition, in a child process each.
	var rss []rssResult
	pq := sets[0]
	for _, mode := range []shoal.MergeMode{shoal.ModeConcat, shoal.ModeRewrite} {
		r, err := measureRSS(ctx, pq, mode, cfg.rssInputs, filepath.Join(outDir, "rss-"+string(mode)+".parquet"))
		if err != nil {
			return nil, err
		}
		rss = append(rss, r)
	}

	// Targets.
	rep.ratio("parquet: shoal concat / cat", results["parquet/concat"].best, results["parquet/cat"].best, 1.5, false)
	rep.ratio("parquet: DuckDB / shoal concat", results["parquet/duckdb"].best, results["parquet/concat"].best, 3, true)
	rep.ratio("parquet: shoal rewrite / DuckDB", results["parquet/rewrite"].best, results["parquet/duckdb"].best, 1.5, false)
	rep.ratio("orc: shoal concat / cat", results["orc/concat"].best, results["orc/cat"].best, 1.5, false)
	rep.ratio("avro: shoal concat / cat", results["avro/concat"].best, results["avro/cat"].best, 1.5, false)
	rep.ratio("text: shoal concat / cat", results["text/concat"].best, results["text/cat"].best, 1.2, false)
	for _, r := range rss {
		rep.check(fmt.Sprintf("%-38s %8.0f MiB  target <= 256 MiB (VmHWM)", fmt.Sprintf("peak RSS: parquet %s, %.1f GiB", r.Mode, float64(r.InBytes)/(1<<30)), float64(r.HWMKiB)/1024), r.HWMKiB > 0 && r.HWMKiB <= 256*1024)
	}

	printReport(cfg, rep, rss, duckVersion, duckThreads, duckMem)
	return rep, nil
}

func printReport(cfg config, rep *report, rss []rssResult, duckVersion, duckThreads, duckMem string) {
	w := cfg.stdout
	fmt.Fprintf(w, "\n== machine: %d cores, GOMAXPROCS %d, %s RAM, %s, %s; DuckDB %s via duckdb-go v2.5.4 (threads %s, memory_limit %s); load average %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), kernel(), runtime.Version(), duckVersion, duckThreads, duckMem, loadAvg())
	fmt.Fprintf(w, "== %d files of about 1 MiB per format in %s; outputs in the same folder's out/ (same disk).\n", cfg.files, cfg.dir)
	fmt.Fprintf(w, "== Warm page cache: every input was read once before measuring (caches cannot be dropped here).\n")
	fmt.Fprintf(w, "== Fastest of %d runs; no tool fsyncs its output (cat, Shoal, DuckDB alike); sync(2) before each run, untimed.\n", cfg.runs)
	fmt.Fprintf(w, "== Shoal times are a merge run: open every input and Merge it with the metadata planning read (as the engine runs a plan); planning's Inspect is timed apart; MB/s = input bytes / time (MB = 10^6 bytes).\n\n")
	fmt.Fprintf(w, "%-8s %-40s %6s %10s %10s %9s %9s  %s\n", "format", "what", "files", "input MB", "output MB", "seconds", "MB/s", "note")
	for _, m := range rep.lines {
		out := "-"
		if m.out > 0 {
			out = fmt.Sprintf("%.1f", float64(m.out)/1e6)
		}
		fmt.Fprintf(w, "%-8s %-40s %6d %10.1f %10s %9.3f %9.0f  %s\n", m.format, m.what, m.files, float64(m.in)/1e6, out, m.best.Seconds(), m.mbps(), m.note)
	}
	fmt.Fprintf(w, "\npeak memory of one merge in a child process (%d inputs: the %d Parquet files repeated, opened once each):\n", rss[0].Inputs, cfg.files)
	for _, r := range rss {
		fmt.Fprintf(w, "  parquet %-8s %.2f GiB in, %.2f GiB out, %6.1f s: VmHWM %4.0f MiB (VmRSS at child start %3.0f MiB; ru_maxrss %4.0f MiB)\n",
			r.Mode, float64(r.InBytes)/(1<<30), float64(r.OutBytes)/(1<<30), r.took().Seconds(), float64(r.HWMKiB)/1024, float64(r.StartKiB)/1024, float64(r.MaxRSSKiB)/1024)
	}
	fmt.Fprintf(w, "  VmHWM is the child's own peak (/proc/self/status at the end of the merge). ru_maxrss from wait4 is not: Linux\n")
	fmt.Fprintf(w, "  folds the pre-exec address space, the parent's (vfork), into it, so it is at least the parent's own peak.\n")
	fmt.Fprintf(w, "\ntargets:\n")
	for _, c := range rep.checks {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintf(w, "\ntargets met: %d of %d\n", rep.targets-rep.failed, rep.targets)
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			fmt.Sscanf(strings.TrimPrefix(line, "MemTotal:"), "%d", &kb)
		}
	}
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

func kernel() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return "?"
	}
	str := func(a [65]int8) string {
		var b []byte
		for _, c := range a {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return str(u.Sysname) + " " + str(u.Release)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

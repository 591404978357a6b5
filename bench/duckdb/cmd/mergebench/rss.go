package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shoalhq/shoal"
)

// childFlag, as the first argument, makes the program the child process of
// a peak-memory measurement: it merges and prints its figures as JSON.
const childFlag = "-rss-child"

// rssResult is what one peak-memory measurement found.
type rssResult struct {
	Mode      shoal.MergeMode `json:"mode"`
	Inputs    int             `json:"inputs"`
	InBytes   int64           `json:"in_bytes"`
	Rows      int64           `json:"rows"`
	OutBytes  int64           `json:"out_bytes"`
	HWMKiB    int64           `json:"vm_hwm_kib"`
	StartKiB  int64           `json:"vm_rss_start_kib"`
	TookNanos int64           `json:"took_ns"`
	// MaxRSSKiB is the child's ru_maxrss, seen by the parent.
	MaxRSSKiB int64 `json:"-"`
}

func (r rssResult) took() time.Duration { return time.Duration(r.TookNanos) }

// measureRSS merges n inputs, the files of set repeated in order, into out
// in a child process, and returns the child's peak resident set size.
func measureRSS(ctx context.Context, set *inputSet, mode shoal.MergeMode, n int, out string) (rssResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return rssResult{}, err
	}
	defer os.Remove(out)
	syscall.Sync()
	logf("peak memory: parquet %s of %d inputs in a child process", mode, n)
	cmd := exec.CommandContext(ctx, exe, childFlag, "-mode", string(mode), "-src", set.dir, "-ext", set.format.ext,
		"-files", fmt.Sprint(len(set.files)), "-inputs", fmt.Sprint(n), "-out", out)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return rssResult{}, fmt.Errorf("peak-memory child (%s): %w", mode, err)
	}
	var r rssResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return rssResult{}, fmt.Errorf("peak-memory child (%s) printed %q: %w", mode, stdout.String(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKiB = ru.Maxrss // KiB on Linux
	}
	if want := int64(set.rowsPerFile) * int64(n); r.Rows != want {
		return r, fmt.Errorf("peak-memory child (%s) merged %d rows, want %d", mode, r.Rows, want)
	}
	logf("  %s: ru_maxrss %d KiB, VmHWM %d KiB, %v", mode, r.MaxRSSKiB, r.HWMKiB, r.took().Round(time.Millisecond))
	return r, nil
}

// childMain is the child process: it merges -inputs inputs, cycling over
// -files files of -src, and prints its figures.
func childMain(args []string) int {
	fs := flag.NewFlagSet("rss-child", flag.ContinueOnError)
	mode := fs.String("mode", "concat", "merge mode")
	src := fs.String("src", "", "folder of input files")
	ext := fs.String("ext", ".snappy.parquet", "input file extension")
	files := fs.Int("files", 0, "distinct input files")
	inputs := fs.Int("inputs", 0, "inputs to merge")
	out := fs.String("out", "", "output file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	r := rssResult{Mode: shoal.MergeMode(*mode), Inputs: *inputs, StartKiB: procStatusKiB("VmRSS")}
	paths := make([]string, *inputs)
	for i := range paths {
		paths[i] = filepath.Join(*src, fmt.Sprintf("part-%05d%s", i%*files, *ext))
	}
	for _, p := range paths {
		r.InBytes += fileSize(p)
	}
	start := time.Now()
	m := mergerFor("parquet")
	metas, _, err := shoalPlan(context.Background(), m, paths)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rss child:", err)
		return 1
	}
	st, err := shoalMerge(context.Background(), m, paths, metas, r.Mode, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rss child:", err)
		return 1
	}
	r.TookNanos = int64(time.Since(start))
	r.Rows, r.OutBytes = st.rows, st.bytes
	r.HWMKiB = procStatusKiB("VmHWM")
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// procStatusKiB returns a "kB" field of /proc/self/status, or -1.
func procStatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb
			}
		}
	}
	return -1
}

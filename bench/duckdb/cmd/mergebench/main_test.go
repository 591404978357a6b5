package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the peak-memory child process,
// which the benchmark starts by re-executing itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(childMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// TestQuick runs the whole benchmark in -quick mode: it generates the
// inputs of every format, merges them with cat, Shoal and DuckDB, checks
// every output's row count, measures peak memory in child processes and
// prints the report. Timings are not judged here: CI machines are shared.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and merges about 1 GB")
	}
	var out bytes.Buffer
	cfg := config{dir: t.TempDir(), files: 100, runs: 1, threads: 2, rssInputs: 400, quick: true, stdout: &out}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if rep.targets != 8 {
		t.Errorf("%d targets checked, want 8", rep.targets)
	}
	for _, want := range []string{"cat (floor)", "shoal concat", "shoal rewrite", "DuckDB COPY", "Verify", "VmHWM", "targets met"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, format := range []string{"parquet", "orc", "avro", "text"} {
		if !strings.Contains(out.String(), format+": shoal concat / cat") {
			t.Errorf("report lacks the %s ratio", format)
		}
		// The inputs are complete, so that another run would reuse them.
		if _, err := os.Stat(filepath.Join(cfg.dir, "in", format+"-100", "_COMPLETE")); err != nil {
			t.Errorf("%s inputs not marked complete: %v", format, err)
		}
	}
}

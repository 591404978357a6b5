package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("shoal demo", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dir := fset.String("dir", filepath.Join(os.TempDir(), "shoal-demo"), "`directory` of the demo warehouse; an existing demo there is reused")
	addr := fset.String("addr", "localhost:8080", "listen `HOST:PORT`")
	generateOnly := fset.Bool("generate-only", false, "generate the warehouse and exit")
	scale := fset.Float64("scale", 1, "size of the demo: 1 is about 2,700 files in 300 partitions")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	if fset.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fset.Arg(0))}
	}
	root, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	// The store lives in a hidden directory of the warehouse, which Hive
	// and Shoal's catalog ignore.
	stateDir := filepath.Join(root, ".shoal")
	if _, err := os.Stat(stateDir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "Generating a demo warehouse in %s ...\n", root)
		start := time.Now()
		m, err := demo.Generate(ctx, demo.Options{Dir: root, Seed: 1, Scale: *scale})
		if err != nil {
			return fmt.Errorf("generate demo: %w", err)
		}
		if err := os.MkdirAll(stateDir, 0o755); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Wrote %d files (%d tables) in %s.\n", m.Files, len(m.Tables), time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "Reusing the demo warehouse in %s.\n", root)
	}
	if *generateOnly {
		return nil
	}

	cfg := config.DefaultConfig()
	if err := config.ApplyEnv(&cfg, os.Environ()); err != nil {
		return err
	}
	cfg.Catalog.URL = "warehouse://" + filepath.ToSlash(root)
	cfg.Store.URL = "sqlite://" + filepath.Join(stateDir, "shoal.db")
	cfg.Server.Addr = *addr
	cfg.Server.EmbeddedWorker = true
	cfg.Policy.SmallFileSize = config.Size(demo.Thresholds.SmallFileSize)
	cfg.Policy.TargetFileSize = config.Size(demo.Thresholds.TargetFileSize)
	cfg.Policy.BlockSize = config.Size(demo.Thresholds.BlockSize)
	if err := cfg.Validate(true); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	m := &Main{Config: cfg, Logger: newLogger(cfg.Log, stderr)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	sc, err := m.StartScan(ctx)
	if err != nil {
		return errors.Join(fmt.Errorf("start the first scan: %w", err), m.Close(ctx))
	}
	fmt.Fprintf(stdout, "\nShoal demo is running: open %s\n(scan %d is running; press Ctrl-C to stop)\n", m.URL(), sc.ID)
	err = m.Wait(ctx)
	return errors.Join(err, m.Close(ctx))
}

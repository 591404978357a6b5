// Command shoal finds and fixes small files in Hive warehouses.
//
// Usage:
//
//	shoal serve   [--config FILE] [--catalog URI] [--store URI] [--addr HOST:PORT]
//	shoal worker  [--config FILE] [--catalog URI] [--store URI]
//	shoal scan    [--config FILE] --catalog URI [--store URI] [--output table|json]
//	shoal demo    [--dir DIR] [--addr HOST:PORT] [--generate-only]
//	shoal migrate [--config FILE] [--store URI] [--status | --to VERSION]
//	shoal fsimage [--output table|json|tsv] [--small-file-size SIZE] FILE
//	shoal plan    [--config FILE] --catalog URI --table DB.TABLE [--partition SPEC]... [--mode M] [--output table|json]
//	shoal merge   [--config FILE] --catalog URI --table DB.TABLE [--partition SPEC]... [--mode auto|concat|rewrite] [--dry-run] [--yes] [--output table|json]
//	shoal rollback [--config FILE] [--store URI] JOB
//	shoal recover [--config FILE] [--store URI]
//	shoal gc      [--config FILE] --catalog URI [--store URI]
//	shoal config  validate [--production] [--env] FILE... | schema
//	shoal healthcheck [--url URL]
//	shoal version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "shoal:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks bad command-line use (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `Shoal finds and fixes small files in Hive warehouses.

Usage: shoal <command> [flags]

Commands:
  serve     run the API, the dashboard and (by default) a job worker
  worker    run job workers (probes and metrics on worker.addr)
  scan      scan a catalog once and print the result
  demo      generate a demo warehouse and serve it
  migrate   create or upgrade the store's tables
  fsimage   analyse an HDFS fsimage file offline
  plan      plan a merge of a table's small files
  merge     merge a table's small files (plan, confirm, run)
  rollback  restore the original files of a merge job
  recover   finish or undo merges a crash interrupted
  gc        purge expired backups and orphaned staging directories
  config    validate config files (config validate FILE...) or print their JSON Schema
  healthcheck  check a probe URL (exit 0 on 2xx), for container health checks
  version   print the version, commit, build date and Go version

Run 'shoal <command> -h' for the flags of a command.
`

// run dispatches a command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, stdout, stderr)
	case "scan":
		return runScan(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "fsimage":
		return runFsimage(ctx, rest, stdout, stderr)
	case "plan":
		return runPlan(ctx, rest, stdout, stderr)
	case "merge":
		return runMerge(ctx, rest, stdout, stderr)
	case "rollback":
		return runRollback(ctx, rest, stdout, stderr)
	case "recover":
		return runRecover(ctx, rest, stdout, stderr)
	case "gc":
		return runGC(ctx, rest, stdout, stderr)
	case "config":
		return runConfig(ctx, rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprint(stdout, versionText())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

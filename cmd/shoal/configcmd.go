package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/shoalhq/shoal/config"
)

const configUsage = `Usage:
  shoal config validate [--production] [--env] [--no-catalog] FILE...
  shoal config schema

validate checks each file: YAML syntax, the JSON Schema
(docs/config.schema.json), then the checks serve and worker apply. It
prints "FILE: ok" or one line per problem, FILE:LINE:COLUMN: SETTING:
MESSAGE, and exits with status 1 when a file has a problem.

schema prints the JSON Schema of the config file.
`

// runConfig runs `shoal config SUBCOMMAND`.
func runConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, configUsage)
		return &usageError{"config needs a subcommand: validate or schema"}
	}
	switch args[0] {
	case "validate":
		return runConfigValidate(args[1:], stdout, stderr)
	case "schema":
		if len(args) > 1 {
			return &usageError{fmt.Sprintf("config schema: unexpected argument %q", args[1])}
		}
		data, err := config.Schema()
		if err != nil {
			return err
		}
		_, err = stdout.Write(data)
		return err
	case "-h", "--help", "help":
		fmt.Fprint(stdout, configUsage)
		return nil
	}
	fmt.Fprint(stderr, configUsage)
	return &usageError{fmt.Sprintf("config: unknown subcommand %q", args[0])}
}

// errInvalidConfig is returned when a file has problems (exit status 1);
// the problems are already printed.
var errInvalidConfig = errors.New("invalid configuration")

func runConfigValidate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shoal config validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	production := fs.Bool("production", false, "also reject secrets written in the file (passwords in URLs, auth tokens, DSNs, webhook URLs and secrets that are not ${NAME} references)")
	useEnv := fs.Bool("env", false, "load as serve does: expand ${NAME} references and apply SHOAL_* variables from the environment")
	noCatalog := fs.Bool("no-catalog", false, "accept a file without any catalog (for migrate, rollback, recover)")
	fs.Usage = func() { fmt.Fprint(stderr, configUsage+"\nFlags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	// Flags may also follow the files.
	var files []string
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		files = append(files, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return &usageError{err.Error()}
		}
	}
	if len(files) == 0 {
		return &usageError{"config validate needs at least one FILE"}
	}
	opts := config.CheckOptions{Production: *production, RequireCatalog: !*noCatalog}
	if *useEnv {
		opts.Environ = os.Environ()
	}
	failed := false
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			failed = true
			continue
		}
		problems := config.Check(data, opts)
		if len(problems) == 0 {
			fmt.Fprintf(stdout, "%s: ok\n", name)
			continue
		}
		failed = true
		for _, p := range problems {
			loc, msg := name, p.Message
			switch {
			case p.Line > 0 && p.Column > 0:
				loc = fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
			case p.Line > 0:
				loc = fmt.Sprintf("%s:%d", name, p.Line)
			}
			if p.Path != "" {
				msg = p.Path + ": " + msg
			}
			fmt.Fprintf(stderr, "%s: %s\n", loc, msg)
		}
	}
	if failed {
		return errInvalidConfig
	}
	return nil
}

// Command genschema writes the JSON Schema of Shoal's config file and the
// settings reference of the configuration guide. It runs through
// `go generate ./config` (make config-schema).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/config/internal/refdoc"
)

func main() {
	schemaPath := flag.String("schema", "", "write the JSON Schema to this `file`")
	guidePath := flag.String("guide", "", "update the settings reference in this Markdown `file`")
	flag.Parse()
	if err := run(*schemaPath, *guidePath); err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}

func run(schemaPath, guidePath string) error {
	data, err := config.Schema()
	if err != nil {
		return err
	}
	if schemaPath != "" {
		if err := os.WriteFile(schemaPath, data, 0o644); err != nil {
			return err
		}
	}
	if guidePath != "" {
		guide, err := os.ReadFile(guidePath)
		if err != nil {
			return err
		}
		ref, err := refdoc.Markdown(data)
		if err != nil {
			return err
		}
		out, err := refdoc.Replace(string(guide), ref)
		if err != nil {
			return err
		}
		if err := os.WriteFile(guidePath, []byte(out), 0o644); err != nil { //nolint:gosec // G703: the path is a go:generate argument
			return err
		}
	}
	return nil
}

// Command gentree writes the benchmark warehouse: tables × partitions ×
// files tiny files under DIR/bench.db (see demo.GenerateTree).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/shoalhq/shoal/demo"
)

func main() {
	dir := flag.String("dir", "", "output `directory` (required)")
	tables := flag.Int("tables", 10, "tables")
	parts := flag.Int("partitions", 10000, "partitions per table")
	files := flag.Int("files", 10, "files per partition")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	if err := demo.GenerateTree(context.Background(), *dir, *tables, *parts, *files); err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gentree: %d files in %s\n", *tables**parts**files, time.Since(start).Round(time.Millisecond))
}

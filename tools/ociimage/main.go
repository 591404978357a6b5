// Command ociimage builds Shoal's container image without a container
// engine: the static binary, CA certificates and a nonroot user in one
// layer on an empty base, written as an OCI image layout and as a tar of
// that layout. Every timestamp comes from SOURCE_DATE_EPOCH (or --created),
// so two builds of the same binary have the same digest.
//
// Usage:
//
//	ociimage --binary bin/shoal --version 1.0.0 --revision abc123 \
//	    --layout .build/image/oci --archive .build/image/shoal.oci.tar
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"
)

// DefaultMaxBytes is the size budget of the compressed image: 40 MB.
const DefaultMaxBytes = 40 * 1000 * 1000

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ociimage:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Binary, "binary", "", "the static shoal `binary` (required)")
	fs.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM `bundle` of CA certificates copied into the image")
	fs.StringVar(&o.Version, "version", "", "image version label (required)")
	fs.StringVar(&o.Revision, "revision", "", "source revision label (required)")
	fs.StringVar(&o.Source, "source", "https://github.com/shoalhq/shoal", "source repository `URL` label")
	fs.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH of the binary")
	created := fs.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "image timestamps as Unix `seconds` (default $SOURCE_DATE_EPOCH)")
	layoutDir := fs.String("layout", "", "write the OCI image layout to this `directory` (replaced; required)")
	archive := fs.String("archive", "", "also write the layout as a tar `file`")
	ref := fs.String("ref", "", "org.opencontainers.image.ref.name of the image in the layout (e.g. 1.0.0)")
	maxBytes := fs.Int64("max-bytes", DefaultMaxBytes, "fail when the compressed image is this many `bytes` or more")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *layoutDir == "" {
		return errors.New("--layout is required")
	}
	if *created == "" {
		return errors.New("--created or SOURCE_DATE_EPOCH is required (reproducible timestamps)")
	}
	secs, err := strconv.ParseInt(*created, 10, 64)
	if err != nil || secs < 0 {
		return fmt.Errorf("--created %q: want Unix seconds", *created)
	}
	o.Created = time.Unix(secs, 0).UTC()

	img, err := Build(o)
	if err != nil {
		return err
	}
	sum, err := Summarize(img)
	if err != nil {
		return err
	}
	if err := CheckSize(sum, *maxBytes); err != nil {
		return err
	}
	if err := WriteLayout(*layoutDir, img, *ref); err != nil {
		return err
	}
	if *archive != "" {
		if err := WriteArchive(*layoutDir, *archive, o.Created); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// CheckSize fails when the compressed image reaches the budget.
func CheckSize(s Summary, maxBytes int64) error {
	if maxBytes > 0 && s.CompressedBytes >= maxBytes {
		return fmt.Errorf("image %s is %d bytes compressed, over the budget of %d bytes", s.Digest, s.CompressedBytes, maxBytes)
	}
	return nil
}

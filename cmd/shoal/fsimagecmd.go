package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/fsimage"
)

// fsimageJSON is the output of `shoal fsimage FILE --output json`. Scripts
// depend on these field names: keep them stable.
type fsimageJSON struct {
	Totals struct {
		Inodes      int64  `json:"inodes"`
		Files       int64  `json:"files"`
		Directories int64  `json:"directories"`
		Symlinks    int64  `json:"symlinks"`
		Bytes       uint64 `json:"bytes"`
		Blocks      int64  `json:"blocks"`
	} `json:"totals"`
	SmallFileBytes uint64         `json:"small_file_bytes"`
	Owners         []fsimageUsage `json:"owners"`
	TopDirectories []fsimageUsage `json:"top_directories"`
}

type fsimageUsage struct {
	Owner      string `json:"owner,omitempty"`
	Path       string `json:"path,omitempty"`
	Files      int64  `json:"files"`
	Bytes      uint64 `json:"bytes"`
	SmallFiles int64  `json:"small_files"`
}

func runFsimage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("shoal fsimage", flag.ContinueOnError)
	fset.SetOutput(stderr)
	output := fset.String("output", "table", "output `format`: table, json, or tsv (like hdfs oiv -p Delimited)")
	small := fset.String("small-file-size", "16MiB", "files below this `size` are small")
	top := fset.Int("top", 20, "how many directories to list, most small files first")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: shoal fsimage [flags] FILE\n\nAnalyses an HDFS fsimage offline, without a NameNode.")
		fset.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var file string
	for rest := args; ; {
		if err := fset.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &usageError{err.Error()}
		}
		if fset.NArg() == 0 {
			break
		}
		if file != "" {
			return &usageError{fmt.Sprintf("unexpected argument %q", fset.Arg(0))}
		}
		file, rest = fset.Arg(0), fset.Args()[1:]
	}
	if file == "" {
		return &usageError{"shoal fsimage needs an fsimage FILE"}
	}
	if *output != "table" && *output != "json" && *output != "tsv" {
		return &usageError{fmt.Sprintf("--output must be table, json or tsv, got %q", *output)}
	}
	threshold, err := config.ParseSize(*small)
	if err != nil {
		return &usageError{"--small-file-size: " + err.Error()}
	}
	if *top < 0 {
		return &usageError{fmt.Sprintf("--top must not be negative, got %d", *top)}
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open fsimage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open fsimage: %w", err)
	}
	im, err := fsimage.Open(f, st.Size())
	if err != nil {
		return fmt.Errorf("read fsimage %s: %w", file, err)
	}
	if *output == "tsv" {
		return writeDelimited(ctx, stdout, im)
	}
	stats, err := im.Stats(uint64(threshold)) //nolint:gosec // ParseSize never returns a negative size
	if err != nil {
		return fmt.Errorf("read fsimage %s: %w", file, err)
	}
	out := fsimageReport(stats, *top)
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeFsimageTable(stdout, file, im, out)
}

// fsimageReport sorts owners by bytes and directories by small files.
func fsimageReport(s *fsimage.Stats, top int) *fsimageJSON {
	out := &fsimageJSON{SmallFileBytes: s.SmallBelow, Owners: []fsimageUsage{}, TopDirectories: []fsimageUsage{}}
	t := s.Totals
	out.Totals.Inodes, out.Totals.Files, out.Totals.Directories = t.Inodes, t.Files, t.Directories
	out.Totals.Symlinks, out.Totals.Bytes, out.Totals.Blocks = t.Symlinks, t.Bytes, t.Blocks
	for name, u := range s.Owners {
		out.Owners = append(out.Owners, fsimageUsage{Owner: name, Files: u.Files, Bytes: u.Bytes, SmallFiles: u.SmallFiles})
	}
	slices.SortFunc(out.Owners, func(a, b fsimageUsage) int {
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return strings.Compare(a.Owner, b.Owner)
	})
	for p, u := range s.Dirs {
		out.TopDirectories = append(out.TopDirectories, fsimageUsage{Path: p, Files: u.Files, Bytes: u.Bytes, SmallFiles: u.SmallFiles})
	}
	slices.SortFunc(out.TopDirectories, func(a, b fsimageUsage) int {
		if c := cmp.Compare(b.SmallFiles, a.SmallFiles); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	if len(out.TopDirectories) > top {
		out.TopDirectories = out.TopDirectories[:top]
	}
	return out
}

func writeFsimageTable(w io.Writer, file string, im *fsimage.Image, r *fsimageJSON) error {
	t := r.Totals
	fmt.Fprintf(w, "%s: layout version %d, transaction %d\n", file, im.LayoutVersion, im.TransactionID)
	fmt.Fprintf(w, "%d inodes: %d files, %d directories, %d symlinks; %s in %d blocks\n\n",
		t.Inodes, t.Files, t.Directories, t.Symlinks, shoal.FormatBytes(int64(min(t.Bytes, 1<<62))), t.Blocks)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "OWNER\tFILES\tSMALL\tBYTES\t")
	for _, o := range r.Owners {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", o.Owner, o.Files, o.SmallFiles, shoal.FormatBytes(int64(min(o.Bytes, 1<<62))))
	}
	fmt.Fprintln(tw, "\t\t\t\t")
	fmt.Fprintln(tw, "DIRECTORY\tFILES\tSMALL\tBYTES\t")
	for _, d := range r.TopDirectories {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", d.Path, d.Files, d.SmallFiles, shoal.FormatBytes(int64(min(d.Bytes, 1<<62))))
	}
	return tw.Flush()
}

// writeDelimited prints one line per inode in the columns of
// `hdfs oiv -p Delimited`.
func writeDelimited(ctx context.Context, w io.Writer, im *fsimage.Image) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintln(bw, "Path\tReplication\tModificationTime\tAccessTime\tPreferredBlockSize\tBlocksCount\tFileSize\tNSQUOTA\tDSQUOTA\tPermission\tUserName\tGroupName")
	const layout = "2006-01-02 15:04"
	at := func(t time.Time) string {
		if t.IsZero() {
			return time.Unix(0, 0).UTC().Format(layout)
		}
		return t.UTC().Format(layout)
	}
	err := im.Walk(func(e fsimage.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(bw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", e.Path, e.Replication, at(e.ModTime), at(e.AccessTime),
			e.PreferredBlockSize, e.Blocks, e.Size, e.NsQuota, e.DsQuota, permString(e.Type, e.Mode), e.User, e.Group)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// permString renders a permission like ls: drwxr-xr-x, with t for sticky.
func permString(t fsimage.Type, mode uint16) string {
	b := []byte("-rwxrwxrwx")
	switch t {
	case fsimage.Directory:
		b[0] = 'd'
	case fsimage.Symlink:
		b[0] = 'l'
	}
	for i := range 9 {
		if mode&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	if mode&0o1000 != 0 {
		if b[9] == 'x' {
			b[9] = 't'
		} else {
			b[9] = 'T'
		}
	}
	return string(b)
}

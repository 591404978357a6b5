// Command genfsimage writes a synthetic HDFS fsimage of a Hive warehouse
// (see fsimage.Generate), and measures how fast the fsimage package
// parses one:
//
//	go run ./bench/genfsimage -files 20000000 -dirs 200000 -out .bench/fsimage-20m.img
//	GOMAXPROCS=1 go run ./bench/genfsimage -parse .bench/fsimage-20m.img -mode stats
//
// With -parse it prints one JSON line: inodes, seconds, inodes per second
// and the peak resident set size of the process (VmHWM).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shoalhq/shoal/fsimage"
)

var codecs = map[string]string{
	"none":   "",
	"zlib":   fsimage.CodecDefault,
	"gzip":   fsimage.CodecGzip,
	"snappy": fsimage.CodecSnappy,
	"lz4":    fsimage.CodecLz4,
	"bzip2":  fsimage.CodecBZip2,
	"zstd":   fsimage.CodecZstd,
}

func main() {
	files := flag.Int("files", 1_000_000, "number of files")
	inodes := flag.Int("inodes", 0, "approximate number of inodes (overrides -files: files = inodes - directories)")
	dirs := flag.Int("dirs", 0, "number of leaf directories (default files/64, or 1% of -inodes)")
	out := flag.String("out", "", "output `file` of the generated image")
	layout := flag.Int("layout", -66, "layout version: -63 (Hadoop 2.7+) or -64/-65/-66 (Hadoop 3)")
	codec := flag.String("codec", "none", "section codec: none, zlib, gzip, snappy, lz4, bzip2 (needs bzip2(1)) or zstd")
	seed := flag.Uint64("seed", 1, "random seed")
	parse := flag.String("parse", "", "parse this image `file` instead of generating one")
	mode := flag.String("mode", "stats", "with -parse: walk (Walk with paths) or stats (Stats fast path)")
	cpuprofile := flag.String("cpuprofile", "", "with -parse: write a CPU profile to `file`")
	flag.Parse()
	var err error
	if *cpuprofile != "" {
		f, perr := os.Create(*cpuprofile)
		if perr == nil {
			perr = pprof.StartCPUProfile(f)
		}
		if perr != nil {
			fmt.Fprintln(os.Stderr, "genfsimage:", perr)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *parse != "" {
		err = runParse(*parse, *mode)
	} else {
		if *inodes > 0 {
			if *dirs == 0 {
				*dirs = max(1, *inodes/100)
			}
			*files = *inodes - *dirs
		}
		err = runGenerate(*out, *files, *dirs, int32(*layout), *codec, *seed)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "genfsimage:", err)
		os.Exit(1)
	}
}

func runGenerate(out string, files, dirs int, layout int32, codec string, seed uint64) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	c, ok := codecs[codec]
	if !ok {
		return fmt.Errorf("unknown -codec %q", codec)
	}
	o := fsimage.GenOptions{Files: files, Dirs: dirs, Seed: seed,
		WriterOptions: fsimage.WriterOptions{LayoutVersion: layout, Codec: c}}
	if c == fsimage.CodecBZip2 {
		o.NewCompressor = bzip2Compressor
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }()
	start := time.Now()
	res, err := fsimage.Generate(f, o)
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "genfsimage: %s: %d inodes (%d files, %d directories, %d small), %d bytes, layout %d, codec %q, in %s\n",
		out, res.Inodes, res.Files, res.Dirs, res.SmallFiles, fi.Size(), layout, codec, time.Since(start).Round(time.Millisecond))
	return nil
}

var bzip2Compressor = fsimage.CommandCompressor("bzip2", "-c", "-9")

type result struct {
	Mode         string  `json:"mode"`
	Image        string  `json:"image"`
	ImageBytes   int64   `json:"image_bytes"`
	Inodes       int64   `json:"inodes"`
	Files        int64   `json:"files"`
	Directories  int64   `json:"directories"`
	Seconds      float64 `json:"seconds"`
	InodesPerSec float64 `json:"inodes_per_sec"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	// InodesPerCPUSec is inodes over user+system CPU time: the figure to
	// compare on a loaded machine, where wall time includes waiting.
	InodesPerCPUSec float64 `json:"inodes_per_cpu_sec"`
	PeakRSSKiB      int64   `json:"peak_rss_kib"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
}

func runParse(path, mode string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := time.Now()
	cpu0 := cpuTime()
	im, err := fsimage.Open(f, fi.Size())
	if err != nil {
		return err
	}
	r := result{Mode: mode, Image: path, ImageBytes: fi.Size(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	switch mode {
	case "walk":
		var t fsimage.Totals
		err = im.Walk(func(e fsimage.Entry) error {
			t.Inodes++
			switch e.Type {
			case fsimage.File:
				t.Files++
			case fsimage.Directory:
				t.Directories++
			}
			return nil
		})
		r.Inodes, r.Files, r.Directories = t.Inodes, t.Files, t.Directories
	case "stats":
		var st *fsimage.Stats
		st, err = im.Stats(16 << 20)
		if err == nil {
			r.Inodes, r.Files, r.Directories = st.Totals.Inodes, st.Totals.Files, st.Totals.Directories
		}
	default:
		return fmt.Errorf("unknown -mode %q (walk or stats)", mode)
	}
	if err != nil {
		return err
	}
	r.Seconds = time.Since(start).Seconds()
	r.InodesPerSec = float64(r.Inodes) / r.Seconds
	r.CPUSeconds = cpuTime() - cpu0
	r.InodesPerCPUSec = float64(r.Inodes) / r.CPUSeconds
	r.PeakRSSKiB = vmHWM()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// cpuTime returns the user plus system CPU seconds of the process.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// vmHWM returns the peak resident set size in KiB from /proc/self/status.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

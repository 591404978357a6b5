#!/usr/bin/env bash
# fsimage parse throughput on one core (GOMAXPROCS=1), for Walk (entries
# with full paths) and Stats (the aggregation fast path), on a synthetic
# warehouse image of about 20 million inodes generated once under .bench/
# by bench/genfsimage (fsimage.Generate). Each parse runs in its own
# process, which reports inodes/s over wall time and over CPU time (the
# fair figure on a shared machine) and its peak RSS (VmHWM).
#
# Then memory vs. files: a second image with the same directories and a
# quarter of the files; peak RSS should be about the same.
#
# Knobs: BENCH_FSIMAGE_DIR (default .bench), FILES (20000000), DIRS
# (200000), CODEC (none; zlib, gzip, snappy, lz4, bzip2, zstd).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_FSIMAGE_DIR:-$(pwd)/.bench}
files=${FILES:-20000000}
dirs=${DIRS:-200000}
codec=${CODEC:-none}
target=2000000
mkdir -p "$dir"
go build -o "$dir/genfsimage" ./bench/genfsimage

big="$dir/fsimage-$((files / 1000000))m-d$((dirs / 1000))k-$codec.img"
small="$dir/fsimage-$((files / 4000000))m-d$((dirs / 1000))k-$codec.img"
[ -s "$big" ] || "$dir/genfsimage" -files "$files" -dirs "$dirs" -codec "$codec" -out "$big"
[ -s "$small" ] || "$dir/genfsimage" -files "$((files / 4))" -dirs "$dirs" -codec "$codec" -out "$small"

report() { # mode image
	local json
	json=$(GOMAXPROCS=1 "$dir/genfsimage" -parse "$2" -mode "$1")
	python3 - "$json" "$target" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); t = float(sys.argv[2])
print(f"{r['mode']:5} {r['inodes']:>10,} inodes  {r['image_bytes']/2**20:8.0f} MiB  "
      f"{r['seconds']:6.2f} s wall {r['inodes_per_sec']/1e6:5.2f} M/s  "
      f"{r['cpu_seconds']:6.2f} s cpu {r['inodes_per_cpu_sec']/1e6:5.2f} M/s "
      f"(x{r['inodes_per_cpu_sec']/t:.2f} of the 2 M/s target; wall x{r['inodes_per_sec']/t:.2f})  "
      f"peak RSS {r['peak_rss_kib']/1024:6.1f} MiB")
PY
}

echo "== fsimage: one core, $(basename "$big")"
report walk "$big"
report stats "$big"
echo "== fsimage: memory vs files (same $dirs leaf directories, 1/4 of the files)"
report stats "$small"
report walk "$small"

#!/usr/bin/env bash
# make bench (merge): Shoal's format mergers against cat(1) and DuckDB on
# the same disk, in one run of bench/duckdb/cmd/mergebench (its own Go
# module, as it needs cgo and DuckDB):
#  1. Parquet, ORC, Avro and text: 1,000 files of about 1 MiB each, merged
#     by `cat` (the floor) and by Shoal concat; Parquet also by Shoal rewrite
#     and DuckDB `COPY (SELECT * FROM read_parquet(...)) TO ... (FORMAT parquet)`;
#     plus the time of Verify on each output.
#  2. Peak RSS of one Parquet merge of about 4 GiB (4,096 inputs), concat and
#     rewrite, each in a child process.
# Inputs are generated once and reused. Knobs: BENCH_MERGE_DIR (default
# .bench/merge); arguments are passed to mergebench (e.g. -quick, -runs 5).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_MERGE_DIR:-$(pwd)/.bench/merge}
mkdir -p "$dir"

echo "== merge: building mergebench (cgo, static DuckDB; the first build takes minutes)"
(cd bench/duckdb && CGO_ENABLED=1 go build -o "$dir/mergebench" ./cmd/mergebench)
"$dir/mergebench" -dir "$dir" "$@"

#!/usr/bin/env bash
# hmsdb enumeration benchmark: every partition of a metastore database
# holding 1,000,000 partitions (the real Hive 4.1.0 schema, generated
# server-side into the local MariaDB and PostgreSQL and kept between runs as
# hms_bench_1m), read through the hmsdb catalog as a scan reads it.
# Target: under 20 s, in constant memory (the peak Go heap is printed).
# Knobs: SHOAL_TEST_MYSQL, SHOAL_TEST_POSTGRES, SHOAL_BENCH_FRESH=1 (rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."

export SHOAL_TEST_MYSQL=${SHOAL_TEST_MYSQL-root@tcp(127.0.0.1:3306)/}
export SHOAL_TEST_POSTGRES=${SHOAL_TEST_POSTGRES-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
target=20

out=$(go test -run '^$' -bench 'BenchmarkPartitions1M' -benchtime 3x -timeout 60m ./hmsdb/)
printf '\n%-12s %10s %14s %12s %14s\n' "hmsdb" "s/enum" "partitions/s" "heap MiB" "vs 20 s"
echo "$out" | awk -v t="$target" '/^BenchmarkPartitions1M/ {
  split($1, n, "/"); sub(/-[0-9]+$/, "", n[2])
  for (i = 1; i <= NF; i++) {
    if ($i == "s/enum") s = $(i-1)
    if ($i == "partitions/s") p = $(i-1)
    if ($i == "peak-heap-MiB") h = $(i-1)
  }
  printf "%-12s %10.2f %14.0f %12.1f %13.2fx\n", n[2], s, p, h, s / t
}'

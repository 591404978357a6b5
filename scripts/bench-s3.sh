#!/usr/bin/env bash
# S3 scan benchmark: Shoal's s3.FS.List over 100,000 small objects in 100
# partition directories on a versitygw gateway (POSIX backend), against a
# plain aws-sdk-go-v2 ListObjectsV2 paginator loop. Target: Shoal <= 1.3x
# the loop. The populated backend is cached in $BENCH_DIR/s3scan-N-P.
# Knobs: BENCH_DIR, BENCH_S3_OBJECTS, BENCH_S3_PARTITIONS,
# BENCH_S3_CONCURRENCY, BENCH_S3_ROUNDS, SHOAL_VERSITYGW.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-$(pwd)/.bench}
mkdir -p "$dir"

if [ -z "${SHOAL_VERSITYGW:-}" ] && [ ! -x "$(go env GOPATH)/bin/versitygw" ] && ! command -v versitygw >/dev/null; then
  echo "== installing versitygw v1.8.0"
  go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

go build -o "$dir/s3scan" ./bench/s3scan
"$dir/s3scan" -dir "$dir" \
  -objects "${BENCH_S3_OBJECTS:-100000}" \
  -partitions "${BENCH_S3_PARTITIONS:-100}" \
  -concurrency "${BENCH_S3_CONCURRENCY:-8}" \
  -rounds "${BENCH_S3_ROUNDS:-5}"

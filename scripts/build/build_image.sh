#!/usr/bin/env bash
# Builds Shoal's container image without a container engine.
#
# 1. the dashboard and the static binary, as `make build` does, with
#    VERSION, COMMIT and DATE injected through ldflags;
# 2. tools/ociimage puts the binary, CA certificates and the nonroot user
#    (uid/gid 65532) in one layer on an empty base and writes an OCI image
#    layout plus a tar of it (an "oci-archive");
# 3. prints the digest and the size, and fails if the compressed image is
#    40 MB or more.
#
# Every timestamp comes from SOURCE_DATE_EPOCH (default: the last commit's
# time), so building the same commit twice gives the same digest.
#
# Environment:
#   VERSION, COMMIT, DATE   build metadata (default from git, as in the Makefile)
#   SOURCE_DATE_EPOCH       image timestamps (default: last commit time)
#   OUT                     output directory (default bin/image)
#   BINARY                  use this static binary instead of running `make build`
#   MAX_BYTES               size budget of the compressed image (default 40000000)
#   CA_CERTS                CA bundle to copy (default /etc/ssl/certs/ca-certificates.crt)
#
# Load the result into an engine elsewhere with, for example:
#   skopeo copy oci-archive:bin/image/shoal-1.0.0.oci.tar docker-daemon:ghcr.io/shoalhq/shoal:1.0.0
set -euo pipefail
cd "$(dirname "$0")/../.."

GO=${GO:-go}
OUT=${OUT:-bin/image}
MAX_BYTES=${MAX_BYTES:-40000000}
CA_CERTS=${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo none)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
DATE=${DATE:-$(date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%dT%H:%M:%SZ)}
export SOURCE_DATE_EPOCH

die() { echo "build_image: $*" >&2; exit 1; }

[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not Unix seconds"
[[ -r $CA_CERTS ]] || die "no CA bundle at $CA_CERTS (install ca-certificates or set CA_CERTS)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"

if [[ -z ${BINARY:-} ]]; then
  echo "== building the dashboard and bin/shoal ($VERSION, $COMMIT, $DATE)"
  make --no-print-directory build VERSION="$VERSION" COMMIT="$COMMIT" DATE="$DATE"
  BINARY=bin/shoal
fi
[[ -x $BINARY ]] || die "$BINARY is not an executable"
if file_out=$(file -b "$BINARY" 2>/dev/null) && [[ $file_out != *"statically linked"* && $file_out != *"static-pie"* ]]; then
  die "$BINARY is not statically linked ($file_out); build it with CGO_ENABLED=0"
fi

mkdir -p "$OUT"
tool=$(realpath "$OUT")/ociimage
echo "== building tools/ociimage"
"$GO" -C tools/ociimage build -trimpath -o "$tool" .

archive="$OUT/shoal-$VERSION.oci.tar"
echo "== assembling the image"
"$tool" \
  --binary "$BINARY" \
  --ca-certs "$CA_CERTS" \
  --version "$VERSION" \
  --revision "$COMMIT" \
  --created "$SOURCE_DATE_EPOCH" \
  --layout "$OUT/oci" \
  --archive "$archive" \
  --ref "$VERSION" \
  --max-bytes "$MAX_BYTES" >"$OUT/summary.json"

digest=$(jq -r .digest "$OUT/summary.json")
compressed=$(jq -r .compressed_bytes "$OUT/summary.json")
uncompressed=$(jq -r .uncompressed_bytes "$OUT/summary.json")
archive_bytes=$(stat -c %s "$archive")
[[ $digest == sha256:* ]] || die "no digest in $OUT/summary.json"
# Checked here again so that the budget does not rest on the tool alone.
if (( compressed >= MAX_BYTES || archive_bytes >= MAX_BYTES )); then
  die "image is $compressed bytes compressed ($archive_bytes bytes as an archive), over the budget of $MAX_BYTES"
fi

printf 'image      ghcr.io/shoalhq/shoal:%s\n' "$VERSION"
printf 'digest     %s\n' "$digest"
awk -v c="$compressed" -v m="$MAX_BYTES" 'BEGIN { printf "compressed %d bytes (%.1f MB, budget %.1f MB)\n", c, c / 1e6, m / 1e6 }'
printf 'rootfs     %d bytes uncompressed\n' "$uncompressed"
printf 'layout     %s\n' "$OUT/oci"
printf 'archive    %s (%d bytes)\n' "$archive" "$archive_bytes"

#!/usr/bin/env bash
# Software bill of materials of a built shoal binary, from the Go build info
# embedded in it (module paths, versions and sums), with syft. Offline: syft
# reads the binary only and its update check is off.
#
#   SYFT=path/to/syft scripts/release/sbom.sh BINARY OUTDIR
#
# Writes OUTDIR/shoal.spdx.json (SPDX 2.3) and OUTDIR/shoal.cdx.json
# (CycloneDX), then checks that both list the main module and every module
# `go version -m` reports for the binary.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
bin=$1 out=$2
syft=${SYFT:-syft}
[ -f "$bin" ] || { echo "sbom: no binary at $bin" >&2; exit 2; }
command -v "$syft" >/dev/null || { echo "sbom: syft not found (make tool-syft)" >&2; exit 2; }
mkdir -p "$out"

# No network: no update check, no remote enrichment.
export SYFT_CHECK_FOR_APP_UPDATE=false
export SYFT_GOLANG_SEARCH_REMOTE_LICENSES=false
export SYFT_ENRICH=""

name=$(basename "$bin")
"$syft" scan "file:$bin" --quiet --source-name shoal \
  -o "spdx-json=$out/$name.spdx.json" -o "cyclonedx-json=$out/$name.cdx.json"

# Every module of the build info must be in both documents.
missing=0
mods=$(go version -m "$bin" | awk '$1 == "mod" || $1 == "dep" { print $2 }')
count=$(wc -l <<<"$mods")
for f in "$out/$name.spdx.json" "$out/$name.cdx.json"; do
  for m in $mods; do
    if ! grep -q "\"$m\"" "$f"; then
      echo "sbom: $f does not list $m" >&2
      missing=$((missing + 1))
    fi
  done
done
grep -q '"spdxVersion": *"SPDX-2' "$out/$name.spdx.json" || { echo "sbom: $name.spdx.json is not SPDX 2.x" >&2; exit 1; }
grep -q '"bomFormat": *"CycloneDX"' "$out/$name.cdx.json" || { echo "sbom: $name.cdx.json is not CycloneDX" >&2; exit 1; }
[ "$missing" -eq 0 ] || exit 1
echo "sbom: $out/$name.spdx.json and $out/$name.cdx.json list all $count modules of the build info"

#!/usr/bin/env bash
# Installs a pinned Go tool into TOOLS_BIN unless the binary there was
# already built from that version (read from its embedded build info, so a
# binary of another version, or a foreign one, is replaced).
#
#   scripts/release/tool.sh NAME PACKAGE VERSION [TOOL_MODULE_DIR]
#
# NAME is the binary's file name, PACKAGE its main package and VERSION the
# version of the module that holds it. With TOOL_MODULE_DIR the tool is built
# from that small module (its go.mod pins the version and carries upstream's
# replace lines, which `go install pkg@version` refuses); otherwise with
# `go install PACKAGE@VERSION`.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 NAME PACKAGE VERSION [TOOL_MODULE_DIR]" >&2
  exit 2
fi
name=$1 pkg=$2 version=$3 dir=${4:-}
bindir=${TOOLS_BIN:-$(go env GOPATH)/bin}
bin=$bindir/$name

# installed prints "yes" when $bin is PACKAGE built from VERSION of a module
# that contains it.
installed() {
  [ -x "$bin" ] || return 1
  go version -m "$bin" 2>/dev/null | awk -v pkg="$pkg" -v ver="$version" '
    $1 == "path" && $2 == pkg { path = 1 }
    ($1 == "mod" || $1 == "dep") && $3 == ver && (pkg == $2 || index(pkg, $2 "/") == 1) { mod = 1 }
    END { exit !(path && mod) }'
}

if installed; then
  exit 0
fi
mkdir -p "$bindir"
start=$(date +%s)
if [ -n "$dir" ]; then
  echo "installing $name $version from the tool module $dir"
  (cd "$dir" && go build -trimpath -o "$bin" "$pkg")
else
  echo "installing $name $version"
  GOBIN=$bindir go install "$pkg@$version"
fi
if ! installed; then
  echo "tool: $bin is not $pkg $version after the install" >&2
  exit 1
fi
echo "installed $name $version in $(($(date +%s) - start)) s"

#!/usr/bin/env bash
# Extracts a tool from a Debian package without installing it:
#   deb_tool.sh PACKAGE UPSTREAM_VERSION DEST
# downloads PACKAGE with `apt-get download`, checks that its upstream
# version is UPSTREAM_VERSION (Debian revisions such as +deb12u1 may
# change with security updates), and unpacks it into DEST with
# `dpkg-deb -x`. Used for promtool and amtool (mk/monitoring.mk).
set -euo pipefail

[[ $# == 3 ]] || { echo "usage: $0 PACKAGE UPSTREAM_VERSION DEST" >&2; exit 2; }
pkg=$1 want=$2 dest=$3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt's download sandbox user must be able to write there.
chmod 0755 "$tmp"

download() { (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.log"); }
if ! download; then
  # A fresh machine has no package lists yet.
  apt-get update -qq >/dev/null 2>&1 || true
  download || { cat "$tmp/apt.log" >&2; echo "deb_tool: cannot download $pkg" >&2; exit 1; }
fi
deb=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
[[ -n $deb ]] || { echo "deb_tool: apt-get download left no ${pkg}_*.deb" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
upstream=${version#*:}
upstream=${upstream%%[+-]*}
if [[ $upstream != "$want" ]]; then
  echo "deb_tool: $pkg is $version in the archive, want upstream $want" >&2
  exit 1
fi
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "deb_tool: $pkg $version extracted into $dest"

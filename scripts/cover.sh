#!/usr/bin/env bash
# Statement coverage of Shoal's shipped Go code, from a Go coverage profile.
#
#   scripts/cover.sh [-m MIN] [-q] PROFILE
#
# PROFILE is written by `go test -coverprofile=PROFILE -coverpkg=./... ./...`
# (several test binaries append to one profile, so a block can appear many
# times: it counts as covered when any test binary ran it).
#
# Prints the coverage of each package, most uncovered statements first, and
# the total over the packages that count; exits 1 when the total is below MIN
# percent (default 80), 2 on bad use.
#
# What does not count (see RELEASING.md, "Coverage gate"):
#   - generated code: http/api (oapi-codegen);
#   - code that is not linked into the shoal binary because it exists only to
#     test or benchmark it: the contract suites and fake servers (fstest,
#     hms/hmstest, hiveserver/hs2test, s3/s3test, store/storetest,
#     merge/mergetest), the tests' independent row reader
#     (merge/internal/rows), internal/realdata, and the benchmark programs
#     under bench/, and the go:generate program config/internal/genschema.
# The script checks that claim: an excluded package other than the generated
# one that the binary links fails the run, so nothing shipped can hide here.
set -euo pipefail

min=80
quiet=0
usage() {
  echo "usage: $0 [-m MIN_PERCENT] [-q] PROFILE" >&2
  exit 2
}
while getopts "m:q" opt; do
  case $opt in
  m) min=$OPTARG ;;
  q) quiet=1 ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
profile=$1
if ! [[ $min =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "cover: -m wants a percentage, got '$min'" >&2
  exit 2
fi
if [ ! -s "$profile" ]; then
  echo "cover: profile $profile is missing or empty: run the tests with -coverprofile first" >&2
  exit 2
fi
if ! head -1 "$profile" | grep -q '^mode: '; then
  echo "cover: $profile is not a Go coverage profile (no 'mode:' line)" >&2
  exit 2
fi

cd "$(dirname "$0")/.."
module=$(awk '$1 == "module" { print $2; exit }' go.mod)
[ -n "$module" ] || { echo "cover: no module line in go.mod" >&2; exit 2; }

# Package paths relative to the module, as regular expressions.
generated='^http/api$'
not_shipped='^(config/internal/genschema|fstest|hms/hmstest|hiveserver/hs2test|s3/s3test|store/storetest|merge/mergetest|merge/internal/rows|internal/realdata|bench(/.*)?)$'

if command -v go >/dev/null 2>&1; then
  if ! deps=$(go list -deps ./cmd/shoal); then
    echo "cover: cannot list the packages linked into cmd/shoal (see go list's error above)" >&2
    exit 2
  fi
  shipped=$(awk -v m="$module" '$0 == m { print "."; next } index($0, m "/") == 1 { print substr($0, length(m) + 2) }' <<<"$deps")
  leaked=$(grep -E "$not_shipped" <<<"$shipped" || true)
  if [ -n "$leaked" ]; then
    echo "cover: excluded as not shipped, but linked into cmd/shoal: $leaked" >&2
    echo "cover: remove it from the exclusions in $0" >&2
    exit 1
  fi
fi

report=$(awk -v module="$module" -v gen="$generated" -v skip="$not_shipped" '
  /^mode: / { next }                    # one per concatenated profile
  {
    # path/name.go:L.C,L.C STATEMENTS COUNT
    file = $1
    sub(/:[^:]*$/, "", file)
    pkg = file
    sub(/\/[^\/]*$/, "", pkg)
    if (pkg == module) { rel = "." } else if (index(pkg, module "/") == 1) { rel = substr(pkg, length(module) + 2) } else { next }
    if (!($1 in stmts)) { stmts[$1] = $2; pkgof[$1] = rel }
    if ($3 > 0) { hit[$1] = 1 }
  }
  END {
    for (b in stmts) {
      p = pkgof[b]
      total[p] += stmts[b]
      if (b in hit) { covered[p] += stmts[b] }
    }
    for (p in total) {
      why = "-"
      if (p ~ gen) { why = "generated" } else if (p ~ skip) { why = "not-shipped" }
      printf "%d %s %d %d %s\n", total[p] - covered[p], p, covered[p] + 0, total[p], why
    }
  }
' "$profile" | sort -k1,1nr -k2,2)

if [ -z "$report" ]; then
  echo "cover: no statements of $module in $profile" >&2
  exit 2
fi

# Counted statements and the total percentage, to one decimal.
read -r covered all < <(awk '$5 == "-" { c += $3; a += $4 } END { print c + 0, a + 0 }' <<<"$report")
if [ "$all" -eq 0 ]; then
  echo "cover: every package in $profile is excluded" >&2
  exit 2
fi
total=$(awk -v c="$covered" -v a="$all" 'BEGIN { printf "%.1f", 100 * c / a }')

if [ "$quiet" -eq 0 ]; then
  printf '%-26s %8s %8s %8s  %s\n' PACKAGE MISSED STMTS COVERAGE NOTE
  while read -r missed pkg cov stmts why; do
    pct=$(awk -v c="$cov" -v a="$stmts" 'BEGIN { if (a == 0) print "-"; else printf "%.1f%%", 100 * c / a }')
    note=""
    [ "$why" = "-" ] || note="excluded: $why"
    printf '%-26s %8d %8d %8s  %s\n' "$pkg" "$missed" "$stmts" "$pct" "$note"
  done <<<"$report"
fi
echo "total: ${total}% of ${all} statements in shipped, non-generated packages (${covered} covered; gate ${min}%)"
if awk -v t="$covered" -v a="$all" -v m="$min" 'BEGIN { exit !(100 * t < m * a) }'; then
  echo "cover: FAIL: coverage ${total}% is below ${min}%" >&2
  exit 1
fi

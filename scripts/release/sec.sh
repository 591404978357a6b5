#!/usr/bin/env bash
# Security gate (`make sec`): standalone gosec over the main module with the
# exclusions of .golangci.yml, then govulncheck when a vulnerability
# database is available offline.
#
#   GOSEC=path/to/gosec GOVULNCHECK=path/to/govulncheck scripts/release/sec.sh
#
# gosec honours `#nosec` comments but not golangci-lint's `//nolint:gosec`,
# which this code base uses (with a reason) so that `make lint` and this gate
# agree: findings on a line that carries `nolint:gosec`, or right below a
# comment line that does, are counted as suppressed and listed with -v.
#
# SHOAL_VULNDB names a local copy of the Go vulnerability database (the
# directory holding index/ and ID/, as vuln.go.dev serves it). Without it
# govulncheck is skipped and the script says so: this machine cannot reach
# vuln.go.dev.
set -euo pipefail
cd "$(dirname "$0")/../.."

gosec=${GOSEC:-gosec}
govulncheck=${GOVULNCHECK:-govulncheck}
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

# The same rules as .golangci.yml: global excludes, per-path exclusions.
global_excludes=G104,G304,G301,G306
module=$(go list -m)
mapfile -t all < <(go list ./... | sed "s#^$module#.#")
plain=() fsimage=() demo=()
for p in "${all[@]}"; do
  case $p in
  ./bench | ./bench/* | ./fstest | */hmstest | */hs2test | */s3test) ;; # not scanned, as in .golangci.yml
  ./fsimage | ./fsimage/*) fsimage+=("$p") ;;
  ./demo | ./demo/*) demo+=("$p") ;;
  *) plain+=("$p") ;;
  esac
done

report=$(mktemp)
trap 'rm -f "$report"' EXIT
run_gosec() {
  local excludes=$1
  shift
  [ $# -gt 0 ] || return 0
  # -no-fail: the findings are judged below, after nolint suppressions.
  "$gosec" -quiet -no-fail -fmt golint -exclude="$excludes" "$@" >>"$report"
}
echo "gosec: $(("${#plain[@]}" + "${#fsimage[@]}" + "${#demo[@]}")) packages (excluded rules $global_excludes; G115 also in fsimage/, G115 and G404 also in demo/)"
run_gosec "$global_excludes" "${plain[@]}"
run_gosec "$global_excludes,G115" "${fsimage[@]}"
run_gosec "$global_excludes,G115,G404" "${demo[@]}"

findings=0 suppressed=0
while IFS= read -r line; do
  [[ $line =~ ^(.+\.go):([0-9]+):[0-9]+:\ (.*)$ ]] || continue
  file=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]} msg=${BASH_REMATCH[3]}
  here=$(sed -n "${n}p" "$file")
  above=$(sed -n "$((n > 1 ? n - 1 : 1))p" "$file")
  if [[ $here == *nolint:gosec* ]] || [[ $above =~ ^[[:space:]]*//.*nolint:gosec ]]; then
    suppressed=$((suppressed + 1))
    [ "$verbose" -eq 0 ] || echo "  suppressed by nolint:gosec: ${file#"$PWD"/}:$n: $msg"
    continue
  fi
  findings=$((findings + 1))
  echo "  ${file#"$PWD"/}:$n: $msg"
done <"$report"
echo "gosec: $findings findings, $suppressed suppressed by a justified nolint:gosec"

status=0
[ "$findings" -eq 0 ] || status=1

if [ -n "${SHOAL_VULNDB:-}" ]; then
  if [ ! -d "$SHOAL_VULNDB" ]; then
    echo "sec: SHOAL_VULNDB=$SHOAL_VULNDB is not a directory" >&2
    exit 2
  fi
  db=$(cd "$SHOAL_VULNDB" && pwd)
  echo "govulncheck: database file://$db"
  "$govulncheck" -db "file://$db" ./... || status=1
else
  echo "govulncheck skipped: no vulnerability database reachable offline (set SHOAL_VULNDB)"
fi
exit "$status"

#!/usr/bin/env bash
# Checks the Alertmanager routing tree with amtool's own router:
#   test_alert_routes.sh AMTOOL CONFIG
# Each severity must reach exactly the receiver the monitoring guide names,
# and a wrong expectation must be rejected (so the check can fail).
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: $0 AMTOOL CONFIG" >&2; exit 2; }
amtool=$1 config=$2
fails=0

# (amtool warns that --config.file overrides --alertmanager.url: dropped.)
route() { "$amtool" config routes test --config.file="$config" "$@" 2>/dev/null; }

expect() {
  local want=$1; shift
  local got
  got=$(route "$@")
  if [[ $got == "$want" ]]; then
    echo "ok   $* -> $got"
  else
    echo "FAIL $* -> $got, want $want" >&2
    fails=$((fails + 1))
  fi
  # amtool's own verification agrees, and refuses a wrong receiver.
  route --verify.receivers="$want" "$@" >/dev/null || { echo "FAIL amtool --verify.receivers=$want $*" >&2; fails=$((fails + 1)); }
  if route --verify.receivers=no-such-receiver "$@" >/dev/null 2>&1; then
    echo "FAIL amtool accepted a wrong receiver for $*" >&2
    fails=$((fails + 1))
  fi
}

expect oncall-p0 alertname=ShoalStoreDown severity=P0 component=store
expect oncall-p0 alertname=ShoalAPIHighErrorRate severity=P0 component=api job=shoal-serve
expect team-p1 alertname=ShoalJobStuck severity=P1 component=jobs kind=merge
expect team-p1 alertname=ShoalMergeValidationFailed severity=P1 component=merge catalog=default
expect email-tickets alertname=ShoalScanStale severity=P2 component=scan catalog=default
expect email-tickets alertname=SomethingElse

if ((fails)); then
  echo "$fails routing checks failed" >&2
  exit 1
fi
echo "alert routing: all checks passed"

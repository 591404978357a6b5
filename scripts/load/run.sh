#!/usr/bin/env bash
# Load test (`make test-load`): builds shoal, generates the demo warehouse,
# starts a real `shoal serve` on the loopback interface, runs one scan and
# then k6 (scripts/load/k6.js) against the read endpoints. Prints throughput
# and latency percentiles; exits non-zero when a k6 threshold is crossed.
#
# Environment:
#   K6            the k6 binary (default: k6 on PATH)
#   SHOAL_BINARY  a prebuilt shoal binary (default: build one)
#   SHOAL_LOAD_ADDR  listen address (default 127.0.0.1:18089; loopback only)
#   VUS, DURATION, P95_MS, P99_MS  passed to k6.js (defaults 20, 30s, 250, 500)
#   SHOAL_LOAD_SUMMARY  where to keep k6's JSON summary (default: discarded)
set -euo pipefail
cd "$(dirname "$0")/../.."

k6=${K6:-k6}
addr=${SHOAL_LOAD_ADDR:-127.0.0.1:18089}
case $addr in
127.* | localhost:* | "[::1]":*) ;;
*)
  echo "load: SHOAL_LOAD_ADDR must be a loopback address, got $addr" >&2
  exit 2
  ;;
esac
command -v "$k6" >/dev/null || { echo "load: k6 not found (make tool-k6)" >&2; exit 2; }
command -v curl >/dev/null || { echo "load: curl not found" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid"
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${SHOAL_BINARY:-}" ]; then
  bin=$SHOAL_BINARY
else
  bin=$work/shoal
  echo "== building shoal"
  CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/shoal
fi

echo "== generating the demo warehouse"
env -i PATH="$PATH" HOME="$HOME" "$bin" demo --generate-only --dir "$work/warehouse"

base=http://$addr
if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then
  echo "load: something already answers on $addr; set SHOAL_LOAD_ADDR" >&2
  exit 2
fi
echo "== starting shoal serve on $addr"
# A clean environment: only the settings below configure the server. The
# demo's thresholds, no auth tokens (the read endpoints need none).
env -i PATH="$PATH" HOME="$HOME" \
  SHOAL_POLICY_SMALL_FILE_SIZE=1MiB SHOAL_POLICY_TARGET_FILE_SIZE=4MiB \
  SHOAL_WORKER_ADDR="${addr%:*}:$((${addr##*:} + 1))" SHOAL_LOG_LEVEL=warn \
  "$bin" serve --catalog "warehouse://$work/warehouse" --store "sqlite://$work/shoal.db" --addr "$addr" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for i in $(seq 1 300); do
  curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "load: shoal serve exited:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  [ "$i" -lt 300 ] || { echo "load: server not ready after 60 s" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done

echo "== scanning"
scan=$(curl -fsS -X POST "$base/api/v1/scans")
id=$(sed -E 's/.*"id":([0-9]+).*/\1/' <<<"$scan")
[[ $id =~ ^[0-9]+$ ]] || { echo "load: no scan id in $scan" >&2; exit 1; }
state=""
for _ in $(seq 1 600); do
  state=$(curl -fsS "$base/api/v1/scans/$id" | sed -E 's/.*"state":"([a-z]+)".*/\1/')
  case $state in succeeded | failed | cancelled) break ;; esac
  sleep 0.2
done
if [ "$state" != succeeded ]; then
  echo "load: scan $id ended $state" >&2
  cat "$work/server.log" >&2
  exit 1
fi
curl -fsS "$base/api/v1/summary" | sed -E 's/.*"totals":\{[^}]*"files":([0-9]+).*/scan '"$id"' succeeded: \1 files/'

echo "== k6 ($("$k6" version | head -1)): ${VUS:-20} virtual users for ${DURATION:-30s}"
summary=${SHOAL_LOAD_SUMMARY:-$work/summary.json}
set +e
SHOAL_URL=$base SUMMARY_JSON=$summary "$k6" run --quiet --no-usage-report scripts/load/k6.js
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "load: FAIL: k6 exited $rc (99 means a threshold was crossed)" >&2
  exit 1
fi
echo "load: ok"

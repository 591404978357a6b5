#!/usr/bin/env bash
# End-to-end test of Shoal: build the web app and the binary, generate the
# demo warehouse, record the expected figures with `shoal scan`, start
# `shoal serve` on an empty store, and drive the dashboard with headless
# Chromium (web/e2e/dashboard.e2e.mjs): Scan now, then compare every table's
# files and small files, and the totals, with the expected scan.
#
# Environment (all optional):
#   PORT             port for shoal serve (default: a free one)
#   SKIP_WEB_BUILD   1 to use the existing web/dist instead of rebuilding it
#   KEEP_TMP         1 to keep the temporary directory for inspection
#   E2E_SCREENSHOT where to save the dashboard screenshot (default web/test-results/dashboard.png)
#   E2E_SHOTS_DIR  where to save the screenshots of the operations guides
#                  (default web/test-results/ops; `make screenshots` writes
#                  them into docs/operations/img)
#   CHROMIUM_PATH    the browser (default /usr/bin/chromium)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[e2e.sh] %s\n' "$*" >&2; }
die() {
	log "FAILED: $*"
	exit 1
}

command -v go >/dev/null || die "go is not installed"
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/shoal-e2e.XXXXXX")"
SERVER_PID=""

cleanup() {
	local rc=$?
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ $rc -ne 0 && -s "$TMP/serve.log" ]]; then
		log "last lines of the server log ($TMP/serve.log):"
		tail -n 40 "$TMP/serve.log" >&2 || true
	fi
	if [[ "${KEEP_TMP:-0}" == 1 || $rc -ne 0 ]]; then
		log "temporary files kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT

# The binary embeds web/dist, so the web app is built first.
if [[ "${SKIP_WEB_BUILD:-0}" != 1 ]]; then
	if [[ ! -d web/node_modules ]]; then
		log "installing web dependencies (npm ci)"
		npm --prefix web ci --no-audit --no-fund
	fi
	log "building the web app"
	npm --prefix web run --silent build
fi
[[ -f web/dist/index.html ]] || die "web/dist/index.html is missing: build the web app (npm --prefix web run build)"
[[ -d web/node_modules/playwright-core ]] || die "web/node_modules/playwright-core is missing: run npm --prefix web ci"

log "building bin/shoal"
go build -o bin/shoal ./cmd/shoal

# Scan with the demo's thresholds (demo.Thresholds), as `shoal demo` does,
# so that healthy tables look healthy.
export SHOAL_POLICY_SMALL_FILE_SIZE=1MiB SHOAL_POLICY_TARGET_FILE_SIZE=4MiB

log "generating the demo warehouse in $TMP/wh"
bin/shoal demo --dir "$TMP/wh" --generate-only

log "recording the expected figures with shoal scan"
bin/shoal scan --catalog "warehouse://$TMP/wh" --store "sqlite://$TMP/expected.db" --output json >"$TMP/expected.json"
[[ -s "$TMP/expected.json" ]] || die "shoal scan wrote no JSON"

if [[ -z "${PORT:-}" ]]; then
	PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
fi
BASE="http://127.0.0.1:$PORT"

log "starting shoal serve on $BASE"
bin/shoal serve --catalog "warehouse://$TMP/wh" --store "sqlite://$TMP/e2e.db" --addr "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!

ready() {
	node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$BASE/readyz"
}
deadline=$((SECONDS + 60))
until ready; do
	kill -0 "$SERVER_PID" 2>/dev/null || die "shoal serve exited before it was ready"
	((SECONDS < deadline)) || die "shoal serve was not ready within 60 s ($BASE/readyz)"
	sleep 0.5
done
log "server ready"

SHOT="${E2E_SCREENSHOT:-$ROOT/web/test-results/dashboard.png}" # docs/img/dashboard.png is refreshed by hand from it
[[ "$SHOT" == /* ]] || SHOT="$ROOT/$SHOT"
mkdir -p "$(dirname "$SHOT")"
SHOTS="${E2E_SHOTS_DIR:-$ROOT/web/test-results/ops}"
[[ "$SHOTS" == /* ]] || SHOTS="$ROOT/$SHOTS"
SHOAL_URL="$BASE" SHOAL_EXPECTED="$TMP/expected.json" E2E_SCREENSHOT="$SHOT" E2E_SHOTS_DIR="$SHOTS" \
	npm --prefix web run --silent e2e
log "PASSED (screenshot: $SHOT)"

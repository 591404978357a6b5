#!/usr/bin/env bash
# Smoke test of the image written by build_image.sh, without a container
# engine: unpack its only layer into a root file system, then, in a private
# network and mount namespace, run it the way a runtime would:
#
#   - the root file system read-only, a writable /data and /tmp mounted
#     over it (as docker-compose.prod.yml and the Helm chart do), /proc;
#   - the image's Entrypoint, Env and User read from the image config, run
#     with `chroot --userspec=65532:65532`;
#   - `shoal version`, then a demo warehouse generated under /data and
#     `shoal serve` on it with a SQLite store in /data;
#   - the image's HEALTHCHECK command (`/shoal healthcheck`) must exit 0,
#     /readyz and /metrics must answer, and the server must run as
#     uid/gid 65532 (/proc/PID/status).
#
# Needs root, unshare, chroot, ip, mount, tar and jq. Without them it skips,
# unless SHOAL_REQUIRE_INTEGRATION=1, when it fails.
#
# Environment: LAYOUT (default bin/image/oci), SMOKE_TIMEOUT seconds (default 60).
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.."

LAYOUT=${LAYOUT:-bin/image/oci}
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-60}
ADDR=127.0.0.1:8080

die() { echo "smoke_image: FAIL: $*" >&2; exit 1; }
skip() {
  if [[ ${SHOAL_REQUIRE_INTEGRATION:-} == 1 ]]; then
    die "$* (SHOAL_REQUIRE_INTEGRATION=1)"
  fi
  echo "smoke_image: SKIP: $*"
  exit 0
}

# inside runs in the new namespaces; everything it needs is exported.
inside() {
  local rootfs=$SMOKE_ROOTFS work=$SMOKE_WORK
  local -a image_env entrypoint health
  mapfile -t image_env <"$work/env"
  mapfile -t entrypoint <"$work/entrypoint"
  mapfile -t health <"$work/health"
  local user=$SMOKE_USER
  # Global, not local: the EXIT trap runs after this function returns.
  pid=

  local chroot_bin
  chroot_bin=$(command -v chroot)
  # Only the image's environment reaches the process, as in a container.
  run_image() { env -i "${image_env[@]}" "$chroot_bin" --userspec="$user" "$rootfs" "$@"; }
  stop() {
    if [[ -n ${pid:-} ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  }
  trap stop EXIT

  ip link set lo up
  # A read-only root with the writable mounts on top, like read_only: true.
  mount --bind "$rootfs" "$rootfs"
  mount -o remount,bind,ro "$rootfs"
  mount --bind "$work/data" "$rootfs/data"
  mount --bind "$work/tmp" "$rootfs/tmp"
  mount -t proc proc "$rootfs/proc"
  if touch "$rootfs/should-fail" 2>/dev/null; then
    die "the root file system is writable"
  fi

  local out
  out=$(run_image "${entrypoint[@]}" version) || die "shoal version failed"
  echo "version: $out"
  [[ $out == "shoal $SMOKE_VERSION "* ]] || die "version output $out does not name $SMOKE_VERSION"

  run_image "${entrypoint[@]}" demo --generate-only --scale 0.05 --dir /data/demo >"$work/demo.log" 2>&1 \
    || { cat "$work/demo.log"; die "shoal demo --generate-only failed"; }

  # A simple command, not the function: $! must be the process that execs
  # env -> chroot -> /shoal, not a subshell.
  env -i "${image_env[@]}" "$chroot_bin" --userspec="$user" "$rootfs" \
    "${entrypoint[@]}" serve --catalog warehouse:///data/demo \
    --store sqlite:///data/shoal.db --addr "$ADDR" >"$work/serve.log" 2>&1 &
  pid=$!

  local healthy=0
  for _ in $(seq 1 "$SMOKE_TIMEOUT"); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log"; die "shoal serve exited"; }
    if run_image "${health[@]}" >/dev/null 2>&1; then healthy=1; break; fi
    sleep 1
  done
  if (( ! healthy )); then
    cat "$work/serve.log"
    run_image "${health[@]}" || true
    die "the image's health check (${health[*]}) did not pass within ${SMOKE_TIMEOUT}s"
  fi
  echo "healthcheck: ${health[*]} exited 0"

  for path in /readyz /metrics; do
    run_image "${entrypoint[@]}" healthcheck --url "http://$ADDR$path" \
      || { cat "$work/serve.log"; die "GET $path did not answer 2xx"; }
    echo "GET $path: 2xx"
  done

  local uids gids
  uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
  gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
  [[ $uids == "65532 65532 65532 65532" ]] || die "serve runs with uids $uids, want 65532"
  [[ $gids == "65532 65532 65532 65532" ]] || die "serve runs with gids $gids, want 65532"
  echo "serve (pid $pid) runs as uid $uids, gid $gids"

  [[ -s $work/data/shoal.db ]] || die "no SQLite store was written to /data"
  stop
  pid=
  echo "smoke_image: OK"
}

if [[ ${1:-} == __inside ]]; then
  inside
  exit
fi

[[ $(id -u) == 0 ]] || skip "needs root for unshare, chroot and mount"
for tool in unshare chroot ip mount tar jq sha256sum; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
unshare --net --mount true 2>/dev/null || skip "unshare --net --mount is not permitted here"
[[ -f $LAYOUT/index.json ]] || die "no OCI layout at $LAYOUT: run scripts/build/build_image.sh first"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

blob() {
  local d=$1
  [[ $d =~ ^sha256:[0-9a-f]{64}$ ]] || die "bad digest $d"
  local f="$LAYOUT/blobs/sha256/${d#sha256:}"
  [[ -f $f ]] || die "blob $d missing from $LAYOUT"
  [[ $(sha256sum "$f" | cut -d' ' -f1) == "${d#sha256:}" ]] || die "blob $d does not match its digest"
  echo "$f"
}

[[ $(jq '.manifests | length' "$LAYOUT/index.json") == 1 ]] || die "the layout should hold one image"
manifest=$(blob "$(jq -r '.manifests[0].digest' "$LAYOUT/index.json")")
config=$(blob "$(jq -r .config.digest "$manifest")")
[[ $(jq '.layers | length' "$manifest") == 1 ]] || die "the image should have one layer"
layer=$(blob "$(jq -r '.layers[0].digest' "$manifest")")

user=$(jq -r .config.User "$config")
[[ $user == 65532:65532 ]] || die "image user is $user, want 65532:65532"
jq -r '.config.Env[]' "$config" >"$work/env"
jq -r '.config.Entrypoint[]' "$config" >"$work/entrypoint"
[[ $(head -1 "$work/entrypoint") == /shoal ]] || die "entrypoint is not /shoal"
[[ $(jq -r '.config.Healthcheck.Test[0]' "$config") == CMD ]] || die "the health check is not an exec (CMD) check"
jq -r '.config.Healthcheck.Test[1:][]' "$config" >"$work/health"
version=$(jq -r '.config.Labels["org.opencontainers.image.version"]' "$config")

rootfs=$work/rootfs
mkdir -p "$rootfs" "$work/data" "$work/tmp"
tar -xzf "$layer" -C "$rootfs" --same-owner --same-permissions --numeric-owner
[[ $(stat -c '%a %u' "$rootfs/shoal") == "755 0" ]] || die "/shoal is $(stat -c '%a %u' "$rootfs/shoal"), want 755 owned by root"
[[ $(stat -c '%u:%g' "$rootfs/data") == 65532:65532 ]] || die "/data is not owned by 65532"
# The runtime creates the /proc mount point; the writable mounts are fresh
# directories owned by the image's user.
mkdir -p "$rootfs/proc"
chown 65532:65532 "$work/data" "$work/tmp"
chmod 1777 "$work/tmp"

echo "smoke_image: $(jq -r '.manifests[0].digest' "$LAYOUT/index.json") ($version) in a private network namespace"
SMOKE_ROOTFS=$rootfs SMOKE_WORK=$work SMOKE_USER=$user SMOKE_VERSION=$version \
  unshare --net --mount --propagation private -- "$SELF" __inside

#!/usr/bin/env bash
# Install or upgrade Shoal on Kubernetes with the Helm chart.
#
#   scripts/deploy/deploy_k8s.sh [options]
#
# Runs `helm upgrade --install --atomic --wait` (--rollback-on-failure with
# Helm 4): the pre-upgrade hook
# migrates the store first, and if the migration, the new pods' readiness
# or anything else fails before the timeout, Helm rolls the release back to
# the previous revision. With --dry-run nothing touches a cluster: the chart
# is linted and rendered, and the rendered objects are decoded strictly and
# checked by the Go tests of deploy/validate.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/deploy/deploy_k8s.sh [options]

Install or upgrade the Shoal Helm chart (helm upgrade --install --atomic --wait).

Options:
  -n, --namespace NS      Kubernetes namespace (default: shoal; created if missing)
  -r, --release NAME      Helm release name (default: shoal)
  -f, --values FILE       Values file; repeatable, applied in order
                          (default: deploy/helm/values-production.yaml)
  -t, --tag TAG           Image tag (default: the chart's appVersion)
      --digest DIGEST     Image digest (sha256:...) to pin
      --set KEY=VALUE     Extra --set; repeatable
      --timeout DURATION  Helm --timeout (default: 10m)
      --context NAME      kubectl context
      --dry-run[=MODE]    client (default): lint, render and validate offline;
                          server: helm upgrade --install --dry-run=server
  -h, --help              Show this help

Environment: HELM (default: helm on PATH), GO (default: go).
USAGE
}

die() {
  echo "deploy_k8s: $*" >&2
  exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart="$root/deploy/helm/shoal"
helm_bin=${HELM:-helm}
go_bin=${GO:-go}
namespace=shoal
release=shoal
timeout=10m
tag=""
digest=""
kube_context=""
dry_run=""
values=()
sets=()

while (($# > 0)); do
  case $1 in
    -n | --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    -r | --release) release=${2:?--release needs a value}; shift 2 ;;
    -f | --values) values+=("${2:?--values needs a file}"); shift 2 ;;
    -t | --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --digest) digest=${2:?--digest needs a value}; shift 2 ;;
    --set) sets+=("${2:?--set needs KEY=VALUE}"); shift 2 ;;
    --timeout) timeout=${2:?--timeout needs a duration}; shift 2 ;;
    --context) kube_context=${2:?--context needs a value}; shift 2 ;;
    --dry-run | --dry-run=client) dry_run=client; shift ;;
    --dry-run=server) dry_run=server; shift ;;
    --dry-run=*) die "unknown dry-run mode ${1#--dry-run=} (client or server)" ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[[ $namespace =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "invalid namespace: $namespace"
[[ $release =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "invalid release name: $release"
[[ $timeout =~ ^[0-9]+(s|m|h)$ ]] || die "invalid timeout: $timeout (e.g. 600s, 10m)"
[[ -z $tag || $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid image tag: $tag"
[[ -z $digest || $digest =~ ^sha256:[a-f0-9]{64}$ ]] || die "invalid digest: $digest"
((${#values[@]} > 0)) || values=("$root/deploy/helm/values-production.yaml")
for f in "${values[@]}"; do
  [[ -f $f ]] || die "values file not found: $f"
done
command -v "$helm_bin" >/dev/null || die "helm not found (make helm installs it into \$(go env GOPATH)/bin)"

args=()
for f in "${values[@]}"; do args+=(--values "$f"); done
[[ -n $tag ]] && args+=(--set "image.tag=$tag")
[[ -n $digest ]] && args+=(--set "image.digest=$digest")
for s in "${sets[@]}"; do args+=(--set "$s"); done

if [[ $dry_run == client ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  echo "deploy_k8s: linting and rendering $chart (no cluster is contacted)"
  "$helm_bin" lint --strict "$chart" "${args[@]}"
  "$helm_bin" template "$release" "$chart" --namespace "$namespace" "${args[@]}" >"$out/release.yaml"
  # The strict typed decoding and invariant checks of deploy/validate.
  (cd "$root/deploy/validate" && SHOAL_HELM_MANIFEST="$out/release.yaml" SHOAL_HELM_RELEASE="$release" "$go_bin" test -count=1 -run '^TestHelmManifest$' .)
  echo "deploy_k8s: $(grep -c '^kind:' "$out/release.yaml") objects rendered and validated for release $release in namespace $namespace"
  exit 0
fi

kube=()
[[ -n $kube_context ]] && kube=(--kube-context "$kube_context")
# Helm 4 renamed --atomic to --rollback-on-failure (--atomic still works but
# is deprecated): roll back to the last good revision on any failure.
atomic=--atomic
if "$helm_bin" version --template '{{.Version}}' 2>/dev/null | grep -q '^v4'; then
  atomic=--rollback-on-failure
fi
cmd=("$helm_bin" upgrade --install "$release" "$chart"
  --namespace "$namespace" --create-namespace
  "$atomic" --wait --wait-for-jobs --timeout "$timeout"
  "${kube[@]}" "${args[@]}")
[[ $dry_run == server ]] && cmd+=(--dry-run=server)
echo "deploy_k8s: ${cmd[*]}"
"${cmd[@]}"
if [[ -z $dry_run ]]; then
  "$helm_bin" status "$release" --namespace "$namespace" "${kube[@]}"
fi

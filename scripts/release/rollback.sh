#!/usr/bin/env bash
# Roll Shoal back to its previous version on Kubernetes, within a deadline.
#
#   scripts/release/rollback.sh [options] deployment NAME   kubectl rollout undo + status
#   scripts/release/rollback.sh [options] rollout NAME      Argo Rollouts abort + undo + status
#   scripts/release/rollback.sh [options] helm RELEASE      helm rollback --wait
#
# Every step runs under one overall deadline (--timeout, default 50 s, at
# most 55 s), so the script always ends within a minute: 0 rolled back and
# healthy, 1 a step failed, 2 bad usage, 3 the deadline passed.
# See docs/operations/canary-release-runbook.md.
set -euo pipefail

readonly MAX_TIMEOUT=55

usage() {
  cat <<'USAGE'
Usage: scripts/release/rollback.sh [options] (deployment NAME | rollout NAME | helm RELEASE)

Roll a Shoal workload back to its previous revision and wait until it is healthy.

  deployment NAME   kubectl rollout undo deployment/NAME, then rollout status
  rollout NAME      Argo Rollout: abort the canary (traffic returns to stable),
                    undo to the stable revision, then wait until Healthy. Uses the
                    kubectl argo rollouts plugin, or plain kubectl (abort only)
                    when the plugin is missing
  helm RELEASE      helm rollback RELEASE [REVISION] --wait

Options:
  -n, --namespace NS     Namespace (default: shoal)
      --to-revision N    Revision to return to (default: the previous one)
      --timeout SECONDS  Deadline for the whole rollback, 1-55 (default: 50)
      --context NAME     kubectl / helm context
  -h, --help             Show this help

Exit status: 0 rolled back, 1 a step failed, 2 usage error, 3 deadline passed.
Environment: KUBECTL (default: kubectl), HELM (default: helm).
USAGE
}

die() {
  echo "rollback: $*" >&2
  exit 2
}

namespace=shoal
deadline=50
revision=""
kube_context=""
kubectl_bin=${KUBECTL:-kubectl}
helm_bin=${HELM:-helm}
positional=()

while (($# > 0)); do
  case $1 in
    -n | --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --to-revision) revision=${2:?--to-revision needs a value}; shift 2 ;;
    --timeout) deadline=${2:?--timeout needs a value}; shift 2 ;;
    --context) kube_context=${2:?--context needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) positional+=("$1"); shift ;;
  esac
done

((${#positional[@]} == 2)) || { usage >&2; die "want a kind (deployment, rollout or helm) and a name"; }
kind=${positional[0]}
name=${positional[1]}
[[ $kind =~ ^(deployment|rollout|helm)$ ]] || die "unknown kind: $kind (deployment, rollout or helm)"
[[ $name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "invalid name: $name"
[[ $namespace =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "invalid namespace: $namespace"
[[ -z $revision || $revision =~ ^[1-9][0-9]*$ ]] || die "invalid revision: $revision"
if ! [[ $deadline =~ ^[1-9][0-9]*$ ]] || ((deadline > MAX_TIMEOUT)); then
  die "invalid --timeout: $deadline (1-$MAX_TIMEOUT seconds, so that a rollback ends within a minute)"
fi

start=$SECONDS

# remaining prints the seconds left before the deadline (at least 1).
remaining() {
  local left=$((deadline - (SECONDS - start)))
  ((left > 0)) || left=1
  echo "$left"
}

# run STEP CMD...: runs CMD under what is left of the deadline; exits 3 when
# it runs out, 1 when CMD fails.
run() {
  local step=$1
  shift
  if ((SECONDS - start >= deadline)); then
    echo "rollback: deadline of ${deadline}s passed before: $step" >&2
    exit 3
  fi
  local rc=0
  echo "rollback: $step: $*"
  timeout --kill-after=2 "$(remaining)" "$@" || rc=$?
  case $rc in
    0) return 0 ;;
    124 | 137)
      echo "rollback: $step did not finish within the ${deadline}s deadline" >&2
      exit 3
      ;;
    *)
      echo "rollback: $step failed (exit $rc)" >&2
      exit 1
      ;;
  esac
}

kubectl_cmd=("$kubectl_bin" --namespace "$namespace")
[[ -n $kube_context ]] && kubectl_cmd+=(--context "$kube_context")

case $kind in
  deployment)
    undo=("${kubectl_cmd[@]}" rollout undo "deployment/$name")
    [[ -n $revision ]] && undo+=("--to-revision=$revision")
    run "undo" "${undo[@]}"
    run "wait" "${kubectl_cmd[@]}" rollout status "deployment/$name" "--timeout=$(remaining)s"
    ;;
  rollout)
    if timeout 5 "${kubectl_cmd[@]}" argo rollouts version >/dev/null 2>&1; then
      # Abort first: the stable ReplicaSet takes all traffic at once. Undo
      # then makes the stable revision the desired one again, so the
      # Rollout becomes Healthy instead of staying Degraded.
      run "abort" "${kubectl_cmd[@]}" argo rollouts abort "$name"
      undo=("${kubectl_cmd[@]}" argo rollouts undo "$name")
      [[ -n $revision ]] && undo+=("--to-revision=$revision")
      run "undo" "${undo[@]}"
      run "wait" "${kubectl_cmd[@]}" argo rollouts status "$name" --timeout "$(remaining)s"
    else
      echo "rollback: the kubectl argo rollouts plugin is missing: aborting with kubectl (the Rollout stays Degraded until its spec is reverted)" >&2
      run "abort" "${kubectl_cmd[@]}" patch rollout "$name" --subresource=status --type=merge -p '{"status":{"abort":true}}'
      run "wait" "${kubectl_cmd[@]}" wait "rollout/$name" --for=condition=Available "--timeout=$(remaining)s"
    fi
    ;;
  helm)
    cmd=("$helm_bin" rollback "$name")
    [[ -n $revision ]] && cmd+=("$revision")
    cmd+=(--namespace "$namespace" --wait --timeout "$(remaining)s")
    [[ -n $kube_context ]] && cmd+=(--kube-context "$kube_context")
    run "rollback" "${cmd[@]}"
    ;;
esac
echo "rollback: $kind $name in $namespace rolled back in $((SECONDS - start))s"

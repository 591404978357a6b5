#!/usr/bin/env bats
# Tests of scripts/release/rollback.sh against a fake kubectl and a fake
# helm on PATH. The fakes append their arguments to $FAKE_LOG and behave as
# $FAKE_MODE says for the step named in $FAKE_STEP ("undo", "status",
# "abort", "rollback", ...): ok (default), fail (exit 1) or hang (sleep far
# beyond any deadline). $FAKE_ARGO=0 makes `kubectl argo` fail as when the
# Argo Rollouts plugin is missing.

setup() {
  ROLLBACK="$BATS_TEST_DIRNAME/../rollback.sh"
  FAKE_BIN="$BATS_TEST_TMPDIR/bin"
  export FAKE_LOG="$BATS_TEST_TMPDIR/calls.log"
  mkdir -p "$FAKE_BIN"
  : >"$FAKE_LOG"
  for tool in kubectl helm; do
    cat >"$FAKE_BIN/$tool" <<'FAKE'
#!/usr/bin/env bash
set -euo pipefail
tool=$(basename "$0")
echo "$tool $*" >>"$FAKE_LOG"
args=" $* "
if [[ $tool == kubectl && $args == *" argo "* && ${FAKE_ARGO:-1} == 0 ]]; then
  echo 'error: unknown command "argo" for "kubectl"' >&2
  exit 1
fi
step=other
case $args in
  *" rollout undo "* | *" rollouts undo "*) step=undo ;;
  *" rollout status "* | *" rollouts status "* | *" wait "*) step=status ;;
  *" rollouts abort "* | *" patch rollout "*) step=abort ;;
  *" rollback "*) step=rollback ;;
esac
if [[ $step == "${FAKE_STEP:-none}" ]]; then
  case ${FAKE_MODE:-ok} in
    fail) echo "fake $tool: $step failed" >&2; exit 1 ;;
    hang) echo "$$" >>"$FAKE_LOG.pids"; sleep 600 ;;
  esac
fi
echo "fake $tool: $step ok"
FAKE
    chmod +x "$FAKE_BIN/$tool"
  done
  export PATH="$FAKE_BIN:$PATH"
}

teardown() {
  # No fake may outlive the script: the deadline kills hung commands.
  if [[ -f $FAKE_LOG.pids ]]; then
    while read -r pid; do
      if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        echo "fake process $pid survived the rollback" >&2
        return 1
      fi
    done <"$FAKE_LOG.pids"
  fi
}

@test "no arguments prints usage and exits 2" {
  run "$ROLLBACK"
  [ "$status" -eq 2 ]
  [[ $output == *"Usage: scripts/release/rollback.sh"* ]]
  [ ! -s "$FAKE_LOG" ]
}

@test "--help exits 0" {
  run "$ROLLBACK" --help
  [ "$status" -eq 0 ]
  [[ $output == *"deployment NAME"* ]]
}

@test "bad kind, name, revision and timeouts are rejected before any call" {
  run "$ROLLBACK" statefulset shoal
  [ "$status" -eq 2 ]
  [[ $output == *"unknown kind"* ]]
  run "$ROLLBACK" deployment 'Shoal;rm'
  [ "$status" -eq 2 ]
  [[ $output == *"invalid name"* ]]
  run "$ROLLBACK" --to-revision abc deployment shoal-server
  [ "$status" -eq 2 ]
  [[ $output == *"invalid revision"* ]]
  run "$ROLLBACK" --timeout 60 deployment shoal-server
  [ "$status" -eq 2 ]
  [[ $output == *"within a minute"* ]]
  run "$ROLLBACK" --timeout 0 deployment shoal-server
  [ "$status" -eq 2 ]
  [ ! -s "$FAKE_LOG" ]
}

@test "deployment: undo then wait for the rollout" {
  run "$ROLLBACK" -n prod deployment shoal-server
  [ "$status" -eq 0 ]
  [[ $output == *"rolled back"* ]]
  run cat "$FAKE_LOG"
  [ "${lines[0]}" = "kubectl --namespace prod rollout undo deployment/shoal-server" ]
  [[ ${lines[1]} =~ ^kubectl\ --namespace\ prod\ rollout\ status\ deployment/shoal-server\ --timeout=(4[0-9]|50)s$ ]]
  [ "${#lines[@]}" -eq 2 ]
}

@test "deployment: --to-revision and --context are passed on" {
  run "$ROLLBACK" --context prod-eu --to-revision 7 deployment shoal-worker
  [ "$status" -eq 0 ]
  run cat "$FAKE_LOG"
  [ "${lines[0]}" = "kubectl --namespace shoal --context prod-eu rollout undo deployment/shoal-worker --to-revision=7" ]
}

@test "deployment: a failed undo exits 1 and does not wait" {
  FAKE_STEP=undo FAKE_MODE=fail run "$ROLLBACK" deployment shoal-server
  [ "$status" -eq 1 ]
  [[ $output == *"undo failed"* ]]
  run grep -c "rollout status" "$FAKE_LOG"
  [ "$output" = 0 ]
}

@test "deployment: a rollout that never becomes ready exits 1" {
  FAKE_STEP=status FAKE_MODE=fail run "$ROLLBACK" deployment shoal-server
  [ "$status" -eq 1 ]
  [[ $output == *"wait failed"* ]]
}

@test "deployment: a hanging kubectl is cut off at the deadline" {
  SECONDS=0
  FAKE_STEP=status FAKE_MODE=hang run "$ROLLBACK" --timeout 3 deployment shoal-server
  elapsed=$SECONDS
  [ "$status" -eq 3 ]
  [[ $output == *"did not finish within the 3s deadline"* ]]
  # 3 s deadline plus at most 2 s for the kill: far below a minute.
  [ "$elapsed" -ge 2 ]
  [ "$elapsed" -le 7 ]
}

@test "rollout: abort, undo and wait with the Argo Rollouts plugin" {
  run "$ROLLBACK" rollout shoal
  [ "$status" -eq 0 ]
  run grep -v "argo rollouts version" "$FAKE_LOG"
  [ "${lines[0]}" = "kubectl --namespace shoal argo rollouts abort shoal" ]
  [ "${lines[1]}" = "kubectl --namespace shoal argo rollouts undo shoal" ]
  [[ ${lines[2]} =~ ^kubectl\ --namespace\ shoal\ argo\ rollouts\ status\ shoal\ --timeout\ [0-9]+s$ ]]
}

@test "rollout: a failed abort stops before undo" {
  FAKE_STEP=abort FAKE_MODE=fail run "$ROLLBACK" rollout shoal
  [ "$status" -eq 1 ]
  run grep -c "rollouts undo" "$FAKE_LOG"
  [ "$output" = 0 ]
}

@test "rollout: without the plugin it aborts through the status subresource" {
  FAKE_ARGO=0 run "$ROLLBACK" rollout shoal
  [ "$status" -eq 0 ]
  [[ $output == *"plugin is missing"* ]]
  run grep -v "argo rollouts version" "$FAKE_LOG"
  [ "${lines[0]}" = "kubectl --namespace shoal patch rollout shoal --subresource=status --type=merge -p {\"status\":{\"abort\":true}}" ]
  [[ ${lines[1]} =~ ^kubectl\ --namespace\ shoal\ wait\ rollout/shoal\ --for=condition=Available\ --timeout=[0-9]+s$ ]]
}

@test "rollout: a Rollout that hangs while becoming healthy is cut off" {
  SECONDS=0
  FAKE_STEP=status FAKE_MODE=hang run "$ROLLBACK" --timeout 4 rollout shoal
  elapsed=$SECONDS
  [ "$status" -eq 3 ]
  [ "$elapsed" -le 8 ]
}

@test "helm: rollback with wait and the remaining deadline" {
  run "$ROLLBACK" --to-revision 4 -n data helm shoal
  [ "$status" -eq 0 ]
  run cat "$FAKE_LOG"
  [[ ${lines[0]} =~ ^helm\ rollback\ shoal\ 4\ --namespace\ data\ --wait\ --timeout\ (4[0-9]|50)s$ ]]
}

@test "helm: a failed rollback exits 1" {
  FAKE_STEP=rollback FAKE_MODE=fail run "$ROLLBACK" helm shoal
  [ "$status" -eq 1 ]
  [[ $output == *"rollback failed"* ]]
}

@test "helm: a hanging helm is cut off and the whole run stays under a minute" {
  SECONDS=0
  FAKE_STEP=rollback FAKE_MODE=hang run "$ROLLBACK" --timeout 5 helm shoal
  elapsed=$SECONDS
  [ "$status" -eq 3 ]
  [ "$elapsed" -lt 60 ]
  [ "$elapsed" -le 9 ]
}

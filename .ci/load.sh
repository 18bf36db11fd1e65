#!/usr/bin/env bash
# Background CPU load for checking that verdicts survive a busy machine (the closing notes' runs).
#   .ci/load.sh onoff SECONDS     one busy core, switching on and off every 3 s, for SECONDS
#   .ci/load.sh steady N SECONDS  N busy cores for SECONDS
# Always bounded in time; stops its loops on exit.
set -euo pipefail
mode=${1:?usage: load.sh onoff SECONDS | steady N SECONDS}
busy() { local end=$((SECONDS + $1)); while [ "$SECONDS" -lt "$end" ]; do :; done; }
case "$mode" in
  onoff)
    total=${2:?seconds}; end=$((SECONDS + total))
    while [ "$SECONDS" -lt "$end" ]; do busy 3; sleep 3; done ;;
  steady)
    n=${2:?cores}; total=${3:?seconds}; pids=()
    trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
    for _ in $(seq "$n"); do busy "$total" & pids+=($!); done
    wait ;;
  *) echo "load.sh: unknown mode '$mode' (onoff or steady)" >&2; exit 2 ;;
esac

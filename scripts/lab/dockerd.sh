#!/bin/sh
# Ensures a Docker Engine is running, for the lab. Idempotent:
#   - an engine that answers `docker info` is used as it is (status line, exit 0);
#   - else Debian's docker.io (+ jq for the runc wrapper) is installed when dockerd is missing (needs root),
#     the runc wrapper is installed, and dockerd is started in the background with it as default runtime.
# Exit 3 with what to do when it cannot. Log: $CACHE/logs/dockerd.log.
# Usage: scripts/lab/dockerd.sh [start|stop]
set -u
CACHE=${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}
LOG=$CACHE/logs/dockerd.log
WRAPPER=${LOSSLESS_RUNC_WRAPPER:-/usr/local/libexec/lossless/runc}
HERE=$(cd "$(dirname "$0")" && pwd)
PIDFILE=/run/lossless-dockerd.pid

fail() { echo "docker: $*" >&2; exit 3; }
engine_up() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

case "${1:-start}" in
  stop)
    [ -f "$PIDFILE" ] || { echo "docker: not started by lossless (no $PIDFILE)"; exit 0; }
    pid=$(cat "$PIDFILE"); kill "$pid" 2>/dev/null
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
    rm -f "$PIDFILE"; echo "docker: stopped dockerd $pid"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop] (got '$1')" >&2; exit 2 ;;
esac

if engine_up; then
  echo "docker: engine running ($(docker info --format '{{.ServerVersion}} default-runtime={{.DefaultRuntime}}' 2>/dev/null))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || fail "no Docker Engine running and not root: install and start Docker (e.g. 'sudo apt-get install docker.io jq'), then rerun"
  echo "docker: installing Debian's docker.io (apt-get)"
  mkdir -p "$CACHE/logs"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io jq; } >"$CACHE/logs/apt-docker.log" 2>&1; then
    fail "apt-get install docker.io failed: see $CACHE/logs/apt-docker.log"
  fi
fi

[ "$(id -u)" = 0 ] || fail "dockerd is installed but not running, and starting it needs root: run 'sudo $0'"
[ -d /sys/fs/cgroup ] && [ -n "$(ls /sys/fs/cgroup 2>/dev/null)" ] || fail "no cgroup filesystem at /sys/fs/cgroup: containers cannot run here"

mkdir -p "$(dirname "$WRAPPER")" "$CACHE/logs"
if ! cmp -s "$HERE/runc-wrapper.sh" "$WRAPPER"; then
  cp "$HERE/runc-wrapper.sh" "$WRAPPER.tmp" && chmod 755 "$WRAPPER.tmp" && mv "$WRAPPER.tmp" "$WRAPPER" \
    || fail "cannot install the runc wrapper at $WRAPPER"
fi

echo "docker: starting dockerd (runtime lossless-runc=$WRAPPER), log $LOG"
# setsid: dockerd must outlive this script and the npm process that ran it.
setsid dockerd --add-runtime "lossless-runc=$WRAPPER" --default-runtime lossless-runc \
  >>"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"
i=0
while ! engine_up; do
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    tail -n 15 "$LOG" >&2; fail "dockerd exited during start-up: see $LOG"
  fi
  [ $i -ge 90 ] && { tail -n 15 "$LOG" >&2; fail "dockerd did not answer within 90 s: see $LOG"; }
  sleep 1; i=$((i + 1))
done
echo "docker: engine running after ${i}s ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"

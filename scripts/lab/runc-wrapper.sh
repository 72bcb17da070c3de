#!/bin/sh
# lossless-runc: runs the real runc after removing CAP_SYS_RESOURCE from the capability sets it is asked to
# apply. Why: on these VMs the root bounding set lacks CAP_SYS_RESOURCE, so any `--privileged` container
# (every kind node) fails with "unable to apply caps: operation not permitted". Registered with
#   dockerd --add-runtime lossless-runc=<this file> --default-runtime lossless-runc
# It edits the bundle's config.json (create/run --bundle) and the --process JSON (exec), and clamps a
# negative oomScoreAdj to 0 (setting it needs the same capability). Needs jq.
REAL_RUNC=${LOSSLESS_REAL_RUNC:-/usr/bin/runc}
JQ=${LOSSLESS_JQ:-jq}

# Drop the capability from every set present; leave absent/null sets as they are.
CAPS='with_entries(.value |= (if type == "array" then map(select(. != "CAP_SYS_RESOURCE")) else . end))'

edit() { # edit <file> <jq filter>: rewrite the file in place only when jq succeeds
  [ -f "$1" ] || return 0
  tmp="$1.lossless-runc.$$"
  if "$JQ" -c "$2" "$1" >"$tmp"; then mv "$tmp" "$1"; else rm -f "$tmp"; fi
}

cmd= bundle= process= prev=
for a in "$@"; do
  case "$prev" in
    --bundle|-b) bundle=$a ;;
    --process|-p) process=$a ;;
  esac
  case "$a" in
    --bundle=*) bundle=${a#--bundle=} ;;
    --process=*) process=${a#--process=} ;;
    create|run|exec) [ -z "$cmd" ] && cmd=$a ;;
  esac
  prev=$a
done

case "$cmd" in
  create|run)
    # runc defaults the bundle to the working directory
    edit "${bundle:-.}/config.json" "if .process.capabilities then .process.capabilities |= ($CAPS) else . end
      | if (.process.oomScoreAdj // 0) < 0 then .process.oomScoreAdj = 0 else . end" ;;
  exec)
    [ -n "$process" ] && edit "$process" "if .capabilities then .capabilities |= ($CAPS) else . end" ;;
esac
exec "$REAL_RUNC" "$@"

#!/usr/bin/env bash
# scripts/lab/build.sh — build the lab's binaries offline (Go module proxy + Debian's gcc), cached.
#
# Usage: scripts/lab/build.sh <artefact>... | all      build (or reuse) artefacts, in the order given
#        scripts/lab/build.sh list                     artefacts known (one per line, `all` order)
#        scripts/lab/build.sh images-list              image refs the node image must hold (from versions.env)
#        scripts/lab/build.sh outputs <artefact>       absolute paths of an artefact's outputs
#
# Cache: CACHE=${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}; outputs in $CACHE/bin/, logs in
# $CACHE/logs/build-<artefact>.log, Go caches in $CACHE/go/{mod,build} (delete $CACHE for a cold build).
# Prints `building X: log <log>[, last built in Ns]` when an artefact's build starts, then one line per artefact: `built X in Ns`,
# `cached X` or `FAILED X: see <log>` (then exit 1).
# Exit 2: unknown artefact or bad usage. Exit 3: the environment lacks a tool (go, gcc) or disk.
#
# Recipe interface (scripts/lab/recipes/<artefact>.sh, sourced in a subshell with versions.env loaded):
#   OUTPUTS=(file...)        names the recipe writes into $OUT (required)
#   INPUT_VARS=(NAME...)     versions.env variables the build depends on (part of the input hash)
#   INPUT_FILES=(path...)    repo-relative files/dirs it depends on, e.g. scripts/lab/gomod/<x> (hashed)
#   USES_GO=1|0              whether `go version` is part of the hash (default 1)
#   build()                  runs in an empty scratch dir ($WORK, the cwd); writes OUTPUTS into $OUT.
#                            stdout/stderr go to the log; any failing command fails the build (set -e).
# Helpers available to build(): go_build <go build args...> (static linux/amd64, -trimpath, GOFLAGS as
# below), go_install <args...> <module/pkg@version> (same, binary into $OUT), gomod_dir <name> (copy scripts/lab/gomod/<name> into $WORK/<name>, print that path),
# mod_dir <module@version> (go mod download it, print its source dir), $REPO, $LAB, $CACHE.
# The input hash = recipe file + INPUT_VARS values + INPUT_FILES contents (+ go version). When
# $CACHE/bin/<artefact>.stamp holds it and every output exists, the artefact is `cached`. Outputs are
# moved into $CACHE/bin/ one by one and the stamp written last, so an interruption leaves either the
# previous complete file or none, and a rerun rebuilds what lacks a matching stamp.
set -uo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB/../.." && pwd)
CACHE=${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}
RECIPES=${LOSSLESS_LAB_RECIPES:-$LAB/recipes}  # overridable for build.test.sh only
export LAB REPO CACHE
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export GOFLAGS="-modcacherw -buildvcs=false"
# shellcheck source=versions.env
set -a; . "$LAB/versions.env"; set +a
export GOTOOLCHAIN=${GO_TOOLCHAIN:-local}

# Sequential order for `all`: Kubernetes first (the longest build), then what the node image needs.
# No crictl: the proxy serves no cri-tools module (see README).
ALL=(kubernetes pause etcd coredns kindnetd local-path-provisioner kind kind-src)

die() { echo "build.sh: $2" >&2; exit "$1"; }

known() { [[ -f $RECIPES/$1.sh ]]; }

usage_error() {
  local avail; avail=$(cd "$RECIPES" && ls -- *.sh 2>/dev/null | sed 's/\.sh$//' | tr '\n' ' ')
  die 2 "$1 (allowed: all list images-list outputs ${avail% })"
}

# Exported helpers for recipes.
go_build() {
  CGO_ENABLED=${GO_CGO_ENABLED:-0} GOOS=${GO_OS:-linux} GOARCH=${GO_ARCH:-amd64} \
    go build -trimpath "$@"
}
go_install() {
  CGO_ENABLED=${GO_CGO_ENABLED:-0} GOOS=${GO_OS:-linux} GOARCH=${GO_ARCH:-amd64} GOBIN=$OUT \
    go install -trimpath "$@"
}
gomod_dir() {
  [[ -d $LAB/gomod/$1 ]] || { echo "no wrapper module scripts/lab/gomod/$1" >&2; return 1; }
  cp -r "$LAB/gomod/$1" "$WORK/$1" && echo "$WORK/$1"
}
mod_dir() {
  local dir
  dir=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -d $dir ]] || { echo "go mod download $1 gave no source dir" >&2; return 1; }
  echo "$dir"
}
export -f go_build go_install gomod_dir mod_dir

# Runs in a subshell: prints the recipe's input hash, or fails if the recipe is malformed.
recipe_hash() {
  ( set -e
    OUTPUTS=(); INPUT_VARS=(); INPUT_FILES=(); USES_GO=1
    . "$RECIPES/$1.sh"
    {
      echo "recipe"; cat "$RECIPES/$1.sh"
      for v in "${INPUT_VARS[@]}"; do echo "var $v=${!v-<unset>}"; done
      for f in "${INPUT_FILES[@]}"; do
        [[ -e $REPO/$f ]] || { echo "recipe $1: INPUT_FILES entry $f does not exist" >&2; exit 1; }
        (cd "$REPO" && find "$f" -type f | LC_ALL=C sort | while read -r p; do echo "file $p"; cat "$p"; done)
      done
      if [[ $USES_GO == 1 ]]; then go version; fi
    } | sha256sum | cut -d' ' -f1 )
}

recipe_outputs() {
  ( OUTPUTS=(); . "$RECIPES/$1.sh"; printf '%s\n' "${OUTPUTS[@]}" )
}

is_cached() {
  local name=$1 hash=$2 out
  [[ -f $CACHE/bin/$name.stamp && $(cat "$CACHE/bin/$name.stamp") == "$hash" ]] || return 1
  while read -r out; do [[ -e $CACHE/bin/$out ]] || return 1; done < <(recipe_outputs "$name")
}

build_one() {
  local name=$1 hash log tmp start rc out last
  log=$CACHE/logs/build-$name.log
  # Plain statements, never `if`/`||` around the recipe: bash ignores `set -e` inside those contexts.
  hash=$(recipe_hash "$name" 2>"$log.hash-err")
  rc=$?
  if [[ $rc -ne 0 ]]; then echo "FAILED $name: recipe error, see $log.hash-err"; return 1; fi
  rm -f "$log.hash-err"
  if is_cached "$name" "$hash"; then echo "cached $name"; return 0; fi
  tmp=$(mktemp -d "$CACHE/tmp/$name.XXXXXX")
  start=$(date +%s)
  # at once, so a caller can show what is being built and where its log grows (lab:up's progress line)
  # (with the last build's time from the log this build is about to replace, for an estimate)
  last=$(sed -n 's/^== .*: built in \([0-9]*\)s$/\1/p' "$log" 2>/dev/null | tail -1)
  echo "building $name: log $log${last:+, last built in ${last}s}"
  (
    set -e
    export OUT=$tmp/out WORK=$tmp/work
    mkdir -p "$OUT" "$WORK"; cd "$WORK"
    OUTPUTS=(); INPUT_VARS=(); INPUT_FILES=(); USES_GO=1
    . "$RECIPES/$name.sh"
    echo "== $name: build started $(date -u +%FT%TZ), input hash $hash"
    build
    for out in "${OUTPUTS[@]}"; do
      [[ -e $OUT/$out ]] || { echo "recipe $name did not write $out"; exit 1; }
    done
  ) >"$log" 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then
    rm -f "$CACHE/bin/$name.stamp"
    while read -r out; do mv -f "$tmp/out/$out" "$CACHE/bin/$out"; done < <(recipe_outputs "$name")
    echo "$hash" >"$tmp/stamp" && mv -f "$tmp/stamp" "$CACHE/bin/$name.stamp"
    echo "== $name: built in $(( $(date +%s) - start ))s" >>"$log"
    echo "built $name in $(( $(date +%s) - start ))s"
  else
    # A signal (e.g. 137 = KILL) leaves no message of its own: say how it ended.
    echo "== $name: FAILED with exit status $rc after $(( $(date +%s) - start ))s" >>"$log"
    echo "FAILED $name: see $log"
  fi
  rm -rf "$tmp"
  return $rc
}

images_list() {
  # The first seven in `kubeadm config images list` order (recipes/kubernetes.sh checks them against it).
  printf '%s\n' "$KUBE_APISERVER_IMAGE" "$KUBE_CONTROLLER_MANAGER_IMAGE" "$KUBE_SCHEDULER_IMAGE" \
    "$KUBE_PROXY_IMAGE" "$COREDNS_IMAGE" "$PAUSE_IMAGE" "$ETCD_IMAGE" \
    "$KINDNETD_IMAGE" "$LOCAL_PATH_PROVISIONER_IMAGE" "$LOCAL_PATH_HELPER_IMAGE"
}

main() {
  [[ $# -gt 0 ]] || usage_error "name at least one artefact"
  case $1 in
    list) printf '%s\n' "${ALL[@]}"; return 0 ;;
    images-list) images_list; return 0 ;;
    outputs)
      [[ $# -eq 2 ]] && known "$2" || usage_error "outputs takes one artefact name, got '${*:2}'"
      recipe_outputs "$2" | sed "s|^|$CACHE/bin/|"; return 0 ;;
  esac
  local names=() n
  for n in "$@"; do
    if [[ $n == all ]]; then names+=("${ALL[@]}")
    elif known "$n"; then names+=("$n")
    else usage_error "unknown artefact '$n'"; fi
  done
  command -v go >/dev/null || die 3 "go is not on PATH: install Go >= 1.24 (e.g. /usr/local/go/bin) and retry"
  mkdir -p "$CACHE/bin" "$CACHE/logs" "$CACHE/tmp" "$GOMODCACHE" "$GOCACHE" ||
    die 3 "cannot create $CACHE: check permissions or set LOSSLESS_CACHE"
  local free_kb; free_kb=$(df -Pk "$CACHE" | awk 'NR==2 {print $4}')
  [[ ${free_kb:-0} -ge 4000000 ]] || die 3 "less than 4 GB free under $CACHE: free disk or set LOSSLESS_CACHE"
  # One build at a time: parallel Go builds on 2 cores only thrash, and two runs must not race on bin/.
  exec 9>"$CACHE/build.lock"
  flock -n 9 || { echo "waiting for another build.sh run (lock $CACHE/build.lock)" >&2; flock 9; }
  # Holding the lock, any scratch dir left is from an interrupted run: remove it.
  rm -rf "${CACHE:?}/tmp/"*
  local failed=0 seen=" "
  for n in "${names[@]}"; do
    [[ $seen == *" $n "* ]] && continue
    seen+="$n "
    build_one "$n"
    [[ $? -eq 0 ]] || failed=1
  done
  return $failed
}

# One line: bash has read it whole before running it, so editing this file mid-run cannot feed it new text.
main "$@"; exit $?

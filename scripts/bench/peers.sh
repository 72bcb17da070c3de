#!/usr/bin/env bash
# Builds the benchmark's peers when missing (idempotent): fortio and vegeta from their Go modules into
# ${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}/bench/bin. autocannon is an npm devDependency (npm ci brings it).
# Versions are pinned so figures stay comparable between runs; override with FORTIO_VERSION / VEGETA_VERSION.
# fortio is held at v1.68.2, the last release before its CLI imported the grol scripting module (v1.69.0+),
# which the Go module proxy reachable here refuses (403), so newer fortio cannot build on this machine.
# Prints the bin folder on stdout; progress on stderr. Exit 3 when Go is missing or a build fails.
set -euo pipefail
fortio_version="${FORTIO_VERSION:-v1.68.2}"
vegeta_version="${VEGETA_VERSION:-v12.13.0}"
cache="${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}"
bin="$cache/bench/bin"
mkdir -p "$bin"

if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin /usr/lib/go/bin; do [ -x "$d/go" ] && PATH="$d:$PATH" && break; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "bench: no Go toolchain on PATH; install Go >= 1.25 (or put it in /usr/local/go) to build fortio and vegeta" >&2
  exit 3
fi

# build <name> <module@version>: a stamp file names the version built, so a version change rebuilds.
build() {
  local name=$1 mod=$2 stamp="$bin/.$1.version"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
  echo "bench: building $mod into $bin (a few minutes on 2 cores)" >&2
  # flock: two bench runs must not race on the same binary
  ( flock 9
    if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then exit 0; fi
    GOBIN="$bin" CGO_ENABLED=0 go install -trimpath "$mod" >&2 || { echo "bench: go install $mod failed" >&2; exit 3; }
    echo "$mod" >"$stamp"
  ) 9>"$bin/.$name.lock"
}
build fortio "fortio.org/fortio@$fortio_version"
build vegeta "github.com/tsenart/vegeta/v12@$vegeta_version"
echo "$bin"

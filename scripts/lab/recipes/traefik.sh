# Traefik v3 from its Go module. The module holds no built web UI (webui/static has only a placeholder file,
# which keeps its go:embed valid), so the dashboard stays disabled in the lab.
OUTPUTS=(traefik)
INPUT_VARS=(TRAEFIK_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)

build() {
  local src
  src=$(mod_dir "github.com/traefik/traefik/v3@$TRAEFIK_VERSION")
  cd "$src"
  go_build -ldflags "$GO_LDFLAGS_BASE -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$OUT/traefik" ./cmd/traefik
  "$OUT/traefik" version | grep -q "${TRAEFIK_VERSION}"
}

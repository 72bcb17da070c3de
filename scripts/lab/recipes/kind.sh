# The kind CLI from its Go module (no replace directives: `go install` works).
OUTPUTS=(kind)
INPUT_VARS=(KIND_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)

build() {
  go_install -ldflags "$GO_LDFLAGS_BASE" "sigs.k8s.io/kind@$KIND_VERSION"
  "$OUT/kind" version | grep "^kind $KIND_VERSION " >/dev/null
}

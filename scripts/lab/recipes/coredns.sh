# CoreDNS, the cluster DNS kubeadm deploys, from its Go module (no replace directives: `go install` works)
# with its default plugin set (the generated core/plugin/zplugin.go in the module).
OUTPUTS=(coredns)
INPUT_VARS=(COREDNS_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)

build() {
  go_install -ldflags "$GO_LDFLAGS_BASE" "github.com/coredns/coredns@$COREDNS_VERSION"
  "$OUT/coredns" -version | grep "^CoreDNS-${COREDNS_VERSION#v}\$" >/dev/null
}

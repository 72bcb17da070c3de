# MetalLB (L2 mode, no FRR): controller and speaker from the go.universe.tf/metallb module, plus the
# metallb-native manifest its module ships (config/manifests), which installAddons applies with our image refs.
# Why v0.15.2: v0.16.x needs github.com/metallb/frr-k8s v0.0.27, whose zip the module proxy does not serve.
OUTPUTS=(metallb-controller metallb-speaker metallb-native.yaml)
INPUT_VARS=(METALLB_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)

build() {
  local src
  src=$(mod_dir "go.universe.tf/metallb@$METALLB_VERSION")
  cd "$src"
  local ld="$GO_LDFLAGS_BASE -X go.universe.tf/metallb/internal/version.gitCommit=module"
  go_build -ldflags "$ld" -o "$OUT/metallb-controller" ./controller
  go_build -ldflags "$ld" -o "$OUT/metallb-speaker" ./speaker
  cp config/manifests/metallb-native.yaml "$OUT/metallb-native.yaml"
  grep -q "image: quay.io/metallb/controller:$METALLB_VERSION" "$OUT/metallb-native.yaml"
}

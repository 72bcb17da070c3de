# kindnetd for kind's default CNI DaemonSet (image KINDNETD_IMAGE): lossless' own implementation in
# scripts/lab/gomod/kindnetd, because kind's kindnetd module (sigs.k8s.io/kind/images/kindnetd) is not
# served by the Go module proxy. Its image needs iptables (iptables-restore, ip6tables) beside it.
# Its tests run first (unit, then host side in a private netns): a broken daemon must not reach the node image.
OUTPUTS=(kindnetd)
INPUT_VARS=(KUBERNETES_STAGING_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)
INPUT_FILES=(scripts/lab/gomod/kindnetd)

build() {
  local mod; mod=$(gomod_dir kindnetd)
  grep -q "k8s.io/client-go $KUBERNETES_STAGING_VERSION\$" "$mod/go.mod" ||
    { echo "scripts/lab/gomod/kindnetd/go.mod does not use client-go $KUBERNETES_STAGING_VERSION (versions.env): update it"; return 1; }
  cd "$mod"
  go test -mod=readonly -count=1 .
  # The real netlink/iptables side, in a throw-away network namespace (needs root, ip, iptables).
  if unshare -n true 2>/dev/null && command -v ip iptables-restore >/dev/null; then
    unshare -n env KINDNETD_NETNS_TEST=1 go test -mod=readonly -count=1 -run HostNet -v .
  else
    echo "kindnetd netns test NOT run: needs root (unshare -n), ip and iptables-restore"
  fi
  go_build -mod=readonly -ldflags "$GO_LDFLAGS_BASE" -o "$OUT/kindnetd" .
  # Without a cluster it must refuse bad input with exit 2 (proves the binary starts).
  local rc=0; HOST_IP=bad POD_SUBNET=10.244.0.0/16 "$OUT/kindnetd" || rc=$?
  [[ $rc -eq 2 ]]
}

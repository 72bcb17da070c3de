# etcd and etcdctl, each from a wrapper module (scripts/lab/gomod/etcd, scripts/lab/gomod/etcdctl): etcd's
# modules replace their siblings with local paths, which only a wrapper that requires the published
# releases can build. etcd is the version kubeadm pins (ETCD_VERSION); etcdctl is ETCDCTL_VERSION.
OUTPUTS=(etcd etcdctl)
INPUT_VARS=(ETCD_VERSION ETCDCTL_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)
INPUT_FILES=(scripts/lab/gomod/etcd scripts/lab/gomod/etcdctl)

build() {
  local etcd etcdctl
  etcd=$(gomod_dir etcd); etcdctl=$(gomod_dir etcdctl)
  grep -q "^require go.etcd.io/etcd/server/v3 $ETCD_VERSION\$" "$etcd/go.mod" ||
    { echo "scripts/lab/gomod/etcd/go.mod does not require server/v3 $ETCD_VERSION (versions.env): update it"; return 1; }
  grep -q "^require go.etcd.io/etcd/etcdctl/v3 $ETCDCTL_VERSION\$" "$etcdctl/go.mod" ||
    { echo "scripts/lab/gomod/etcdctl/go.mod does not require etcdctl/v3 $ETCDCTL_VERSION (versions.env): update it"; return 1; }
  (cd "$etcd" && go_build -mod=readonly -ldflags "$GO_LDFLAGS_BASE" -o "$OUT/etcd" .)
  (cd "$etcdctl" && go_build -mod=readonly -ldflags "$GO_LDFLAGS_BASE" -o "$OUT/etcdctl" go.etcd.io/etcd/etcdctl/v3)
  "$OUT/etcd" --version | grep -x "etcd Version: ${ETCD_VERSION#v}" >/dev/null
  "$OUT/etcdctl" version | grep -x "etcdctl version: ${ETCDCTL_VERSION#v}" >/dev/null
}

# Rancher's local-path-provisioner (kind's default StorageClass), at the version kind's
# images/local-path-provisioner/Makefile names; VERSION is set as the project's scripts/build sets it.
OUTPUTS=(local-path-provisioner)
INPUT_VARS=(LOCAL_PATH_PROVISIONER_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)

build() {
  go_install -ldflags "$GO_LDFLAGS_BASE -X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
  "$OUT/local-path-provisioner" --version | grep "$LOCAL_PATH_PROVISIONER_VERSION" >/dev/null
}

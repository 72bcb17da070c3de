# kind's module source (images/base/files, the node image's systemd units, containerd config, entrypoint):
# writes its directory's path, read-only inside $GOMODCACHE, into $CACHE/bin/kind-src.dir.
OUTPUTS=(kind-src.dir)
INPUT_VARS=(KIND_VERSION)
USES_GO=0

build() {
  local dir; dir=$(mod_dir "sigs.k8s.io/kind@$KIND_VERSION")
  test -f "$dir/images/base/files/etc/containerd/config.toml"
  echo "$dir" >"$OUT/kind-src.dir"
}

# Kubernetes server binaries, kubeadm and kubectl: one `go build` of seven commands (shared compile).
# k8s.io/kubernetes cannot be built as a dependency as published (its go.mod replaces the k8s.io/*
# staging modules with ./staging paths), so scripts/lab/gomod/kubernetes requires it and replaces each
# staging module with its published v0.33.x release; its go.sum pins every transitive module.
OUTPUTS=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
INPUT_VARS=(KUBERNETES_VERSION KUBERNETES_STAGING_VERSION KUBERNETES_BUILD_TAGS GO_LDFLAGS_BASE
  GO_CGO_ENABLED GO_OS GO_ARCH KUBE_APISERVER_IMAGE KUBE_CONTROLLER_MANAGER_IMAGE KUBE_SCHEDULER_IMAGE
  KUBE_PROXY_IMAGE COREDNS_IMAGE PAUSE_IMAGE ETCD_IMAGE)
INPUT_FILES=(scripts/lab/gomod/kubernetes)

build() {
  local mod; mod=$(gomod_dir kubernetes)
  # The wrapper's pins must agree with versions.env, or kubeadm would report one version and be another.
  grep -q "^require k8s.io/kubernetes $KUBERNETES_VERSION\$" "$mod/go.mod" ||
    { echo "scripts/lab/gomod/kubernetes/go.mod does not require k8s.io/kubernetes $KUBERNETES_VERSION (versions.env): update it"; return 1; }
  if grep '=> k8s.io/' "$mod/go.mod" | grep -v " $KUBERNETES_STAGING_VERSION\$"; then
    echo "scripts/lab/gomod/kubernetes/go.mod replaces the staging modules above with a version other than $KUBERNETES_STAGING_VERSION"; return 1
  fi
  (cd "$mod" && go mod download k8s.io/kubernetes)
  local ver=${KUBERNETES_VERSION#v} date
  date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.info" 2>/dev/null || true)
  # kubeadm picks its image tags from this version, so it must be exactly vX.Y.Z. The proxy does not
  # carry the release's git commit, so gitCommit stays empty; buildDate is the proxy's release time.
  local ld="$GO_LDFLAGS_BASE" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${ver%%.*}"
    ld+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"$ver") -X $pkg.gitTreeState=clean"
    ld+=" -X $pkg.gitCommit= -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z}"
  done
  local cmds=() c
  for c in "${OUTPUTS[@]}"; do cmds+=("k8s.io/kubernetes/cmd/$c"); done
  cd "$mod"
  go_build -mod=readonly -tags "$KUBERNETES_BUILD_TAGS" -ldflags "$ld" -o "$OUT/" "${cmds[@]}"
  "$OUT/kubeadm" version -o short | grep -qx "$KUBERNETES_VERSION"
  # versions.env must name exactly the images this kubeadm will ask for, or kubeadm would try to pull.
  local want got
  want=$(printf '%s\n' "$KUBE_APISERVER_IMAGE" "$KUBE_CONTROLLER_MANAGER_IMAGE" "$KUBE_SCHEDULER_IMAGE" \
    "$KUBE_PROXY_IMAGE" "$COREDNS_IMAGE" "$PAUSE_IMAGE" "$ETCD_IMAGE")
  got=$("$OUT/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION")
  [[ $got == "$want" ]] || { echo "kubeadm wants:"; echo "$got"; echo "versions.env says:"; echo "$want"; return 1; }
}

# NGINX's open-source kubernetes-ingress controller (NIC), from its Go module at NIC_VERSION.
# Why v1.12.5 and a patch: its later releases (v2+) are tagged without a /vN module path, so the module proxy
# serves no version of them; v1.12.5 is the newest it serves. That release watches networking.k8s.io/v1beta1
# Ingress, which Kubernetes removed in 1.22: ingress-v1.patch moves it to networking.k8s.io/v1 (backend.service,
# IngressClass v1) and adds the per-Ingress `nginx.org/use-cluster-ip: "true"` annotation (one upstream server:
# the Service's ClusterIP; endpoint changes then no longer rewrite that Ingress's config).
# Outputs: the controller binary and its nginx (OSS) templates, which it reads from its working dir at run time.
OUTPUTS=(nginx-ingress nginx-ingress-templates.tar)
INPUT_VARS=(NIC_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)
INPUT_FILES=(scripts/lab/addons/nginx-ingress/ingress-v1.patch)

build() {
  local src
  src=$(mod_dir "github.com/nginxinc/kubernetes-ingress@$NIC_VERSION")
  cp -r "$src" nic
  chmod -R u+w nic
  cd nic
  patch -p1 --batch --forward < "$REPO/scripts/lab/addons/nginx-ingress/ingress-v1.patch"
  go_build -ldflags "$GO_LDFLAGS_BASE -X main.version=${NIC_VERSION#v}-lossless -X main.commit=module -X main.date=none" \
    -o "$OUT/nginx-ingress" ./cmd/nginx-ingress
  tar -C internal/configs -cf "$OUT/nginx-ingress-templates.tar" \
    version1/nginx.tmpl version1/nginx.ingress.tmpl version2/nginx.virtualserver.tmpl version2/nginx.transportserver.tmpl
  # the binary must start and report the pinned version (it exits 0 after printing with -version)
  "$OUT/nginx-ingress" -version 2>&1 | grep -q "Version=${NIC_VERSION#v}-lossless"
}

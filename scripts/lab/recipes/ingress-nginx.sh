# ingress-nginx, the community controller, from its Go module at INGRESS_NGINX_VERSION (a pseudo-version: the
# proxy serves no tagged release of k8s.io/ingress-nginx). Patched (scripts/lab/addons/ingress-nginx/
# ingress-nginx.patch) for Debian's nginx 1.22 instead of OpenResty: the template loads Debian's dynamic modules
# and drops the stream {} block (no stream-lua in Debian), and the controller skips its TCP/UDP update while no
# TCP/UDP service exists. The Lua modules Debian lacks are scripts/lab/addons/ingress-nginx/lua/resty/*.
# Outputs: the controller and a tar of /etc/nginx (nginx.conf, the template, the Lua, our resty/ modules).
OUTPUTS=(ingress-nginx-controller ingress-nginx-etc.tar)
INPUT_VARS=(INGRESS_NGINX_VERSION GO_LDFLAGS_BASE GO_CGO_ENABLED GO_OS GO_ARCH)
INPUT_FILES=(scripts/lab/addons/ingress-nginx/ingress-nginx.patch scripts/lab/addons/ingress-nginx/lua)

build() {
  local src
  src=$(mod_dir "k8s.io/ingress-nginx@$INGRESS_NGINX_VERSION")
  cp -r "$src" inx
  chmod -R u+w inx
  cd inx
  # go.work names modules of the repository that the module zip does not hold
  rm -f go.work go.work.sum
  patch -p1 --batch --forward < "$REPO/scripts/lab/addons/ingress-nginx/ingress-nginx.patch"
  go_build -ldflags "$GO_LDFLAGS_BASE -X k8s.io/ingress-nginx/version.RELEASE=${INGRESS_NGINX_VERSION}-lossless -X k8s.io/ingress-nginx/version.COMMIT=${INGRESS_NGINX_VERSION##*-} -X k8s.io/ingress-nginx/version.REPO=k8s.io/ingress-nginx" \
    -o "$OUT/ingress-nginx-controller" ./cmd/nginx
  # /etc/nginx as the image holds it: the module's files without its Lua tests, plus the modules Debian lacks
  rm -rf rootfs/etc/nginx/lua/test rootfs/etc/nginx/lua/plugins/hello_world/test
  cp -r "$REPO/scripts/lab/addons/ingress-nginx/lua/resty" rootfs/etc/nginx/lua/resty
  tar -C rootfs/etc --owner=0 --group=0 --sort=name --mtime=@0 -cf "$OUT/ingress-nginx-etc.tar" nginx
  "$OUT/ingress-nginx-controller" --version 2>&1 | grep -q "${INGRESS_NGINX_VERSION}-lossless"
}

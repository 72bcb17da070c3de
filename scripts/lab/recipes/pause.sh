# The pause binary (the pod sandbox's process): C from build/pause/linux/pause.c in the Kubernetes module,
# built as Kubernetes' build/pause/Makefile does (static, -Os, VERSION baked in), with Debian's gcc.
OUTPUTS=(pause)
INPUT_VARS=(KUBERNETES_VERSION PAUSE_IMAGE_TAG)
USES_GO=0

build() {
  command -v gcc >/dev/null || { echo "gcc is missing: apt-get install gcc libc6-dev"; return 1; }
  local src; src=$(mod_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")/build/pause/linux
  gcc --version | head -1
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_IMAGE_TAG-lossless" -o "$OUT/pause" "$src/pause.c"
  strip "$OUT/pause"
  # pause -v prints its version and exits 0; a dynamic binary would not run in a FROM scratch image.
  "$OUT/pause" -v
  ! ldd "$OUT/pause" >/dev/null 2>&1
}

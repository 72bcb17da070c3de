#!/bin/sh
# crictl stand-in for the lab's node image (cri-tools is not buildable here). It answers only what
# `kind load` asks — `crictl inspecti <name or sha256:id>` — from containerd's k8s.io namespace, so kind skips
# images a node already holds (the real crictl prints more fields; kind reads status.id and status.repoTags).
[ "$1" = inspecti ] || { echo "crictl (lossless stand-in): only 'inspecti <image>' is supported" >&2; exit 1; }
shift
want=
for a in "$@"; do case "$a" in -*) ;; *) want=$a ;; esac; done
[ -n "$want" ] || { echo "crictl inspecti: no image given" >&2; exit 1; }
case "$want" in
  sha256:*|*/*/*|*.*/*) ;;
  */*) want=docker.io/$want ;;
  *) want=docker.io/library/$want ;;
esac
case "$want" in *:*|*@*) ;; *) want=$want:latest ;; esac
# REF TYPE DIGEST ...: the CRI names each image by its config digest ("sha256:<id>") beside its tags
list=$(ctr --namespace=k8s.io images ls 2>/dev/null | awk 'NR > 1 { print $1, $3 }')
digest=$(printf '%s\n' "$list" | awk -v w="$want" '$1 == w { print $2; exit }')
[ -n "$digest" ] || { echo "crictl inspecti: no such image \"$want\" present" >&2; exit 1; }
id=$(printf '%s\n' "$list" | awk -v d="$digest" '$2 == d && $1 ~ /^sha256:/ { print $1; exit }')
[ -n "$id" ] || { echo "crictl inspecti: \"$want\" has no CRI image id yet" >&2; exit 1; }
tags=$(printf '%s\n' "$list" | awk -v d="$digest" '$2 == d && $1 !~ /^sha256:/ && $1 !~ /@/ { print $1 }' | jq -R . | jq -s -c .)
printf '{"status":{"id":"%s","repoTags":%s}}\n' "$id" "$tags"

# Gateway API CRDs, standard channel, from the sigs.k8s.io/gateway-api module (config/crd/standard/*.yaml,
# file-name order): GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant, BackendTLSPolicy.
# installAddons applies them before Traefik, whose Kubernetes Gateway provider watches all of them.
# Nothing is compiled: go only downloads the module.
OUTPUTS=(gateway-api-crds.yaml)
INPUT_VARS=(GATEWAY_API_VERSION)

build() {
  local src f n=0
  src=$(mod_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
  for f in "$src"/config/crd/standard/*.yaml; do
    grep -q '^kind: CustomResourceDefinition$' "$f" || { echo "$f is not a CRD" >&2; return 1; }
    { echo "---"; cat "$f"; } >> gateway-api-crds.yaml
    n=$((n + 1))
  done
  # the six kinds of the standard channel at v1.4 (Traefik's provider informs on each of them)
  for kind in GatewayClass Gateway HTTPRoute GRPCRoute ReferenceGrant BackendTLSPolicy; do
    grep -q "^    kind: $kind\$" gateway-api-crds.yaml || { echo "no CRD for $kind" >&2; return 1; }
  done
  echo "$n CRDs from sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
  mv gateway-api-crds.yaml "$OUT/gateway-api-crds.yaml"
}

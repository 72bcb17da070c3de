// What each ingress controller does with an endpoint change, in the words a fix needs: whether it reloads its
// proxy (NGINX Inc's kubernetes-ingress) or swaps upstreams in place (ingress-nginx's Lua balancer, Traefik),
// and its switch to the Service's ClusterIP. Keyed by the `controller` of the path's hops and of its routing
// events (observe/ingresslog.ts); an unknown controller gets the generic words.

export interface ControllerWords {
  /** who, e.g. "NGINX Inc's kubernetes-ingress". */
  name: string;
  /** what it does on an endpoint change. */
  onEndpointChange: string;
  /** whether that change reloads the proxy (and so may close client keep-alive connections). */
  reloads: boolean;
  /** the switch that routes to the Service's ClusterIP, so endpoint changes never reach the proxy. */
  clusterIp: string;
}

const WORDS: Readonly<Record<string, ControllerWords>> = {
  nginx: {
    name: "NGINX Inc's kubernetes-ingress",
    onEndpointChange: 'rewrites its config and reloads nginx on every endpoint change',
    reloads: true,
    clusterIp: 'annotate the Ingress nginx.org/use-cluster-ip: "true"',
  },
  'ingress-nginx': {
    name: 'ingress-nginx',
    onEndpointChange: "updates the endpoints inside nginx (a POST to its Lua balancer, batched by --sync-rate-limit) without a reload",
    reloads: false,
    clusterIp: 'annotate the Ingress nginx.ingress.kubernetes.io/service-upstream: "true"',
  },
  traefik: {
    name: "Traefik's Ingress provider",
    onEndpointChange: 'swaps its routing configuration in place (no reload)',
    reloads: false,
    clusterIp: 'annotate the Service traefik.ingress.kubernetes.io/service.nativelb: "true"',
  },
  'traefik-gateway': {
    name: "Traefik's Gateway API provider",
    onEndpointChange: 'swaps its HTTPRoute backends in place (no reload)',
    reloads: false,
    clusterIp: 'annotate the Service traefik.io/service.nativelb: "true"',
  },
};

const GENERIC: ControllerWords = {
  name: 'the ingress',
  onEndpointChange: 'acts on endpoint changes',
  reloads: false,
  clusterIp: 'route the ingress to the Service\'s ClusterIP (nginx.org/use-cluster-ip: "true" / ingress-nginx service-upstream / Traefik nativeLB)',
};

export function controllerWords(controller: unknown): ControllerWords {
  return (typeof controller === 'string' ? WORDS[controller] : undefined) ?? GENERIC;
}

// A `gateway` path's Gateway API objects: a Gateway of the controller's GatewayClass with one HTTP listener for
// the path's host, and an HTTPRoute from that listener to the path's Service. One Gateway per path, in the
// scenario's namespace, so a run owns (and its namespace deletion removes) everything it routes through.
// The lab's class is `traefik` (scripts/lab/addons/traefik/traefik.yaml); Traefik binds a listener to the
// entryPoint whose address ends in the listener's port, 8000 = its `web` entryPoint, the one the host reaches.

import type { KubernetesObject } from '@kubernetes/client-node';
import { GATEWAY } from '../lab/addons.ts';

export const GATEWAY_API = 'gateway.networking.k8s.io/v1';

/** The GatewayClass and listener port each gateway controller serves in the lab (installAddons' facts). */
export const GATEWAY_CLASSES = {
  traefik: { gatewayClassName: GATEWAY.gatewayClass, listenerPort: GATEWAY.listenerPort, clusterIpAnnotation: GATEWAY.clusterIp.annotation },
} as const;

export type GatewayControllerName = keyof typeof GATEWAY_CLASSES;

export interface Gateway extends KubernetesObject {
  spec: {
    gatewayClassName: string;
    listeners: Array<{ name: string; protocol: 'HTTP'; port: number; hostname: string }>;
  };
}

export interface HttpRoute extends KubernetesObject {
  spec: {
    parentRefs: Array<{ name: string; sectionName: string }>;
    hostnames: string[];
    rules: Array<{ backendRefs: Array<{ name: string; port: number }> }>;
  };
}

export interface GatewayRoute {
  controller: GatewayControllerName;
  /** Gateway and HTTPRoute name (the path's Service name). */
  name: string;
  namespace: string;
  host: string;
  service: string;
  servicePort: number;
  labels: Record<string, string>;
}

/** The Gateway and the HTTPRoute of one path, in apply order (the route's parent first). */
export function gatewayObjects(g: GatewayRoute): [Gateway, HttpRoute] {
  const cls = GATEWAY_CLASSES[g.controller];
  const metadata = { name: g.name, namespace: g.namespace, labels: g.labels };
  return [
    {
      apiVersion: GATEWAY_API,
      kind: 'Gateway',
      metadata,
      spec: { gatewayClassName: cls.gatewayClassName, listeners: [{ name: 'http', protocol: 'HTTP', port: cls.listenerPort, hostname: g.host }] },
    },
    {
      apiVersion: GATEWAY_API,
      kind: 'HTTPRoute',
      metadata,
      spec: {
        parentRefs: [{ name: g.name, sectionName: 'http' }],
        hostnames: [g.host],
        rules: [{ backendRefs: [{ name: g.service, port: g.servicePort }] }],
      },
    },
  ];
}

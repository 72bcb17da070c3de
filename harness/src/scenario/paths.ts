// Where each traffic path is driven from, and to which address: the LoadBalancer path and the ingress
// paths from the host (the kind network routes to MetalLB addresses; the ingress controllers are mapped
// to 127.0.0.1), the ClusterIP path from a pod inside the cluster.

import type { PathHops } from '../attribute/timeline.ts';
import type { IngressController } from '../observe/ingresslog.ts';
import type { Route } from './manifest.ts';

/**
 * Where the ingress controllers answer: the host ports the lab maps (scripts/lab/kind.yaml), or, from a
 * container on the kind network (docker-compose.yml), the control-plane's NodePorts set by
 * LOSSLESS_INGRESS_NGINX / LOSSLESS_INGRESS_TRAEFIK (host:port).
 */
export function ingressAddress(controller: 'nginx' | 'traefik', env: NodeJS.ProcessEnv = process.env): string {
  const set = controller === 'nginx' ? env.LOSSLESS_INGRESS_NGINX : env.LOSSLESS_INGRESS_TRAEFIK;
  if (set !== undefined && set !== '') {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(set)) throw new Error(`LOSSLESS_INGRESS_${controller.toUpperCase()} '${set}': expected host:port, e.g. lossless-control-plane:30080`);
    return set;
  }
  return controller === 'nginx' ? '127.0.0.1:18080' : '127.0.0.1:18081';
}

/** ingress-nginx's NodePort (scripts/lab/addons/ingress-nginx/ingress-nginx.yaml): the lab maps no host port to it. */
export const INGRESS_NGINX_NODE_PORT = 30082;

/**
 * Where ingress-nginx answers: LOSSLESS_INGRESS_INGRESS_NGINX (host:port, e.g. lossless-control-plane:30082
 * from a container on the kind network), else its NodePort on a node's address (`nodeIp`: the lab's
 * control-plane container on the kind network, which the host routes to).
 */
export async function ingressNginxAddress(nodeIp: (() => Promise<string>) | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const set = env.LOSSLESS_INGRESS_INGRESS_NGINX;
  if (set !== undefined && set !== '') {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(set)) throw new Error(`LOSSLESS_INGRESS_INGRESS_NGINX '${set}': expected host:port, e.g. lossless-control-plane:30082`);
    return set;
  }
  if (!nodeIp) throw new Error('ingress-nginx has no host port: set LOSSLESS_INGRESS_INGRESS_NGINX (host:port of its NodePort 30082)');
  return `${await nodeIp()}:${INGRESS_NGINX_NODE_PORT}`;
}

export interface HostTarget {
  path: string;
  type: Route['type'];
  url: string;
  headers: Array<[string, string]>;
  /** The Service behind it, and on an ingress or gateway path its controller (the log stream its routing
   * changes come from): the hops attribution judges it by. */
  service: string;
  controller?: IngressController;
}

export interface PathTargets {
  host: HostTarget[];
  /** The ClusterIP path, driven by the in-cluster loader. */
  inCluster?: { path: string; url: string; service: string };
}

/** Per ledger target (URL), the hops its requests cross, for attribution. */
export function hopsOfTargets(targets: PathTargets): Record<string, PathHops> {
  const out: Record<string, PathHops> = {};
  if (targets.inCluster) out[targets.inCluster.url] = { via: 'clusterip', service: targets.inCluster.service };
  for (const t of targets.host) {
    // a gateway path crosses the same kind of hop as an ingress path (a proxy routing by Host to the Service's
    // endpoints); its controller (traefik-gateway) keeps its routing changes apart from the Ingress provider's
    const via = t.type === 'lb' || t.type === 'registry' || t.type === 'clusterip' ? t.type : 'ingress';
    out[t.url] = { via, service: t.service, ...(t.controller ? { controller: t.controller } : {}) };
  }
  return out;
}

/**
 * Resolves every route to the URL the load engine sends to. `lbAddress` gives a LoadBalancer
 * Service's external address (waiting for it when needed).
 */
export async function resolveTargets(
  routes: readonly Route[],
  namespace: string,
  lbAddress: (service: string) => Promise<string>,
  nodeIp?: () => Promise<string>,
): Promise<PathTargets> {
  const out: PathTargets = { host: [] };
  for (const r of routes) {
    if (r.type === 'clusterip') {
      out.inCluster = { path: r.path, url: `http://${r.service}.${namespace}.svc.cluster.local:${r.port}/${r.path}`, service: r.service };
    } else if (r.type === 'lb' || r.type === 'registry') {
      // the registry path enters through the consumer's LoadBalancer Service
      const addr = await lbAddress(r.service);
      out.host.push({ path: r.path, type: r.type, url: `http://${addr}:${r.port}/${r.path}`, headers: [], service: r.service });
    } else if (r.type === 'gateway') {
      // Traefik serves its Gateways' listeners on the entryPoint its Ingresses use: same address, Host apart
      const headers: Array<[string, string]> = r.host ? [['host', r.host]] : [];
      out.host.push({ path: r.path, type: r.type, url: `http://${ingressAddress('traefik')}/${r.path}`, headers, service: r.service, controller: 'traefik-gateway' });
    } else {
      const controller = r.ingressClass === 'traefik' ? 'traefik' : r.ingressClass === 'ingress-nginx' ? 'ingress-nginx' : 'nginx';
      const headers: Array<[string, string]> = r.host ? [['host', r.host]] : [];
      const address = controller === 'ingress-nginx' ? await ingressNginxAddress(nodeIp) : ingressAddress(controller);
      out.host.push({ path: r.path, type: r.type, url: `http://${address}/${r.path}`, headers, service: r.service, controller });
    }
  }
  return out;
}

/** Maps a ledger target (URL) back to the scenario's path name. */
export function pathOfTarget(targets: PathTargets, url: string): string | undefined {
  if (targets.inCluster?.url === url) return targets.inCluster.path;
  return targets.host.find((t) => t.url === url)?.path;
}

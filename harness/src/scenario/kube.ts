// The runner's hands on the cluster: server-side apply, waits with deadlines, namespace cleanup.
// Everything goes through @kubernetes/client-node, so an existing kube context works without a
// kubectl binary on the PATH.

import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { EnvError } from '../errors.ts';

export const FIELD_MANAGER = 'lossless';

/** The cluster could not be reached or did not do what was asked in time: exit 3. */
export class ClusterError extends EnvError {
  override name = 'ClusterError';
}

export interface Kube {
  kc: KubeConfig;
  context: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

/** `lab` means the kind cluster `lossless`; anything else is a kube context name. */
export function connect(cluster: string): Kube {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const context = cluster === 'lab' ? 'kind-lossless' : cluster;
  if (!kc.getContexts().some((c) => c.name === context)) {
    const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
    throw new ClusterError(
      `kube context ${JSON.stringify(context)} not found in the kubeconfig (contexts: ${known}); ` +
        (cluster === 'lab' ? 'run `npm run lab:up` first' : 'set `cluster:` to one of them or `lab`'),
    );
  }
  kc.setCurrentContext(context);
  return {
    kc,
    context,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** Server-side apply, forcing ownership: the runner owns every object it creates. */
export async function apply(k: Kube, obj: KubernetesObject): Promise<void> {
  await k.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

export async function ensureNamespace(k: Kube, name: string, labels: Record<string, string>): Promise<void> {
  await apply(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as KubernetesObject);
}

/** Deletes the namespace and waits (bounded) until it is gone, so the next run starts clean. */
export async function deleteNamespace(k: Kube, name: string, timeoutMs = 120_000): Promise<boolean> {
  try {
    await k.core.deleteNamespace({ name, gracePeriodSeconds: 0 });
  } catch (e) {
    if (statusOf(e) === 404) return true;
    throw e;
  }
  return poll(timeoutMs, 500, async () => {
    try {
      await k.core.readNamespace({ name });
      return false;
    } catch (e) {
      return statusOf(e) === 404;
    }
  });
}

export function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Polls `check` until it returns true or the deadline passes; resolves to the last answer. */
export async function poll(timeoutMs: number, everyMs: number, check: () => Promise<boolean>, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) return false;
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The Deployment's rollout is complete: kubectl rollout status's rule. */
export function rolloutComplete(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const st = d.status;
  if (!st || (st.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return false;
  return (st.updatedReplicas ?? 0) === want && (st.replicas ?? 0) === want && (st.availableReplicas ?? 0) === want;
}

export async function waitRollout(k: Kube, namespace: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const ok = await poll(timeoutMs, 250, async () => rolloutComplete(await k.apps.readNamespacedDeployment({ name, namespace })), signal);
  if (!ok && !signal?.aborted) {
    const d = await k.apps.readNamespacedDeployment({ name, namespace }).catch(() => undefined);
    const st = d?.status;
    throw new ClusterError(
      `Deployment ${namespace}/${name} did not finish rolling out in ${Math.round(timeoutMs / 1000)} s ` +
        `(updated ${st?.updatedReplicas ?? 0}, available ${st?.availableReplicas ?? 0} of ${d?.spec?.replicas ?? '?'}); ` +
        `see \`kubectl --context <ctx> -n ${namespace} get pods\``,
    );
  }
}

/** The address a LoadBalancer Service got from MetalLB (or the cloud). */
export async function waitLoadBalancerIP(k: Kube, namespace: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  let ip: string | undefined;
  await poll(timeoutMs, 250, async () => {
    const svc = await k.core.readNamespacedService({ name, namespace });
    const ing = svc.status?.loadBalancer?.ingress?.[0];
    ip = ing?.ip ?? ing?.hostname;
    return ip !== undefined;
  }, signal);
  if (ip === undefined) {
    throw new ClusterError(`Service ${namespace}/${name} got no load balancer address in ${Math.round(timeoutMs / 1000)} s: is MetalLB running (npm run lab:status)?`);
  }
  return ip;
}

// A run's `cloud` LoadBalancer provider: the controller (lab/cloudlb/controller.ts) for the run's namespace,
// its backend health changes and configuration writes on the run's timeline (source `lb`).
import { join } from 'node:path';
import { epochMsToRunNs, type LifecycleEvent, lifecycleEvent, type RunClock } from '../record.ts';
import { CloudLbController, type CloudLbEvent } from '../lab/cloudlb/controller.ts';
import { HAPROXY_ROOTFS, rootfsImage } from '../lab/rootfs.ts';
import { cacheRoot } from '../lab/context.ts';
import type { Kube } from './kube.ts';
import type { Scenario } from './schema.ts';

export function usesCloudLb(s: Scenario): boolean {
  return s.paths.some((p) => p.type === 'lb' && p.provider === 'cloud');
}

export function toLifecycleEvent(e: CloudLbEvent, clock: RunClock): LifecycleEvent {
  return lifecycleEvent({ at: epochMsToRunNs(clock, e.atMs), source: 'lb', kind: e.kind, object: `Service/${e.service.split('/')[1]}`, detail: e.detail, ...(e.node !== undefined ? { node: e.node } : {}) });
}

export async function startCloudLb(k: Kube, namespace: string, clock: RunClock, emit: (e: LifecycleEvent) => void, log: (line: string) => void): Promise<CloudLbController> {
  const c = new CloudLbController({
    kubeConfig: k.kc, namespace, image: rootfsImage(HAPROXY_ROOTFS), stateDir: join(cacheRoot(), 'cloudlb'),
    onEvent: (e) => emit(toLifecycleEvent(e, clock)), log,
  });
  await c.start();
  return c;
}

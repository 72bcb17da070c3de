// Before the measurement starts every host-driven path must answer: a LoadBalancer address MetalLB has
// not announced yet, or an ingress that has not loaded its config, would otherwise count as loss that
// has nothing to do with the rollout.

import { request } from 'undici';
import { ClusterError } from './kube.ts';
import type { HostTarget } from './paths.ts';

/** One GET; true on a 2xx that carries the workload's pod header. */
export async function answers(t: HostTarget, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await request(t.url, {
      headers: Object.fromEntries([...t.headers, ['x-lossless-probe', '1']]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      reset: true, // a fresh connection each time: do not leave probe sockets in the load's pool
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 && res.headers['x-lossless-pod'] !== undefined;
  } catch {
    return false;
  }
}

/** Waits until each target answers 3 times in a row, or throws naming the ones that never did. */
export async function probeTargets(targets: readonly HostTarget[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(targets.map((t) => [t, 0]));
  while (pending.size > 0) {
    if (signal?.aborted) return;
    for (const [t, streak] of pending) {
      const ok = await answers(t);
      if (!ok) pending.set(t, 0);
      else if (streak + 1 >= 3) pending.delete(t);
      else pending.set(t, streak + 1);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const names = [...pending.keys()].map((t) => `${t.path} (${t.url})`).join(', ');
      throw new ClusterError(`path(s) never answered with a pod name within ${Math.round(timeoutMs / 1000)} s: ${names}; check \`npm run lab:status\``);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

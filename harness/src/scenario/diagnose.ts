// What the namespace looked like when a run stopped early (a rollout that never completed, a path that never
// answered): each pod's phase, readiness, container states and restarts, and the last lines of the log of
// every pod that was not ready. Written to diagnostics.txt in the run folder before the namespace is deleted,
// so the cause is still readable afterwards.

import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from './kube.ts';

/** One line per pod: name, node, phase, Ready, and each container's state (waiting reason, last exit). */
export function describePod(p: V1Pod): string {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  const containers = (p.status?.containerStatuses ?? []).map((c) => {
    const st = c.state?.waiting ? `waiting ${c.state.waiting.reason ?? ''}` : c.state?.terminated ? `terminated ${c.state.terminated.reason ?? ''} exit ${c.state.terminated.exitCode}` : c.state?.running ? 'running' : 'unknown';
    const last = c.lastState?.terminated ? `, last exit ${c.lastState.terminated.exitCode} (${c.lastState.terminated.reason ?? ''})` : '';
    return `${c.name}: ${st}, ready ${c.ready}, restarts ${c.restartCount}${last}`;
  });
  return `${p.metadata?.name ?? '?'} on ${p.spec?.nodeName ?? '(unscheduled)'}: ${p.status?.phase ?? '?'}, Ready=${ready?.status ?? '?'}${ready?.message ? ` (${ready.message})` : ''}; ${containers.join('; ') || 'no container status'}`;
}

/** Pods of the namespace and the log tails of the unready ones, as text. Never throws: it is called on the way out. */
export async function diagnose(k: Kube, namespace: string, tailLines = 30): Promise<string> {
  const out: string[] = [];
  try {
    const pods = (await k.core.listNamespacedPod({ namespace })).items;
    for (const p of pods) out.push(describePod(p));
    for (const p of pods) {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready) continue;
      for (const c of p.spec?.containers ?? []) {
        const name = p.metadata?.name as string;
        const text = await k.core.readNamespacedPodLog({ name, namespace, container: c.name, tailLines }).catch((e: unknown) => `(no log: ${(e as Error).message})`);
        out.push('', `--- ${name}/${c.name}: last ${tailLines} log lines`, String(text).trimEnd());
      }
    }
  } catch (e) {
    out.push(`(cannot list pods in ${namespace}: ${(e as Error).message})`);
  }
  return out.join('\n') + '\n';
}

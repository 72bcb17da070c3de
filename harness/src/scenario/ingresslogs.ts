// Follows the ingress controllers' logs during a run, so each reload (NGINX) or configuration swap
// (Traefik's Ingress or Gateway provider) lands on the timeline: the lag from an endpoint change to the proxy acting on it is then
// measured per hop. Controllers are found by the lab's labels (scripts/lab/addons/*/*.yaml).

import type { LifecycleEvent, RunClock } from '../record.ts';
import { parseIngressLine, type IngressController } from '../observe/ingresslog.ts';
import { followPodLog, type LogFollow } from '../observe/podlog.ts';
import type { Kube } from './kube.ts';

export const CONTROLLER_PODS: Record<IngressController, { namespace: string; selector: string }> = {
  nginx: { namespace: 'nginx-ingress', selector: 'app=nginx-ingress' },
  'ingress-nginx': { namespace: 'ingress-nginx', selector: 'app=ingress-nginx' },
  traefik: { namespace: 'traefik', selector: 'app=traefik' },
  // the same Traefik pods: its Gateway provider's swaps, told apart by providerName
  'traefik-gateway': { namespace: 'traefik', selector: 'app=traefik' },
};

export class IngressLogs {
  private follows: LogFollow[] = [];

  constructor(
    private readonly k: Kube,
    private readonly clock: RunClock & { now(): number },
    private readonly emit: (e: LifecycleEvent) => void,
    private readonly warn: (w: string) => void,
  ) {}

  /** Opens a follow on each running controller pod. */
  async start(controllers: readonly IngressController[]): Promise<void> {
    for (const c of controllers) {
      const { namespace, selector } = CONTROLLER_PODS[c];
      const pods = await this.k.core.listNamespacedPod({ namespace, labelSelector: selector }).catch((e: unknown) => {
        this.warn(`ingress ${c}: cannot list controller pods (${(e as Error).message}); its reloads will not be on the timeline`);
        return undefined;
      });
      for (const p of pods?.items ?? []) {
        const name = p.metadata?.name;
        const container = p.spec?.containers[0]?.name;
        if (!name || !container || p.status?.phase !== 'Running') continue;
        const startedAt = this.clock.now();
        try {
          const f = await followPodLog(this.k.kc, namespace, name, container, (line) => {
            const at = this.clock.now();
            // The follow first replays the log since the container started, in one burst: skip it. The
            // runner opens these follows before the Deployment is even ready, so nothing of the run is lost.
            if (at - startedAt < 1.5e9) return;
            const e = parseIngressLine(line, c, at, this.clock, name);
            if (e) this.emit(e);
          });
          this.follows.push(f);
        } catch (e) {
          this.warn(`ingress ${c}: cannot follow ${name} (${(e as Error).message})`);
        }
      }
    }
  }

  async stop(): Promise<void> {
    for (const f of this.follows) f.stop();
    await Promise.all(this.follows.map((f) => f.done));
  }
}

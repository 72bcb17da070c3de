// Follows the registry consumer's log during a run (the consumer is deployed once and never rolled, so it
// is not among the watched pods): its routing-list changes and the registry changes it saw join the
// timeline. The follow replays the log from the container's start: the initial list is wanted too.

import type { LifecycleEvent, RunClock } from '../record.ts';
import { followPodLog, type LogFollow } from '../observe/podlog.ts';
import { parseConsumerLine } from '../observe/registrylog.ts';
import type { Kube } from './kube.ts';
import { CONSUMER_NAME } from './registry.ts';

export class ConsumerLogs {
  private follows: LogFollow[] = [];

  constructor(
    private readonly k: Kube,
    private readonly namespace: string,
    private readonly clock: RunClock,
    private readonly emit: (e: LifecycleEvent) => void,
    private readonly warn: (w: string) => void,
  ) {}

  async start(): Promise<void> {
    const pods = await this.k.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `app.kubernetes.io/name=${CONSUMER_NAME}` });
    const running = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    if (running.length === 0) {
      this.warn('registry consumer: no running pod to follow; its list changes will not be on the timeline');
      return;
    }
    for (const p of running) {
      const name = p.metadata?.name as string;
      this.follows.push(await followPodLog(this.k.kc, this.namespace, name, CONSUMER_NAME, (line) => {
        const e = parseConsumerLine(line, this.clock, name);
        if (e) this.emit(e);
      }));
    }
  }

  async stop(): Promise<void> {
    for (const f of this.follows) f.stop();
    await Promise.all(this.follows.map((f) => f.done));
  }
}

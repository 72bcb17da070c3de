// Follows the log of every pod the watch sees start, so the workload's own lifecycle lines (listening,
// ready, sigterm, last request, exit: millisecond times) join the timeline. A log stream is opened once
// per container start; after a restart the new container's lines are followed too.

import type { KubeConfig } from '@kubernetes/client-node';
import type { LifecycleEvent } from '../record.ts';
import { followPodLog, type LogFollow } from '../observe/podlog.ts';

export interface PodLogsOptions {
  kc: KubeConfig;
  namespace: string;
  container: string;
  /** One line of a pod's log, with the pod's name. */
  onLine: (pod: string, line: string) => void;
  onError?: (pod: string, err: unknown) => void;
}

export class PodLogs {
  private readonly follows = new Map<string, LogFollow>();
  private stopped = false;

  constructor(private readonly o: PodLogsOptions) {}

  /** Feed every timeline event: a `pod-started` for this container opens its log. */
  observe(e: LifecycleEvent): void {
    if (this.stopped || e.kind !== 'pod-started' || !e.pod) return;
    if (e.detail?.container !== undefined && e.detail.container !== this.o.container) return;
    const key = `${e.pod}#${String(e.detail?.restartCount ?? 0)}`;
    if (this.follows.has(key)) return;
    const pod = e.pod;
    // Placeholder until the stream opens, so a second event for the same start does not open another.
    this.follows.set(key, { stop: () => {}, done: Promise.resolve() });
    followPodLog(this.o.kc, this.o.namespace, pod, this.o.container, (line) => this.o.onLine(pod, line))
      .then((f) => {
        if (this.stopped) f.stop();
        this.follows.set(key, f);
      })
      .catch((err: unknown) => this.o.onError?.(pod, err));
  }

  /**
   * Waits up to `graceMs` for streams to end on their own (their containers exit and the last lines
   * arrive), then stops the rest.
   */
  async stop(graceMs: number): Promise<void> {
    const all = [...this.follows.values()];
    await Promise.race([Promise.all(all.map((f) => f.done)), new Promise((r) => setTimeout(r, graceMs))]);
    this.stopped = true;
    for (const f of this.follows.values()) f.stop();
  }
}

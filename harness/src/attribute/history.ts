// One history per pod: which events are about which pod, in time order. Attribution's timeline
// (timeline.ts: the moments a rule judges by) and the report's lanes (report/lanes.ts: the spans a reader
// sees) both read it, so the two never disagree on what happened to a pod.

import type { LifecycleEvent } from '../record.ts';
import { providerList } from '../observe/registrylog.ts';

/** How an event came to be about a pod. */
export type Via =
  /** it names the pod (e.pod) */
  | 'pod'
  /** it names only the pod's IP */
  | 'ip'
  /** a registry consumer's list added or removed the pod (a provider): `e` is the consumer-list event */
  | 'consumer-added'
  | 'consumer-removed';

export interface PodEntry {
  via: Via;
  e: LifecycleEvent;
}

export interface PodHistory {
  pod: string;
  /** Its entries in time order (ties in the order the events came). */
  entries: PodEntry[];
}

export interface Histories {
  pods: Map<string, PodHistory>;
  /** Pod IP -> pod (the last pod seen with it). */
  ipToPod: Map<string, string>;
  /** Events about no pod (rollout marks, ingress reloads without a pod, LB announcements...), in time order. */
  others: LifecycleEvent[];
  /** Every event in time order. */
  sorted: LifecycleEvent[];
}

export function podHistories(events: readonly LifecycleEvent[]): Histories {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const ipToPod = new Map<string, string>();
  for (const e of sorted) if (e.pod && e.podIP) ipToPod.set(e.podIP, e.pod);
  const pods = new Map<string, PodHistory>();
  const add = (pod: string, entry: PodEntry) => {
    let h = pods.get(pod);
    if (!h) pods.set(pod, (h = { pod, entries: [] }));
    h.entries.push(entry);
  };
  const others: LifecycleEvent[] = [];
  for (const e of sorted) {
    if (e.kind === 'consumer-list') {
      // a list change names the providers it added and removed: those are facts about them
      for (const p of providerList(e.detail?.added)) add(p, { via: 'consumer-added', e });
      for (const p of providerList(e.detail?.removed)) add(p, { via: 'consumer-removed', e });
    }
    if (e.pod) add(e.pod, { via: 'pod', e });
    else if (e.podIP && ipToPod.has(e.podIP)) add(ipToPod.get(e.podIP) as string, { via: 'ip', e });
    else others.push(e);
  }
  return { pods, ipToPod, others, sorted };
}

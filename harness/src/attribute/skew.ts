// Clock skew between the host (request stamps, watch receive times) and each node (pod log lines).
//
// Measured, never inferred: the run measures each node's clock against the host's at its start
// (observe/clock.ts: min-RTT `date` reads, in env.json as nodeClocks). An offset is applied to a node's
// pod-log times only when it is larger than its own uncertainty (half the round trip); on kind every
// node shares the host's clock and the measurement says ~0. Watch delivery times say nothing about
// clocks: a deletion the watch delivers 900 ms late is a late delivery, not a clock 900 ms behind.

import type { LifecycleEvent } from '../record.ts';
import type { NodeClock } from '../observe/clock.ts';

export interface NodeSkew {
  node: string; // '' = pods whose node is unknown
  offsetMs: number; // applied: subtracted from this node's pod-log times
  /** measured: applied; within-rtt: measured but no larger than its uncertainty, not applied; not-measured: 0. */
  method: 'measured' | 'within-rtt' | 'not-measured';
  measuredMs?: number;
  rttMs?: number;
}

/** The offset to apply per node: one entry per node that has pod-log events. */
export function skewFromClocks(events: readonly LifecycleEvent[], clocks: readonly NodeClock[] = []): Map<string, NodeSkew> {
  const byNode = new Map(clocks.map((c) => [c.node, c]));
  const nodeOf = podNodes(events);
  const out = new Map<string, NodeSkew>();
  for (const e of events) {
    if (e.source !== 'pod-log' || !e.pod) continue;
    const node = nodeOf.get(e.pod) ?? '';
    if (out.has(node)) continue;
    const c = byNode.get(node);
    if (!c || c.offsetMs === null || c.rttMs === null) {
      out.set(node, { node, offsetMs: 0, method: 'not-measured' });
      continue;
    }
    const applied = Math.abs(c.offsetMs) > c.rttMs / 2;
    out.set(node, { node, offsetMs: applied ? c.offsetMs : 0, method: applied ? 'measured' : 'within-rtt', measuredMs: c.offsetMs, rttMs: c.rttMs });
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function podNodes(events: readonly LifecycleEvent[]): Map<string, string> {
  const nodeOf = new Map<string, string>();
  for (const e of events) if (e.pod && e.node && e.source !== 'pod-log') nodeOf.set(e.pod, e.node);
  return nodeOf;
}

/** The events with every pod-log time moved onto the harness's clock. */
export function correctSkew(events: readonly LifecycleEvent[], skew: Map<string, NodeSkew>): LifecycleEvent[] {
  const nodeOf = podNodes(events);
  return events.map((e) => {
    if (e.source !== 'pod-log' || !e.pod) return e;
    const s = skew.get(nodeOf.get(e.pod) ?? '');
    if (!s || s.offsetMs === 0) return e;
    return { ...e, at: e.at - s.offsetMs * 1e6 };
  });
}

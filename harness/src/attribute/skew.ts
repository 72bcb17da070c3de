// Clock skew between the watch stream (the harness's clock) and pod log lines (each node's clock).
//
// Model: a pod-log time = true time + θ(node). Causality bounds θ per node:
//   - SIGTERM comes after the deletion was requested and after the preStop sleep:
//       sigterm_true >= deleting_recv - watchLag + preStop        =>  θ <= Δ + watchLag
//     where Δ = sigterm_log - (deleting_recv + preStop) for pods whose preStop is a known sleep (or none).
//   - the process exits before the watch can see the container terminated:
//       exit_true <= terminated_recv                               =>  θ >= exit_log - terminated_recv
//   - with a readiness probe, the app is ready before the pod turns Ready:
//       ready_true <= podReady_recv                                =>  θ >= ready_log - podReady_recv
// Estimate: 0 when 0 fits every bound (kind's nodes share the host's clock: the usual case). Otherwise
// the median of the Δs (SIGTERM follows the end of preStop within the kubelet's reaction time), clamped
// into the bounds. An estimate beyond ±maxSkewMs is not applied: something else is wrong.

import type { LifecycleEvent } from '../record.ts';

export interface SkewOptions {
  /** How late the watch may deliver an event (ms). */
  watchLagMs?: number;
  /** Larger estimates are reported but not applied (ms). */
  maxSkewMs?: number;
}

export interface NodeSkew {
  node: string; // '' = pods whose node is unknown
  offsetMs: number; // θ applied: subtract from pod-log times
  method: 'zero' | 'median' | 'not-applied' | 'no-data';
  pairs: number; // deletion/SIGTERM pairs used
  lowerMs?: number;
  upperMs?: number;
  medianMs?: number;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Estimates θ per node from the events; returns one entry per node that has pod-log events. */
export function estimateSkew(events: readonly LifecycleEvent[], opts: SkewOptions = {}): Map<string, NodeSkew> {
  const watchLagMs = opts.watchLagMs ?? 500;
  const maxSkewMs = opts.maxSkewMs ?? 60_000;
  const nodeOf = new Map<string, string>();
  const firstOf = (kind: string, source?: string) => {
    const m = new Map<string, LifecycleEvent>();
    for (const e of events) {
      if (e.kind !== kind || !e.pod || (source && e.source !== source) || m.has(e.pod)) continue;
      m.set(e.pod, e);
    }
    return m;
  };
  for (const e of events) if (e.pod && e.node && e.source !== 'pod-log') nodeOf.set(e.pod, e.node);
  const deleting = firstOf('pod-deleting');
  const sigterm = firstOf('sigterm', 'pod-log');
  const exit = firstOf('exit', 'pod-log');
  const ready = firstOf('ready', 'pod-log');
  const terminated = new Map<string, LifecycleEvent>();
  for (const e of events) if ((e.kind === 'pod-terminated' || e.kind === 'pod-killed') && e.pod && !terminated.has(e.pod)) terminated.set(e.pod, e);
  const podReady = firstOf('pod-ready');

  const acc = new Map<string, { deltas: number[]; lower: number; upper: number }>();
  const get = (pod: string) => {
    const node = nodeOf.get(pod) ?? '';
    let a = acc.get(node);
    if (!a) acc.set(node, (a = { deltas: [], lower: -Infinity, upper: Infinity }));
    return a;
  };
  const pods = new Set<string>();
  for (const e of events) if (e.source === 'pod-log' && e.pod) pods.add(e.pod);
  for (const pod of pods) {
    const a = get(pod);
    const del = deleting.get(pod);
    const sig = sigterm.get(pod);
    if (del && sig) {
      const pre = del.detail?.preStopSeconds;
      const grace = Number(del.detail?.gracePeriodSeconds ?? Infinity);
      const preMs = pre === undefined ? 0 : Number(pre) >= 0 ? Math.min(Number(pre), grace) * 1000 : undefined;
      if (preMs !== undefined) {
        const delta = (sig.at - del.at) / 1e6 - preMs;
        a.deltas.push(delta);
        a.upper = Math.min(a.upper, delta + watchLagMs);
      }
    }
    const ex = exit.get(pod);
    const term = terminated.get(pod);
    if (ex && term) a.lower = Math.max(a.lower, (ex.at - term.at) / 1e6);
    const rd = ready.get(pod);
    const pr = podReady.get(pod);
    if (rd && pr && pr.detail?.hasReadinessProbe !== false && hasProbe(events, pod)) a.lower = Math.max(a.lower, (rd.at - pr.at) / 1e6);
  }

  const out = new Map<string, NodeSkew>();
  for (const [node, a] of acc) {
    const base: NodeSkew = { node, offsetMs: 0, method: 'zero', pairs: a.deltas.length };
    if (Number.isFinite(a.lower)) base.lowerMs = a.lower;
    if (Number.isFinite(a.upper)) base.upperMs = a.upper;
    const med = median(a.deltas);
    if (med !== undefined) base.medianMs = med;
    if (a.lower <= 0 && 0 <= a.upper) {
      out.set(node, base);
      continue;
    }
    let est = med ?? (a.lower > 0 ? a.lower : a.upper);
    if (a.lower <= a.upper) est = Math.min(a.upper, Math.max(a.lower, est));
    if (Math.abs(est) > maxSkewMs) out.set(node, { ...base, method: 'not-applied', offsetMs: 0, medianMs: est });
    else out.set(node, { ...base, method: 'median', offsetMs: est });
  }
  return out;
}

function hasProbe(events: readonly LifecycleEvent[], pod: string): boolean {
  return events.some((e) => e.pod === pod && (e.kind === 'pod-created' || e.kind === 'pod-deleting') && e.detail?.hasReadinessProbe === true);
}

/** The events with every pod-log time moved onto the harness's clock. */
export function correctSkew(events: readonly LifecycleEvent[], skew: Map<string, NodeSkew>): LifecycleEvent[] {
  const nodeOf = new Map<string, string>();
  for (const e of events) if (e.pod && e.node && e.source !== 'pod-log') nodeOf.set(e.pod, e.node);
  return events.map((e) => {
    if (e.source !== 'pod-log' || !e.pod) return e;
    const s = skew.get(nodeOf.get(e.pod) ?? '');
    if (!s || s.offsetMs === 0) return e;
    return { ...e, at: e.at - s.offsetMs * 1e6 };
  });
}

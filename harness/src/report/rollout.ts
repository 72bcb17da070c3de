// Latency during the rollout, the figure a latency budget is about (like a k6 threshold, but over the span that
// matters): per path, the p99 from the intended send time of the requests scheduled between the runner's
// first rollout-start and last rollout-end. A run with no rollout marks (plain `lossless load`) is judged over
// all of it. Read from the ledger in one pass, only when a latency budget is set.
import { readLedger } from '../ledger/reader.ts';
import { latencyHistogram, percentilesMs, recordNs } from '../ledger/histogram.ts';
import type { LifecycleEvent } from '../record.ts';
import type { Histogram } from 'hdr-histogram-js';

export interface RolloutLatency {
  /** ns since the run's origin; null when the run had no rollout marks (the whole run then). */
  startNs: number | null;
  endNs: number | null;
  /** per target: p99 (ms) and how many requests it is over */
  byTarget: Map<string, { p99Ms: number; count: number }>;
}

/** The rollout window from the runner's marks: first start to last end (a rollout never ended: to the run's end). */
export function rolloutWindow(events: readonly LifecycleEvent[]): { startNs: number; endNs: number } | null {
  const starts = events.filter((e) => e.source === 'runner' && e.kind === 'rollout-start').map((e) => e.at);
  if (starts.length === 0) return null;
  const ends = events.filter((e) => e.source === 'runner' && e.kind === 'rollout-end').map((e) => e.at);
  return { startNs: Math.min(...starts), endNs: ends.length ? Math.max(...ends) : Number.MAX_SAFE_INTEGER };
}

export async function rolloutLatency(ledgerPath: string, events: readonly LifecycleEvent[]): Promise<RolloutLatency> {
  const w = rolloutWindow(events);
  const hists = new Map<string, Histogram>();
  for await (const r of readLedger(ledgerPath)) {
    // dropped requests were never sent and cancelled ones never ended: both count as loss, not latency
    if (r.outcome === 'dropped' || r.outcome === 'cancelled') continue;
    if (w && (r.scheduledAt < w.startNs || r.scheduledAt > w.endNs)) continue;
    let h = hists.get(r.target);
    if (!h) hists.set(r.target, (h = latencyHistogram()));
    recordNs(h, r.endAt - r.scheduledAt);
  }
  const byTarget = new Map<string, { p99Ms: number; count: number }>();
  for (const [t, h] of hists) {
    const p = percentilesMs(h);
    byTarget.set(t, { p99Ms: p.p99, count: p.count });
    h.destroy();
  }
  return { startNs: w?.startNs ?? null, endNs: w && w.endNs !== Number.MAX_SAFE_INTEGER ? w.endNs : null, byTarget };
}

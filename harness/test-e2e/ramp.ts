// The warm-up ramp measured from a run: per time bin after a provider joined the consumer's list, the share
// of requests it served (servedBy of the ok records) next to the share Dubbo's weights predict from each
// listed provider's registered start time, warm-up and weight (the consumer's own formula, imported from
// the workload so prediction and balancing cannot drift apart).

import { epochMsToRunNs, type LifecycleEvent, type RequestRecord, type RunClock } from '../src/record.ts';
import { expectedShares, type Provider } from '../../workloads/registry/weights.ts';

export interface RampBin {
  fromS: number; // seconds since the provider joined the list
  toS: number;
  requests: number;
  served: number;
  measured: number; // share served by the new provider
  predicted: number; // mean predicted share over the same requests
}

export interface Ramp {
  pod: string;
  joinedAt: number; // run ns
  warmupMs: number;
  bins: RampBin[];
  /** Over the whole warm-up: requests it served vs the sum of the predicted probabilities. */
  served: number;
  expected: number;
}

/** Registration metadata per provider, from the provider's `registered` lines (startAt, warmupMs, weight). */
export function registrations(events: readonly LifecycleEvent[]): Map<string, Pick<Provider, 'pod' | 'startAt' | 'warmupMs' | 'weight'>> {
  const out = new Map<string, Pick<Provider, 'pod' | 'startAt' | 'warmupMs' | 'weight'>>();
  for (const e of events) {
    if (e.kind !== 'registry-register' || e.source !== 'pod-log' || !e.pod || !e.detail) continue;
    const { startAt, warmupMs, weight } = e.detail;
    if (typeof startAt !== 'number' || typeof warmupMs !== 'number' || typeof weight !== 'number') continue;
    out.set(e.pod, { pod: e.pod, startAt, warmupMs, weight });
  }
  return out;
}

/** The consumer's list at each change: [at, providers]. */
function lists(events: readonly LifecycleEvent[]): Array<{ at: number; providers: string[] }> {
  return events
    .filter((e) => e.kind === 'consumer-list' && typeof e.detail?.providers === 'string')
    .sort((a, b) => a.at - b.at)
    .map((e) => ({ at: e.at, providers: String(e.detail?.providers).split(',').filter(Boolean) }));
}

/** The ramp of the first provider added to the consumer's list after `after` (run ns), in `binS`-second bins. */
export function measureRamp(records: readonly RequestRecord[], events: readonly LifecycleEvent[], clock: RunClock, after: number, binS = 10): Ramp {
  const regs = registrations(events);
  const history = lists(events);
  const join = events.find((e) => e.kind === 'consumer-list' && e.at >= after && typeof e.detail?.added === 'string' && e.detail.added !== '');
  if (!join) throw new Error('no provider joined the consumer list after the scale-out');
  const pod = String(join.detail?.added).split(',')[0] as string;
  const reg = regs.get(pod);
  if (!reg) throw new Error(`no registration metadata (startAt, warmupMs, weight) logged by ${pod}`);
  const end = epochMsToRunNs(clock, reg.startAt + reg.warmupMs);
  const bins: RampBin[] = [];
  let served = 0;
  let expected = 0;
  const ok = records.filter((r) => r.outcome === 'ok' && r.servedBy && r.sentAt >= join.at && r.sentAt < end).sort((a, b) => a.sentAt - b.sentAt);
  let li = 0;
  for (const r of ok) {
    while (li + 1 < history.length && history[li + 1]!.at <= r.sentAt) li++;
    const listed = (history[li]?.providers ?? []).map((p) => regs.get(p)).filter((p): p is NonNullable<typeof p> => p !== undefined);
    const nowMs = Number(clock.t0EpochNs / 1_000_000n) + r.sentAt / 1e6;
    const p = expectedShares(listed.map((x) => ({ ...x, ip: '', port: 0, registeredAt: 0 })), nowMs).get(pod) ?? 0;
    const b = Math.floor((r.sentAt - join.at) / (binS * 1e9));
    while (bins.length <= b) bins.push({ fromS: bins.length * binS, toS: (bins.length + 1) * binS, requests: 0, served: 0, measured: 0, predicted: 0 });
    const bin = bins[b]!;
    bin.requests++;
    bin.predicted += p;
    expected += p;
    if (r.servedBy === pod) {
      bin.served++;
      served++;
    }
  }
  for (const b of bins) {
    b.measured = b.requests > 0 ? b.served / b.requests : 0;
    b.predicted = b.requests > 0 ? b.predicted / b.requests : 0;
  }
  return { pod, joinedAt: join.at, warmupMs: reg.warmupMs, bins, served, expected };
}

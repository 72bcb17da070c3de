// The summary reducer: consumes records as they stream (live during a run, or back from a ledger
// file) and never keeps them, so `summarize(readLedger(path))` rebuilds what the run wrote.
// Field meanings are documented in SUMMARY.md beside this file.
import type { Histogram } from 'hdr-histogram-js';
import { OUTCOMES, isFinalAttempt, isLost, type Outcome, type RequestRecord } from '../record.ts';
import { HISTOGRAM_CONFIG, SERIES_HISTOGRAM_CONFIG, latencyHistogram, percentilesMs, recordNs } from '../ledger/histogram.ts';

export const SUMMARY_VERSION = 1 as const;

// The summary's shape is summary.json's schema (folder/artifacts.ts): one definition for what is written and read.
export type { ClientCounts, Counts, OutcomeCounts, SecondSummary, Summary, TargetSummary } from '../folder/artifacts.ts';
import type { ClientCounts, Counts, OutcomeCounts, Summary } from '../folder/artifacts.ts';

class Acc {
  byOutcome = new Map<Outcome, number>();
  byStatus = new Map<number, number>();
  scheduled = 0;
  firstSent = Infinity;
  lastSent = -Infinity;
  sent = 0;
  fromIntended = latencyHistogram();
  fromSent = latencyHistogram();
  sendLag = latencyHistogram();
  /** records with attempt > 1: a client policy's re-sends */
  retries = 0;
  /**
   * What the client saw (the final attempt of each seq). Until a record of a re-sent seq arrives every
   * record is its seq's only one, so the wire figures are the client's and nothing is kept twice; at the
   * first such record they are copied here and the client's are kept apart from then on.
   */
  client: { byOutcome: Map<Outcome, number>; fromIntended: Histogram; retried: number } | undefined;

  add(r: RequestRecord): void {
    this.scheduled++;
    this.byOutcome.set(r.outcome, (this.byOutcome.get(r.outcome) ?? 0) + 1);
    if (r.status !== undefined) this.byStatus.set(r.status, (this.byStatus.get(r.status) ?? 0) + 1);
    if ((r.attempt ?? 1) > 1) this.retries++;
    const final = isFinalAttempt(r);
    if (this.client === undefined && (!final || (r.attempt ?? 1) > 1)) this.splitClient(r);
    if (this.client !== undefined) this.addClient(r, final);
    if (r.outcome === 'dropped') return;
    this.sent++;
    if (r.sentAt < this.firstSent) this.firstSent = r.sentAt;
    if (r.sentAt > this.lastSent) this.lastSent = r.sentAt;
    // a re-send's sentAt − scheduledAt is the earlier attempts' time, not the loop's lateness
    if ((r.attempt ?? 1) === 1) recordNs(this.sendLag, r.sentAt - r.scheduledAt);
    if (r.outcome === 'cancelled') return;
    recordNs(this.fromIntended, r.endAt - r.scheduledAt);
    recordNs(this.fromSent, r.endAt - r.sentAt);
  }

  /** Copies the wire figures so far (all of them final attempts) as the client's, before `r` is counted. */
  private splitClient(r: RequestRecord): void {
    const h = latencyHistogram();
    h.add(this.fromIntended);
    // `r` is already in byOutcome: the copy is of the records before it
    const byOutcome = new Map(this.byOutcome);
    byOutcome.set(r.outcome, byOutcome.get(r.outcome)! - 1);
    this.client = { byOutcome, fromIntended: h, retried: 0 };
  }

  private addClient(r: RequestRecord, final: boolean): void {
    const c = this.client!;
    if (!final) {
      if ((r.attempt ?? 1) === 1) c.retried++;
      return;
    }
    c.byOutcome.set(r.outcome, (c.byOutcome.get(r.outcome) ?? 0) + 1);
    if (r.outcome !== 'dropped' && r.outcome !== 'cancelled') recordNs(c.fromIntended, r.endAt - r.scheduledAt);
  }

  clientCounts(): ClientCounts {
    const byOutcome = this.client?.byOutcome ?? this.byOutcome;
    let requests = 0;
    let lost = 0;
    const failed: OutcomeCounts = {};
    for (const o of OUTCOMES) {
      const c = byOutcome.get(o) ?? 0;
      requests += c;
      if (c === 0 || !isLost(o)) continue;
      failed[o] = c;
      lost += c;
    }
    const cancelled = byOutcome.get('cancelled') ?? 0;
    return {
      requests,
      retried: this.client?.retried ?? 0,
      lost,
      lossPct: requests - cancelled > 0 ? round((100 * lost) / (requests - cancelled), 4) : 0,
      byOutcome: failed,
      latencyFromIntendedMs: percentilesMs(this.client?.fromIntended ?? this.fromIntended),
    };
  }

  counts(): Counts {
    const n = (o: Outcome) => this.byOutcome.get(o) ?? 0;
    const dropped = n('dropped');
    const cancelled = n('cancelled');
    let lost = 0;
    const byOutcome: OutcomeCounts = {};
    for (const o of OUTCOMES) {
      const c = n(o);
      if (c === 0) continue;
      byOutcome[o] = c;
      if (isLost(o)) lost += c;
    }
    const byStatus: Record<string, number> = {};
    for (const [s, c] of [...this.byStatus].sort((a, b) => a[0] - b[0])) byStatus[String(s)] = c;
    const completed = this.sent - cancelled;
    const span = (this.lastSent - this.firstSent) / 1e9;
    const denominator = this.scheduled - cancelled;
    return {
      scheduled: this.scheduled,
      sent: this.sent,
      completed,
      ok: n('ok'),
      failed: completed - n('ok'),
      dropped,
      cancelled,
      lost,
      lossPct: denominator > 0 ? round((100 * lost) / denominator, 4) : 0,
      byOutcome,
      byStatus,
      // n sends at rate r span (n-1)/r seconds
      actualQps: this.sent > 1 && span > 0 ? round((this.sent - 1) / span, 2) : 0,
      latencyFromIntendedMs: percentilesMs(this.fromIntended),
      latencyFromSentMs: percentilesMs(this.fromSent),
      sendLagMs: percentilesMs(this.sendLag),
      retries: this.retries,
      client: this.clientCounts(),
    };
  }
}

interface Bucket {
  t: number;
  target: string;
  scheduled: number;
  byOutcome: Map<Outcome, number>;
  hist: Histogram | undefined; // dropped once the second is closed
  p50Ms: number;
  p99Ms: number;
}

export interface ReducerOptions {
  /**
   * A second of the series is closed (its percentiles computed, its histogram freed) once a record
   * ends this long after the second's end: no record of it can still be in flight. Use the request
   * timeout plus a margin; memory then stays flat for long runs.
   */
  closeAfterNs: number;
}

export class SummaryReducer {
  private total = new Acc();
  private perTarget = new Map<string, Acc>();
  private buckets = new Map<string, Bucket>();
  private open = new Set<Bucket>();
  private closed: Bucket[] = [];
  private lastSweep = 0;
  private last: Bucket | undefined;
  private readonly closeAfterNs: number;

  constructor(opts: ReducerOptions) {
    this.closeAfterNs = opts.closeAfterNs;
  }

  get scheduled(): number {
    return this.total.scheduled;
  }

  add(r: RequestRecord): void {
    this.total.add(r);
    let acc = this.perTarget.get(r.target);
    if (!acc) this.perTarget.set(r.target, (acc = new Acc()));
    acc.add(r);
    const t = Math.floor(r.scheduledAt / 1e9);
    // records come in about time order: the last bucket used usually serves (no key string per record)
    let b = this.last !== undefined && this.last.t === t && this.last.target === r.target ? this.last : undefined;
    const key = b ? '' : `${t} ${r.target}`;
    if (!b) b = this.buckets.get(key);
    if (!b) {
      b = { t, target: r.target, scheduled: 0, byOutcome: new Map(), hist: latencyHistogram(SERIES_HISTOGRAM_CONFIG), p50Ms: 0, p99Ms: 0 };
      this.buckets.set(key, b);
      this.open.add(b);
    }
    this.last = b;
    b.scheduled++;
    b.byOutcome.set(r.outcome, (b.byOutcome.get(r.outcome) ?? 0) + 1);
    if (b.hist && r.outcome !== 'dropped' && r.outcome !== 'cancelled') recordNs(b.hist, r.endAt - r.scheduledAt);
    if (r.endAt - this.lastSweep > 1e8) this.sweep(r.endAt);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const b of this.open) {
      if ((b.t + 1) * 1e9 + this.closeAfterNs < now) this.close(b);
    }
  }

  private close(b: Bucket): void {
    if (b.hist) {
      const p = percentilesMs(b.hist);
      b.p50Ms = p.p50;
      b.p99Ms = p.p99;
      b.hist = undefined;
    }
    this.open.delete(b);
    this.closed.push(b);
  }

  result(meta: { runId: string; t0EpochNs: bigint; startNs: number; endNs: number; partial: boolean; config: Record<string, unknown> }): Summary {
    for (const b of [...this.open]) this.close(b);
    const toIso = (ns: number) => new Date(Number(meta.t0EpochNs / 1_000_000n) + ns / 1e6).toISOString();
    const series = [...this.closed]
      .sort((a, b) => a.t - b.t || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))
      .map((b) => ({ t: b.t, target: b.target, scheduled: b.scheduled, byOutcome: ordered(b.byOutcome), p50Ms: b.p50Ms, p99Ms: b.p99Ms }));
    const totals = this.total.counts();
    // total rate: the sum of per-target rates (each target has its own schedule)
    const targets = [...this.perTarget].map(([target, acc]) => ({ target, ...acc.counts() }));
    totals.actualQps = round(targets.reduce((s, t) => s + t.actualQps, 0), 2);
    return {
      version: SUMMARY_VERSION,
      runId: meta.runId,
      t0EpochNs: meta.t0EpochNs.toString(),
      startedAt: toIso(meta.startNs),
      endedAt: toIso(meta.endNs),
      partial: meta.partial,
      config: { ...meta.config, histogram: HISTOGRAM_CONFIG },
      totals,
      targets,
      series,
    };
  }
}

function ordered(m: Map<Outcome, number>): OutcomeCounts {
  const out: OutcomeCounts = {};
  for (const o of OUTCOMES) {
    const c = m.get(o);
    if (c) out[o] = c;
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Rebuilds a summary from any stream of records (e.g. `readLedger(path)`). Start and end are taken
 * from the records; the config is whatever the caller knows.
 */
export async function summarize(
  records: AsyncIterable<RequestRecord> | Iterable<RequestRecord>,
  meta: { runId: string; t0EpochNs: bigint; partial?: boolean; config?: Record<string, unknown>; closeAfterNs?: number },
): Promise<Summary> {
  const red = new SummaryReducer({ closeAfterNs: meta.closeAfterNs ?? 600e9 });
  let start = Infinity;
  let end = 0;
  for await (const r of records) {
    red.add(r);
    if (r.scheduledAt < start) start = r.scheduledAt;
    if (r.endAt > end) end = r.endAt;
  }
  return red.result({ runId: meta.runId, t0EpochNs: meta.t0EpochNs, startNs: Number.isFinite(start) ? start : 0, endNs: end, partial: meta.partial ?? false, config: meta.config ?? {} });
}

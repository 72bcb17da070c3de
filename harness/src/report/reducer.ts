// The report's own pass over the ledger: what summary.json does not hold. Requests served per pod per
// second (from servedBy), the slowest request per path per second, and the failures themselves (the
// first MAX_MARKS as marks, all of them as compact times for loss windows). Runs after the load, so the
// engine's hot path pays nothing for it.
import { OUTCOMES, isLost, type Outcome, type RequestRecord } from '../record.ts';

/** Failure marks kept individually (beyond this, a uniform sample); the per-second counts still hold every failure. */
export const MAX_MARKS = 20_000;

export interface FailureMark {
  seq: number;
  target: string;
  scheduledAt: number;
  endAt: number;
  outcome: Outcome;
  status?: number;
  errorCode?: string;
  servedBy?: string;
  remoteAddr?: string;
  reused: boolean;
}

/** A failure for windowing: intended send time, end (ns) and outcome. */
export type FailureTime = [scheduledAt: number, endAt: number, outcome: Outcome];

/** Per-target failure times (scheduledAt, endAt, outcome index), grown in chunks: 24 bytes a failure. */
class FailureTimes {
  buf = new Float64Array(3 * 1024);
  n = 0;
  push(a: number, b: number, o: number): void {
    if (3 * this.n + 3 > this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[3 * this.n] = a;
    this.buf[3 * this.n + 1] = b;
    this.buf[3 * this.n + 2] = o;
    this.n++;
  }
}

export class ReportReducer {
  /** pod -> second -> responses carrying that pod's name */
  readonly servedByPod = new Map<string, Map<number, number>>();
  /** `${target}\n${second}` -> slowest latency from intended send time, ms */
  readonly maxLatencyMs = new Map<string, number>();
  readonly marks: FailureMark[] = [];
  readonly failureTimes = new Map<string, FailureTimes>();
  lost = 0;
  records = 0;
  private rng = 42;
  firstScheduled = Infinity;
  lastEnd = 0;

  add(r: RequestRecord): void {
    this.records++;
    if (r.scheduledAt < this.firstScheduled) this.firstScheduled = r.scheduledAt;
    if (r.endAt > this.lastEnd) this.lastEnd = r.endAt;
    const s = Math.floor(r.scheduledAt / 1e9);
    if (r.servedBy !== undefined) {
      let m = this.servedByPod.get(r.servedBy);
      if (!m) this.servedByPod.set(r.servedBy, (m = new Map()));
      m.set(s, (m.get(s) ?? 0) + 1);
    }
    if (r.outcome !== 'dropped' && r.outcome !== 'cancelled') {
      const key = `${r.target}\n${s}`;
      const ms = (r.endAt - r.scheduledAt) / 1e6;
      if (ms > (this.maxLatencyMs.get(key) ?? -1)) this.maxLatencyMs.set(key, ms);
    }
    if (!isLost(r.outcome)) return;
    this.lost++;
    let t = this.failureTimes.get(r.target);
    if (!t) this.failureTimes.set(r.target, (t = new FailureTimes()));
    t.push(r.scheduledAt, r.endAt, OUTCOMES.indexOf(r.outcome));
    // Past MAX_MARKS, a uniform sample of all failures (reservoir sampling, fixed seed: the same
    // ledger always draws the same marks), so a long outage is drawn across its whole length.
    let slot = this.marks.length;
    if (slot >= MAX_MARKS) {
      this.rng = (Math.imul(this.rng, 1103515245) + 12345) >>> 0;
      slot = Math.floor((this.rng / 4294967296) * this.lost);
      if (slot >= MAX_MARKS) return;
    }
    const m: FailureMark = { seq: r.seq, target: r.target, scheduledAt: r.scheduledAt, endAt: r.endAt, outcome: r.outcome, reused: r.reusedConnection };
    if (r.status !== undefined) m.status = r.status;
    if (r.errorCode !== undefined) m.errorCode = r.errorCode;
    if (r.servedBy !== undefined) m.servedBy = r.servedBy;
    if (r.remoteAddr !== undefined) m.remoteAddr = r.remoteAddr;
    this.marks[slot] = m;
  }

  /** One target's failures sorted by intended send time. */
  failures(target: string): FailureTime[] {
    const t = this.failureTimes.get(target);
    if (!t) return [];
    const out: FailureTime[] = new Array(t.n);
    for (let i = 0; i < t.n; i++) out[i] = [t.buf[3 * i]!, t.buf[3 * i + 1]!, OUTCOMES[t.buf[3 * i + 2]!] ?? 'other'];
    return out.sort((a, b) => a[0] - b[0]);
  }
}

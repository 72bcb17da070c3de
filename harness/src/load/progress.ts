// Per-second live figures (by completion time, what a terminal watcher wants to see) and the
// one-line rendering of them. The run calls `take()` once a second and hands the result to onSecond.
import { OUTCOMES, type Outcome, type RequestRecord } from '../record.ts';
import { SERIES_HISTOGRAM_CONFIG, latencyHistogram, percentilesMs, recordNs } from '../ledger/histogram.ts';

export interface SecondStats {
  /** whole seconds since the load started */
  second: number;
  /** records completed (or dropped) during this second */
  done: number;
  ok: number;
  /** failures by class, ok and cancelled excluded */
  errors: Partial<Record<Outcome, number>>;
  p50Ms: number;
  p99Ms: number;
  inFlight: number;
  /** requests sent this second */
  sent: number;
}

export class SecondMeter {
  private hist = latencyHistogram(SERIES_HISTOGRAM_CONFIG);
  private done = 0;
  private ok = 0;
  private errors = new Map<Outcome, number>();
  sent = 0;

  add(r: RequestRecord): void {
    this.done++;
    if (r.outcome === 'ok') this.ok++;
    else if (r.outcome !== 'cancelled') this.errors.set(r.outcome, (this.errors.get(r.outcome) ?? 0) + 1);
    if (r.outcome !== 'dropped' && r.outcome !== 'cancelled') recordNs(this.hist, r.endAt - r.scheduledAt);
  }

  take(second: number, inFlight: number): SecondStats {
    const p = percentilesMs(this.hist);
    const errors: Partial<Record<Outcome, number>> = {};
    for (const o of OUTCOMES) {
      const c = this.errors.get(o);
      if (c) errors[o] = c;
    }
    const s: SecondStats = { second, done: this.done, ok: this.ok, errors, p50Ms: p.p50, p99Ms: p.p99, inFlight, sent: this.sent };
    this.hist.reset();
    this.done = 0;
    this.ok = 0;
    this.sent = 0;
    this.errors.clear();
    return s;
  }
}

export function formatProgress(s: SecondStats): string {
  const errs = Object.entries(s.errors).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${String(s.second).padStart(4)}s  sent ${s.sent}/s  ok ${s.ok}  ${errs ? `errors ${errs}  ` : ''}p50 ${s.p50Ms}ms  p99 ${s.p99Ms}ms  in-flight ${s.inFlight}`;
}

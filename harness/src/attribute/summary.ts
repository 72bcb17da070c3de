// Loss per window, per cause and per target, for the report and the budget gate. Per path the figure a
// user lived through is the outage (outage.ts: consecutive failures whatever their causes); per cause the
// longest window is the longest piece that cause explains.

import type { Attribution, Cause } from '../record.ts';
import { outagesOf } from './outage.ts';

export interface CauseTotals {
  windows: number;
  lost: number;
  longestWindowMs: number;
}

export interface AttributionSummary {
  windows: number;
  lost: number;
  /** The longest single window (one cause, one set of pods). */
  longestWindowMs: number;
  /** Outages over all paths, and the longest: what `--max-window` is judged by. */
  outages: number;
  longestOutageMs: number;
  byCause: Partial<Record<Cause, CauseTotals>>;
  byTarget: Record<string, CauseTotals & { byCause: Partial<Record<Cause, number>>; longestOutageMs: number }>;
  /** One row per window, in time order: what a report table shows. */
  rows: Array<{ target: string; cause: Cause; startMs: number; durationMs: number; lost: number; pods: string[]; evidence: string; fix: string }>;
}

function bump(t: CauseTotals, a: Attribution, durMs: number): void {
  t.windows++;
  t.lost += a.lost;
  t.longestWindowMs = Math.max(t.longestWindowMs, durMs);
}

export function summarizeAttributions(attrs: readonly Attribution[]): AttributionSummary {
  const s: AttributionSummary = { windows: 0, lost: 0, longestWindowMs: 0, outages: 0, longestOutageMs: 0, byCause: {}, byTarget: {}, rows: [] };
  for (const a of [...attrs].sort((x, y) => x.start - y.start)) {
    const durMs = Math.round((a.end - a.start) / 1e6);
    s.windows++;
    s.lost += a.lost;
    s.longestWindowMs = Math.max(s.longestWindowMs, durMs);
    bump((s.byCause[a.cause] ??= { windows: 0, lost: 0, longestWindowMs: 0 }), a, durMs);
    const t = (s.byTarget[a.target] ??= { windows: 0, lost: 0, longestWindowMs: 0, byCause: {}, longestOutageMs: 0 });
    bump(t, a, durMs);
    t.byCause[a.cause] = (t.byCause[a.cause] ?? 0) + a.lost;
    s.rows.push({ target: a.target, cause: a.cause, startMs: Math.round(a.start / 1e6), durationMs: durMs, lost: a.lost, pods: a.pods, evidence: a.evidence.text, fix: a.fix });
  }
  for (const o of outagesOf(attrs)) {
    const ms = Math.round(o.durationMs);
    s.outages++;
    s.longestOutageMs = Math.max(s.longestOutageMs, ms);
    const t = s.byTarget[o.target];
    if (t) t.longestOutageMs = Math.max(t.longestOutageMs, ms);
  }
  return s;
}

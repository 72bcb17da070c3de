// Loss windows for the report, JUnit and the gate. With attribution.json they are the attribution's
// windows (cause, evidence, fix). Without it (a bare `lossless load` run has no timeline) failures on
// one target are grouped here by time alone and carry no cause.
import type { Attribution } from '../record.ts';
import { longestOutage, type Outage } from '../attribute/outage.ts';
import type { LossWindow } from './model.ts';
import type { FailureTime } from './reducer.ts';

/** Failures on one target closer than this (by intended send time) belong to one window. */
export const WINDOW_GAP_MS = 1000;

export function windowsFromAttributions(atts: Attribution[]): LossWindow[] {
  return atts
    .map((a) => ({
      target: a.target,
      start: a.start,
      end: a.end,
      durationMs: round3((a.end - a.start) / 1e6),
      lost: a.lost,
      byOutcome: { ...a.byOutcome } as Record<string, number>,
      pods: [...a.pods],
      cause: a.cause,
      evidence: a.evidence.text,
      fix: a.fix,
    }))
    .sort(byStart);
}

/**
 * Groups one target's failures (sorted by intended send time) into windows: a gap
 * longer than gapMs between consecutive intended send times starts a new window. Each window runs from
 * its first failure's intended send time to its last failure's end.
 */
export function groupFailures(target: string, fails: ReadonlyArray<FailureTime>, gapMs = WINDOW_GAP_MS): LossWindow[] {
  const out: LossWindow[] = [];
  let i = 0;
  while (i < fails.length) {
    const start = fails[i]![0];
    let end = fails[i]![1];
    let last = start;
    const byOutcome: Record<string, number> = { [fails[i]![2]]: 1 };
    let j = i + 1;
    for (; j < fails.length && fails[j]![0] - last <= gapMs * 1e6; j++) {
      const f = fails[j]!;
      last = f[0];
      if (f[1] > end) end = f[1];
      byOutcome[f[2]] = (byOutcome[f[2]] ?? 0) + 1;
    }
    out.push({
      target, start, end, durationMs: round3((end - start) / 1e6), lost: j - i,
      byOutcome, pods: [], cause: null,
      evidence: 'no attribution for this run: grouped by time only', fix: '',
    });
    i = j;
  }
  return out;
}

export function longestWindow(ws: LossWindow[]): LossWindow | undefined {
  let best: LossWindow | undefined;
  for (const w of ws) if (!best || w.durationMs > best.durationMs) best = w;
  return best;
}

/** The longest outage (a path's consecutive failures, whatever windows explain them): what budgets and compare measure. */
export function longestOutageOf(ws: LossWindow[]): Outage<LossWindow> | undefined {
  return longestOutage(ws, WINDOW_GAP_MS);
}

/** Duration of the longest outage, 0 without loss. */
export function longestOutageMs(ws: LossWindow[]): number {
  return longestOutageOf(ws)?.durationMs ?? 0;
}

function byStart(a: LossWindow, b: LossWindow): number {
  return a.start - b.start || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function sortWindows(ws: LossWindow[]): LossWindow[] {
  return ws.sort(byStart);
}

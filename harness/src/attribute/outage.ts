// Outages: what a user of one path lived through. The attribution's windows are split by cause and pod
// (they explain); an outage is the span of a path's consecutive failures whatever pods and causes they
// involve (two pods stopping 0.8 s apart are one outage, however many windows explain it). Budgets
// (`--max-window`), the longest-window figures, the report and `compare` measure outages.

/** Anything with a path and a span in ns (an Attribution, the report's LossWindow). */
export interface Span {
  target: string;
  start: number;
  end: number;
  lost: number;
}

export interface Outage<T extends Span> {
  target: string;
  start: number;
  end: number;
  durationMs: number;
  lost: number;
  /** The windows inside it, by start: the per-cause explanation. */
  windows: T[];
}

/** The gap (ms) that separates two outages: the same as between two failures of one window. */
export const OUTAGE_GAP_MS = 1000;

/**
 * Merges each path's windows into outages: a window starting no more than `gapMs` after the outage's end
 * so far joins it (windows are already failures less than the gap apart, so this is the span of
 * consecutive failures). Sorted by start, then path.
 */
export function outagesOf<T extends Span>(windows: readonly T[], gapMs = OUTAGE_GAP_MS): Array<Outage<T>> {
  const gap = gapMs * 1e6;
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const open = new Map<string, Outage<T>>();
  const out: Array<Outage<T>> = [];
  for (const w of sorted) {
    const o = open.get(w.target);
    if (o && w.start - o.end <= gap) {
      o.end = Math.max(o.end, w.end);
      o.lost += w.lost;
      o.windows.push(w);
      o.durationMs = round3((o.end - o.start) / 1e6);
      continue;
    }
    const n: Outage<T> = { target: w.target, start: w.start, end: w.end, durationMs: round3((w.end - w.start) / 1e6), lost: w.lost, windows: [w] };
    open.set(w.target, n);
    out.push(n);
  }
  return out.sort((a, b) => a.start - b.start || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** The longest outage (ties: the first), or undefined with no windows. */
export function longestOutage<T extends Span>(windows: readonly T[], gapMs = OUTAGE_GAP_MS): Outage<T> | undefined {
  let best: Outage<T> | undefined;
  for (const o of outagesOf(windows, gapMs)) if (!best || o.durationMs > best.durationMs) best = o;
  return best;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

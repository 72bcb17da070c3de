// The CI gate: budgets (from the scenario file or flags) against a run's figures -> checks, each
// naming the loss window and cause that broke it, and the exit code (0 within budget, 1 breached).
//
// Budgets apply per traffic path (target): maxLossPercent to its loss %, maxLost to its lost count,
// maxWindowMs to its longest outage (its consecutive failures, whatever windows explain them), maxRolloutP99Ms to
// the p99 latency from the intended send time of its requests scheduled during the rollout (report/rollout.ts). A variant that expects loss (expect.loses: true, the naive
// side of a scenario) is judged by its expectation instead: it must lose, and when causes are named one of
// them must account for the largest share of the loss (issue 12: a window somewhere naming it is not a
// reproduction when another cause lost more); its budgets are not applied.
import type { Summary } from '../load/summary.ts';
import type { Budgets, Expectation } from '../budgets.ts';
import type { LossWindow } from './model.ts';
import { longestOutageOf } from './windows.ts';
import type { RolloutLatency } from './rollout.ts';

export type CheckKind =
  | 'measured' | 'maxLossPercent' | 'maxLost' | 'maxClientLossPercent' | 'maxClientLost' | 'maxWindowMs' | 'maxRolloutP99Ms'
  | 'expect-loss' | 'expect-cause' | 'expect-no-loss';

export interface GateCheck {
  kind: CheckKind;
  /** The traffic path, or null for a check over the whole run. */
  target: string | null;
  limit: number | string | null;
  actual: number | string;
  pass: boolean;
  /** One line: what was measured against what, and on a breach the window and its cause. */
  message: string;
  window?: LossWindow;
}

export interface GateResult {
  pass: boolean;
  exitCode: 0 | 1;
  budgets: Budgets;
  expect: Expectation | null;
  checks: GateCheck[];
}

export function describeWindow(w: LossWindow, originNs = 0): string {
  const s = (ns: number) => ((ns - originNs) / 1e9).toFixed(3);
  const cause = w.cause ?? 'no cause attributed';
  const pods = w.pods.length ? ` on ${w.pods.join(', ')}` : '';
  return `window ${s(w.start)}-${s(w.end)} s (${w.durationMs} ms, ${w.lost} lost${pods}) cause ${cause}`;
}

/** Lost requests per cause over a run's windows ('none' for a window without a cause). */
export function lostByCause(windows: ReadonlyArray<{ cause: string | null; lost: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of windows) out[w.cause ?? 'none'] = (out[w.cause ?? 'none'] ?? 0) + w.lost;
  return out;
}

export interface LeadingCause {
  /** The cause with the most lost requests (a named one wins a tie), or null without loss. */
  cause: string | null;
  lost: number;
  total: number;
  /** True when that cause is one of the named ones: the mechanism the variant is about lost the most. */
  named: boolean;
  /** Every cause with its lost count, largest first. */
  ranked: Array<[string, number]>;
}

/** A naive variant reproduces its mechanism when one of its named causes has the largest share of the loss. */
export function leadingCause(lost: Record<string, number>, named: readonly string[]): LeadingCause {
  const isNamed = (c: string) => named.includes(c);
  const ranked = Object.entries(lost).filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || Number(isNamed(b[0])) - Number(isNamed(a[0])) || (a[0] < b[0] ? -1 : 1));
  const total = ranked.reduce((t, [, n]) => t + n, 0);
  const top = ranked[0];
  return { cause: top?.[0] ?? null, lost: top?.[1] ?? 0, total, named: top !== undefined && isNamed(top[0]), ranked };
}

/** `--client go` etc. as the run recorded it (config.client); none before client policies existed. */
function clientLabel(s: Summary): string {
  const c = (s.config as Record<string, unknown> | undefined)?.client;
  return `--client ${typeof c === 'string' ? c : 'none'}`;
}

function fmtPct(x: number): string {
  return `${Number(x.toPrecision(4))}%`;
}

/** Evaluates budgets or the expectation. `originNs` is where window times are counted from in messages. */
export function evaluateGate(summary: Summary, windows: LossWindow[], budgets: Budgets, expect?: Expectation, originNs = 0, rollout?: RolloutLatency): GateResult {
  const checks: GateCheck[] = [];
  const byTarget = (t: string) => windows.filter((w) => w.target === t);
  const worst = (ws: LossWindow[]) => ws.reduce<LossWindow | undefined>((a, w) => (!a || w.lost > a.lost ? w : a), undefined);
  const why = (ws: LossWindow[]) => {
    const w = worst(ws);
    return w ? `; worst ${describeWindow(w, originNs)}` : '';
  };

  // A budget judged on no data passes vacuously (0 lost of 0): a run whose every request was cancelled, or
  // that scheduled none, measured nothing and must not pass a gate.
  const judged = Object.values(budgets).some((b) => b !== undefined) || expect !== undefined;
  const measured = summary.totals.scheduled - summary.totals.cancelled;
  if (judged && measured === 0) {
    checks.push({
      kind: 'measured', target: null, limit: '> 0', actual: 0, pass: false,
      message: summary.totals.scheduled === 0
        ? 'nothing was measured: the run scheduled no request, so no budget can pass'
        : `nothing was measured: all ${summary.totals.scheduled} requests were cancelled (the run was interrupted before any ended), so no budget can pass`,
    });
  }

  // the figure an expectation is about: the wire (default) or, when the file says so, what the client saw
  const onClient = expect?.figure === 'client';
  const expLost = onClient ? (summary.totals.client?.lost ?? summary.totals.lost) : summary.totals.lost;
  const expPct = onClient ? (summary.totals.client?.lossPct ?? summary.totals.lossPct) : summary.totals.lossPct;
  const which = onClient ? `client-seen (${clientLabel(summary)}) ` : '';
  const wireToo = onClient ? `; ${summary.totals.lost} lost on the wire` : '';
  if (expect?.loses) {
    const lost = expLost;
    checks.push({
      kind: 'expect-loss', target: null, limit: '> 0', actual: lost, pass: lost > 0,
      message: lost > 0 ? `expected ${which}loss and lost ${lost} (${fmtPct(expPct)})${wireToo}` : `expected this variant to lose requests${onClient ? ' as its client sees them' : ''}, and it lost none${wireToo}: the scenario no longer reproduces its mechanism`,
    });
    if (expect.causes && expect.causes.length > 0) {
      const lead = leadingCause(lostByCause(windows), expect.causes);
      const shares = lead.ranked.map(([c, n]) => `${c} ${n}`).join(', ') || 'no window';
      const hit = lead.named ? windows.filter((w) => w.cause === lead.cause).reduce<LossWindow | undefined>((a, w) => (!a || w.lost > a.lost ? w : a), undefined) : undefined;
      checks.push({
        kind: 'expect-cause', target: null, limit: expect.causes.join(' | '), actual: shares, pass: lead.named,
        message: lead.named
          ? `expected cause leads: ${lead.cause} ${lead.lost} of ${lead.total} lost (${shares}); its largest ${describeWindow(hit!, originNs)}`
          : `expected one of the causes ${expect.causes.join(', ')} as the largest share of the loss; attribution named ${shares}`,
        ...(hit ? { window: hit } : {}),
      });
    }
  } else {
    if (expect && !expect.loses) {
      const lost = expLost;
      const ws = windows;
      checks.push({
        kind: 'expect-no-loss', target: null, limit: 0, actual: lost, pass: lost === 0,
        message: lost === 0 ? `expected no ${which}loss and lost none${wireToo}` : `expected no ${which}loss and lost ${lost}${wireToo}${why(ws)}`,
        ...(worst(ws) ? { window: worst(ws)! } : {}),
      });
    }
    for (const t of summary.targets) {
      const ws = byTarget(t.target);
      if (budgets.maxLossPercent !== undefined) {
        const pass = t.lossPct <= budgets.maxLossPercent;
        checks.push({
          kind: 'maxLossPercent', target: t.target, limit: budgets.maxLossPercent, actual: t.lossPct, pass,
          message: `loss ${fmtPct(t.lossPct)} (${t.lost} of ${t.scheduled - t.cancelled}) ${pass ? '<=' : '>'} budget ${fmtPct(budgets.maxLossPercent)}${pass ? '' : why(ws)}`,
          ...(!pass && worst(ws) ? { window: worst(ws)! } : {}),
        });
      }
      if (budgets.maxLost !== undefined) {
        const pass = t.lost <= budgets.maxLost;
        checks.push({
          kind: 'maxLost', target: t.target, limit: budgets.maxLost, actual: t.lost, pass,
          message: `lost ${t.lost} ${pass ? '<=' : '>'} budget ${budgets.maxLost}${pass ? '' : why(ws)}`,
          ...(!pass && worst(ws) ? { window: worst(ws)! } : {}),
        });
      }
      // the client-seen figure: requests whose last attempt failed under the run's client policy (a summary
      // from before client policies has none: its wire figure is the client's)
      const client = t.client ?? { lost: t.lost, lossPct: t.lossPct, requests: t.scheduled };
      const who = () => `client-seen (${clientLabel(summary)})`;
      if (budgets.maxClientLossPercent !== undefined) {
        const pass = client.lossPct <= budgets.maxClientLossPercent;
        checks.push({
          kind: 'maxClientLossPercent', target: t.target, limit: budgets.maxClientLossPercent, actual: client.lossPct, pass,
          message: `${who()} loss ${fmtPct(client.lossPct)} (${client.lost} of ${client.requests}; ${t.lost} lost on the wire) ${pass ? '<=' : '>'} budget ${fmtPct(budgets.maxClientLossPercent)}${pass ? '' : why(ws)}`,
          ...(!pass && worst(ws) ? { window: worst(ws)! } : {}),
        });
      }
      if (budgets.maxClientLost !== undefined) {
        const pass = client.lost <= budgets.maxClientLost;
        checks.push({
          kind: 'maxClientLost', target: t.target, limit: budgets.maxClientLost, actual: client.lost, pass,
          message: `${who()} lost ${client.lost} (${t.lost} on the wire) ${pass ? '<=' : '>'} budget ${budgets.maxClientLost}${pass ? '' : why(ws)}`,
          ...(!pass && worst(ws) ? { window: worst(ws)! } : {}),
        });
      }
      if (budgets.maxWindowMs !== undefined) {
        const o = longestOutageOf(ws);
        const actual = o?.durationMs ?? 0;
        const pass = actual <= budgets.maxWindowMs;
        // the window named is the outage's biggest piece; the message lists every piece
        const w = o ? worst(o.windows) : undefined;
        const s = (ns: number) => ((ns - originNs) / 1e9).toFixed(3);
        const inside = o ? o.windows.map((x) => `${x.cause ?? 'no cause attributed'}${x.pods.length ? ` on ${x.pods.join(', ')}` : ''} (${x.lost} lost, ${x.durationMs} ms)`).join('; ') : '';
        checks.push({
          kind: 'maxWindowMs', target: t.target, limit: budgets.maxWindowMs, actual, pass,
          message: o ? `longest outage ${actual} ms ${pass ? '<=' : '>'} budget ${budgets.maxWindowMs} ms: ${s(o.start)}-${s(o.end)} s, ${o.lost} lost, ${o.windows.length} window${o.windows.length === 1 ? '' : 's'}: ${inside}` : `no loss window (budget ${budgets.maxWindowMs} ms)`,
          ...(!pass && w ? { window: w } : {}),
        });
      }
      if (budgets.maxRolloutP99Ms !== undefined) {
        const l = rollout?.byTarget.get(t.target);
        const over = rollout && rollout.startNs !== null ? `the rollout (${((rollout.startNs - originNs) / 1e9).toFixed(3)}-${rollout.endNs === null ? 'end' : ((rollout.endNs - originNs) / 1e9).toFixed(3)} s)` : 'the whole run (no rollout marks)';
        const actual = l?.p99Ms ?? 0;
        const pass = actual <= budgets.maxRolloutP99Ms;
        checks.push({
          kind: 'maxRolloutP99Ms', target: t.target, limit: budgets.maxRolloutP99Ms, actual, pass,
          message: l ? `p99 ${actual} ms from the intended send time over ${over}, ${l.count} requests, ${pass ? '<=' : '>'} budget ${budgets.maxRolloutP99Ms} ms` : `no request ended during ${over} (budget p99 ${budgets.maxRolloutP99Ms} ms)`,
        });
      }
    }
  }
  const pass = checks.every((c) => c.pass);
  return { pass, exitCode: pass ? 0 : 1, budgets, expect: expect ?? null, checks };
}

// report.html: one self-contained file. handlebars renders the tables (exact counts) around chart
// placeholders; the page's own inlined script draws the charts as SVG from embedded per-second
// aggregates, so nothing is fetched and the file opens from file:// and prints.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { OUTCOMES } from '../record.ts';
import type { Budgets } from '../budgets.ts';
import { evaluateGate, type GateResult } from './gate.ts';
import type { LossWindow, ReportInput } from './model.ts';
import type { ReportReducer } from './reducer.ts';
import { PALETTE, buildView, type ViewData } from './view.ts';
import { groupFailures, sortWindows, WINDOW_GAP_MS, windowsFromAttributions } from './windows.ts';
import { outagesOf } from '../attribute/outage.ts';
import { clientPolicyOf, clientSeenText } from '../load/text.ts';
import { formatClientPolicy } from '../send/policy.ts';

export const REPORT_VERSION = 1;

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

let compiled: HandlebarsTemplateDelegate | undefined;
function template(): HandlebarsTemplateDelegate {
  compiled ??= Handlebars.create().compile(asset('./report.hbs'), { strict: false });
  return compiled;
}

/** The run's loss windows: the attribution's when there is one, else grouped by time per path. */
export function lossWindows(input: ReportInput, red: ReportReducer): LossWindow[] {
  if (input.attributions) return windowsFromAttributions(input.attributions);
  return sortWindows(input.summary.targets.flatMap((t) => groupFailures(t.target, red.failures(t.target))));
}

/** Budgets in force: the scenario's, overridden by flags (a loss flag, % or count, replaces both loss budgets). */
export function budgetsOf(input: ReportInput): Budgets {
  const base: Budgets = { ...(input.scenario?.budgets ?? {}) };
  const flags = input.budgets ?? {};
  if (flags.maxLossPercent !== undefined || flags.maxLost !== undefined) {
    delete base.maxLossPercent;
    delete base.maxLost;
  }
  if (flags.maxClientLossPercent !== undefined || flags.maxClientLost !== undefined) {
    delete base.maxClientLossPercent;
    delete base.maxClientLost;
  }
  return { ...base, ...flags };
}

export function gateOf(input: ReportInput, windows: LossWindow[]): GateResult {
  return evaluateGate(input.summary, windows, budgetsOf(input), input.scenario?.expect, 0, input.rollout);
}

/** Embeds JSON in a <script> safely: no `</script>` or `<!--` can appear in it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function rows(obj: Record<string, unknown> | undefined): Array<{ k: string; v: string }> {
  return Object.entries(obj ?? {}).map(([k, v]) => ({ k, v: show(v) }));
}

function seconds(ns: number): string {
  return (ns / 1e9).toFixed(3);
}

/**
 * A target's label: the scenario's path name when env.json maps path names to URLs (the runner writes
 * `paths: {name: url}`), e.g. "ingress — http://127.0.0.1:18080/"; else the URL.
 */
export function targetLabels(input: ReportInput): Map<string, string> {
  const out = new Map<string, string>();
  const paths = input.env?.paths;
  if (paths && typeof paths === 'object' && !Array.isArray(paths)) {
    for (const [name, url] of Object.entries(paths as Record<string, unknown>)) {
      if (typeof url !== 'string') continue;
      const bare = url.replace(/ \(.*\)$/, '');
      if (input.summary.targets.some((t) => t.target === bare)) out.set(bare, `${name} — ${bare}`);
    }
  }
  return out;
}

export function renderHtml(input: ReportInput, red: ReportReducer, windows: LossWindow[], gate: GateResult): { html: string; view: ViewData } {
  const s = input.summary;
  const labels = targetLabels(input);
  const label = (t: string | null) => (t === null ? null : (labels.get(t) ?? t));
  const view = buildView(input, red, windows);
  view.targets = view.targets.map((t) => label(t)!);
  const outcomeCols = OUTCOMES.filter((o) => o !== 'ok' && s.targets.some((t) => (t.byOutcome[o] ?? 0) > 0));
  // with a client policy the table adds what the client saw beside the wire figures
  const policy = clientPolicyOf(s);
  const clientCols = policy.kind !== 'none';
  const pathRows = s.targets.map((t, i) => ({
    target: label(t.target), color: PALETTE[i % PALETTE.length], scheduled: t.scheduled, ok: t.ok, lost: t.lost, lossPct: t.lossPct,
    clientLost: t.client?.lost ?? t.lost, clientLossPct: t.client?.lossPct ?? t.lossPct,
    outcomes: outcomeCols.map((o) => t.byOutcome[o] ?? 0),
    p50: t.latencyFromIntendedMs.p50, p99: t.latencyFromIntendedMs.p99, max: t.latencyFromIntendedMs.max, qps: t.actualQps,
  }));
  const durationS = (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000;
  const sc = input.scenario;
  const title = sc?.name ? `${sc.name}${sc.variant ? ` / ${sc.variant}` : ''} — ${s.runId}` : s.runId;
  const breaches = gate.checks.filter((c) => !c.pass);
  const more = breaches.length > 1 ? ` (+${breaches.length - 1} more)` : '';
  const verdictText = gate.checks.length === 0
    ? 'no budget set'
    : gate.expect?.loses
      ? gate.pass ? `expectation met: this variant is expected to lose, and did (${gate.checks.map((c) => c.message).join('; ')})` : `EXPECTATION NOT MET: ${breaches[0]!.message}${more}`
      : gate.pass ? `within budget (${gate.checks.length} checks)` : `BUDGET BREACHED: ${breaches[0]!.target ?? 'run'}: ${breaches[0]!.message}${more}`;
  const scenarioJson = sc ? JSON.stringify(sc, null, 2) : '';
  const html = template()({
    reportVersion: REPORT_VERSION,
    title, runId: s.runId, scenario: sc ?? {}, startedAt: s.startedAt, partial: s.partial,
    durationText: `${durationS.toFixed(1)} s`,
    lossText: `${s.totals.lost} of ${s.totals.scheduled - s.totals.cancelled} (${s.totals.lossPct}%)${clientCols ? ` on the wire; ${clientSeenText(s.totals, policy)}` : ''}`,
    clientCols, clientPolicy: formatClientPolicy(policy),
    gate: { ...gate, checks: gate.checks.map((c) => ({ ...c, target: label(c.target) })) }, verdictText, outcomeCols, pathRows,
    marksCapped: red.marks.length < red.lost, marksShown: red.marks.length, marksTotal: red.lost,
    outages: outagesOf(windows, WINDOW_GAP_MS).map((o) => ({
      target: label(o.target), from: seconds(o.start), to: seconds(o.end), durationMs: o.durationMs, lost: o.lost,
      inside: o.windows.map((w) => `${w.cause ?? 'no cause'}${w.pods.length ? ` (${w.pods.join(', ')})` : ''} ${w.lost}`).join('; '),
    })),
    windows: windows.map((w) => ({
      target: label(w.target), from: seconds(w.start), to: seconds(w.end), durationMs: w.durationMs, lost: w.lost,
      byOutcome: Object.entries(w.byOutcome).map(([o, c]) => `${o} ${c}`).join(', '), pods: w.pods.join(', '),
      cause: w.cause ?? '—', evidence: w.evidence, fix: w.fix,
    })),
    configRows: rows(s.config),
    envRows: rows(input.env),
    scenarioJson,
    css: asset('./report.css'),
    js: asset('./report.js'),
    dataJson: scriptJson(view),
  });
  return { html, view };
}

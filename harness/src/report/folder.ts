// A run folder in, its outputs out. `readRun(dir)` gathers what the stages wrote (summary.json and
// ledger.bin required; timeline.ndjson, attribution.json, scenario.json, env.json when present);
// `writeRunOutputs(dir)` writes report.html and junit.xml and extends summary.json with the loss
// windows, causes and the budget verdict (the `report` section, documented in SUMMARY.md here).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLedger } from '../ledger/reader.ts';
import { readTimeline } from '../ledger/timeline.ts';
import type { Attribution, LifecycleEvent } from '../record.ts';
import type { Summary } from '../load/summary.ts';
import type { Budgets } from '../budgets.ts';
import { EnvError, UsageError } from '../errors.ts';
import type { GateResult } from './gate.ts';
import { REPORT_VERSION, gateOf, lossWindows, renderHtml } from './html.ts';
import type { EnvInfo, LossWindow, ReportInput, ScenarioInfo } from './model.ts';
import { longestOutageMs } from './windows.ts';
import { ReportReducer } from './reducer.ts';
import { junitXml } from './junit.ts';

export const REPORT_SECTION_VERSION = 1;

export interface RunData {
  dir: string;
  input: ReportInput;
  reducer: ReportReducer;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UsageError(`${what} '${path}': not readable JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function optionalJson<T>(dir: string, name: string): T | undefined {
  const p = join(dir, name);
  return existsSync(p) ? readJson<T>(p, name) : undefined;
}

/** Reads a run folder and streams its ledger once through the report's reducer. */
export async function readRun(dir: string, budgets?: Budgets): Promise<RunData> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`<run dir> '${dir}': no such folder; expected a results/<run-id>/ folder`);
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath)) throw new UsageError(`<run dir> '${dir}': no summary.json; expected a run folder written by lossless load or a scenario run`);
  const summary = readJson<Summary>(summaryPath, 'summary.json');
  if (typeof summary.version !== 'number' || !Array.isArray(summary.targets) || !summary.totals) throw new UsageError(`summary.json in '${dir}': not a lossless summary (version, totals and targets are required)`);
  const reducer = new ReportReducer();
  const ledgerPath = join(dir, 'ledger.bin');
  if (!existsSync(ledgerPath)) throw new UsageError(`<run dir> '${dir}': no ledger.bin; the report draws failures and pods from it`);
  try {
    for await (const r of readLedger(ledgerPath)) reducer.add(r);
  } catch (err) {
    throw new UsageError(`ledger.bin in '${dir}': ${err instanceof Error ? err.message : String(err)}`);
  }
  const events: LifecycleEvent[] = [];
  const timelinePath = join(dir, 'timeline.ndjson');
  if (existsSync(timelinePath)) {
    try {
      const tl = await readTimeline(timelinePath);
      for await (const e of tl.events) events.push(e);
    } catch (err) {
      throw new UsageError(`timeline.ndjson in '${dir}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const input: ReportInput = { summary, events };
  const attributions = optionalJson<Attribution[]>(dir, 'attribution.json');
  if (attributions) input.attributions = attributions;
  const scenario = optionalJson<ScenarioInfo>(dir, 'scenario.json');
  if (scenario) input.scenario = scenario;
  const env = optionalJson<EnvInfo>(dir, 'env.json');
  if (env) input.env = env;
  if (budgets) input.budgets = budgets;
  return { dir, input, reducer };
}

/** The `report` section added to summary.json. */
export interface ReportSection {
  version: number;
  windows: Array<Omit<LossWindow, 'start' | 'end'> & { startNs: number; endNs: number }>;
  causes: Record<string, { windows: number; lost: number }>;
  /** The longest outage on any path (consecutive failures, whatever windows explain them), ms. */
  longestWindowMs: number;
  gate: Omit<GateResult, 'checks'> & { checks: Array<Omit<GateResult['checks'][number], 'window'> & { window: number | null }> };
  files: { html: string; junit: string };
}

export function reportSection(windows: LossWindow[], gate: GateResult): ReportSection {
  const causes: ReportSection['causes'] = {};
  for (const w of windows) {
    const c = (causes[w.cause ?? 'none'] ??= { windows: 0, lost: 0 });
    c.windows++;
    c.lost += w.lost;
  }
  return {
    version: REPORT_SECTION_VERSION,
    windows: windows.map(({ start, end, ...w }) => ({ ...w, startNs: start, endNs: end })),
    causes,
    longestWindowMs: longestOutageMs(windows),
    gate: { ...gate, checks: gate.checks.map(({ window, ...c }) => ({ ...c, window: window ? windows.indexOf(window) : null })) },
    files: { html: 'report.html', junit: 'junit.xml' },
  };
}

export interface RunOutputs {
  windows: LossWindow[];
  gate: GateResult;
  htmlPath: string;
  junitPath: string;
  summaryPath: string;
  htmlBytes: number;
}

/**
 * Writes report.html, junit.xml and the extended summary.json into the run folder. The scenario runner
 * calls this after attribution.json, scenario.json and env.json are written; `lossless report` calls it
 * to regenerate. Budgets given here (flags) override the scenario file's.
 */
export async function writeRunOutputs(dir: string, opts: { budgets?: Budgets; junitName?: string } = {}): Promise<RunOutputs> {
  const run = await readRun(dir, opts.budgets);
  return writeOutputs(run, opts.junitName);
}

export function writeOutputs(run: RunData, junitName?: string): RunOutputs {
  const { input, reducer, dir } = run;
  const windows = lossWindows(input, reducer);
  const gate = gateOf(input, windows);
  const { html } = renderHtml(input, reducer, windows, gate);
  const sc = input.scenario;
  const suite = junitName ?? (sc?.name ? `${sc.name}.${sc.variant ?? 'default'}` : input.summary.runId);
  const extended = { ...input.summary, report: reportSection(windows, gate) };
  const paths = { htmlPath: join(dir, 'report.html'), junitPath: join(dir, 'junit.xml'), summaryPath: join(dir, 'summary.json') };
  try {
    writeFileSync(paths.htmlPath, html);
    writeFileSync(paths.junitPath, junitXml(input.summary, gate, windows, suite));
    writeFileSync(paths.summaryPath, JSON.stringify(extended, null, 2) + '\n');
  } catch (err) {
    throw new EnvError(`cannot write the report into '${dir}' (${(err as { code?: string }).code ?? String(err)}); make the run folder writable`);
  }
  return { windows, gate, ...paths, htmlBytes: Buffer.byteLength(html) };
}

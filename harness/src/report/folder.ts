// A run folder in, the report stage's outputs out. `readRun` reads what the stages wrote through the
// RunFolder (validated) and streams the ledger once through the report's reducer, checking that the ledger
// belongs to the summary beside it (same run, whole, the same count); `writeRunOutputs` writes this
// stage's own files: report.html, junit.xml and report.json (loss windows, causes, the budget verdict;
// documented in load/SUMMARY.md). summary.json is the load session's and is never edited here.
import { rolloutLatency } from './rollout.ts';
import type { Budgets } from '../budgets.ts';
import { UsageError } from '../errors.ts';
import { RunFolder } from '../folder/folder.ts';
import { attributionSchema, envSchema, scenarioInfoSchema } from '../folder/artifacts.ts';
import { LedgerFormatError } from '../ledger/reader.ts';
import type { LifecycleEvent, RequestRecord } from '../record.ts';
import { SummaryReducer, type Summary } from '../load/summary.ts';
import type { GateResult } from './gate.ts';
import { longestOutageMs } from './windows.ts';
import { budgetsOf, gateOf, lossWindows, renderHtml } from './html.ts';
import type { LossWindow, ReportInput } from './model.ts';
import { ReportReducer } from './reducer.ts';
import { junitXml } from './junit.ts';

export const REPORT_SECTION_VERSION = 1;

export interface RunData {
  dir: string;
  folder: RunFolder;
  input: ReportInput;
  reducer: ReportReducer;
  /** What the reader had to make do with (a summary rebuilt from the ledger of a killed run). */
  notes: string[];
}

/** What the ledger said about itself while it was read. */
interface LedgerFacts {
  runId: string;
  t0EpochNs: bigint;
  records: number;
  complete: boolean;
  trailerCount: number | undefined;
}

/** A ledger that does not belong to its summary is refused: a verdict from it would be silently wrong. */
function checkLedger(dir: string, l: LedgerFacts, s: Summary): void {
  const where = `ledger.bin in '${dir}'`;
  if (l.runId !== s.runId) throw new UsageError(`${where} belongs to run '${l.runId}', summary.json to run '${s.runId}': one of them was copied from another run`);
  if (l.trailerCount !== undefined && l.trailerCount !== l.records) throw new UsageError(`${where}: its trailer says ${l.trailerCount} records, the file holds ${l.records}: the file is damaged`);
  const summaryComplete = s.ledger ? s.ledger.complete : !s.partial;
  if (!l.complete && summaryComplete) {
    throw new UsageError(`${where} ends mid-file after ${l.records} records, but summary.json says the run wrote ${s.ledger?.records ?? s.totals.scheduled}: the ledger is truncated`);
  }
  if (l.complete && l.records !== s.totals.scheduled) {
    throw new UsageError(`${where} holds ${l.records} records, summary.json counts ${s.totals.scheduled} scheduled: they are not from the same run`);
  }
}

/** Reads a run folder and streams its ledger once through the report's reducer. */
export async function readRun(where: string | RunFolder, budgets?: Budgets, sinks: Array<{ add(r: RequestRecord): void }> = []): Promise<RunData> {
  const folder = typeof where === 'string' ? RunFolder.open(where) : where;
  const dir = folder.dir;
  const notes: string[] = [];
  let summary = folder.readSummary();
  if (!folder.has('ledger')) throw new UsageError(`<run dir> '${dir}': no ledger.bin; expected a run folder written by lossless load or a scenario run`);
  const reader = folder.ledger();
  const reducer = new ReportReducer();
  // without summary.json (a killed run), the figures are rebuilt in the same pass over the ledger
  const rebuilt = summary ? undefined : new SummaryReducer({ closeAfterNs: 600e9 });
  let records = 0;
  let first = Infinity;
  let last = 0;
  try {
    for await (const r of reader) {
      reducer.add(r);
      for (const s of sinks) s.add(r);
      records++;
      if (rebuilt) {
        rebuilt.add(r);
        if (r.scheduledAt < first) first = r.scheduledAt;
        if (r.endAt > last) last = r.endAt;
      }
    }
  } catch (err) {
    if (err instanceof LedgerFormatError) throw new UsageError(`ledger.bin in '${dir}': ${err.message}`);
    throw err;
  }
  const header = reader.header!;
  if (summary) {
    checkLedger(dir, { runId: header.runId, t0EpochNs: header.t0EpochNs, records, complete: reader.complete, trailerCount: reader.trailerCount }, summary);
  } else {
    summary = rebuilt!.result({ runId: header.runId, t0EpochNs: header.t0EpochNs, startNs: Number.isFinite(first) ? first : 0, endNs: last, partial: true, config: {} });
    summary.ledger = { file: 'ledger.bin', records, bytes: 0, bytesPerRecord: 0, complete: reader.complete };
    notes.push(`no summary.json (the run was killed${reader.complete ? '' : ' before its ledger was closed'}): the figures are rebuilt from the ${records} records of ledger.bin; this run is partial`);
  }
  const events: LifecycleEvent[] = [];
  if (folder.has('timeline')) {
    try {
      const tl = await folder.timeline();
      for await (const e of tl.events) events.push(e);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`timeline.ndjson in '${dir}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const input: ReportInput = { summary, events };
  const attributions = folder.read('attribution', attributionSchema);
  if (attributions) input.attributions = attributions;
  const scenario = folder.read('scenario', scenarioInfoSchema);
  if (scenario) input.scenario = scenario;
  const env = folder.read('env', envSchema);
  if (env) input.env = env;
  if (budgets) input.budgets = budgets;
  return { dir, folder, input, reducer, notes };
}

/** report.json: what the report stage concluded. */
export interface ReportSection {
  version: number;
  runId: string;
  partial: boolean;
  windows: Array<Omit<LossWindow, 'start' | 'end'> & { startNs: number; endNs: number }>;
  causes: Record<string, { windows: number; lost: number }>;
  /** The longest outage on any path (consecutive failures, whatever windows explain them), ms. */
  longestWindowMs: number;
  gate: Omit<GateResult, 'checks'> & { checks: Array<Omit<GateResult['checks'][number], 'window'> & { window: number | null }> };
  files: { html: string; junit: string };
  notes: string[];
}

export function reportSection(summary: Summary, windows: LossWindow[], gate: GateResult, notes: string[] = []): ReportSection {
  const causes: ReportSection['causes'] = {};
  for (const w of windows) {
    const c = (causes[w.cause ?? 'none'] ??= { windows: 0, lost: 0 });
    c.windows++;
    c.lost += w.lost;
  }
  return {
    version: REPORT_SECTION_VERSION,
    runId: summary.runId,
    partial: summary.partial,
    windows: windows.map(({ start, end, ...w }) => ({ ...w, startNs: start, endNs: end })),
    causes,
    longestWindowMs: longestOutageMs(windows),
    gate: { ...gate, checks: gate.checks.map(({ window, ...c }) => ({ ...c, window: window ? windows.indexOf(window) : null })) },
    files: { html: 'report.html', junit: 'junit.xml' },
    notes,
  };
}

export interface RunOutputs {
  windows: LossWindow[];
  gate: GateResult;
  section: ReportSection;
  summary: Summary;
  htmlPath: string;
  junitPath: string;
  reportPath: string;
  htmlBytes: number;
  notes: string[];
}

/**
 * Writes report.html, junit.xml and report.json into the run folder. The scenario runner calls this after
 * attribution.json and env.json are written; `lossless report` calls it to regenerate (these three files
 * are the report stage's own, so they are replaced). Budgets given here (flags) override the scenario's.
 */
export async function writeRunOutputs(where: string | RunFolder, opts: { budgets?: Budgets; junitName?: string } = {}): Promise<RunOutputs> {
  const run = await readRun(where, opts.budgets);
  if (budgetsOf(run.input).maxRolloutP99Ms !== undefined) run.input.rollout = await rolloutLatency(run.folder.path('ledger'), run.input.events);
  return writeOutputs(run, opts.junitName);
}

export function writeOutputs(run: RunData, junitName?: string): RunOutputs {
  const { input, reducer, folder, notes } = run;
  const windows = lossWindows(input, reducer);
  const gate = gateOf(input, windows);
  const { html } = renderHtml(input, reducer, windows, gate);
  const sc = input.scenario;
  const suite = junitName ?? (sc?.name ? `${sc.name}.${sc.variant ?? 'default'}` : input.summary.runId);
  const section = reportSection(input.summary, windows, gate, notes);
  const htmlPath = folder.writeText('html', html, { replace: true });
  const junitPath = folder.writeText('junit', junitXml(input.summary, gate, windows, suite), { replace: true });
  const reportPath = folder.write('report', section, { replace: true });
  return { windows, gate, section, summary: input.summary, htmlPath, junitPath, reportPath, htmlBytes: Buffer.byteLength(html), notes };
}

// `compare`: run-level figures for each run folder, grouped by variant, and a verdict for each pair of
// variants from a rank test on the runs (stats.ts says which test and why). The run is the unit: the
// requests inside one loss window are not independent, so only whole runs are counted as samples.
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { readRun } from './folder.ts';
import { lossWindows } from './html.ts';
import { longestOutageMs } from './windows.ts';
import { mannWhitney, median, minAttainableP, type RankTest } from './stats.ts';

export const DEFAULT_ALPHA = 0.1;

export interface RunFigures {
  dir: string;
  runId: string;
  variant: string;
  /** scenario.json's name; undefined for a bare `lossless load` run. */
  scenario?: string;
  /** The run was interrupted or killed: its figures cover less than the whole run. */
  partial: boolean;
  /** The run's clock origin: with the run id, what makes a copied folder the same run. */
  t0EpochNs: string;
  scheduled: number;
  lost: number;
  lossPct: number;
  /** The run's client policy (config.client; none before client policies) and what that client saw fail. */
  client: string;
  clientLost: number;
  clientLossPct: number;
  byOutcome: Record<string, number>;
  windows: number;
  longestWindowMs: number;
  p50Ms: number;
  p99Ms: number;
  /** cause -> lost requests in its windows ('none' when the run has no attribution) */
  causes: Record<string, number>;
  /** per second from the run's first second, all paths together */
  series: { okPerS: number[]; lostPerS: number[]; p99Ms: number[] };
}

export const METRICS = ['lossPct', 'longestWindowMs', 'p99Ms', 'p50Ms'] as const;
export type Metric = (typeof METRICS)[number];
export type Verdict = 'better' | 'worse' | 'no significant difference' | 'insufficient runs';

export interface MetricTest {
  metric: Metric;
  medianBase: number;
  medianOther: number;
  test: RankTest;
  verdict: Verdict;
}

export interface PairVerdict {
  base: string;
  other: string;
  /** The verdict on loss %, the figure a change to the manifests is meant to move. */
  verdict: Verdict;
  text: string;
  tests: MetricTest[];
}

export interface VariantFigures {
  name: string;
  runs: RunFigures[];
  median: Record<Metric, number>;
  causes: Record<string, number>;
}

export interface Comparison {
  alpha: number;
  /** What makes the verdicts less than they seem (runs of different scenarios, partial runs). */
  warnings: string[];
  variants: VariantFigures[];
  pairs: PairVerdict[];
}

export interface RunSpec {
  dir: string;
  /** Group name; default the scenario's variant, else the run folder's name. */
  variant?: string;
}

/** `naive=results/x` names the variant; a bare folder takes scenario.json's variant, else its own name. */
export function parseRunSpec(arg: string): RunSpec {
  const m = /^([A-Za-z0-9][A-Za-z0-9._/-]{0,63})=(.+)$/.exec(arg);
  return m ? { variant: m[1]!, dir: m[2]! } : { dir: arg };
}

export async function runFigures(spec: RunSpec): Promise<RunFigures> {
  const run = await readRun(spec.dir);
  const { summary: s, scenario } = run.input;
  const windows = lossWindows(run.input, run.reducer);
  const causes: Record<string, number> = {};
  for (const w of windows) causes[w.cause ?? 'none'] = (causes[w.cause ?? 'none'] ?? 0) + w.lost;
  const t0 = s.series.length ? Math.min(...s.series.map((b) => b.t)) : 0;
  const n = s.series.length ? Math.max(...s.series.map((b) => b.t)) - t0 + 1 : 0;
  const okPerS = new Array<number>(n).fill(0);
  const lostPerS = new Array<number>(n).fill(0);
  const p99Ms = new Array<number>(n).fill(0);
  for (const b of s.series) {
    const i = b.t - t0;
    for (const [o, c] of Object.entries(b.byOutcome)) {
      if (o === 'ok') okPerS[i]! += c ?? 0;
      else if (o !== 'cancelled') lostPerS[i]! += c ?? 0;
    }
    p99Ms[i] = Math.max(p99Ms[i]!, b.p99Ms);
  }
  const variant = spec.variant ?? (scenario?.name ? `${scenario.name}/${scenario.variant ?? 'default'}` : basename(spec.dir.replace(/\/+$/, '')));
  return {
    dir: spec.dir, runId: s.runId, variant, partial: s.partial, t0EpochNs: s.t0EpochNs, ...(scenario?.name ? { scenario: scenario.name } : {}),
    scheduled: s.totals.scheduled, lost: s.totals.lost, lossPct: s.totals.lossPct,
    client: typeof s.config.client === 'string' ? s.config.client : 'none',
    clientLost: s.totals.client?.lost ?? s.totals.lost, clientLossPct: s.totals.client?.lossPct ?? s.totals.lossPct, byOutcome: { ...s.totals.byOutcome } as Record<string, number>,
    windows: windows.length, longestWindowMs: longestOutageMs(windows),
    p50Ms: s.totals.latencyFromIntendedMs.p50, p99Ms: s.totals.latencyFromIntendedMs.p99, causes,
    series: { okPerS, lostPerS, p99Ms },
  };
}

export function compareFigures(runs: RunFigures[], alpha = DEFAULT_ALPHA): Comparison {
  const groups = new Map<string, RunFigures[]>();
  for (const r of runs) {
    let g = groups.get(r.variant);
    if (!g) groups.set(r.variant, (g = []));
    g.push(r);
  }
  const variants: VariantFigures[] = [...groups].map(([name, rs]) => {
    const causes: Record<string, number> = {};
    for (const r of rs) for (const [c, n] of Object.entries(r.causes)) causes[c] = (causes[c] ?? 0) + n;
    const med = Object.fromEntries(METRICS.map((m) => [m, median(rs.map((r) => r[m]))])) as Record<Metric, number>;
    return { name, runs: rs, median: med, causes };
  });
  const pairs: PairVerdict[] = [];
  for (let i = 0; i < variants.length; i++) {
    for (let j = i + 1; j < variants.length; j++) pairs.push(verdictFor(variants[i]!, variants[j]!, alpha));
  }
  return { alpha, variants, pairs, warnings: warningsFor(runs) };
}

/** Runs that are not comparable without a word: different scenarios, partial runs. */
function warningsFor(runs: RunFigures[]): string[] {
  const out: string[] = [];
  const scenarios = [...new Set(runs.map((r) => r.scenario ?? '(lossless load)'))];
  if (scenarios.length > 1) {
    out.push(`runs of different scenarios are compared (${scenarios.join(', ')}): their losses come from different mechanisms and loads, so a verdict between them says little`);
  }
  const partial = runs.filter((r) => r.partial);
  if (partial.length > 0) out.push(`partial run${partial.length === 1 ? '' : 's'} (interrupted or killed): ${partial.map((r) => r.runId).join(', ')}; their figures cover less than a whole run`);
  return out;
}

/** The same run given twice (same folder, or the same run id) would be counted as two samples. */
function refuseDuplicates(specs: RunSpec[], runs: RunFigures[]): void {
  const seen = new Map<string, string>();
  runs.forEach((r, i) => {
    let real = specs[i]!.dir;
    try {
      real = realpathSync(real);
    } catch {
      // readRun has already checked the folder exists
    }
    for (const key of [`dir ${real}`, `run ${r.runId} ${r.t0EpochNs}`]) {
      const first = seen.get(key);
      if (first !== undefined) {
        throw new UsageError(`<run dir> '${specs[i]!.dir}': the same run as '${first}' (run id ${r.runId}); each run may be given once, or the test counts it as several samples`);
      }
      seen.set(key, specs[i]!.dir);
    }
  });
}

function metricVerdict(base: VariantFigures, other: VariantFigures, metric: Metric, alpha: number): MetricTest {
  const a = base.runs.map((r) => r[metric]);
  const b = other.runs.map((r) => r[metric]);
  const test = mannWhitney(b, a); // uA > nA*nB/2: `other` tends higher (worse: all metrics are lower-is-better)
  let verdict: Verdict;
  if (minAttainableP(a.length, b.length) > alpha) verdict = 'insufficient runs';
  else if (test.p <= alpha) verdict = test.uA > (test.nA * test.nB) / 2 ? 'worse' : 'better';
  else verdict = 'no significant difference';
  return { metric, medianBase: base.median[metric], medianOther: other.median[metric], test, verdict };
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));

export function verdictFor(base: VariantFigures, other: VariantFigures, alpha: number): PairVerdict {
  const tests = METRICS.map((m) => metricVerdict(base, other, m, alpha));
  const loss = tests[0]!;
  const list = (v: VariantFigures) => v.runs.map((r) => fmt(r.lossPct)).join(', ');
  let text = `${other.name} vs ${base.name}: ${loss.verdict} — loss ${fmt(loss.medianOther)}% (median of ${other.runs.length} run${other.runs.length === 1 ? '' : 's'}: ${list(other)}) vs ${fmt(loss.medianBase)}% (${list(base)})`;
  if (loss.verdict === 'insufficient runs') {
    text += `; with ${base.runs.length} and ${other.runs.length} runs no outcome can reach p <= ${alpha} (smallest possible p ${fmt(minAttainableP(base.runs.length, other.runs.length))}): repeat each variant at least 3 times`;
  } else {
    text += `; Mann-Whitney U = ${fmt(loss.test.uA)}, ${loss.test.exact ? 'exact' : 'approximate'} two-sided p = ${fmt(loss.test.p)} (level ${alpha})`;
  }
  return { base: base.name, other: other.name, verdict: loss.verdict, text, tests };
}

export async function compareRuns(specs: RunSpec[], alpha = DEFAULT_ALPHA): Promise<Comparison> {
  const runs: RunFigures[] = [];
  for (const s of specs) runs.push(await runFigures(s));
  refuseDuplicates(specs, runs);
  return compareFigures(runs, alpha);
}

/** The side-by-side text `lossless compare` prints. */
export function formatComparison(c: Comparison): string {
  const lines: string[] = c.warnings.map((w) => `warning: ${w}`);
  if (lines.length) lines.push('');
  const head = ['variant', 'run', 'loss %', 'lost', 'windows', 'longest ms', 'p50 ms', 'p99 ms', 'failures by class', 'causes'];
  const rows: string[][] = [];
  for (const v of c.variants) {
    for (const r of v.runs) {
      const classes = Object.entries(r.byOutcome).filter(([o]) => o !== 'ok').map(([o, n]) => `${o} ${n}`).join(', ') || '-';
      const causes = Object.entries(r.causes).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
      rows.push([v.name, r.runId, fmt(r.lossPct), String(r.lost), String(r.windows), fmt(r.longestWindowMs), fmt(r.p50Ms), fmt(r.p99Ms), classes, causes]);
    }
    rows.push([v.name, `median of ${v.runs.length}`, fmt(v.median.lossPct), '', '', fmt(v.median.longestWindowMs), fmt(v.median.p50Ms), fmt(v.median.p99Ms), '', '']);
  }
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(width[i]!)).join('  ').trimEnd();
  lines.push(line(head), ...rows.map(line), '');
  for (const p of c.pairs) {
    lines.push(p.text);
    for (const t of p.tests.slice(1)) lines.push(`  ${t.metric}: ${fmt(t.medianOther)} vs ${fmt(t.medianBase)}, p = ${fmt(t.test.p)}: ${t.verdict}`);
  }
  if (c.pairs.length === 0) lines.push('one variant only: give runs of at least two variants (name=dir to group them) for a verdict');
  return lines.join('\n') + '\n';
}

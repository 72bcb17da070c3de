// The catalogue: every scenario run the e2e tests made on the lab, one row each, kept in a JSON file and
// rendered as a Markdown twin (scenarios/catalogue.json, scenarios/CATALOGUE.md). Runs accumulate: a new
// batch is merged by run id into what the file already holds, so runs from separate invocations add up
// and a run added twice is one row. Both files are written from the JSON alone, by code: the README links
// the Markdown and says nothing it does not show.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { BUSY_HOST_CPU_PCT, catalogueRunSchema, type CatalogueRun } from './entry.ts';

export const CATALOGUE_VERSION = 1;

export const catalogueSchema = z.strictObject({
  version: z.literal(CATALOGUE_VERSION),
  runs: z.array(catalogueRunSchema),
});
export type Catalogue = z.output<typeof catalogueSchema>;

/** The catalogue in a JSON file, or an empty one when the file does not exist yet. */
export function readCatalogue(path: string): Catalogue {
  if (!existsSync(path)) return { version: CATALOGUE_VERSION, runs: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`catalogue '${path}': not JSON (${(err as Error).message})`);
  }
  const parsed = catalogueSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new UsageError(`catalogue '${path}': ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return parsed.data;
}

const order = (a: CatalogueRun, b: CatalogueRun) =>
  a.scenario.localeCompare(b.scenario) || a.variant.localeCompare(b.variant) || a.id.localeCompare(b.id);

/** Adds runs to a catalogue; a run id already there is replaced by the newer row (re-judged folder). */
export function mergeRuns(cat: Catalogue, runs: readonly CatalogueRun[]): Catalogue {
  const byId = new Map(cat.runs.map((r) => [r.id, r]));
  for (const r of runs) byId.set(r.id, r);
  const byPath = (r: CatalogueRun): CatalogueRun => ({ ...r, paths: [...r.paths].sort((a, b) => a.path.localeCompare(b.path)) });
  return { version: CATALOGUE_VERSION, runs: [...byId.values()].map(byPath).sort(order) };
}

export interface VariantTally {
  scenario: string;
  variant: string;
  expect: CatalogueRun['expect'];
  runs: number;
  met: number;
  notMet: number;
  stopped: number;
}

/** Runs, met, not met and stopped per scenario and variant. */
export function tally(cat: Catalogue): VariantTally[] {
  const out = new Map<string, VariantTally>();
  for (const r of [...cat.runs].sort(order)) {
    const k = `${r.scenario}\u0000${r.variant}`;
    const t = out.get(k) ?? { scenario: r.scenario, variant: r.variant, expect: r.expect, runs: 0, met: 0, notMet: 0, stopped: 0 };
    t.runs++;
    if (r.status === 'met') t.met++;
    else if (r.status === 'not met') t.notMet++;
    else t.stopped++;
    t.expect = r.expect; // the latest run's expectation (files sort by id: stamp first)
    out.set(k, t);
  }
  return [...out.values()];
}

function expects(e: CatalogueRun['expect']): string {
  if (!e) return '-';
  const on = e.figure === 'client' ? ' (client-seen)' : '';
  if (!e.loses) return `no loss${on}`;
  return e.causes?.length ? `loss${on}, largest share ${e.causes.join(' or ')}` : `loss${on}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function pct(lost: number, sent: number): string {
  return sent > 0 ? `${Number(((lost / sent) * 100).toPrecision(3))}%` : '-';
}

/** The command that adds runs of one variant to the catalogue. */
export function reproduceCommand(scenario: string, variant: string, repeat = 5): string {
  return `LOSSLESS_E2E_SCENARIOS=${scenario} LOSSLESS_E2E_VARIANTS=${variant} LOSSLESS_E2E_REPEAT=${repeat} npm run test:e2e`;
}

export function renderMarkdown(cat: Catalogue): string {
  const lines = [
    '# The catalogue on the lab',
    '',
    'Written by `npm run test:e2e` (harness/src/catalogue/) from the run folders it made, with its twin',
    '[catalogue.json](catalogue.json); do not edit by hand. Runs accumulate: each invocation merges its runs by',
    'run id (the `results/` folder name). **met**: a variant that expects loss (naive) lost, and one of the causes',
    'its file names has the largest share of the lost requests; a variant that expects none (fixed) lost 0.',
    '**stopped**: the run ended early, no verdict. **sent** counts scheduled requests minus cancelled ones; a path\'s',
    '**outage** is its longest run of consecutive failures (less than 1 s apart, any cause). Host CPU is the',
    `mean (max) over the run, marked **busy** above ${BUSY_HOST_CPU_PCT}%: a starved 2-core host loses requests of its own.`,
    'lost / sent is the wire figure (every failed attempt); under a client policy (`load.client`) the row adds',
    'what the client saw (requests whose last attempt failed), and a variant whose file sets `expect.figure: client`',
    'is judged on that figure.',
    '',
    '## Per variant',
    '',
    ...(cat.runs.length === 0 ? ['No runs yet.', ''] : []),
    '| scenario | variant | expects | runs | met | not met | stopped | more runs |',
    '|---|---|---|---|---|---|---|---|',
    ...tally(cat).map((t) => `| ${t.scenario} | ${t.variant} | ${expects(t.expect)} | ${t.runs} | ${t.met} | ${t.notMet} | ${t.stopped} | \`${reproduceCommand(t.scenario, t.variant)}\` |`),
    '',
    '## Runs',
    '',
    '| scenario | variant | run | date (UTC) | lost / sent | per path: lost / sent, outage | causes (lost) | host CPU | expectation |',
    '|---|---|---|---|---|---|---|---|---|',
    ...cat.runs.map((r) => {
      const paths = r.paths.map((p) => `${p.path}: ${p.lost} / ${p.sent}, ${p.longestOutageMs} ms${p.clientLost !== undefined ? `, client-seen ${p.clientLost}` : ''}`).join('; ');
      const client = r.client ? `; client-seen (${r.client.policy}) ${r.client.lost} / ${r.client.requests}` : '';
      const causes = Object.entries(r.causes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ') || '-';
      const cpu = r.hostCpu ? `${r.hostCpu.meanPct}% (${r.hostCpu.maxPct}%)${r.hostCpu.busy ? ' **busy**' : ''}` : '-';
      const date = r.date.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, '');
      const status = r.status === 'met' ? 'met' : `**${r.status}**`;
      return `| ${r.scenario} | ${r.variant} | ${r.id} | ${date} | ${r.lost} / ${r.sent} (${pct(r.lost, r.sent)})${client} | ${cell(paths)} | ${causes} | ${cpu} | ${status}: ${cell(r.verdict)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

/** Merges `runs` into the catalogue at `jsonPath` and rewrites both files; returns the merged catalogue. */
export function addToCatalogue(jsonPath: string, mdPath: string, runs: readonly CatalogueRun[]): Catalogue {
  const cat = mergeRuns(readCatalogue(jsonPath), runs);
  writeFileSync(jsonPath, JSON.stringify(cat, null, 2) + '\n');
  writeFileSync(mdPath, renderMarkdown(cat));
  return cat;
}

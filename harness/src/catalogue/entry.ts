// One catalogue row from one scenario run folder: what the run measured (lost / sent per path, each
// path's outage, the causes with their lost counts, host CPU) and whether it did what its variant
// expects. Everything comes from the files the run wrote (summary.json, attribution.json, scenario.json,
// env.json), so a row can be checked against its folder; nothing is typed in by hand.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import type { Expectation } from '../budgets.ts';
import { UsageError } from '../errors.ts';
import { RunFolder } from '../folder/folder.ts';
import { attributionSchema, envSchema, scenarioInfoSchema } from '../folder/artifacts.ts';
import { leadingCause, lostByCause } from '../report/gate.ts';
import { longestOutageOf, windowsFromAttributions } from '../report/windows.ts';

/** A run whose host CPU averaged above this is marked: a starved 2-core host loses requests of its own. */
export const BUSY_HOST_CPU_PCT = 85;

export const catalogueRunSchema = z.strictObject({
  /** The run folder's name under results/ (its run id). */
  id: z.string().min(1),
  scenario: z.string(),
  variant: z.string(),
  /** When the load started (ISO 8601, UTC). */
  date: z.string(),
  /** Requests that counted: scheduled minus cancelled (lost counts dropped ones too). */
  sent: z.number().int().min(0),
  lost: z.number().int().min(0),
  paths: z.array(z.strictObject({
    path: z.string(),
    target: z.string(),
    sent: z.number().int().min(0),
    lost: z.number().int().min(0),
    /** The path's longest outage: consecutive failures less than 1 s apart, whatever their causes. */
    longestOutageMs: z.number().min(0),
    /** Requests whose last attempt failed under the run's client policy (absent: no policy, the wire figure). */
    clientLost: z.number().int().min(0).optional(),
  })),
  /** What the client saw under a client policy (send/policy.ts) other than `none`; null without one. */
  client: z.strictObject({ policy: z.string(), requests: z.number().int().min(0), lost: z.number().int().min(0) }).nullable().optional(),
  /** Lost requests per cause named by attribution. */
  causes: z.record(z.string(), z.number().int().min(0)),
  hostCpu: z.strictObject({ meanPct: z.number(), maxPct: z.number(), busy: z.boolean() }).nullable(),
  expect: z.strictObject({ loses: z.boolean(), causes: z.array(z.string()).optional(), figure: z.enum(['wire', 'client']).optional() }).nullable(),
  /** met: did what its variant expects; not met: did not; stopped: the run ended early (no verdict). */
  status: z.enum(['met', 'not met', 'stopped']),
  /** Why, in one line with the figures. */
  verdict: z.string(),
});
export type CatalogueRun = z.output<typeof catalogueRunSchema>;

const hostCpuOf = z.object({ meanPct: z.number(), maxPct: z.number() });

// The client-seen figures summary.json carries under a client policy (issue 12; load/SUMMARY.md), read
// apart from the summary's own schema so that summaries written before them still read.
const clientCounts = z.object({ requests: z.number().int().min(0), lost: z.number().int().min(0) });
const clientOf = z.object({
  config: z.object({ client: z.string().optional() }).loose(),
  totals: z.object({ client: clientCounts.optional() }).loose(),
  targets: z.array(z.object({ target: z.string(), client: clientCounts.optional() }).loose()),
}).loose();
const figureOf = z.object({ expect: z.object({ figure: z.enum(['wire', 'client']).optional() }).loose().optional() }).loose();

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The in-cluster URL is written with its default port dropped in the summary (`:80`): compare normalised. */
function normalUrl(u: string): string {
  try {
    return new URL(u.replace(/ \(in cluster\)$/, '')).href;
  } catch {
    return u;
  }
}

/**
 * Judges a run's figures against its variant's expectation. A variant that expects loss (naive) must lose,
 * and one of its named causes must have the largest share of the lost requests; one that expects none
 * (fixed) must lose none.
 */
export function judge(lost: number, causes: Record<string, number>, expect: Expectation | null, client?: { policy: string; lost: number } | null, figure?: 'wire' | 'client'): { status: 'met' | 'not met'; verdict: string } {
  if (!expect) return { status: 'not met', verdict: 'the run folder names no expectation (scenario.json has no expect)' };
  if (figure === 'client') {
    // a path no server-side setting brings to zero on the wire, whose file says so: judged on what the client saw
    const seen = client?.lost ?? lost;
    const what = `client-seen (--client ${client?.policy ?? 'none'})`;
    if (!expect.loses) {
      return seen === 0 ? { status: 'met', verdict: `expected no ${what} loss: lost 0; ${lost} lost on the wire` } : { status: 'not met', verdict: `expected no ${what} loss: lost ${seen}; ${lost} on the wire` };
    }
    if (seen === 0) return { status: 'not met', verdict: `expected ${what} loss: lost 0; ${lost} on the wire` };
  }
  if (!expect.loses) {
    return lost === 0 ? { status: 'met', verdict: 'expected no loss: lost 0' } : { status: 'not met', verdict: `expected no loss: lost ${lost}` };
  }
  if (lost === 0) return { status: 'not met', verdict: 'expected loss: lost 0 (the mechanism did not reproduce)' };
  if (!expect.causes?.length) return { status: 'met', verdict: `expected loss: lost ${lost}` };
  const lead = leadingCause(causes, expect.causes);
  const share = lead.total > 0 ? Math.round((lead.lost / lead.total) * 100) : 0;
  return lead.named
    ? { status: 'met', verdict: `${lead.cause} has the largest share: ${lead.lost} of ${lead.total} attributed (${share}%)` }
    : { status: 'not met', verdict: `expected ${expect.causes.join(' or ')} as the largest share; ${lead.cause ?? 'no cause'} lost most: ${lead.lost} of ${lead.total} (${share}%)` };
}

/** Reads a scenario run folder into its catalogue row. Exit 2 (UsageError) for a folder that is no scenario run. */
export function catalogueEntry(dir: string): CatalogueRun {
  const folder = RunFolder.open(dir);
  const summary = folder.readSummary();
  const scenario = folder.read('scenario', scenarioInfoSchema);
  if (!summary || !scenario?.name || !scenario.variant) {
    throw new UsageError(`<run dir> '${dir}': not a finished scenario run (needs summary.json and scenario.json with name and variant)`);
  }
  const env = folder.read('env', envSchema) ?? {};
  const attributions = folder.read('attribution', attributionSchema) ?? [];
  const windows = windowsFromAttributions(attributions);
  const causes = lostByCause(windows);

  // path names from env.json's paths (name -> URL); a target not named there keeps its URL
  const names = new Map<string, string>();
  const envPaths = env['paths'];
  if (envPaths && typeof envPaths === 'object') {
    for (const [name, url] of Object.entries(envPaths as Record<string, unknown>)) if (typeof url === 'string') names.set(normalUrl(url), name);
  }
  const rawClient = clientOf.safeParse(readJson(folder.path('summary')));
  const policy = rawClient.success ? (rawClient.data.config.client ?? 'none') : 'none';
  const clientTarget = (target: string) => (rawClient.success ? rawClient.data.targets.find((x) => x.target === target)?.client : undefined);
  const onClient = policy !== 'none' && rawClient.success && rawClient.data.totals.client !== undefined;
  const client = onClient ? { policy, requests: rawClient.data.totals.client!.requests, lost: rawClient.data.totals.client!.lost } : null;
  const rawFigure = figureOf.safeParse(readJson(folder.path('scenario')));
  const figure = rawFigure.success ? rawFigure.data.expect?.figure : undefined;
  const paths = summary.targets.map((t) => ({
    path: names.get(normalUrl(t.target)) ?? t.target,
    target: t.target,
    sent: t.scheduled - t.cancelled,
    lost: t.lost,
    longestOutageMs: Math.round(longestOutageOf(windows.filter((w) => w.target === t.target))?.durationMs ?? 0),
    ...(onClient && clientTarget(t.target) ? { clientLost: clientTarget(t.target)!.lost } : {}),
  })).sort((a, b) => a.path.localeCompare(b.path)); // the summary lists targets as they first answered

  const cpu = hostCpuOf.safeParse(summary.hostCpu ?? env['hostCpu']);
  const hostCpu = cpu.success ? { meanPct: cpu.data.meanPct, maxPct: cpu.data.maxPct, busy: cpu.data.meanPct > BUSY_HOST_CPU_PCT } : null;
  const expect = scenario.expect ?? null;
  const stoppedBy = typeof env['error'] === 'string' ? env['error'] : summary.partial ? 'the run was interrupted (partial)' : null;
  const t = summary.totals;
  const judged = judge(t.lost, causes, expect, client, figure);
  return {
    id: basename(resolve(dir)),
    scenario: scenario.name,
    variant: scenario.variant,
    date: summary.startedAt,
    sent: t.scheduled - t.cancelled,
    lost: t.lost,
    paths,
    causes,
    hostCpu,
    client,
    expect: expect ? { loses: expect.loses, ...(expect.causes ? { causes: [...expect.causes] } : {}), ...(figure ? { figure } : {}) } : null,
    ...(stoppedBy ? { status: 'stopped' as const, verdict: `run stopped early: ${stoppedBy}` } : judged),
  };
}

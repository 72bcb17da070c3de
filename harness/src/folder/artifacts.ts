// The files of a run folder: their names and the zod schemas every read goes through, so a hand-edited,
// truncated or foreign file is refused with the field that is wrong (exit 2) instead of crashing a stage
// or changing a verdict. The field meanings are documented in load/SUMMARY.md and results/README.md.
import { z } from 'zod';
import { budgetsSchema, expectationSchema } from '../budgets.ts';
import { CAUSES, detailMismatches, EVENT_SOURCES, LIFECYCLE_KINDS, OUTCOMES, type Attribution, type LifecycleEvent } from '../record.ts';

/** Every file a run folder can hold, by the stage that writes it. */
export const ARTIFACTS = {
  ledger: 'ledger.bin', // the load session
  summary: 'summary.json', // the load session, once, at its close
  timeline: 'timeline.ndjson', // the scenario runner's watchers
  scenario: 'scenario.json', // the scenario runner, before the load
  diagnostics: 'diagnostics.txt', // the scenario runner, when a run stopped early
  attribution: 'attribution.json', // attribution, after the run
  env: 'env.json', // the scenario runner, after the run
  report: 'report.json', // the report stage: windows, causes, the budget verdict
  html: 'report.html', // the report stage
  junit: 'junit.xml', // the report stage
} as const;
export type Artifact = keyof typeof ARTIFACTS;

const count = z.number().int().min(0);
const finite = z.number().refine(Number.isFinite, { error: 'a finite number' });
const outcomeCounts = z.partialRecord(z.enum(OUTCOMES), count);

export const percentilesSchema = z.object({ count, p50: finite, p90: finite, p99: finite, p999: finite, max: finite, mean: finite });

/**
 * What the client saw: one result per scheduled request, the last attempt of each seq (a client policy,
 * send/policy.ts, may have sent it more than once). With `--client none` the same as the wire figures.
 */
export const clientCountsSchema = z.object({
  requests: count,
  retried: count,
  lost: count,
  lossPct: z.number().min(0).max(100),
  byOutcome: outcomeCounts,
  latencyFromIntendedMs: percentilesSchema,
});

export const countsSchema = z.object({
  scheduled: count,
  sent: count,
  completed: count,
  ok: count,
  failed: count,
  dropped: count,
  cancelled: count,
  lost: count,
  lossPct: z.number().min(0).max(100),
  byOutcome: outcomeCounts,
  byStatus: z.record(z.string(), count),
  actualQps: finite,
  latencyFromIntendedMs: percentilesSchema,
  latencyFromSentMs: percentilesSchema,
  sendLagMs: percentilesSchema,
  /** A client policy's re-sends among the records (absent in summaries written before issue 12: 0). */
  retries: count.optional(),
  /** The client-seen figures (absent before issue 12: the same as the wire figures). */
  client: clientCountsSchema.optional(),
});

export const secondSchema = z.object({
  t: z.number().int(),
  target: z.string(),
  scheduled: count,
  byOutcome: outcomeCounts,
  p50Ms: finite,
  p99Ms: finite,
});

export const hostCpuSchema = z.object({
  cores: count,
  samples: z.array(z.object({ t: finite, busyPct: finite })),
  meanPct: finite,
  maxPct: finite,
  saturatedSeconds: count,
});

export const ledgerInfoSchema = z.object({ file: z.string(), records: count, bytes: count, bytesPerRecord: finite, complete: z.boolean() });

export const summarySchema = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  t0EpochNs: z.string().regex(/^\d+$/, { error: 'epoch nanoseconds as a decimal string' }),
  startedAt: z.string(),
  endedAt: z.string(),
  partial: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  totals: countsSchema,
  targets: z.array(countsSchema.extend({ target: z.string() })),
  series: z.array(secondSchema),
  ledger: ledgerInfoSchema.optional(),
  /** A scenario run's host CPU over the run (a starved 2-core node loses requests of its own). */
  hostCpu: hostCpuSchema.optional(),
});

export type Percentiles = z.output<typeof percentilesSchema>;
export type OutcomeCounts = z.output<typeof outcomeCounts>;
export type Counts = z.output<typeof countsSchema>;
export type ClientCounts = z.output<typeof clientCountsSchema>;
export type TargetSummary = Counts & { target: string };
export type SecondSummary = z.output<typeof secondSchema>;
export type LedgerInfo = z.output<typeof ledgerInfoSchema>;
export type HostCpu = z.output<typeof hostCpuSchema>;
export type Summary = z.output<typeof summarySchema>;

const eventSchema = z.object({
  at: finite,
  source: z.enum(EVENT_SOURCES),
  kind: z.enum(LIFECYCLE_KINDS),
  pod: z.string().optional(),
  podIP: z.string().optional(),
  node: z.string().optional(),
  object: z.string().optional(),
  apiAt: finite.optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
})
  // the kind's known detail fields have their types (record.ts EVENT_DETAIL_FIELDS): then it is that kind's event
  .superRefine((e, ctx) => {
    for (const m of detailMismatches(e.kind, e.detail)) ctx.addIssue({ code: 'custom', path: ['detail'], message: m });
  })
  .transform((e) => e as LifecycleEvent);

export const attributionSchema = z.array(
  z.object({
    target: z.string(),
    start: finite,
    end: finite,
    lost: count,
    byOutcome: outcomeCounts,
    pods: z.array(z.string()),
    cause: z.enum(CAUSES),
    evidence: z.object({ text: z.string(), events: z.array(eventSchema), lagsMs: z.record(z.string(), finite) }),
    fix: z.string(),
    seqs: z.array(count),
  }) satisfies z.ZodType<Attribution>,
);

/** The parts of scenario.json a report reads; the rest is shown as it is. */
export const scenarioInfoSchema = z.looseObject({
  name: z.string().optional(),
  variant: z.string().optional(),
  description: z.string().optional(),
  variantDescription: z.string().optional(),
  budgets: budgetsSchema.optional(),
  expect: expectationSchema.optional(),
  /** Traffic path name -> spec, or the resolved array of {name, type, ...}. */
  paths: z.unknown().optional(),
});
export type ScenarioInfo = z.output<typeof scenarioInfoSchema>;

/** env.json: facts about the machine and versions, shown as a table. */
export const envSchema = z.record(z.string(), z.unknown());
export type EnvInfo = z.output<typeof envSchema>;

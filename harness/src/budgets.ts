// Loss budgets and a variant's expectation: what the gate judges a run by. On the ground floor because a
// scenario file, a CLI flag (--max-loss, --max-window), scenario.json in a run folder and the report all
// speak them; the scenario schema embeds these schemas instead of owning them.
import { DURATION_HELP, parseDurationMs } from './duration.ts';
import { z } from 'zod';
import { UsageError } from './errors.ts';
import { CAUSES } from './record.ts';

export const budgetsSchema = z.strictObject({
  maxLossPercent: z.number().min(0).max(100).optional(),
  maxLost: z.number().int().min(0).optional(),
  maxWindowMs: z.number().min(0).optional(),
  /** p99 latency from the intended send time over the rollout window, per path, ms (report/rollout.ts). */
  maxRolloutP99Ms: z.number().min(0).optional(),
  /**
   * The same as maxLossPercent / maxLost on the client-seen figure: requests whose last attempt failed
   * under the run's client policy (send/policy.ts; with `none` the wire figure).
   */
  maxClientLossPercent: z.number().min(0).max(100).optional(),
  maxClientLost: z.number().int().min(0).optional(),
});

export const expectationSchema = z.strictObject({
  loses: z.boolean(),
  causes: z.array(z.enum(CAUSES)).optional(), // with loses: true, the causes attribution must name
  /**
   * Which loss `loses` is about: `wire` (default: every failed attempt) or `client` (requests whose last
   * attempt failed under load.client), for a path no server-side setting brings to zero on the wire, whose
   * file says so; the verdict still prints the wire figure beside it.
   */
  figure: z.enum(['wire', 'client']).optional(),
});

export type Budgets = z.output<typeof budgetsSchema>;
export type Expectation = z.output<typeof expectationSchema>;

/** `--max-loss 0.1%` (percent of requests) or `--max-loss 25` (a count of lost requests). */
export function parseMaxLoss(value: string, flag = '--max-loss'): Budgets {
  const v = value.trim();
  const client = flag === '--max-client-loss';
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) {
    const n = Number(pct[1]);
    if (n > 100) throw new UsageError(`${flag} '${value}': a percentage is at most 100%`);
    return client ? { maxClientLossPercent: n } : { maxLossPercent: n };
  }
  if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return client ? { maxClientLost: Number(v) } : { maxLost: Number(v) };
  throw new UsageError(`${flag} '${value}': expected a percentage such as 0.1% or a whole count of lost requests such as 25`);
}

/** `--max-client-loss 0.1%|25`: the loss budget on what the client saw (its policy's last attempts). */
export function parseMaxClientLoss(value: string): Budgets {
  return parseMaxLoss(value, '--max-client-loss');
}

/** `--max-window 500ms` / `2s` / `1m30s`: the longest outage (consecutive failures, any cause) allowed on any path. */
export function parseMaxWindow(value: string): Budgets {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new UsageError(`--max-window '${value}': expected ${DURATION_HELP}`);
  return { maxWindowMs: ms };
}

/** `--max-rollout-p99 800ms`: the p99 latency from the intended send time over the rollout window, per path. */
export function parseMaxRolloutP99(value: string): Budgets {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new UsageError(`--max-rollout-p99 '${value}': expected ${DURATION_HELP}`);
  return { maxRolloutP99Ms: ms };
}

export interface BudgetFlagValues {
  'max-loss'?: string | undefined;
  'max-client-loss'?: string | undefined;
  'max-window'?: string | undefined;
  'max-rollout-p99'?: string | undefined;
}

/** The budget options every judging command takes, for its parseArgs table. */
export const BUDGET_OPTIONS = {
  'max-loss': { type: 'string' },
  'max-client-loss': { type: 'string' },
  'max-window': { type: 'string' },
  'max-rollout-p99': { type: 'string' },
} as const;

/** --max-loss / --max-client-loss / --max-window / --max-rollout-p99 as one Budgets, or undefined when none is given. */
export function budgetFlags(v: BudgetFlagValues): Budgets | undefined {
  if (v['max-loss'] === undefined && v['max-client-loss'] === undefined && v['max-window'] === undefined && v['max-rollout-p99'] === undefined) return undefined;
  return {
    ...(v['max-loss'] !== undefined ? parseMaxLoss(v['max-loss']) : {}),
    ...(v['max-client-loss'] !== undefined ? parseMaxClientLoss(v['max-client-loss']) : {}),
    ...(v['max-window'] !== undefined ? parseMaxWindow(v['max-window']) : {}),
    ...(v['max-rollout-p99'] !== undefined ? parseMaxRolloutP99(v['max-rollout-p99']) : {}),
  };
}

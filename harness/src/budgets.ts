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
});

export const expectationSchema = z.strictObject({
  loses: z.boolean(),
  causes: z.array(z.enum(CAUSES)).optional(), // with loses: true, the causes attribution must name
});

export type Budgets = z.output<typeof budgetsSchema>;
export type Expectation = z.output<typeof expectationSchema>;

/** `--max-loss 0.1%` (percent of requests) or `--max-loss 25` (a count of lost requests). */
export function parseMaxLoss(value: string): Budgets {
  const v = value.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) {
    const n = Number(pct[1]);
    if (n > 100) throw new UsageError(`--max-loss '${value}': a percentage is at most 100%`);
    return { maxLossPercent: n };
  }
  if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { maxLost: Number(v) };
  throw new UsageError(`--max-loss '${value}': expected a percentage such as 0.1% or a whole count of lost requests such as 25`);
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

/** --max-loss / --max-window / --max-rollout-p99 as one Budgets, or undefined when none is given. */
export function budgetFlags(v: { 'max-loss'?: string | undefined; 'max-window'?: string | undefined; 'max-rollout-p99'?: string | undefined }): Budgets | undefined {
  if (v['max-loss'] === undefined && v['max-window'] === undefined && v['max-rollout-p99'] === undefined) return undefined;
  return {
    ...(v['max-loss'] !== undefined ? parseMaxLoss(v['max-loss']) : {}),
    ...(v['max-window'] !== undefined ? parseMaxWindow(v['max-window']) : {}),
    ...(v['max-rollout-p99'] !== undefined ? parseMaxRolloutP99(v['max-rollout-p99']) : {}),
  };
}

// What a report is drawn from: the run folder's pieces, typed. The scenario runner writes every file;
// a bare `lossless load` run has only ledger.bin and summary.json, and the report makes do with that.
import type { RolloutLatency } from './rollout.ts';
import type { Attribution, LifecycleEvent } from '../record.ts';
import type { Summary } from '../load/summary.ts';
import type { Budgets, Expectation } from '../budgets.ts';

// scenario.json and env.json as the run folder validates them (folder/artifacts.ts).
export type { EnvInfo, ScenarioInfo } from '../folder/artifacts.ts';
import type { EnvInfo, ScenarioInfo } from '../folder/artifacts.ts';

export interface ReportInput {
  summary: Summary;
  /** Lifecycle events (timeline.ndjson), any order. */
  events: LifecycleEvent[];
  /** From attribution.json; when absent, windows are grouped from the failures without a cause. */
  attributions?: Attribution[];
  scenario?: ScenarioInfo;
  env?: EnvInfo;
  /** Budgets from flags (`--max-loss`, `--max-window`); they override the scenario's. */
  budgets?: Budgets;
  /** Latency during the rollout per path, read when a latency budget is set (report/rollout.ts). */
  rollout?: RolloutLatency;
}

/** A loss window as the report, JUnit and the gate see it (from an Attribution or grouped here). */
export interface LossWindow {
  target: string;
  /** ns since the run's origin */
  start: number;
  end: number;
  durationMs: number;
  lost: number;
  byOutcome: Record<string, number>;
  pods: string[];
  /** A cause from record.ts CAUSES, or null when no attribution was made (no timeline). */
  cause: string | null;
  evidence: string;
  fix: string;
}

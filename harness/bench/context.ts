// What every bench section needs: where things are, the options, and a way to run a tool against a
// fresh echo. One echo process per measurement so counts and ground truth never mix between runs.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEcho, type Echo } from './echo.ts';
import { machineLoad, describeLoad, isBusy, type MachineLoad } from './machine.ts';
import type { BenchOptions } from './options.ts';
import type { PeerBins } from './peers.ts';

export interface BenchContext {
  root: string; // repo root
  node: string; // Node 24 binary
  bins: PeerBins;
  opts: BenchOptions;
  dir: string; // results/<stamp>-bench
  /** Progress on stderr, so stdout is the table alone. */
  log(msg: string): void;
  /** Machine-load checks taken before each measurement, for the report. */
  loadChecks: { what: string; load: MachineLoad }[];
}

/** Runs fn against a fresh echo with the given knobs, noting the machine's load first. */
export async function withEcho<T>(ctx: BenchContext, what: string, env: Record<string, string>, fn: (echo: Echo) => Promise<T>): Promise<T> {
  const load = await machineLoad();
  ctx.loadChecks.push({ what, load });
  ctx.log(`${what}${isBusy(load) ? `  [${describeLoad(load)}]` : ''}`);
  const echo = await startEcho(ctx.root, ctx.node, env);
  try {
    return await fn(echo);
  } finally {
    await echo.stop();
  }
}

/** A fresh folder under the bench's results folder for one tool's raw output. */
export async function runDir(ctx: BenchContext, name: string): Promise<string> {
  const d = join(ctx.dir, name);
  await mkdir(d, { recursive: true });
  return d;
}

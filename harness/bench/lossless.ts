// Runs `lossless load` as its own process (the CLI contract of issue 2) and reads back what it wrote:
// summary.json for the engine's own figures, and the ledger through `lossless decode` so the bench can
// check the summary against the records rather than trust it.
import { spawn } from 'node:child_process';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { cpuBetween, run, ProcessFailed, type RunResult } from './proc.ts';

/** The part of summary.json (harness/src/load/SUMMARY.md, version 1) the bench reads. */
const Percentiles = z.object({ p50: z.number(), p99: z.number() }).passthrough();
export const SummaryTotals = z
  .object({
    scheduled: z.number(),
    sent: z.number(),
    completed: z.number(),
    ok: z.number(),
    dropped: z.number(),
    byOutcome: z.record(z.string(), z.number()),
    byStatus: z.record(z.string(), z.number()),
    actualQps: z.number(),
    sendLagMs: Percentiles,
    latencyFromIntendedMs: Percentiles,
  })
  .passthrough();
export const SummaryFile = z.object({ version: z.literal(1), startedAt: z.string(), endedAt: z.string(), totals: SummaryTotals }).passthrough();
export type SummaryFile = z.infer<typeof SummaryFile>;

export interface LosslessRun {
  url: string;
  qps: number;
  durationS?: number;
  requests?: number;
  connections: number;
  keepalive: boolean;
  maxInFlight?: number;
  out: string; // DIR for ledger.bin and summary.json
  /** Folder for node --cpu-prof output; set to profile the engine. */
  cpuProfDir?: string;
  /** How the sender waits between ticks (--timing) and its --send-slack in ms; the engine's defaults when unset. */
  timing?: string;
  sendSlackMs?: number;
  /** --http: the HTTP client (wire or undici); the engine's default when unset. */
  http?: string;
}

export interface LosslessResult {
  command: string;
  summary: SummaryFile;
  wallMs: number;
  peakRssKb?: number;
  rssSeries?: [number, number][];
  /** CPU seconds within the run itself (summary startedAt..endedAt): start-up and post-run work excluded. */
  cpuSeconds?: number;
  ledgerBytes: number;
}

/** What the ledger itself says, independent of summary.json. */
export interface LedgerStats {
  records: number;
  byOutcome: Record<string, number>;
  byStatus: Record<string, number>;
  sent: number;
  /** (sent - 1) / (last sentAt - first sentAt): the rate the sends actually went out at. */
  sendRate: number;
  /** Requests completed per second over first send .. last end. */
  completionRate: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Seqs of records with HTTP status 5xx, sorted (for ground-truth checks). */
  failedSeqs5xx: number[];
  minSeq: number;
  maxSeq: number;
  /** Every seq in the ledger, sorted: only when asked for (keepSeqs), as it costs memory per record. */
  seqs?: number[];
}

export function losslessArgs(r: LosslessRun): string[] {
  const args = ['load', r.url, '--qps', String(r.qps), '--connections', String(r.connections)];
  if (r.requests !== undefined) args.push('--requests', String(r.requests));
  else args.push('--duration', `${r.durationS ?? 10}s`);
  args.push(r.keepalive ? '--keepalive' : '--no-keepalive');
  if (r.maxInFlight !== undefined) args.push('--max-in-flight', String(r.maxInFlight));
  if (r.timing !== undefined) args.push('--timing', r.timing);
  if (r.sendSlackMs !== undefined) args.push('--send-slack', `${r.sendSlackMs}ms`);
  if (r.http !== undefined) args.push('--http', r.http);
  args.push('--out', r.out, '--quiet', '--json');
  return args;
}

export async function runLossless(root: string, node: string, r: LosslessRun): Promise<LosslessResult> {
  const args = losslessArgs(r);
  // node directly (not the bash shim) so the pid we sample is the engine's, and --cpu-prof can be added
  const nodeArgs = [...(r.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', r.cpuProfDir] : []), '--import', 'tsx', 'harness/src/cli.ts', ...args];
  const seconds = r.durationS ?? (r.requests ?? 0) / r.qps;
  const res: RunResult = await run(node, nodeArgs, {
    cwd: root,
    timeoutMs: Math.ceil(seconds * 1000) * 2 + 60_000,
    sampleMemoryMs: 200,
  });
  if (res.code !== 0 || res.timedOut) throw new ProcessFailed(res);
  const parsed = SummaryFile.safeParse(JSON.parse(await readFile(join(r.out, 'summary.json'), 'utf8')));
  if (!parsed.success) throw new Error(`${r.out}/summary.json does not have the fields the bench reads: ${parsed.error.message.slice(0, 300)}`);
  const summary = parsed.data;
  const out: LosslessResult = {
    command: `lossless ${args.join(' ')}`,
    summary,
    wallMs: res.wallMs,
    ledgerBytes: (await stat(join(r.out, 'ledger.bin'))).size,
  };
  if (res.peakHwmKb !== undefined) out.peakRssKb = res.peakHwmKb;
  if (res.rssSeries) out.rssSeries = res.rssSeries;
  const cpu = res.cpuSeries ? cpuBetween(res.cpuSeries, Date.parse(summary.startedAt), Date.parse(summary.endedAt)) : undefined;
  if (cpu !== undefined) out.cpuSeconds = cpu;
  return out;
}

interface DecodedRecord {
  seq: number;
  scheduledAt: number;
  sentAt: number;
  endAt: number;
  outcome: string;
  status?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Streams `lossless decode <ledger> --format ndjson` and reduces it; memory is one number per record. */
export async function ledgerStats(root: string, node: string, ledger: string, keepSeqs = false): Promise<LedgerStats> {
  const child = spawn(node, ['--import', 'tsx', 'harness/src/cli.ts', 'decode', ledger, '--format', 'ndjson'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  const byOutcome: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let lags = new Float64Array(1 << 16);
  let sent = 0;
  let records = 0;
  let firstSent = Infinity;
  let lastSent = -Infinity;
  let lastEnd = -Infinity;
  const failedSeqs5xx: number[] = [];
  const seqs: number[] = [];
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as DecodedRecord & Record<string, unknown>;
    if (typeof rec.seq !== 'number' || typeof rec.outcome !== 'string') continue; // a dictionary or header line
    records++;
    if (keepSeqs) seqs.push(rec.seq);
    minSeq = Math.min(minSeq, rec.seq);
    maxSeq = Math.max(maxSeq, rec.seq);
    byOutcome[rec.outcome] = (byOutcome[rec.outcome] ?? 0) + 1;
    if (typeof rec.status === 'number') {
      byStatus[rec.status] = (byStatus[rec.status] ?? 0) + 1;
      if (rec.status >= 500) failedSeqs5xx.push(rec.seq);
    }
    if (rec.outcome === 'dropped') continue; // never sent: no send lag
    sent++;
    if (sent > lags.length) {
      const bigger = new Float64Array(lags.length * 2);
      bigger.set(lags);
      lags = bigger;
    }
    lags[sent - 1] = (rec.sentAt - rec.scheduledAt) / 1e6;
    firstSent = Math.min(firstSent, rec.sentAt);
    lastSent = Math.max(lastSent, rec.sentAt);
    lastEnd = Math.max(lastEnd, rec.endAt);
  }
  const code = await closed;
  if (code !== 0) throw new Error(`lossless decode ${ledger} exited ${code}: ${stderr.trim()}`);
  const sorted = lags.slice(0, sent).sort();
  const stats: LedgerStats = {
    records,
    byOutcome,
    byStatus,
    sent,
    sendRate: sent > 1 ? ((sent - 1) * 1e9) / (lastSent - firstSent) : NaN,
    completionRate: sent > 0 ? (sent * 1e9) / (lastEnd - firstSent) : NaN,
    lagP50Ms: percentile(sorted, 50),
    lagP99Ms: percentile(sorted, 99),
    lagMaxMs: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
    failedSeqs5xx: failedSeqs5xx.sort((a, b) => a - b),
    minSeq,
    maxSeq,
  };
  if (keepSeqs) stats.seqs = seqs.sort((a, b) => a - b);
  return stats;
}

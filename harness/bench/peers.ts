// The peers the load engine is measured against, each run as its own process against the same URL,
// their JSON output reduced to one shape. What each one counts (and what it hides) is in
// /work/shared/notes/load-engine.md; the `notes` of each result say it where it matters.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk, type RunResult } from './proc.ts';

export type PeerName = 'autocannon' | 'fortio' | 'vegeta';

export interface PeerResult {
  tool: PeerName;
  command: string;
  /** Requests that got a response or an error, as the tool reports them. */
  total: number;
  /** Achieved rate as the tool computes it (requests over its own measured duration). */
  rate: number;
  durationS: number;
  byStatus: Record<string, number>;
  /** Transport errors (no HTTP status), as the tool counts them. */
  errors: number;
  /** What the tool says besides, verbatim where possible (error strings, its own "sent" count...). */
  extra: Record<string, number | string>;
  latencyP99Ms?: number;
  peakRssKb?: number;
  cpuSeconds?: number;
}

export interface PeerRun {
  url: string;
  /** Target rate; 0 = as fast as it goes. */
  qps: number;
  durationS?: number;
  /** Count bound instead of duration (fortio -n, autocannon -a; vegeta: rate x duration). */
  requests?: number;
  connections: number;
  keepalive: boolean;
  /** Folder for the tool's raw output files. */
  dir: string;
}

export interface PeerBins {
  autocannon: string; // path to autocannon.js
  node: string; // node binary to run it with
  fortio: string;
  vegeta: string;
}

/** Request timeout for every tool: lossless's default (--timeout 5s). */
export const TIMEOUT_S = 5;

/** A generous bound over the run's own length, so a hung peer cannot hang the bench. */
function deadlineMs(r: PeerRun): number {
  const s = r.durationS ?? (r.requests ?? 0) / Math.max(r.qps, 1000);
  return Math.ceil(s * 1000) * 2 + 30_000;
}

function num(x: unknown, what: string): number {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string' && x !== '' && Number.isFinite(Number(x))) return Number(x);
  throw new Error(`peer output: ${what} is ${JSON.stringify(x)}, expected a number`);
}

function obj(x: unknown, what: string): Record<string, unknown> {
  if (x && typeof x === 'object' && !Array.isArray(x)) return x as Record<string, unknown>;
  throw new Error(`peer output: ${what} is not an object`);
}

// ---- autocannon: counters only; its rate limit is enforced per connection and resets each second ----

export function parseAutocannon(json: string): Omit<PeerResult, 'command' | 'tool'> {
  const j = obj(JSON.parse(json), 'autocannon JSON');
  const requests = obj(j.requests, 'requests');
  const latency = obj(j.latency, 'latency');
  const byStatus: Record<string, number> = {};
  for (const [code, v] of Object.entries(obj(j.statusCodeStats ?? {}, 'statusCodeStats'))) {
    byStatus[code] = num(obj(v, `statusCodeStats.${code}`).count, `statusCodeStats.${code}.count`);
  }
  const total = num(requests.total, 'requests.total');
  const durationS = num(j.duration, 'duration');
  const errors = num(j.errors, 'errors');
  return {
    total,
    rate: total / durationS,
    durationS,
    byStatus,
    errors,
    extra: {
      sent: num(requests.sent ?? NaN, 'requests.sent'),
      timeouts: num(j.timeouts, 'timeouts'),
      resets: num(j.resets ?? 0, 'resets'),
      non2xx: num(j.non2xx, 'non2xx'),
    },
    latencyP99Ms: num(latency.p99, 'latency.p99'),
  };
}

export async function runAutocannon(bins: PeerBins, r: PeerRun): Promise<PeerResult> {
  const args = [bins.autocannon, '--json', '-c', String(r.connections), '-t', String(TIMEOUT_S)];
  if (r.qps > 0) args.push('--overallRate', String(r.qps));
  if (r.requests !== undefined) args.push('-a', String(r.requests));
  else args.push('-d', String(r.durationS ?? 10));
  // autocannon has no "no keep-alive" switch: it always reuses its connections
  args.push(r.url);
  const res = await runOk(bins.node, args, { timeoutMs: deadlineMs(r), sampleMemoryMs: 200 });
  const parsed = parseAutocannon(res.stdout);
  return { tool: 'autocannon', command: `autocannon ${args.slice(1).join(' ')}`, ...parsed, ...mem(res) };
}

// ---- fortio: -c threads each pace their share; a slow reply delays that thread (closed loop) ----

export function parseFortio(json: string): Omit<PeerResult, 'command' | 'tool'> {
  const j = obj(JSON.parse(json), 'fortio JSON');
  const hist = obj(j.DurationHistogram, 'DurationHistogram');
  const byStatus: Record<string, number> = {};
  let errors = 0;
  for (const [code, v] of Object.entries(obj(j.RetCodes ?? {}, 'RetCodes'))) {
    // fortio files every transport error under code -1
    if (code === '-1') errors += num(v, 'RetCodes.-1');
    else byStatus[code] = num(v, `RetCodes.${code}`);
  }
  const p99 = Array.isArray(hist.Percentiles)
    ? (hist.Percentiles as unknown[]).map((p) => obj(p, 'Percentiles[]')).find((p) => p.Percentile === 99)
    : undefined;
  const sockets = Array.isArray(j.Sockets) ? (j.Sockets as unknown[]).reduce<number>((a, b) => a + num(b, 'Sockets[]'), 0) : NaN;
  return {
    total: num(hist.Count, 'DurationHistogram.Count'),
    rate: num(j.ActualQPS, 'ActualQPS'),
    durationS: num(j.ActualDuration, 'ActualDuration') / 1e9,
    byStatus,
    errors,
    extra: {
      requestedQps: String(j.RequestedQPS),
      errorsHistogramCount: num(obj(j.ErrorsDurationHistogram ?? { Count: 0 }, 'ErrorsDurationHistogram').Count, 'ErrorsDurationHistogram.Count'),
      socketsOpened: Number.isFinite(sockets) ? sockets : num(j.SocketCount ?? NaN, 'SocketCount'),
    },
    ...(p99 ? { latencyP99Ms: num(p99.Value, 'p99') * 1000 } : {}),
  };
}

export async function runFortio(bins: PeerBins, r: PeerRun): Promise<PeerResult> {
  const out = join(r.dir, `fortio-${r.qps}-${Date.now()}.json`);
  const args = ['load', '-quiet', '-json', out, '-c', String(r.connections), '-qps', String(r.qps), '-timeout', `${TIMEOUT_S}s`];
  if (r.requests !== undefined) args.push('-n', String(r.requests));
  else args.push('-t', `${r.durationS ?? 10}s`);
  if (!r.keepalive) args.push('-keepalive=false');
  args.push(r.url);
  const res = await runOk(bins.fortio, args, { timeoutMs: deadlineMs(r), sampleMemoryMs: 200 });
  const parsed = parseFortio(await readFile(out, 'utf8'));
  return { tool: 'fortio', command: `fortio ${args.join(' ')}`, ...parsed, ...mem(res) };
}

// ---- vegeta: open loop pacer; its timestamps are when a worker picked the tick up ----

export function parseVegeta(json: string): Omit<PeerResult, 'command' | 'tool'> {
  const j = obj(JSON.parse(json), 'vegeta JSON');
  const lat = obj(j.latencies, 'latencies');
  const byStatus: Record<string, number> = {};
  let errors = 0;
  for (const [code, v] of Object.entries(obj(j.status_codes ?? {}, 'status_codes'))) {
    // vegeta files transport errors under status 0
    if (code === '0') errors += num(v, 'status_codes.0');
    else byStatus[code] = num(v, `status_codes.${code}`);
  }
  const errs = Array.isArray(j.errors) ? (j.errors as unknown[]).map(String) : [];
  return {
    total: num(j.requests, 'requests'),
    rate: num(j.rate, 'rate'),
    durationS: num(j.duration, 'duration') / 1e9,
    byStatus,
    errors,
    extra: {
      throughput: num(j.throughput, 'throughput'),
      success: num(j.success, 'success'),
      distinctErrors: errs.length,
      ...(errs.length ? { firstErrors: errs.slice(0, 3).join(' | ') } : {}),
    },
    latencyP99Ms: num(lat['99th'], 'latencies.99th') / 1e6,
  };
}

export async function runVegeta(bins: PeerBins, r: PeerRun): Promise<PeerResult> {
  const results = join(r.dir, `vegeta-${r.qps}-${Date.now()}.bin`);
  const durationS = r.durationS ?? (r.requests ?? 0) / Math.max(r.qps, 1);
  const args = ['attack', '-output', results, '-duration', `${durationS}s`, `-keepalive=${r.keepalive}`];
  if (r.qps > 0) args.push('-rate', `${r.qps}/1s`);
  // rate 0 means "as fast as it goes" and needs a worker bound; -c bounds vegeta's connections per host
  else args.push('-rate', '0', '-max-workers', String(r.connections));
  // -connections is only vegeta's idle pool; -max-connections bounds its sockets like the others' -c
  args.push('-connections', String(r.connections), '-max-connections', String(r.connections), '-timeout', `${TIMEOUT_S}s`);
  const res = await runOk(bins.vegeta, args, {
    timeoutMs: deadlineMs(r),
    stdin: `GET ${r.url}\n`,
    sampleMemoryMs: 200,
  });
  const report = await runOk(bins.vegeta, ['report', '-type', 'json', results], { timeoutMs: 120_000 });
  const parsed = parseVegeta(report.stdout);
  return { tool: 'vegeta', command: `vegeta ${args.join(' ')}`, ...parsed, ...mem(res) };
}

function mem(r: RunResult): { peakRssKb?: number; cpuSeconds?: number } {
  const out: { peakRssKb?: number; cpuSeconds?: number } = {};
  if (r.peakHwmKb !== undefined) out.peakRssKb = r.peakHwmKb;
  if (r.cpuSeconds !== undefined) out.cpuSeconds = r.cpuSeconds;
  return out;
}

export const PEERS: Record<PeerName, (bins: PeerBins, r: PeerRun) => Promise<PeerResult>> = {
  autocannon: runAutocannon,
  fortio: runFortio,
  vegeta: runVegeta,
};

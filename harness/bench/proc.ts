// Runs one benchmark process to completion: bounded in time (killed past its deadline), stdout kept,
// stderr kept for error messages, peak memory sampled from /proc/<pid>/status while it runs.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Hard bound: SIGTERM at this many ms, SIGKILL 5 s later. */
  timeoutMs: number;
  /** Written to the child's stdin, then closed (vegeta reads its targets there). */
  stdin?: string;
  /** Sample VmHWM/VmRSS every this many ms (0 = no sampling). */
  sampleMemoryMs?: number;
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  timedOut: boolean;
  /** Largest VmHWM seen (kB); the kernel's own high-water mark, so short peaks between samples count. */
  peakHwmKb?: number;
  peakRssKb?: number;
  /**
   * CPU seconds the process used, as of the last sample before it exited (so up to one sampling
   * interval short): a figure that holds better than req/s when other work shares the cores.
   */
  cpuSeconds?: number;
  /** [epoch ms, CPU seconds so far] for every sample, to take the CPU used within a window. */
  cpuSeries?: [number, number][];
  /** [ms since start, VmRSS kB] for every sample, to see whether memory grows with run length. */
  rssSeries?: [number, number][];
}

export class ProcessFailed extends Error {
  constructor(readonly result: RunResult) {
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
    super(`${result.command} exited ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}: ${tail}`);
  }
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every Linux ABI in use). */
const TICKS_PER_S = 100;

/** CPU seconds (user + system, all threads) a live process has used; undefined once it has exited. */
export async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name may hold spaces: fields are counted after its closing parenthesis
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_S : undefined;
}

/** Reads VmHWM and VmRSS (kB) of a live process; undefined once it has exited. */
export async function memoryOf(pid: number): Promise<{ hwmKb: number; rssKb: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
  if (!hwm || !rss) return undefined; // a zombie has no memory lines
  return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) };
}

export function run(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const command = [file, ...args].join(' ');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      // keep only the tail: peers can be chatty on stderr
      if (err.length > 2000) err.splice(0, 1000);
    });
    if (opts.stdin !== undefined && child.stdin) child.stdin.end(opts.stdin);

    let timedOut = false;
    let peakHwmKb: number | undefined;
    let peakRssKb: number | undefined;
    const rssSeries: [number, number][] = [];
    let cpuSeconds: number | undefined;
    const cpuSeries: [number, number][] = [];
    const sampler =
      opts.sampleMemoryMs && child.pid !== undefined
        ? setInterval(() => {
            void cpuSecondsOf(child.pid as number).then((c) => {
              if (c === undefined) return;
              cpuSeconds = c;
              cpuSeries.push([Date.now(), c]);
            });
            void memoryOf(child.pid as number).then((m) => {
              if (!m) return;
              peakHwmKb = Math.max(peakHwmKb ?? 0, m.hwmKb);
              peakRssKb = Math.max(peakRssKb ?? 0, m.rssKb);
              rssSeries.push([Math.round(performance.now() - started), m.rssKb]);
            });
          }, opts.sampleMemoryMs)
        : undefined;
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, opts.timeoutMs);

    child.on('error', (e) => {
      clearTimeout(killer);
      if (sampler) clearInterval(sampler);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (sampler) clearInterval(sampler);
      const result: RunResult = {
        command,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs: performance.now() - started,
        timedOut,
      };
      if (peakHwmKb !== undefined) result.peakHwmKb = peakHwmKb;
      if (peakRssKb !== undefined) result.peakRssKb = peakRssKb;
      if (rssSeries.length) result.rssSeries = rssSeries;
      if (cpuSeconds !== undefined) result.cpuSeconds = cpuSeconds;
      if (cpuSeries.length) result.cpuSeries = cpuSeries;
      resolve(result);
    });
  });
}

/** Like run, but a non-zero exit or a timeout is an error carrying the result. */
export async function runOk(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0 || r.timedOut) throw new ProcessFailed(r);
  return r;
}

/**
 * CPU seconds used between two epoch-ms instants, interpolated from the samples. An instant past the
 * last sample takes the last sample (the process exited within one sampling interval of it: at most
 * that much CPU is missed); one before the first sample is not covered: undefined.
 */
export function cpuBetween(series: [number, number][], fromMs: number, toMs: number): number | undefined {
  const last = series.at(-1);
  const at = (t: number): number | undefined => {
    if (last && t > last[0]) return last[1];
    for (let i = 1; i < series.length; i++) {
      const [t0, c0] = series[i - 1]!;
      const [t1, c1] = series[i]!;
      if (t >= t0 && t <= t1) return t1 === t0 ? c1 : c0 + ((c1 - c0) * (t - t0)) / (t1 - t0);
    }
    return undefined;
  };
  const a = at(fromMs);
  const b = at(toMs);
  return a === undefined || b === undefined ? undefined : b - a;
}

// The load run: pacer -> sender -> ledger + summary, as one library call. The CLI (`lossless load`)
// and the scenario runner both call runLoad; it never prints, never exits, never throws for what a
// target does (refused, reset, unresolvable: all measured as records).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRecord } from '../record.ts';
import { createPacer, type Arrivals, type PacerConfig } from '../schedule/pacer.ts';
import { createAlarm, type Timing } from '../schedule/alarm.ts';
import { Sender, type SenderConfig } from '../send/sender.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { createRunTimer, type RunTimer } from './clock.ts';
import { SummaryReducer, type Summary } from './summary.ts';
import { SecondMeter, type SecondStats } from './progress.ts';

/** What the sender needs (targets, sockets, request shape, run id) plus the schedule. */
export interface LoadConfig extends Omit<SenderConfig, 'now' | 'onRecord'> {
  /** per target */
  qps: number;
  /** stop after this long (ms) ... */
  durationMs?: number;
  /** ... or after this many ticks (each tick sends one request to every target) */
  requests?: number;
  /** per target; a request beyond it is recorded as dropped */
  maxInFlight: number;
  arrivals: Arrivals;
  seed?: number;
  /**
   * How the loop waits between ticks (schedule/alarm.ts). Default (defaultTiming): timer up to 1000
   * ticks/s, where ticks are 1 ms or more apart and a timer's whole milliseconds serve (a wake-up costs
   * less than the thread's two), precise above, where per-millisecond batches would lag up to 1 ms.
   */
  timing?: Timing;
  /**
   * One wake-up sends every tick due within this many µs of the first (Pacer.wakeAt): fewer wake-ups
   * at high rates, at the price of up to this much send lag (recorded per request). Default 500.
   */
  sendSlackUs?: number;
  /** First seq of this run (default 0): a second engine in the same run (in-cluster) starts elsewhere. */
  seqBase?: number;
}

export interface LoadOptions {
  /** Abort: stop sending, wait for in-flight requests up to drainMs, cancel the rest, mark partial. */
  signal?: AbortSignal;
  /** Abort: cancel every in-flight request now (a second Ctrl-C). */
  cancelSignal?: AbortSignal;
  /** How long to wait for in-flight requests after `signal`; default the request timeout. */
  drainMs?: number;
  /** Write ledger.bin and summary.json here (the folder must exist). */
  outDir?: string;
  /** Share a clock with the caller (the scenario runner's watchers); default a new one. */
  clock?: RunTimer;
  onRecord?: (r: RequestRecord) => void;
  onSecond?: (s: SecondStats) => void;
}

export interface LoadResult {
  summary: Summary;
  clock: RunTimer;
  ledgerPath?: string;
  summaryPath?: string;
}

/** Batch cap: after this many sends in one turn, yield to I/O so responses are read. */
const MAX_BATCH = 256;
const DEFAULT_SLACK_US = 500;

export function defaultTiming(qps: number): Timing {
  return qps > 1000 ? 'precise' : 'timer';
}

export function loadConfigForSummary(c: LoadConfig): Record<string, unknown> {
  return {
    targets: c.targets, qps: c.qps, durationMs: c.durationMs ?? null, requests: c.requests ?? null, connections: c.connections,
    keepalive: c.keepalive, timeoutMs: c.timeoutMs, method: c.method, headers: c.headers.map(([k, v]) => `${k}: ${v}`),
    targetHeaders: c.targetHeaders?.map((hs) => hs.map(([k, v]) => `${k}: ${v}`)) ?? null,
    bodyBytes: c.body?.length ?? 0, maxInFlight: c.maxInFlight, arrivals: c.arrivals, seed: c.seed ?? null, timing: c.timing ?? defaultTiming(c.qps),
    sendSlackUs: c.sendSlackUs ?? DEFAULT_SLACK_US,
  };
}

export async function runLoad(cfg: LoadConfig, opts: LoadOptions = {}): Promise<LoadResult> {
  const clock = opts.clock ?? createRunTimer();
  const ledgerPath = opts.outDir ? join(opts.outDir, 'ledger.bin') : undefined;
  const ledger = ledgerPath ? new LedgerWriter(ledgerPath, { t0EpochNs: clock.t0EpochNs, runId: cfg.runId }) : undefined;
  const reducer = new SummaryReducer({ closeAfterNs: cfg.timeoutMs * 1e6 + 2e9 });
  const meter = new SecondMeter();
  let stopping = false;
  let base = 0;
  let drained: (() => void) | undefined;

  // A record means the loop is awake anyway (a response was read): a tick that has come due since is
  // sent on this turn, after the I/O callbacks, instead of on its own wake-up (the alarm then finds
  // it sent and stays quiet). At 5k/s most ticks go out this way.
  let piggyQueued = false;
  const piggyback = () => {
    piggyQueued = false;
    if (!stopping && pacer.dueAt(tick) <= clock.now() - base) step();
  };
  const onRecord = (r: RequestRecord) => {
    ledger?.write(r);
    reducer.add(r);
    meter.add(r);
    opts.onRecord?.(r);
    if (stopping) {
      if (sender.inFlight === 0) drained?.();
    } else if (!piggyQueued) {
      piggyQueued = true;
      queueMicrotask(piggyback);
    }
  };
  const sender = new Sender({
    targets: cfg.targets, runId: cfg.runId, connections: cfg.connections, keepalive: cfg.keepalive, timeoutMs: cfg.timeoutMs,
    method: cfg.method, headers: cfg.headers, now: clock.now, onRecord, ...(cfg.body ? { body: cfg.body } : {}),
    ...(cfg.targetHeaders ? { targetHeaders: cfg.targetHeaders } : {}),
  });
  const pacerConfig: PacerConfig = {
    rate: cfg.qps,
    durationNs: cfg.durationMs === undefined ? Infinity : cfg.durationMs * 1e6,
    maxTicks: cfg.requests ?? Infinity,
    arrivals: cfg.arrivals,
    ...(cfg.seed !== undefined ? { seed: cfg.seed } : {}),
  };
  const pacer = createPacer(pacerConfig);
  const nTargets = cfg.targets.length;
  let tick = 0;
  let interrupted = false;
  let step: () => void = () => undefined;
  const alarm = await createAlarm({
    timing: cfg.timing ?? defaultTiming(cfg.qps), pacer, pacerConfig, slackNs: (cfg.sendSlackUs ?? DEFAULT_SLACK_US) * 1e3,
    wake: () => step(),
  });
  base = clock.now();
  alarm.start();

  const secondTimer = setInterval(() => {
    const s = meter.take(Math.round((clock.now() - base) / 1e9), sender.inFlight);
    opts.onSecond?.(s);
  }, 1000);

  // The send loop: everything due is sent now (a late loop catches up, stamping each request with
  // its intended time), then the alarm wakes it for the next tick (see LoadConfig.timing).
  const seqBase = cfg.seqBase ?? 0;
  await new Promise<void>((resolve) => {
    let ended = false;
    const end = () => {
      ended = true;
      opts.signal?.removeEventListener('abort', stop);
      resolve();
    };
    const stop = () => {
      interrupted = true;
      end();
    };
    if (opts.signal?.aborted) return stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
    step = () => {
      if (ended) return;
      const elapsed = clock.now() - base;
      for (let batch = 0; ; batch++) {
        const p = pacer.pace(elapsed, tick);
        if (p.stop) return end();
        if (p.waitNs > 0) return alarm.arm(tick, elapsed);
        if (batch >= MAX_BATCH) {
          setImmediate(step);
          return;
        }
        const at = base + pacer.dueAt(tick);
        for (let t = 0; t < nTargets; t++) {
          const seq = seqBase + tick * nTargets + t;
          if (sender.inFlightOf(t) >= cfg.maxInFlight) sender.drop(seq, t, at);
          else sender.send(seq, t, at);
          meter.sent++;
        }
        tick++;
      }
    };
    step();
  });
  await alarm.close();

  // Drain: wait for every in-flight request to end by itself (each has its own deadline); after an
  // interrupt wait at most drainMs, and a cancel signal ends the wait at once.
  stopping = true;
  if (sender.inFlight > 0) {
    const waitMs = interrupted ? (opts.drainMs ?? cfg.timeoutMs) : cfg.timeoutMs + 1000;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(deadline);
        opts.cancelSignal?.removeEventListener('abort', done);
        resolve();
      };
      drained = done;
      const deadline = setTimeout(done, waitMs);
      if (opts.cancelSignal?.aborted) return done();
      opts.cancelSignal?.addEventListener('abort', done, { once: true });
    });
  }
  sender.cancelAll(); // whatever is still in flight now becomes `cancelled`
  clearInterval(secondTimer);
  await sender.close();
  const endNs = clock.now();
  const summary = reducer.result({
    runId: cfg.runId, t0EpochNs: clock.t0EpochNs, startNs: base, endNs, partial: interrupted,
    config: { ...loadConfigForSummary(cfg), ...(alarm.fallback ? { timingFallback: alarm.fallback } : {}) },
  });
  const result: LoadResult = { summary, clock };
  if (ledger && ledgerPath && opts.outDir) {
    ledger.close();
    summary.ledger = {
      file: 'ledger.bin', records: ledger.recordCount, bytes: ledger.size, complete: true,
      bytesPerRecord: ledger.recordCount ? Math.round((ledger.size / ledger.recordCount) * 100) / 100 : 0,
    };
    const summaryPath = join(opts.outDir, 'summary.json');
    writeFileSync(summaryPath, JSON.stringify(summary, null, 2) + '\n');
    result.ledgerPath = ledgerPath;
    result.summaryPath = summaryPath;
  }
  return result;
}

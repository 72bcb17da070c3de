// The load run: pacer -> sender -> load session (ledger + summary + progress), as one library call. The
// CLI (`lossless load`) calls runLoad; the scenario runner drives its own session (host load and the
// in-cluster loader into one ledger) with drive(). Neither prints, exits, or throws for what a target
// does (refused, reset, unresolvable: all measured as records); a ledger that cannot be written (full
// disk) stops the run and runLoad throws its EnvError after the summary is written.
import type { RequestRecord } from '../record.ts';
import { createPacer, type Arrivals, type PacerConfig } from '../schedule/pacer.ts';
import { createAlarm, type Timing } from '../schedule/alarm.ts';
import { Sender, type SenderConfig } from '../send/sender.ts';
import { formatClientPolicy, retryHook, type ClientPolicy } from '../send/policy.ts';
import type { RunFolder } from '../folder/folder.ts';
import { createRunTimer, type RunTimer } from './clock.ts';
import type { Summary } from './summary.ts';
import { SecondMeter, type SecondStats } from './progress.ts';
import { LoadSession, type RecordSink } from './session.ts';

/** What the sender needs (targets, sockets, request shape, run id) plus the schedule. */
export interface LoadConfig extends Omit<SenderConfig, 'now' | 'onRecord' | 'retry'> {
  /** Which failed attempts are sent again, as the client modelled would (send/policy.ts); default none. */
  client?: ClientPolicy;
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

/**
 * The default in-flight bound per target: what a hanging target holds at the rate (qps x timeout) plus one
 * second of slack. Exactly qps x timeout turned some timeouts into `dropped`: a request's slot frees when
 * its timeout timer fires, which on a busy loop is after the next send is due.
 */
export function defaultMaxInFlight(qps: number, timeoutMs: number): number {
  return Math.max(1, Math.ceil((qps * (timeoutMs + 1000)) / 1000));
}

export interface DriveOptions {
  /** Abort: stop sending, wait for in-flight requests up to drainMs, cancel the rest. */
  signal?: AbortSignal;
  /** Abort: cancel every in-flight request now (a second Ctrl-C). */
  cancelSignal?: AbortSignal;
  /** How long to wait for in-flight requests after `signal`; default the request timeout. */
  drainMs?: number;
  onSecond?: (s: SecondStats) => void;
}

export interface LoadOptions extends DriveOptions {
  /** Write ledger.bin and summary.json into this run folder. */
  folder?: RunFolder;
  /** Share a clock with the caller; default a new one. */
  clock?: RunTimer;
  onRecord?: (r: RequestRecord) => void;
}

export interface LoadResult {
  summary: Summary;
  clock: RunTimer;
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
    sendSlackUs: c.sendSlackUs ?? DEFAULT_SLACK_US, http: c.http ?? 'wire', client: formatClientPolicy(c.client ?? { kind: 'none' }),
  };
}

export interface DriveResult {
  interrupted: boolean;
  startNs: number;
  endNs: number;
  /** The timing asked for could not be had (e.g. no worker thread): what was used instead. */
  timingFallback?: string;
}

/** One whole load run: a session (ledger + summary into `folder`), the send loop, the close. */
export async function runLoad(cfg: LoadConfig, opts: LoadOptions = {}): Promise<LoadResult> {
  const clock = opts.clock ?? createRunTimer();
  const stopOnFailure = new AbortController();
  const sinks: RecordSink[] = opts.onRecord ? [{ add: opts.onRecord }] : [];
  const session = new LoadSession({
    runId: cfg.runId, clock, timeoutMs: cfg.timeoutMs, sinks, onFailure: () => stopOnFailure.abort(),
    ...(opts.folder ? { folder: opts.folder } : {}),
  });
  const signal = opts.signal ? AbortSignal.any([opts.signal, stopOnFailure.signal]) : stopOnFailure.signal;
  const { interrupted, startNs, endNs, timingFallback } = await drive(cfg, session, clock, { ...opts, signal });
  const config = { ...loadConfigForSummary(cfg), ...(timingFallback !== undefined ? { timingFallback } : {}) };
  const summary = session.close({ partial: interrupted, config, startNs, endNs });
  if (session.failure) throw session.failure;
  return { summary, clock };
}

/**
 * The send loop over a session: everything due is sent now (a late loop catches up, stamping each request
 * with its intended time), then it sleeps until the next due time (see LoadConfig.spin); then the drain.
 * Does not close the session: the caller may have other engines feeding it.
 */
export async function drive(cfg: LoadConfig, session: LoadSession, clock: RunTimer, opts: DriveOptions = {}): Promise<DriveResult> {
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
    session.add(r);
    meter.add(r);
    if (stopping) {
      if (sender.inFlight === 0) drained?.();
    } else if (!piggyQueued) {
      piggyQueued = true;
      queueMicrotask(piggyback);
    }
  };
  const retry = retryHook(cfg.client ?? { kind: 'none' }, { method: cfg.method, headers: cfg.headers });
  const sender = new Sender({
    targets: cfg.targets, runId: cfg.runId, connections: cfg.connections, keepalive: cfg.keepalive, timeoutMs: cfg.timeoutMs,
    method: cfg.method, headers: cfg.headers, now: clock.now, onRecord, ...(cfg.body ? { body: cfg.body } : {}),
    ...(cfg.targetHeaders ? { targetHeaders: cfg.targetHeaders } : {}), ...(cfg.http ? { http: cfg.http } : {}), ...(retry ? { retry } : {}),
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
  return { interrupted, startNs: base, endNs, ...(alarm.fallback ? { timingFallback: alarm.fallback } : {}) };
}

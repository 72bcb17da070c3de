// Sends one attempt per call through undici's dispatch API with a small handler (no body streams,
// no promise per request: the hot path must reach 10k QPS on 2 cores). Never throws; each attempt ends in
// exactly one RequestRecord handed to `onRecord`. It re-sends only when a client policy's `retry` hook
// says so (send/policy.ts; none by default: the raw wire truth).
import { Pool, type Dispatcher } from 'undici';
import type { Outcome, Phase, RequestRecord } from '../record.ts';
import { AttemptAbort, CANCEL_CODE, TIMEOUT_CODE, classifyError, classifyStatus, errorCodeOf } from './classify.ts';
import { arm, ensureTap, type Tapped } from './tap.ts';
import { WirePool, wireCanSend, type WireController, type WireHandler } from './wire.ts';

/** Which HTTP client carries the requests: wire (send/wire.ts, plain http only) or undici. */
export const HTTP_CLIENTS = ['wire', 'undici'] as const;
export type HttpClient = (typeof HTTP_CLIENTS)[number];

export interface SenderConfig {
  targets: string[];
  runId: string;
  connections: number;
  keepalive: boolean;
  timeoutMs: number;
  method: string;
  /** Extra headers as [name, value] pairs, sent after x-lossless-seq / x-lossless-run. */
  headers: Array<[string, string]>;
  /** Extra headers per target (same index as targets), e.g. a Host header for an ingress route. */
  targetHeaders?: Array<Array<[string, string]>>;
  body?: Buffer;
  /** ns since the run's origin */
  now: () => number;
  /** Default wire for http targets; https targets always go through undici. */
  http?: HttpClient;
  /**
   * A client policy (send/policy.ts retryHook), asked about each failed attempt before its record goes
   * out: a number is the delay in ms before the same seq is sent again (next attempt number, same
   * scheduledAt, the first attempt's deadline), undefined leaves this failure as the client's result.
   */
  retry?: (r: RequestRecord) => number | undefined;
  onRecord: (r: RequestRecord) => void;
}

interface Target {
  name: string;
  origin: string;
  path: string;
  /** one of the two: undici's pool, or the wire client's */
  pool: Pool | undefined;
  wire: WirePool | undefined;
  inFlight: number;
  /** x-lossless-seq (value filled per attempt), x-lossless-run, the common and the per-target headers, flattened once */
  headerTemplate: string[];
  /** attempts handed to undici and not ended yet; at most `connections` */
  active: number;
  /** attempts waiting for a free connection, in order */
  queue: Attempt[];
  queueHead: number;
}

// One instance each: building an Error per aborted request (stack capture) is measurable at 10k/s.
const TIMEOUT_ABORT = new AttemptAbort(TIMEOUT_CODE);
const CANCEL_ABORT = new AttemptAbort(CANCEL_CODE);

const POD_HEADER = 'x-lossless-pod';

class Attempt implements Tapped, Dispatcher.DispatchHandler, WireHandler {
  readonly origin: string;
  readonly path: string;
  phase: Phase = 'connect';
  done = false;
  remoteAddr: string | undefined;
  localPort: number | undefined;
  reused = false;
  bytesSent = 0;
  bytesReceived = 0;
  status: number | undefined;
  servedBy: string | undefined;
  controller: WireController | undefined;
  timer: NodeJS.Timeout | undefined;
  dispatched = false;
  writtenAt: number | undefined;
  /** 1, or the client policy's re-send number (send/policy.ts) */
  attempt = 1;
  /** when the request's whole deadline ends, ns: the first attempt's send + timeout, kept by re-sends */
  deadline = 0;

  constructor(
    private readonly sender: Sender,
    readonly seq: number,
    readonly target: Target,
    readonly scheduledAt: number,
    public sentAt: number,
  ) {
    this.origin = target.origin;
    this.path = target.path;
  }

  onSocket(remoteAddr: string | undefined, localPort: number | undefined, reused: boolean, headerBytes: number): void {
    this.remoteAddr = remoteAddr;
    this.localPort = localPort;
    this.reused = reused;
    this.bytesSent = headerBytes + this.sender.bodyBytes;
    this.phase = 'write';
  }

  onRequestStart(controller: WireController): void {
    if (this.done) {
      // Ended while undici held it: never put it on the wire. (Rare: attempts wait in our own
      // queue while the pool is busy, because this abort costs undici the socket.)
      controller.abort(TIMEOUT_ABORT);
      return;
    }
    this.controller = controller;
    if (!this.target.wire) arm(this); // the wire client names the socket itself (onSocket)
  }

  onRequestSent(): void {
    if (this.phase === 'write') this.phase = 'headers';
    this.writtenAt = this.sender.now(); // how long the peer held it before a close says race or cut (classify.ts)
  }

  onResponseStart(_c: WireController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.phase = 'body';
    this.status = statusCode;
    const pod = headers[POD_HEADER];
    if (pod !== undefined) this.servedBy = Array.isArray(pod) ? pod[0] : pod;
  }

  onResponseData(_c: WireController, chunk: Buffer): void {
    this.bytesReceived += chunk.length;
  }

  onBodyBytes(n: number): void {
    this.bytesReceived += n;
  }

  onResponseEnd(): void {
    if (this.done) return;
    const status = this.status ?? 0;
    this.sender.finish(this, classifyStatus(status), undefined);
  }

  onResponseError(_c: WireController | undefined, err: Error): void {
    if (this.done) return;
    const code = errorCodeOf(err);
    // A refused or unreachable connect carries the address it tried; keep it as the remote address.
    if (this.remoteAddr === undefined) {
      const e = ((err as { cause?: unknown }).cause ?? err) as { address?: unknown; port?: unknown };
      if (typeof e.address === 'string') this.remoteAddr = e.address.includes(':') ? `[${e.address}]:${String(e.port)}` : `${e.address}:${String(e.port)}`;
    }
    const heldMs = this.writtenAt === undefined ? undefined : (this.sender.now() - this.writtenAt) / 1e6;
    this.sender.finish(this, classifyError(code, this.phase, this.reused, heldMs), code);
  }

  /** Our own deadline or cancel: the record is final now, whatever undici does later. */
  abort(code: typeof TIMEOUT_CODE | typeof CANCEL_CODE): void {
    if (this.done) return;
    this.sender.finish(this, code === CANCEL_CODE ? 'cancelled' : 'timeout', code);
    this.controller?.abort(code === CANCEL_CODE ? CANCEL_ABORT : TIMEOUT_ABORT);
  }
}

export class Sender {
  readonly bodyBytes: number;
  readonly now: () => number;
  private targets: Target[];
  private live = new Set<Attempt>();
  private readonly method: string;
  private readonly body: Buffer | null;
  private readonly reset: boolean;

  constructor(private readonly cfg: SenderConfig) {
    ensureTap();
    this.bodyBytes = cfg.body?.length ?? 0;
    this.now = cfg.now;
    this.targets = cfg.targets.map((t, i) => {
      const u = new URL(t);
      const headerTemplate = ['x-lossless-seq', '', 'x-lossless-run', cfg.runId];
      for (const [k, v] of [...cfg.headers, ...(cfg.targetHeaders?.[i] ?? [])]) headerTemplate.push(k, v);
      const path = (u.pathname || '/') + u.search;
      // A TCP connect that has not completed within half the timeout is a connect-timeout (undici's
      // code, for the attempt and those queued behind it); the whole-request deadline would otherwise
      // always fire first and hide the class.
      const connectTimeoutMs = Math.max(1, Math.floor(cfg.timeoutMs / 2));
      const wire = (cfg.http ?? 'wire') === 'wire' && wireCanSend(u, headerTemplate);
      return {
        name: t,
        origin: u.origin,
        path,
        wire: wire
          ? new WirePool({
              origin: u.origin, connections: cfg.connections, keepalive: cfg.keepalive, connectTimeoutMs, method: cfg.method, path,
              headers: headerTemplate.slice(2), body: cfg.body ?? null,
            })
          : undefined,
        pool: wire ? undefined : new Pool(u.origin, {
          connections: cfg.connections,
          pipelining: 1,
          connect: { timeout: connectTimeoutMs },
          // Our deadline per attempt covers head and body: undici's idle timers stay off.
          headersTimeout: 0,
          bodyTimeout: 0,
        }),
        inFlight: 0,
        headerTemplate,
        active: 0,
        queue: [],
        queueHead: 0,
      };
    });
    this.method = cfg.method;
    this.body = cfg.body ?? null;
    this.reset = !cfg.keepalive;
  }

  get inFlight(): number {
    return this.live.size;
  }

  inFlightOf(t: number): number {
    return this.targets[t]!.inFlight;
  }

  get targetCount(): number {
    return this.targets.length;
  }

  /** Starts one attempt to target index `t`; its record arrives later through onRecord. */
  send(seq: number, t: number, scheduledAt: number): void {
    const target = this.targets[t]!;
    const a = new Attempt(this, seq, target, scheduledAt, this.cfg.now());
    this.live.add(a);
    target.inFlight++;
    a.deadline = a.sentAt + this.cfg.timeoutMs * 1e6;
    a.timer = setTimeout(() => a.abort(TIMEOUT_CODE), this.cfg.timeoutMs);
    this.enqueue(target, a);
  }

  /**
   * The client policy's re-send of a failed attempt after `delayMs`. In flight from now, so the drain waits for it and a cancel ends it as a
   * record. False when the request's deadline ends first: the failure stands.
   */
  private resend(prev: Attempt, delayMs: number): boolean {
    const leftMs = (prev.deadline - this.cfg.now()) / 1e6 - delayMs;
    if (leftMs <= 0) return false;
    const a = new Attempt(this, prev.seq, prev.target, prev.scheduledAt, this.cfg.now()); // sentAt set again when it goes out
    a.attempt = prev.attempt + 1;
    a.deadline = prev.deadline;
    this.live.add(a);
    prev.target.inFlight++;
    a.timer = setTimeout(() => a.abort(TIMEOUT_CODE), delayMs + leftMs);
    const go = () => {
      if (a.done) return;
      a.sentAt = this.cfg.now();
      this.enqueue(a.target, a);
    };
    // 0: once the current I/O callback has returned (the client has marked the failed socket), and before a
    // tick the loop sends on the same turn (load/run.ts piggyback, queued after this)
    if (delayMs > 0) setTimeout(go, delayMs);
    else queueMicrotask(go);
    return true;
  }

  private enqueue(target: Target, a: Attempt): void {
    // Hand undici no more than it has connections for: an attempt that times out while undici holds
    // it can only be aborted by destroying a socket, so waiting ones stay here, where ending them
    // costs nothing. We count ourselves rather than follow the pool's 'drain' event, which does
    // not come after failed connects.
    if (target.active >= this.cfg.connections) {
      target.queue.push(a);
      // a pool that never drains (hung target) must not keep ended attempts for the whole run
      if ((target.queue.length & 1023) === 0) {
        target.queue = target.queue.slice(target.queueHead).filter((x) => !x.done);
        target.queueHead = 0;
      }
    } else this.dispatch(target, a);
  }

  private dispatch(target: Target, a: Attempt): void {
    if (target.wire) {
      a.dispatched = true;
      target.active++;
      target.wire.dispatch(a);
      return;
    }
    const headers = target.headerTemplate.slice();
    headers[1] = String(a.seq);
    a.dispatched = true;
    target.active++;
    try {
      target.pool!.dispatch({ method: this.method, path: target.path, headers, body: this.body, reset: this.reset, headersTimeout: 0, bodyTimeout: 0 }, a);
    } catch (err) {
      // dispatch throws only on invalid options; still one record, never a crash mid-run
      a.onResponseError(undefined, err as Error);
    }
  }

  private pump(t: Target): void {
    while (t.active < this.cfg.connections && t.queueHead < t.queue.length) {
      const a = t.queue[t.queueHead++]!;
      if (!a.done) this.dispatch(t, a); // timed out or cancelled while waiting: nothing to send
    }
    if (t.queueHead === t.queue.length) {
      t.queue.length = 0;
      t.queueHead = 0;
    } else if (t.queueHead > 1024 && t.queueHead * 2 > t.queue.length) {
      t.queue = t.queue.slice(t.queueHead);
      t.queueHead = 0;
    }
  }

  /** Records an attempt that was never sent because the in-flight bound was hit. */
  drop(seq: number, t: number, scheduledAt: number): void {
    this.cfg.onRecord({
      seq, target: this.targets[t]!.name, scheduledAt, sentAt: scheduledAt, endAt: scheduledAt, outcome: 'dropped',
      phase: 'none', reusedConnection: false, bytesSent: 0, bytesReceived: 0,
    });
  }

  finish(a: Attempt, outcome: Outcome, errorCode: string | undefined): void {
    a.done = true;
    if (a.timer) clearTimeout(a.timer);
    this.live.delete(a);
    a.target.inFlight--;
    if (a.dispatched) {
      a.target.active--;
      if (a.target.queueHead < a.target.queue.length) this.pump(a.target);
    }
    const r: RequestRecord = {
      seq: a.seq, target: a.target.name, scheduledAt: a.scheduledAt, sentAt: a.sentAt, endAt: this.cfg.now(), outcome,
      phase: outcome === 'ok' ? 'none' : a.phase, reusedConnection: a.reused, bytesSent: a.bytesSent, bytesReceived: a.bytesReceived,
    };
    if (a.status !== undefined) r.status = a.status;
    if (errorCode !== undefined) r.errorCode = errorCode;
    if (a.remoteAddr !== undefined) r.remoteAddr = a.remoteAddr;
    if (a.localPort !== undefined) r.localPort = a.localPort;
    if (a.servedBy !== undefined) r.servedBy = a.servedBy;
    if (a.attempt > 1) r.attempt = a.attempt;
    if (this.cfg.retry !== undefined && outcome !== 'ok' && outcome !== 'cancelled') {
      const delayMs = this.cfg.retry(r);
      if (delayMs !== undefined && this.resend(a, delayMs)) r.retried = true;
    }
    this.cfg.onRecord(r);
  }

  /** Ends every attempt still in flight as `cancelled`. */
  cancelAll(): void {
    for (const a of [...this.live]) a.abort(CANCEL_CODE);
  }

  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => (t.wire ? t.wire.destroy() : t.pool!.destroy().catch(() => undefined))));
  }
}

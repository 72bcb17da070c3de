// The echo workload: the target of every scenario. Answers every path with `x-lossless-pod` and the
// request's seq echoed back, with injected status, delay, warm-up, readiness and SIGTERM behaviour
// (knobs.ts). Lifecycle events go out as JSON lines with epoch-ms `at` (DESIGN.md wire contract).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDurationMs } from './knobs.ts';
import type { EchoKnobs, SigtermMode } from './knobs.ts';

export interface EchoEvent {
  event: 'start' | 'listening' | 'ready' | 'sigterm' | 'last-request' | 'exit';
  at: number;
  pod: string;
  [k: string]: string | number | boolean | null;
}

export interface EchoOptions extends Partial<EchoKnobs> {
  /** Where lifecycle events go; default one JSON line each on stdout. */
  log?: (ev: EchoEvent) => void;
  /** [0,1) source for FAIL / DELAY percentages; default Math.random. */
  random?: () => number;
  /** Tried first for every request (e.g. the registry provider's /offline); true = it answered. */
  route?: (pathname: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface Echo {
  port: number;
  server: Server;
  readonly inFlight: number;
  /** Runs the ON_SIGTERM behaviour; resolves with the exit code once the server is done. */
  sigterm(): Promise<number>;
  /** Test helper: close at once (sockets destroyed), no events. */
  stop(): Promise<void>;
}

const NO_QUERY = new URLSearchParams();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function stdoutLog(ev: EchoEvent): void {
  process.stdout.write(JSON.stringify(ev) + '\n');
}

export async function startEcho(opts: EchoOptions = {}): Promise<Echo> {
  const pod = opts.pod ?? 'echo';
  const log = opts.log ?? stdoutLog;
  const random = opts.random ?? Math.random;
  const route = opts.route;
  const fail = opts.fail ?? [];
  const failSeqs = opts.failSeqs ?? [];
  const delays = opts.delay ?? [];
  const warmupMs = opts.warmupMs ?? 0;
  const warmupDelayMs = opts.warmupDelayMs ?? 0;
  const warmupRps = opts.warmupRps ?? 0;
  // WARMUP_RPS: the cold app's service slots (a JIT-cold JVM, empty pools): capacity grows linearly with
  // uptime to warmupRps over WARMUP (from 5% of it); a request waits for its slot, so an overloaded cold
  // app answers later and later, as the seeds' "high RT or timeout".
  let nextSlotAt = 0;
  function queueDelay(now: number): number {
    if (warmupMs <= 0 || warmupRps <= 0) return 0;
    const up = now - listeningAt;
    if (up >= warmupMs && nextSlotAt <= now) return 0;
    const at = Math.max(now, nextSlotAt);
    const rps = Math.max(warmupRps * Math.min(1, (at - listeningAt) / warmupMs), warmupRps * 0.05);
    nextSlotAt = at + 1000 / rps;
    return at - now;
  }
  const onSigterm: SigtermMode = opts.onSigterm ?? { kind: 'graceful' };
  const emit = (event: EchoEvent['event'], extra: Record<string, string | number | boolean | null> = {}, at = Date.now()) =>
    log({ event, at, pod, ...extra });

  let inFlight = 0;
  let terminating = false; // SIGTERM seen: /readyz fails
  let closing = false; // no more keep-alive: every response closes its connection
  let ready = false;
  let listeningAt = 0;
  let lastRequestAt: number | null = null;
  let lastSeq: string | null = null;
  let served = 0;
  let idleWaiter: (() => void) | null = null;

  function statusFor(seqText: string | undefined, query: URLSearchParams): number {
    const q = query.get('status');
    if (q !== null && /^\d{3}$/.test(q)) return Number(q);
    if (seqText !== undefined && failSeqs.length) {
      const seq = Number(seqText);
      for (const r of failSeqs) if (seq >= r.from && seq <= r.to) return r.status;
    }
    if (fail.length) {
      let u = random() * 100;
      for (const r of fail) {
        if (u < r.percent) return r.status;
        u -= r.percent;
      }
    }
    return 200;
  }

  function delayFor(query: URLSearchParams): number {
    let ms = 0;
    const q = query.get('delay');
    if (q !== null) ms += parseDurationMs('delay', q);
    if (delays.length) {
      let u = random() * 100;
      for (const r of delays) {
        if (u < r.percent) {
          ms += r.ms;
          break;
        }
        u -= r.percent;
      }
    }
    ms += queueDelay(Date.now());
    // warm-up: extra latency falling linearly from WARMUP_DELAY to 0 over WARMUP
    if (warmupMs > 0 && warmupDelayMs > 0) {
      const since = Date.now() - listeningAt;
      if (since < warmupMs) ms += warmupDelayMs * (1 - since / warmupMs);
    }
    return ms;
  }

  function respond(res: ServerResponse, status: number, body: string, seq: string | undefined): void {
    res.statusCode = status;
    res.setHeader('x-lossless-pod', pod);
    if (seq !== undefined) res.setHeader('x-lossless-seq', seq);
    res.setHeader('content-type', 'text/plain');
    if (closing) res.setHeader('connection', 'close');
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // the hot path: most requests carry no query, and URL parsing costs more than the rest
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? NO_QUERY : new URLSearchParams(raw.slice(q + 1));
    const seqHeader = req.headers['x-lossless-seq'];
    const seq = Array.isArray(seqHeader) ? seqHeader[0] : seqHeader;
    if (route && route(pathname, query, req, res)) return;
    if (pathname === '/livez') return respond(res, 200, 'live\n', seq);
    if (pathname === '/readyz') return respond(res, ready && !terminating ? 200 : 503, ready && !terminating ? 'ready\n' : 'not ready\n', seq);
    inFlight++;
    res.on('close', () => {
      inFlight--;
      lastRequestAt = Date.now();
      served++;
      if (seq !== undefined) lastSeq = seq;
      if (inFlight === 0 && idleWaiter) idleWaiter();
    });
    let status: number;
    let delay: number;
    try {
      status = statusFor(seq, query);
      delay = delayFor(query);
    } catch (err) {
      return respond(res, 400, `${(err as Error).message}\n`, seq);
    }
    const body = `${status < 400 ? 'ok' : 'fail'} ${pod} ${seq ?? '-'}\n`;
    if (delay > 0) setTimeout(() => respond(res, status, body, seq), delay);
    else respond(res, status, body, seq);
  }

  if (opts.startupDelayMs) await sleep(opts.startupDelayMs);
  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  listeningAt = Date.now();
  // the cold period goes on the timeline: attribution tells a cold app's timeouts from other ones
  emit('listening', warmupMs > 0 ? { port, warmupMs, ...(warmupRps > 0 ? { warmupRps } : {}), ...(warmupDelayMs > 0 ? { warmupDelayMs } : {}) } : { port });
  const readyTimer = setTimeout(() => {
    ready = true;
    emit('ready');
  }, opts.readyDelayMs ?? 0);

  const untilIdle = () => new Promise<void>((r) => (inFlight === 0 ? r() : (idleWaiter = r)));

  async function graceful(): Promise<void> {
    closing = true;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    await untilIdle();
    // in-flight finished with `connection: close`; anything left is an idle socket
    server.closeAllConnections();
    await closed;
  }

  let shutdown: Promise<number> | undefined;
  return {
    port,
    server,
    get inFlight() {
      return inFlight;
    },
    sigterm() {
      if (shutdown) return shutdown;
      terminating = true;
      emit('sigterm', { mode: onSigterm.kind === 'drain' ? `drain:${onSigterm.ms / 1000}` : onSigterm.kind, inFlight });
      clearTimeout(readyTimer);
      shutdown = (async () => {
        let code = 0;
        if (onSigterm.kind === 'exit') {
          // a naive app: gone at once, in-flight requests cut
          code = 143;
          server.close();
          server.closeAllConnections();
        } else {
          if (onSigterm.kind === 'drain') {
            // keep serving (requests routed before the endpoint removal reached every proxy still arrive), but
            // answer each with `connection: close`: a client leaves a connection after its next response, on its
            // own side, instead of finding it closed under a request. Idle sockets are closed only at the end,
            // when the drain has let every connection in use go.
            closing = true;
            await sleep(onSigterm.ms);
          }
          await graceful();
        }
        // `at` is when the last request was answered (or now, if none was): the time that matters
        emit('last-request', { seq: lastSeq, served }, lastRequestAt ?? Date.now());
        emit('exit', { code });
        return code;
      })();
      return shutdown;
    },
    async stop() {
      clearTimeout(readyTimer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

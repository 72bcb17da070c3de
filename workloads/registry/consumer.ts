// The registry consumer: subscribes to the providers of a service in etcd and balances client-side
// (Dubbo's warm-up weights + RandomLoadBalance), forwarding every GET over keep-alive connections. It never
// retries by default (RETRIES=0, failfast): the tool measures loss, and a failover retry would hide it.
// Every answer says who served it (x-lossless-pod) or which provider failed and how.
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcd } from './etcd.ts';
import type { Etcd } from './etcd.ts';
import type { ConsumerKnobs } from './knobs.ts';
import { stdoutLine } from './log.ts';
import type { Log } from './log.ts';
import { observeRegistry, subscribe } from './subscription.ts';
import type { Subscription } from './subscription.ts';
import { pickRandom } from './weights.ts';
import type { Provider } from './weights.ts';

export interface ConsumerOptions extends Omit<ConsumerKnobs, 'registryUrl' | 'port'> {
  registryUrl?: string;
  port?: number;
  host?: string;
  log?: Log;
  etcd?: Etcd;
  /** [0, 1) source for the balancer; default Math.random. */
  random?: () => number;
}

export interface Consumer {
  port: number;
  server: Server;
  subscription: Subscription;
  readonly inFlight: number;
  /** Stop accepting, finish in-flight requests, stop the registry watches; resolves with the exit code (0). */
  sigterm(): Promise<number>;
  /** Test helper: close at once, no events. */
  stop(): Promise<void>;
}

type Attempt =
  | { ok: true; status: number; headers: IncomingMessage['headers']; body: Buffer }
  | { ok: false; code: string; timeout: boolean };

const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

export async function startConsumer(o: ConsumerOptions): Promise<Consumer> {
  const pod = o.pod;
  const log = o.log ?? stdoutLine;
  const random = o.random ?? Math.random;
  const etcd = o.etcd ?? createEtcd(o.registryUrl ?? '');
  const prefix = `${o.prefix}${o.service}/`;
  const agent = new Agent({ keepAlive: true });
  const emit = (event: string, extra: Record<string, string | number | boolean | null> = {}) => log({ event, at: Date.now(), pod, ...extra });

  const subscription = subscribe({ etcd, prefix, pod, log, refresh: o.refresh, pollIntervalMs: o.pollIntervalMs, emptyProtection: o.emptyProtection });
  const observer = observeRegistry({ etcd, prefix, pod, log });

  let inFlight = 0;
  let terminating = false;
  let idleWaiter: (() => void) | null = null;

  function attempt(p: Provider, path: string, headers: OutgoingHttpHeaders): Promise<Attempt> {
    return new Promise((resolve) => {
      let settled = false;
      let timedOut = false;
      const settle = (a: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      const req = request({ host: p.ip, port: p.port, path, method: 'GET', agent, headers });
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(Object.assign(new Error('upstream timeout'), { code: 'TIMEOUT' }));
      }, o.upstreamTimeoutMs);
      const fail = (err: unknown) => settle({ ok: false, code: timedOut ? 'TIMEOUT' : ((err as { code?: string })?.code ?? 'UNKNOWN'), timeout: timedOut });
      req.on('error', fail);
      req.on('response', (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('error', fail);
        up.on('aborted', () => fail({ code: 'ECONNRESET' }));
        up.on('end', () => settle({ ok: true, status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }));
      });
      req.end();
    });
  }

  async function forward(req: IncomingMessage, res: ServerResponse, path: string, seq: string | undefined): Promise<void> {
    const headers: OutgoingHttpHeaders = {};
    if (seq !== undefined) headers['x-lossless-seq'] = seq;
    const run = one(req.headers['x-lossless-run']);
    if (run !== undefined) headers['x-lossless-run'] = run;
    const base = (status: number) => {
      res.statusCode = status;
      if (seq !== undefined) res.setHeader('x-lossless-seq', seq);
      res.setHeader('x-lossless-consumer', pod);
      if (terminating) res.setHeader('connection', 'close');
    };
    const tried = new Set<string>();
    let last: { p: Provider; a: Attempt & { ok: false } } | undefined;
    for (let i = 0; i <= o.retries; i++) {
      const all = subscription.providers;
      const fresh = all.filter((p) => !tried.has(p.pod));
      const p = pickRandom(fresh.length ? fresh : all, Date.now(), random);
      if (!p) break;
      tried.add(p.pod);
      const a = await attempt(p, path, headers);
      if (a.ok) {
        base(a.status);
        // the answering pod's own header wins: a registry entry pointing at a reused IP shows up as a mismatch
        res.setHeader('x-lossless-pod', one(a.headers['x-lossless-pod']) ?? p.pod);
        res.setHeader('x-lossless-provider', p.pod);
        const ct = one(a.headers['content-type']);
        if (ct) res.setHeader('content-type', ct);
        res.end(a.body);
        return;
      }
      last = { p, a };
    }
    if (!last) {
      base(503);
      res.setHeader('x-lossless-upstream-error', 'NO_PROVIDER');
      res.setHeader('content-type', 'text/plain');
      res.end(`no provider for ${o.service}\n`);
      return;
    }
    base(last.a.timeout ? 504 : 502);
    res.setHeader('x-lossless-pod', last.p.pod);
    res.setHeader('x-lossless-provider', last.p.pod);
    res.setHeader('x-lossless-upstream-error', last.a.code);
    res.setHeader('content-type', 'text/plain');
    res.end(`upstream ${last.p.pod} (${last.p.ip}:${last.p.port}): ${last.a.code}\n`);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const q = path.indexOf('?');
    const pathname = q < 0 ? path : path.slice(0, q);
    const seq = one(req.headers['x-lossless-seq']);
    if (pathname === '/livez' || pathname === '/readyz') {
      const ok = pathname === '/livez' || (subscription.isLoaded && !terminating);
      res.statusCode = ok ? 200 : 503;
      res.setHeader('x-lossless-consumer', pod);
      res.end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0 && idleWaiter) idleWaiter();
    });
    forward(req, res, path, seq).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      res.statusCode = 500;
      res.end(`consumer error: ${(err as Error).message}\n`);
    });
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  emit('listening', { port });
  void subscription.loaded.then(() => {
    if (!terminating) emit('ready');
  });

  const untilIdle = () => new Promise<void>((r) => (inFlight === 0 ? r() : (idleWaiter = r)));
  let shutdown: Promise<number> | undefined;
  return {
    port,
    server,
    subscription,
    get inFlight() {
      return inFlight;
    },
    sigterm() {
      shutdown ??= (async () => {
        terminating = true;
        emit('sigterm', { mode: 'graceful', inFlight });
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        await untilIdle();
        server.closeAllConnections();
        await closed;
        await Promise.all([subscription.stop(), observer.stop()]);
        agent.destroy();
        emit('exit', { code: 0 });
        return 0;
      })();
      return shutdown;
    },
    async stop() {
      terminating = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await Promise.all([subscription.stop(), observer.stop()]);
      agent.destroy();
    },
  };
}

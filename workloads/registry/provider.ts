// The registry provider: the echo server (every echo knob applies) that registers itself in etcd under a
// lease, keeps the lease alive every TTL/3, re-registers when the lease is lost, and goes offline on
// GET /offline (a preStop hook) or, if told to, on SIGTERM. Dubbo-style: delayed registration
// (REGISTER_AFTER + REGISTER_DELAY) and warm-up metadata (startAt, warmupMs, weight) for consumers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startEcho } from '../echo/echo.ts';
import type { Echo, EchoOptions } from '../echo/echo.ts';
import { KnobError, parseDurationMs } from '../echo/knobs.ts';
import { createEtcd, toEtcdError } from './etcd.ts';
import type { Etcd } from './etcd.ts';
import type { ProviderKnobs } from './knobs.ts';
import { sleep, stdoutLine } from './log.ts';
import type { Log } from './log.ts';
import type { Provider as ProviderValue } from './weights.ts';

export interface ProviderOptions extends Omit<EchoOptions, 'log' | 'route'> {
  registry: Omit<ProviderKnobs, 'registryUrl'> & { registryUrl?: string };
  /** Process start (epoch ms), advertised as startAt; default now. */
  startAt?: number;
  /** Every line, echo's and the provider's; default stdout. */
  log?: Log;
  /** Default: createEtcd(registry.registryUrl). */
  etcd?: Etcd;
}

export interface RegistryProvider {
  echo: Echo;
  port: number;
  key: string;
  /** Lease currently kept alive ('' when none). */
  readonly lease: string;
  /** Delete the key and stop the keepalives (the lease expires by itself); idempotent. */
  deregister(reason: 'offline' | 'sigterm'): Promise<void>;
  /** DEREGISTER_ON_SIGTERM first when set, then echo's ON_SIGTERM behaviour; resolves with the exit code. */
  sigterm(): Promise<number>;
  /** Test helper: the process dies (keepalives stop, nothing deleted, server closed at once). */
  stop(): Promise<void>;
}

export async function startProvider(opts: ProviderOptions): Promise<RegistryProvider> {
  const reg = opts.registry;
  const pod = opts.pod ?? 'echo';
  const log = opts.log ?? stdoutLine;
  const startAt = opts.startAt ?? Date.now();
  const etcd = opts.etcd ?? createEtcd(reg.registryUrl ?? '');
  const key = `${reg.prefix}${reg.service}/${pod}`;
  if (reg.registerAfter === 'start' && !opts.port) throw new KnobError(`REGISTER_AFTER='start' needs a fixed PORT (the port is advertised before the server listens)`);

  const stopAc = new AbortController(); // ends the registration loop for good
  let lease = '';
  let outage = false;
  let port = opts.port ?? 0;
  let onListening: () => void = () => {};
  let onReady: () => void = () => {};
  const listening = new Promise<void>((r) => (onListening = r));
  const ready = new Promise<void>((r) => (onReady = r));

  function registryError(err: unknown): void {
    if (outage) return;
    outage = true;
    log({ event: 'registry-error', at: Date.now(), pod, code: toEtcdError(err, 'registry').code });
  }

  async function registerOnce(reason: 'initial' | 're-register'): Promise<void> {
    const signal = stopAc.signal;
    const granted = await etcd.grant(reg.leaseTtl, signal);
    const registeredAt = Date.now();
    const warmupMs = reg.advertisedWarmupMs ?? opts.warmupMs ?? 0;
    const value: ProviderValue = { pod, ip: reg.podIp, port, startAt, registeredAt, warmupMs, weight: reg.weight };
    await etcd.put(key, JSON.stringify(value), granted.id, signal);
    lease = granted.id;
    outage = false;
    // the metadata consumers weigh it by, on the timeline: the warm-up ramp is predicted from it
    log({ event: 'registered', at: Date.now(), pod, key, lease, reason, startAt, warmupMs, weight: reg.weight });
  }

  // grant+put, then keepalive every TTL/3; lease gone -> grant and put again; registry away -> retry every second
  async function keepRegistered(): Promise<void> {
    const signal = stopAc.signal;
    let registeredOnce = false;
    while (!signal.aborted) {
      try {
        if (!lease) {
          await registerOnce(registeredOnce ? 're-register' : 'initial');
          registeredOnce = true;
        } else {
          const ttl = await etcd.keepalive(lease, signal);
          outage = false;
          if (ttl <= 0) {
            lease = '';
            continue;
          }
        }
        await sleep((reg.leaseTtl * 1000) / 3, signal);
      } catch (err) {
        if (signal.aborted) break;
        registryError(err);
        await sleep(1000, signal);
      }
    }
  }

  let loop: Promise<void> = Promise.resolve();
  // a stop before the moment comes (SIGTERM during READY_DELAY: ready never fires) must end the wait too
  const aborted = new Promise<void>((r) => stopAc.signal.addEventListener('abort', () => r(), { once: true }));
  const schedule = async () => {
    if (reg.registerAfter === 'listening') await Promise.race([listening, aborted]);
    if (reg.registerAfter === 'ready') await Promise.race([ready, aborted]);
    await sleep(reg.registerDelayMs, stopAc.signal);
    if (!stopAc.signal.aborted) await keepRegistered();
  };

  let deregistering: Promise<void> | undefined;
  function deregister(reason: 'offline' | 'sigterm'): Promise<void> {
    deregistering ??= (async () => {
      stopAc.abort();
      await loop;
      lease = ''; // not revoked: it expires TTL after the last keepalive
      for (;;) {
        try {
          await etcd.del(key);
          break;
        } catch (err) {
          registryError(err);
          await sleep(1000);
        }
      }
      log({ event: 'deregistered', at: Date.now(), pod, reason });
    })();
    return deregistering;
  }

  function route(pathname: string, query: URLSearchParams, _req: IncomingMessage, res: ServerResponse): boolean {
    if (pathname !== '/offline') return false;
    let waitMs = 0;
    try {
      const w = query.get('wait');
      if (w !== null) waitMs = parseDurationMs('wait', w);
    } catch (err) {
      res.statusCode = 400;
      res.end(`${(err as Error).message}\n`);
      return true;
    }
    void (async () => {
      // bounded: a preStop hook must not hang on a registry that is away (the delete keeps retrying)
      const deleted = await Promise.race([deregister('offline').then(() => true), sleep(5000).then(() => false)]);
      await sleep(waitMs);
      res.statusCode = 200;
      res.setHeader('x-lossless-pod', pod);
      res.setHeader('content-type', 'text/plain');
      res.end(deleted ? 'offline\n' : 'offline: delete pending, registry unreachable\n');
    })();
    return true;
  }

  loop = schedule();
  const echo = await startEcho({
    ...opts,
    pod,
    route,
    log: (ev) => {
      log(ev);
      if (ev.event === 'listening') {
        if (!port && typeof ev.port === 'number') port = ev.port;
        onListening();
      } else if (ev.event === 'ready') onReady();
    },
  });
  if (!port) port = echo.port;

  return {
    echo,
    port: echo.port,
    key,
    get lease() {
      return lease;
    },
    deregister,
    async sigterm() {
      if (reg.deregisterOnSigterm) await deregister('sigterm');
      return echo.sigterm();
    },
    async stop() {
      stopAc.abort();
      await loop;
      await echo.stop();
    },
  };
}

// The consumer's view of the registry. Two independent parts:
// - subscribe(): the routing list (what the balancer picks from), refreshed by watch (list, then watch from
//   revision+1; resubscribe with backoff when the stream breaks) or by poll (list every interval), with
//   Dubbo's empty protection (an empty answer while the cache has providers keeps the cache).
// - observeRegistry(): a watch that only logs what the registry did and when (registry-change), run in both
//   modes, so registry propagation is measurable apart from the consumer's cache lag.
import type { Etcd, KeyValue } from './etcd.ts';
import { toEtcdError } from './etcd.ts';
import { sleep } from './log.ts';
import type { Log } from './log.ts';
import type { Provider } from './weights.ts';

export interface SubscriptionOptions {
  etcd: Etcd;
  /** Full key prefix of the service: `${REGISTRY_PREFIX}${SERVICE}/`. */
  prefix: string;
  pod: string;
  log: Log;
  refresh: 'watch' | 'poll';
  pollIntervalMs: number;
  emptyProtection: boolean;
}

export interface Subscription {
  /** The routing list, sorted by pod. */
  readonly providers: readonly Provider[];
  /** Resolves once the first list is loaded. */
  readonly loaded: Promise<void>;
  readonly isLoaded: boolean;
  stop(): Promise<void>;
}

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 2000;

/** A registry value as a Provider; undefined when it is not one (ignored: the registry is shared). */
export function parseProvider(kv: KeyValue): Provider | undefined {
  try {
    const v = JSON.parse(kv.value) as Record<string, unknown>;
    const n = (k: string) => typeof v[k] === 'number' && Number.isFinite(v[k]);
    if (typeof v.pod !== 'string' || typeof v.ip !== 'string' || !n('port') || !n('startAt') || !n('registeredAt') || !n('warmupMs') || !n('weight')) return undefined;
    return { pod: v.pod, ip: v.ip, port: v.port as number, startAt: v.startAt as number, registeredAt: v.registeredAt as number, warmupMs: v.warmupMs as number, weight: v.weight as number };
  } catch {
    return undefined;
  }
}

const pods = (list: Iterable<Provider>) => [...list].map((p) => p.pod).sort();

export function subscribe(o: SubscriptionOptions): Subscription {
  const ac = new AbortController();
  const signal = ac.signal;
  const view = new Map<string, Provider>(); // the registry as last seen, by key
  let routing: Provider[] = [];
  let isLoaded = false;
  let protecting = false;
  let outage = false;
  let markLoaded: () => void = () => {};
  const loaded = new Promise<void>((r) => (markLoaded = r));

  // Recompute the routing list from the view; log consumer-list on a change of its pods (always on the first load).
  function publish(reason: 'initial' | 'watch' | 'poll' | 'resubscribe', revision: number): void {
    const next = [...view.values()].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
    if (next.length === 0 && routing.length > 0 && o.emptyProtection) {
      if (!protecting) o.log({ event: 'empty-protection', at: Date.now(), pod: o.pod, kept: pods(routing).join(','), reason, revision });
      protecting = true;
      return;
    }
    protecting = false;
    const before = pods(routing);
    const after = pods(next);
    routing = next;
    const first = !isLoaded;
    if (first) {
      isLoaded = true;
      markLoaded();
    }
    if (!first && before.join(',') === after.join(',')) return;
    o.log({
      event: 'consumer-list', at: Date.now(), pod: o.pod, providers: after.join(','),
      added: after.filter((p) => !before.includes(p)).join(','), removed: before.filter((p) => !after.includes(p)).join(','),
      reason, revision,
      // how this consumer refreshes: the worst-case lag a preStop wait has to cover
      refresh: o.refresh, ...(o.refresh === 'poll' ? { pollIntervalMs: o.pollIntervalMs } : {}),
    });
  }

  function replaceView(kvs: KeyValue[]): void {
    view.clear();
    for (const kv of kvs) {
      const p = parseProvider(kv);
      if (p) view.set(kv.key, p);
    }
  }

  function disconnected(err: unknown): void {
    if (outage) return;
    outage = true;
    o.log({ event: 'registry-disconnected', at: Date.now(), pod: o.pod, code: toEtcdError(err, 'registry').code });
  }

  function resubscribed(revision: number): void {
    if (!outage) return;
    outage = false;
    o.log({ event: 'registry-resubscribed', at: Date.now(), pod: o.pod, revision, providers: pods(view.values()).join(',') });
  }

  async function watchLoop(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!signal.aborted) {
      try {
        const { revision, kvs } = await o.etcd.range(o.prefix, signal);
        replaceView(kvs);
        resubscribed(revision);
        publish(isLoaded ? 'resubscribe' : 'initial', revision);
        for await (const m of o.etcd.watch(o.prefix, { startRevision: revision + 1, signal })) {
          if (m.canceled) throw Object.assign(new Error('watch cancelled (compacted)'), { code: 'COMPACTED' });
          if (m.created) backoff = BACKOFF_MIN_MS; // subscribed again: the next break starts from the minimum
          if (m.events.length === 0) continue;
          for (const ev of m.events) {
            if (ev.type === 'DELETE') view.delete(ev.kv.key);
            else {
              const p = parseProvider(ev.kv);
              if (p) view.set(ev.kv.key, p);
              else view.delete(ev.kv.key);
            }
          }
          publish('watch', m.revision);
        }
      } catch (err) {
        if (signal.aborted) break;
        disconnected(err);
      }
      // the cached list stays while the registry is away
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  async function pollLoop(): Promise<void> {
    while (!signal.aborted) {
      try {
        const { revision, kvs } = await o.etcd.range(o.prefix, signal);
        replaceView(kvs);
        resubscribed(revision);
        publish(isLoaded ? 'poll' : 'initial', revision);
      } catch (err) {
        if (signal.aborted) break;
        disconnected(err);
      }
      await sleep(o.pollIntervalMs, signal);
    }
  }

  const done = o.refresh === 'watch' ? watchLoop() : pollLoop();
  return {
    get providers() {
      return routing;
    },
    loaded,
    get isLoaded() {
      return isLoaded;
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

export interface ObserverOptions {
  etcd: Etcd;
  prefix: string;
  pod: string;
  log: Log;
}

/**
 * Log every registry change under the prefix: a put is `registered`; a delete is `expired` when the
 * deleted key's lease no longer exists (timetolive -1), else `deleted` (an explicit delete leaves the
 * lease to run out). Resubscribes with the same backoff; changes made while it was away are not logged.
 */
export function observeRegistry(o: ObserverOptions): { stop(): Promise<void> } {
  const ac = new AbortController();
  const signal = ac.signal;
  async function reason(prevLease: string | undefined): Promise<{ reason: 'deleted' | 'expired'; leaseCheck?: string }> {
    if (!prevLease || prevLease === '0') return { reason: 'deleted' };
    try {
      return { reason: (await o.etcd.timeToLive(prevLease, signal)) === -1 ? 'expired' : 'deleted' };
    } catch (err) {
      return { reason: 'deleted', leaseCheck: toEtcdError(err, 'timetolive').code };
    }
  }
  const done = (async () => {
    let backoff = BACKOFF_MIN_MS;
    while (!signal.aborted) {
      try {
        const { revision } = await o.etcd.range(o.prefix, signal);
        for await (const m of o.etcd.watch(o.prefix, { startRevision: revision + 1, prevKv: true, signal })) {
          if (m.canceled) break;
          if (m.created) backoff = BACKOFF_MIN_MS;
          for (const ev of m.events) {
            const at = Date.now(); // when the consumer heard of it, before the lease lookup
            const provider = parseProvider(ev.kv)?.pod ?? parseProvider(ev.prevKv ?? ev.kv)?.pod ?? ev.kv.key.slice(o.prefix.length);
            if (ev.type === 'PUT') {
              o.log({ event: 'registry-change', at, pod: o.pod, provider, op: 'put', reason: 'registered', revision: ev.kv.modRevision });
            } else {
              const r = await reason(ev.prevKv?.lease);
              o.log({ event: 'registry-change', at, pod: o.pod, provider, op: 'delete', ...r, revision: ev.kv.modRevision });
            }
          }
        }
      } catch {
        if (signal.aborted) break;
      }
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  })();
  return {
    async stop() {
      ac.abort();
      await done;
    },
  };
}

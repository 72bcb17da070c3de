// A small etcd v3 client over its JSON gRPC gateway (HTTP/1.1 on the client port, base64 keys and values).
// Runs in the echo image: global fetch (unary calls), node:http (watch) and node:* only, erasable TypeScript (no node_modules there).
// Every failure is an EtcdError with a `code`: the socket's code (ECONNREFUSED, ECONNRESET, ...),
// TIMEOUT, ABORTED, a gRPC status name (NOT_FOUND, ...), HTTP_<status>, BAD_RESPONSE, WATCH_ENDED.

import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';

export class EtcdError extends Error {
  override name = 'EtcdError';
  code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

export interface KeyValue {
  key: string;
  value: string;
  /** Lease id (int64 as a decimal string), '' when the key has none. */
  lease: string;
  modRevision: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchMessage {
  revision: number;
  created: boolean;
  events: WatchEvent[];
  /** Set when the server cancelled the watch (e.g. start_revision compacted). */
  canceled: boolean;
  compactRevision?: number;
}

export interface Etcd {
  grant(ttlSeconds: number, signal?: AbortSignal): Promise<{ id: string; ttl: number }>;
  /** Remaining TTL in seconds; 0 when the lease no longer exists. */
  keepalive(id: string, signal?: AbortSignal): Promise<number>;
  put(key: string, value: string, lease?: string, signal?: AbortSignal): Promise<number>;
  /** Number of keys deleted. */
  del(key: string, signal?: AbortSignal): Promise<number>;
  /** Every key under the prefix, and the store's revision when read. */
  range(prefix: string, signal?: AbortSignal): Promise<{ revision: number; kvs: KeyValue[] }>;
  /** Remaining TTL in seconds; -1 when the lease does not exist (expired or revoked). */
  timeToLive(id: string, signal?: AbortSignal): Promise<number>;
  /** Watch a prefix from a revision: messages until the stream ends (then WATCH_ENDED) or `signal` aborts. */
  watch(prefix: string, opts: { startRevision?: number; prevKv?: boolean; signal: AbortSignal }): AsyncIterable<WatchMessage>;
}

// gRPC status codes the gateway puts in error bodies, by name (classify by code, never by message)
const GRPC: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '');
const num = (s: unknown) => (typeof s === 'string' || typeof s === 'number' ? Number(s) : 0);

/** The range_end that makes [prefix, end) cover every key starting with prefix. */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]!++;
      return end.toString('base64');
    }
  }
  return b64('\0'); // all keys
}

function toKv(raw: unknown): KeyValue {
  const o = (raw ?? {}) as Record<string, unknown>;
  return { key: unb64(o.key), value: unb64(o.value), lease: typeof o.lease === 'string' ? o.lease : '', modRevision: num(o.mod_revision) };
}

/** Turn a fetch/stream failure into an EtcdError with the socket's code where there is one. */
export function toEtcdError(err: unknown, what: string): EtcdError {
  if (err instanceof EtcdError) return err;
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  let code = e?.cause?.code ?? e?.code;
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') code = 'TIMEOUT';
  else if (e?.name === 'AbortError' || e?.cause?.name === 'AbortError' || code === 'ABORT_ERR') code = 'ABORTED';
  return new EtcdError(`${what}: ${(err as Error)?.message ?? String(err)}`, code ?? 'UNKNOWN');
}

export function createEtcd(baseUrl: string, opts: { timeoutMs?: number } = {}): Etcd {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 3000;

  async function post(path: string, body: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      throw toEtcdError(err, `etcd ${path}`);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new EtcdError(`etcd ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 100)}`, res.ok ? 'BAD_RESPONSE' : `HTTP_${res.status}`);
    }
    if (!res.ok || json.error !== undefined) {
      const code = typeof json.code === 'number' ? GRPC[json.code] ?? `GRPC_${json.code}` : `HTTP_${res.status}`;
      throw new EtcdError(`etcd ${path}: ${String(json.message ?? json.error ?? res.status)}`, code);
    }
    return json;
  }

  const revisionOf = (j: Record<string, unknown>) => num((j.header as Record<string, unknown> | undefined)?.revision);

  return {
    async grant(ttl, signal) {
      const j = await post('/v3/lease/grant', { TTL: ttl }, signal);
      if (typeof j.ID !== 'string') throw new EtcdError('etcd lease/grant: no ID in the answer', 'BAD_RESPONSE');
      return { id: j.ID, ttl: num(j.TTL) };
    },
    async keepalive(id, signal) {
      const j = await post('/v3/lease/keepalive', { ID: id }, signal);
      // a lease that is gone answers with TTL absent (0 omitted by the JSON mapping)
      return Math.max(0, num((j.result as Record<string, unknown> | undefined)?.TTL));
    },
    async put(key, value, lease, signal) {
      const body: Record<string, string> = { key: b64(key), value: b64(value) };
      if (lease) body.lease = lease;
      return revisionOf(await post('/v3/kv/put', body, signal));
    },
    async del(key, signal) {
      return num((await post('/v3/kv/deleterange', { key: b64(key) }, signal)).deleted);
    },
    async range(prefix, signal) {
      const j = await post('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) }, signal);
      return { revision: revisionOf(j), kvs: Array.isArray(j.kvs) ? j.kvs.map(toKv) : [] };
    },
    async timeToLive(id, signal) {
      const j = await post('/v3/lease/timetolive', { ID: id }, signal);
      return j.TTL === undefined ? -1 : num(j.TTL);
    },
    watch(prefix, { startRevision, prevKv, signal }) {
      const create: Record<string, unknown> = { key: b64(prefix), range_end: prefixEnd(prefix) };
      if (startRevision) create.start_revision = String(startRevision);
      if (prevKv) create.prev_kv = true;
      return watchStream(base, create, signal);
    },
  };
}

// node:http rather than fetch: fetch's body timeout (300 s of silence) would break a quiet watch.
async function* watchStream(base: string, create: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<WatchMessage> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${base}/v3/watch`, { method: 'POST', headers: { 'content-type': 'application/json' }, signal });
    req.on('response', resolve);
    // a registry that vanishes without a reset (node gone) is noticed by TCP keepalive, not never
    req.on('socket', (sock) => sock.setKeepAlive(true, 5000));
    req.on('error', (err) => reject(toEtcdError(err, 'etcd watch')));
    req.end(JSON.stringify({ create_request: create }));
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new EtcdError(`etcd watch: HTTP ${res.statusCode}`, `HTTP_${res.statusCode}`);
  }
  res.setEncoding('utf8');
  let buf = '';
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      buf += chunk;
      // the gateway writes one JSON object per line
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield parseWatchLine(line);
      }
    }
  } catch (err) {
    throw toEtcdError(err, 'etcd watch stream');
  } finally {
    res.destroy();
  }
  throw new EtcdError('etcd watch: the stream ended', 'WATCH_ENDED');
}

function parseWatchLine(line: string): WatchMessage {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new EtcdError(`etcd watch: not JSON: ${line.slice(0, 100)}`, 'BAD_RESPONSE');
  }
  if (j.error !== undefined) {
    const e = j.error as Record<string, unknown>;
    const code = typeof e.grpc_code === 'number' ? GRPC[e.grpc_code] ?? `GRPC_${e.grpc_code}` : 'WATCH_ERROR';
    throw new EtcdError(`etcd watch: ${String(e.message ?? 'error')}`, code);
  }
  const r = (j.result ?? {}) as Record<string, unknown>;
  const events = Array.isArray(r.events)
    ? r.events.map((ev: Record<string, unknown>): WatchEvent => {
        const out: WatchEvent = { type: ev.type === 'DELETE' ? 'DELETE' : 'PUT', kv: toKv(ev.kv) };
        if (ev.prev_kv) out.prevKv = toKv(ev.prev_kv);
        return out;
      })
    : [];
  const msg: WatchMessage = {
    revision: num((r.header as Record<string, unknown> | undefined)?.revision),
    created: r.created === true,
    events,
    canceled: r.canceled === true,
  };
  if (r.compact_revision !== undefined) msg.compactRevision = num(r.compact_revision);
  return msg;
}

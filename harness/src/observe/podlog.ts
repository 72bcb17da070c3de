// Lifecycle events from inside the pods: the echo workload's JSON log lines, the preStop span derived
// from them, and a follower that streams a container's log lines.
//
// Times in these lines come from the node's clock (epoch ms), not the harness's: the run measures the
// offset between the two at its start (observe/clock.ts) and attribution applies it (attribute/skew.ts).

import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { epochMsToRunNs, type LifecycleEvent, lifecycleEvent, type LifecycleKind, type RunClock } from '../record.ts';

const ECHO_EVENTS: Record<string, LifecycleKind> = {
  start: 'process-start',
  listening: 'listening',
  ready: 'ready',
  sigterm: 'sigterm',
  'last-request': 'last-request',
  exit: 'exit',
  // a registry provider's own view of its registration (workloads/registry/provider.ts)
  registered: 'registry-register',
  deregistered: 'registry-deregister',
};

/**
 * One echo log line -> one LifecycleEvent (source pod-log), or undefined for any other line.
 * `{"event":"sigterm","at":1767225600123,"pod":"echo-abc","inFlight":3}`: scalar extras go to detail.
 */
export function parseEchoLine(line: string, clock: RunClock, podFallback?: string): LifecycleEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const o = raw as Record<string, unknown>;
  const kind = typeof o.event === 'string' ? ECHO_EVENTS[o.event] : undefined;
  if (!kind || typeof o.at !== 'number' || !Number.isFinite(o.at)) return undefined;
  const pod = typeof o.pod === 'string' && o.pod ? o.pod : podFallback;
  const detail: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'event' || k === 'at' || k === 'pod') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') detail[k] = v;
  }
  return lifecycleEvent({ at: epochMsToRunNs(clock, o.at), source: 'pod-log', kind, ...(pod ? { pod } : {}), ...(Object.keys(detail).length > 0 ? { detail } : {}) });
}

/**
 * The preStop span of each pod whose spec has a preStop hook: it starts when the pod gets its
 * deletionTimestamp (the watch's pod-deleting, receive time) and ends when the workload logs SIGTERM
 * (DESIGN.md: an exec hook's output never reaches the container log). Pods without a sigterm line get
 * only the start.
 */
export function derivePreStop(events: readonly LifecycleEvent[]): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  const sorted = [...events].sort((a, b) => a.at - b.at);
  for (const del of sorted) {
    if (del.kind !== 'pod-deleting' || !del.pod || del.detail?.preStopSeconds === undefined) continue;
    const start: LifecycleEvent = { at: del.at, source: 'watch', kind: 'prestop-start', pod: del.pod, detail: { preStopSeconds: del.detail.preStopSeconds } };
    if (del.node) start.node = del.node;
    out.push(start);
    // The first sigterm logged by this pod at or after the deletion; a little slack for clock skew.
    const sig = sorted.find((e) => e.kind === 'sigterm' && e.pod === del.pod && e.at >= del.at - 1e9);
    if (sig) out.push({ at: sig.at, source: 'pod-log', kind: 'prestop-end', pod: del.pod, detail: { ms: Math.round((sig.at - del.at) / 1e6) } });
  }
  return out;
}

export interface LogFollow {
  stop(): void;
  /** Resolves when the stream ends (container exited, or stop()). */
  done: Promise<void>;
}

/**
 * Streams a container's log (from its start, then following) line by line. Each line goes to onLine with
 * its receive time taken by the caller. Exercised against a real cluster by the lab tests.
 */
export async function followPodLog(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  onLine: (line: string) => void,
  /** Skip the log's history: only lines since then (the API has whole-second precision). */
  since?: { sinceSeconds?: number; sinceTime?: string },
): Promise<LogFollow> {
  // Not client-node's Log: it pipes the response into the caller's stream with no error handler on its
  // side, so an API server that goes away mid-stream (or an abort) crashed the process with an
  // unhandled 'error' event. Here a broken stream simply ends the follow.
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(`${cluster.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
  url.searchParams.set('container', container);
  url.searchParams.set('follow', 'true');
  if (since?.sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(since.sinceSeconds));
  if (since?.sinceTime !== undefined) url.searchParams.set('sinceTime', since.sinceTime);
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const ac = new AbortController();
  const res = await fetch(url, { headers: ctx.getHeaders(), dispatcher: ctx.getDispatcher() as Dispatcher | undefined, signal: ac.signal });
  if (res.status !== 200 || !res.body) {
    const text = await res.text().catch(() => '');
    throw new Error(`log of ${namespace}/${pod}: HTTP ${res.status} ${text.slice(0, 200)}`);
  }
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('error', () => body.destroy()); // reset, abort, API server gone: the follow ends
  const rl = createInterface({ input: body, crlfDelay: Infinity });
  rl.on('line', onLine);
  rl.on('error', () => rl.close()); // readline re-emits its input's errors
  const done = new Promise<void>((resolve) => {
    rl.on('close', () => resolve());
    body.on('close', () => resolve());
  });
  return {
    stop: () => {
      ac.abort();
      body.destroy();
    },
    done,
  };
}

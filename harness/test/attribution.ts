// Hand-written timelines and ledgers in the shape of the real events (the watch's pod-*/endpoint-* events,
// the echo's log lines, the ledger's records): shared by the attribution tests.

import assert from 'node:assert/strict';
import { type Attribution, detailMismatches, type EventSource, type LifecycleEvent, lifecycleEvent, type LifecycleKind, type Outcome, type RequestRecord, type Scalar } from '../src/record.ts';

export const MS = 1e6;
let seq = 0;

export function rec(target: string, tMs: number, outcome: Outcome, extra: Partial<RequestRecord> = {}): RequestRecord {
  const r: RequestRecord = {
    seq: seq++,
    target,
    scheduledAt: tMs * MS,
    sentAt: tMs * MS,
    endAt: (tMs + 3) * MS,
    outcome,
    phase: outcome === 'ok' ? 'none' : 'connect',
    reusedConnection: false,
    bytesSent: 100,
    bytesReceived: outcome === 'ok' ? 200 : 0,
    ...extra,
  };
  if (outcome === 'http-5xx' && r.status === undefined) r.status = 502;
  return r;
}

/** Failures every `stepMs` from `fromMs` to `toMs` inclusive. */
export function burst(target: string, fromMs: number, toMs: number, outcome: Outcome, extra: Partial<RequestRecord> = {}, stepMs = 20): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push(rec(target, t, outcome, extra));
  return out;
}

/** What a hand-written event may set besides its time, kind and pod. */
export interface EventParts {
  source?: EventSource;
  node?: string;
  podIP?: string;
  object?: string;
  apiAt?: number;
  detail?: Record<string, Scalar>;
}

export function ev(tMs: number, kind: LifecycleKind, pod: string | undefined, extra: EventParts = {}): LifecycleEvent {
  const source = (['process-start', 'listening', 'ready', 'sigterm', 'last-request', 'exit'] as string[]).includes(kind) ? 'pod-log' : kind.startsWith('ingress') ? 'ingress' : kind === 'lb-announce' ? 'lb' : 'watch';
  const bad = detailMismatches(kind, extra.detail);
  assert.deepEqual(bad, [], `a hand-written ${kind} event with a detail field of the wrong type`);
  return lifecycleEvent({ at: tMs * MS, source, kind, ...extra, ...(pod ? { pod } : {}) });
}

/** A pod that is ready in Service `svc` from `tMs`. */
export function readyPod(pod: string, ip: string, node: string, tMs: number, svc = 'echo-clusterip', probe = true): LifecycleEvent[] {
  const ep = { service: svc, ready: true, serving: true, terminating: false };
  return [
    ev(tMs - 2000, 'pod-created', pod, { node, podIP: ip, detail: { hasReadinessProbe: probe, gracePeriodSeconds: 30 } }),
    ev(tMs - 1500, 'listening', pod),
    ev(tMs - 1500, 'ready', pod),
    ev(tMs - 100, 'pod-ready', pod, { node, podIP: ip }),
    ev(tMs, 'endpoint-added', pod, { node, podIP: ip, detail: ep }),
    ev(tMs, 'endpoint-ready', pod, { node, podIP: ip, detail: ep }),
  ];
}

export function endpoint(tMs: number, kind: LifecycleKind, pod: string, ip: string, node: string, state: { ready: boolean; serving: boolean; terminating: boolean }, svc = 'echo-clusterip'): LifecycleEvent {
  return ev(tMs, kind, pod, { node, podIP: ip, detail: { service: svc, ...state } });
}

export const GONE = { ready: false, serving: false, terminating: true };

export function only(attrs: Attribution[], cause: string): Attribution {
  const found = attrs.filter((a) => a.cause === cause);
  assert.equal(found.length, 1, `one ${cause} window in ${JSON.stringify(attrs.map((a) => [a.cause, a.target, a.lost]))}`);
  return found[0] as Attribution;
}

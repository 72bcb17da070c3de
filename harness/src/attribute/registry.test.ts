// Attribution on the registry path: hand-written timelines in the shapes the provider's and the consumer's
// log lines take (parsed by observe/registrylog.ts and observe/podlog.ts), one per registry cause, and the
// boundaries between them: registered too early vs still cold, stale in the registry vs stale in the
// consumer's cache.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LifecycleEvent, Outcome, RequestRecord } from '../record.ts';
import { parseConsumerLine } from '../observe/registrylog.ts';
import { parseEchoLine } from '../observe/podlog.ts';
import { attribute } from './attribute.ts';

const MS = 1e6;
const T = 'http://172.20.255.201:80/registry';
const clock = { t0EpochNs: 1_767_225_600_000n * 1_000_000n };
const EPOCH = 1_767_225_600_000;
let seq = 0;

/** What the consumer answers: 502/504 naming the provider it tried, or ok from it. */
function rec(tMs: number, provider: string | undefined, outcome: Outcome, status?: number): RequestRecord {
  const r: RequestRecord = {
    seq: seq++, target: T, scheduledAt: tMs * MS, sentAt: tMs * MS, endAt: (tMs + 4) * MS, outcome,
    phase: outcome === 'ok' ? 'none' : 'body', reusedConnection: true, bytesSent: 100, bytesReceived: 50, remoteAddr: '172.20.255.201:80', localPort: 40000,
  };
  if (provider) r.servedBy = provider;
  if (status !== undefined) r.status = status;
  return r;
}

function fails(fromMs: number, toMs: number, provider: string, status = 502, stepMs = 20): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push(rec(t, provider, 'http-5xx', status));
  return out;
}

/** A provider's own line, as the runner gets it from its log. */
function prov(tMs: number, pod: string, event: string, extra: Record<string, unknown> = {}): LifecycleEvent {
  const e = parseEchoLine(JSON.stringify({ event, at: EPOCH + tMs, pod, ...extra }), clock);
  assert.ok(e, `${event} parses`);
  return e;
}

/** A consumer's line. */
function cons(tMs: number, event: string, extra: Record<string, unknown> = {}): LifecycleEvent {
  const e = parseConsumerLine(JSON.stringify({ event, at: EPOCH + tMs, pod: 'consumer-0', ...extra }), clock);
  assert.ok(e, `${event} parses`);
  return e;
}

function list(tMs: number, providers: string[], added: string[], removed: string[], reason = 'watch', pollIntervalMs?: number): LifecycleEvent {
  const refresh = pollIntervalMs === undefined ? { refresh: 'watch' } : { refresh: 'poll', pollIntervalMs };
  return cons(tMs, 'consumer-list', { providers: providers.join(','), added: added.join(','), removed: removed.join(','), reason, revision: 7, ...refresh });
}

/** Two warm providers in the registry and the consumer's list since t=0 (a polling consumer when pollMs is set). */
function steady(pollMs?: number): LifecycleEvent[] {
  return [
    prov(-5000, 'p-a', 'listening', { port: 8080 }), prov(-5000, 'p-a', 'ready'), prov(-4900, 'p-a', 'registered', { reason: 'initial' }),
    prov(-5000, 'p-b', 'listening', { port: 8080 }), prov(-5000, 'p-b', 'ready'), prov(-4900, 'p-b', 'registered', { reason: 'initial' }),
    cons(-4890, 'registry-change', { provider: 'p-a', op: 'put', reason: 'registered', revision: 2 }),
    cons(-4890, 'registry-change', { provider: 'p-b', op: 'put', reason: 'registered', revision: 3 }),
    list(-4880, ['p-a', 'p-b'], ['p-a', 'p-b'], [], 'initial', pollMs),
  ];
}

test('consumer lines parse into registry and list events naming the provider', () => {
  const put = cons(10, 'registry-change', { provider: 'p-x', op: 'put', reason: 'registered', revision: 9 });
  assert.equal(put.kind, 'registry-register');
  assert.equal(put.source, 'registry');
  assert.equal(put.pod, 'p-x');
  assert.equal(put.detail?.consumer, 'consumer-0');
  assert.equal(cons(10, 'registry-change', { provider: 'p-x', op: 'delete', reason: 'expired' }).kind, 'registry-expire');
  assert.equal(cons(10, 'registry-change', { provider: 'p-x', op: 'delete', reason: 'deleted' }).kind, 'registry-deregister');
  const l = list(10, ['a', 'b'], ['b'], []);
  assert.equal(l.kind, 'consumer-list');
  assert.equal(l.pod, 'consumer-0');
  assert.equal(l.detail?.added, 'b');
  const kept = cons(10, 'empty-protection', { kept: 'a,b' });
  assert.equal(kept.detail?.reason, 'empty-protection');
  assert.equal(kept.detail?.providers, 'a,b');
  assert.equal(cons(10, 'registry-disconnected', { code: 'ECONNREFUSED' }).kind, 'registry-disconnected');
  assert.equal(parseConsumerLine('{"event":"registry-change","at":1}', clock), undefined, 'no provider: not an event');
  assert.equal(parseConsumerLine('GET / 200', clock), undefined);
});

test('registered before listening: registry-provider-initialising, with the gap and a delay to set', () => {
  const events = [
    ...steady(),
    prov(1000, 'p-new', 'start'),
    prov(1010, 'p-new', 'registered', { reason: 'initial' }),
    cons(1015, 'registry-change', { provider: 'p-new', op: 'put', reason: 'registered' }),
    list(1020, ['p-a', 'p-b', 'p-new'], ['p-new'], []),
    prov(4000, 'p-new', 'listening', { port: 8080 }),
    prov(6000, 'p-new', 'ready'),
  ];
  const records = [...fails(1100, 3900, 'p-new'), rec(4100, 'p-new', 'ok', 200), rec(2000, 'p-a', 'ok', 200)];
  const a = attribute(records, events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'registry-provider-initialising');
  assert.deepEqual(a[0]!.pods, ['p-new']);
  assert.equal(a[0]!.lost, 141);
  assert.equal(a[0]!.evidence.lagsMs.registeredToListeningMs, 2985, 'from the registry seeing it to the app listening');
  assert.equal(a[0]!.evidence.lagsMs.registeredToReadyMs, 4985);
  assert.match(a[0]!.fix, /registerAfter: ready|registration delay >= 6/);
});

/** Fast answers from the warm providers every `stepMs`: what a cold one is judged against. */
function warmOk(fromMs: number, toMs: number, stepMs = 50): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push(rec(t, t % 100 === 0 ? 'p-a' : 'p-b', 'ok', 200));
  return out;
}

test('a cold provider timing out at full weight is judged from what was observed, not from its WARMUP knob', () => {
  // Its listening line says nothing about a cold period (a real app's would not): the timeouts are
  // judged against the other providers' answers in the same seconds, and by its uptime.
  const events = [
    ...steady(),
    prov(1000, 'p-new', 'listening', { port: 8080 }),
    prov(1000, 'p-new', 'ready'),
    prov(1050, 'p-new', 'registered', { reason: 'initial', warmupMs: 0 }),
    cons(1055, 'registry-change', { provider: 'p-new', op: 'put', reason: 'registered' }),
    list(1060, ['p-a', 'p-b', 'p-new'], ['p-new'], []),
  ];
  const records = [...fails(3000, 9000, 'p-new', 504, 50), rec(9500, 'p-new', 'ok', 200), rec(10_500, 'p-new', 'ok', 200), ...warmOk(2000, 11_000)];
  const a = attribute(records, events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'registry-provider-initialising');
  assert.equal(a[0]!.evidence.lagsMs.uptimeAtFirstFailureMs, 2000);
  assert.equal(a[0]!.evidence.lagsMs.observedColdMs, 9000, 'from listening (1 s) to the end of its last second failing alone (9-10 s)');
  assert.equal(a[0]!.evidence.lagsMs.warmupMs, undefined, 'the knob is not read');
  assert.match(a[0]!.evidence.text, /cold: 99% of its requests failed in its first seconds against 0% for the other providers/);
  assert.match(a[0]!.fix, /warm-up >= 10\.8 s/);
});

test('the same timeouts while every provider times out are not a cold start', () => {
  const events = [...steady(), prov(1000, 'p-new', 'listening', { port: 8080 }), prov(1000, 'p-new', 'ready'), prov(1050, 'p-new', 'registered'), list(1060, ['p-a', 'p-b', 'p-new'], ['p-new'], [])];
  const records = [...fails(3000, 5000, 'p-new', 504, 50), ...fails(3000, 5000, 'p-a', 504, 50), ...fails(3000, 5000, 'p-b', 504, 50)];
  const a = attribute(records, events);
  assert.ok(!a.some((x) => x.cause === 'registry-provider-initialising'), JSON.stringify(a.map((x) => x.cause)));
});

test('after its cold period, a timeout is not blamed on warm-up', () => {
  const events = [...steady(), prov(1000, 'p-new', 'listening', { port: 8080, warmupMs: 5000 }), prov(1000, 'p-new', 'ready'), prov(1050, 'p-new', 'registered'), list(1060, ['p-a', 'p-b', 'p-new'], ['p-new'], [])];
  const a = attribute(fails(8000, 8100, 'p-new', 504), events);
  assert.equal(a[0]!.cause, 'unexplained');
});

test('stopped but left in the registry until its lease expired: registry-stale-after-sigterm', () => {
  const events = [
    ...steady(),
    prov(10_000, 'p-a', 'sigterm', { mode: 'exit', inFlight: 3 }),
    prov(10_002, 'p-a', 'exit', { code: 143 }),
    cons(20_050, 'registry-change', { provider: 'p-a', op: 'delete', reason: 'expired', revision: 12 }),
    list(21_500, ['p-b'], [], ['p-a'], 'poll'),
  ];
  const records = [rec(9000, 'p-a', 'ok', 200), ...fails(10_010, 20_000, 'p-a'), ...fails(20_100, 21_400, 'p-a')];
  const a = attribute(records, events);
  const stale = a.find((w) => w.cause === 'registry-stale-after-sigterm');
  const cache = a.find((w) => w.cause === 'consumer-cache-stale');
  assert.ok(stale, 'the registry kept it');
  assert.ok(cache, 'then the consumer kept it');
  assert.equal(stale.lost, 500);
  assert.equal(stale.evidence.lagsMs.sigtermToRegistryRemovalMs, 10_050);
  assert.equal(stale.evidence.lagsMs.registryRemovalToConsumerDropMs, 1450);
  assert.match(stale.evidence.text, /lease expired 10050 ms after SIGTERM/);
  assert.match(stale.fix, /\/offline/);
  assert.equal(cache.lost, 66);
  assert.equal(cache.evidence.lagsMs.registryRemovalToConsumerDropMs, 1450);
});

test('/offline, then SIGTERM before the consumer polled: consumer-cache-stale with the refresh lag', () => {
  const events = [
    ...steady(),
    prov(10_000, 'p-a', 'deregistered', { reason: 'offline' }),
    cons(10_004, 'registry-change', { provider: 'p-a', op: 'delete', reason: 'deleted', revision: 12 }),
    prov(11_000, 'p-a', 'sigterm', { mode: 'graceful', inFlight: 0 }),
    prov(11_005, 'p-a', 'exit', { code: 0 }),
    list(12_800, ['p-b'], [], ['p-a'], 'poll'),
  ];
  const records = [rec(10_500, 'p-a', 'ok', 200), ...fails(11_020, 12_780, 'p-a')];
  const a = attribute(records, events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'consumer-cache-stale');
  assert.match(a[0]!.evidence.text, /stopped 996 ms after its removal/);
  assert.equal(a[0]!.evidence.lagsMs.registryRemovalToConsumerDropMs, 2796);
  assert.equal(a[0]!.evidence.lagsMs.registryRemovalToSigtermMs, 996);
  assert.match(a[0]!.evidence.text, /dropped on poll/);
  assert.match(a[0]!.fix, /preStop \{offline: 4\}/);
});

test('a polling consumer: the fix covers its poll interval, not only the lag this run happened to see', () => {
  const events = [
    ...steady(3000),
    prov(10_000, 'p-a', 'sigterm', { mode: 'exit' }),
    cons(20_000, 'registry-change', { provider: 'p-a', op: 'delete', reason: 'expired' }),
    list(20_400, ['p-b'], [], ['p-a'], 'poll', 3000),
  ];
  const a = attribute([rec(9000, 'p-a', 'ok', 200), ...fails(10_010, 19_990, 'p-a'), ...fails(20_010, 20_390, 'p-a')], events);
  const stale = a.find((w) => w.cause === 'registry-stale-after-sigterm');
  const cache = a.find((w) => w.cause === 'consumer-cache-stale');
  assert.ok(stale && cache);
  assert.equal(stale.evidence.lagsMs.registryRemovalToConsumerDropMs, 400);
  assert.equal(stale.evidence.lagsMs.consumerPollIntervalMs, 3000);
  assert.match(stale.fix, /wait >= 3.6 s/, 'a 400 ms lag this time, but a poll every 3 s');
  assert.match(cache.fix, /offline: 4\}.*poll interval 3.0 s/);
  assert.match(cache.evidence.text, /stopped 10000 ms before its removal \(its lease expired later\)/);
});

test('a provider that answered ok through the consumer is not judged by endpoints', () => {
  // no endpoint events at all: the Kubernetes causes must not claim registry failures
  const events = [...steady(), prov(5000, 'p-b', 'sigterm', { mode: 'exit' })];
  const a = attribute([rec(4000, 'p-b', 'ok', 200), ...fails(5010, 5100, 'p-b')], events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'registry-stale-after-sigterm');
  assert.match(a[0]!.evidence.text, /no registry removal seen/);
});

test('the consumer with no provider listed answers 503 without a pod: no-ready-endpoints, the list named as the reason', () => {
  const events = [
    ...steady(),
    list(10_000, ['p-b'], [], ['p-a']),
    list(10_500, [], [], ['p-b']),
    list(12_000, ['p-c'], ['p-c'], []),
  ];
  const none = (t: number): RequestRecord => ({ ...rec(t, undefined, 'http-5xx', 503) });
  const records = [rec(9000, 'p-a', 'ok', 200), ...Array.from({ length: 20 }, (_, i) => none(10_520 + i * 70))];
  const a = attribute(records, events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'no-ready-endpoints');
  assert.equal(a[0]!.evidence.lagsMs.consumerListEmptyMs, 1500);
  assert.match(a[0]!.evidence.text, /provider list was empty for 1500 ms/);
});

test('a failure on the registry path that names no provider is never given a Kubernetes cause by accident', () => {
  // the consumer's LoadBalancer announced from a node without the consumer pod: the LB rule would fit a
  // client timeout there, but the consumer's own failures are not the LB's
  const svc = { service: 'consumer-registry', ready: true, serving: true, terminating: false };
  const events = [
    ...steady(),
    { at: 0, source: 'lb', kind: 'lb-announce', node: 'n1', detail: { service: 'consumer-registry' } } as LifecycleEvent,
    { at: 1, source: 'watch', kind: 'endpoint-ready', pod: 'consumer-0', node: 'n2', detail: svc } as LifecycleEvent,
  ];
  const timeouts = Array.from({ length: 5 }, (_, i) => ({ ...rec(5000 + i * 10, undefined, 'timeout'), phase: 'headers' as const }));
  const a = attribute([rec(4000, 'p-a', 'ok', 200), ...timeouts], events);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.cause, 'unexplained');
});

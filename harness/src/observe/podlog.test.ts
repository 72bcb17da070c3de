import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LifecycleEvent, lifecycleEvent, type LifecycleKind, type RunClock, type Scalar } from '../record.ts';
import { parseIngressLine } from './ingresslog.ts';
import { derivePreStop, parseEchoLine } from './podlog.ts';

const T0_MS = Date.parse('2026-11-23T01:00:00Z');
const clock: RunClock = { t0EpochNs: BigInt(T0_MS) * 1_000_000n };

test('echo lines become pod-log events on the run clock, extras in detail', () => {
  const e = parseEchoLine(`{"event":"sigterm","at":${T0_MS + 2500},"pod":"echo-1","inFlight":3,"mode":"drain:5"}`, clock);
  assert.ok(Math.abs((e?.at ?? 0) - 2500 * 1e6) < 1000);
  assert.deepEqual({ ...e, at: 0 }, { at: 0, source: 'pod-log', kind: 'sigterm', pod: 'echo-1', detail: { inFlight: 3, mode: 'drain:5' } });
  const kinds = ['start', 'listening', 'ready', 'last-request', 'exit'].map((ev) => parseEchoLine(JSON.stringify({ event: ev, at: T0_MS }), clock, 'echo-2'));
  assert.deepEqual(kinds.map((k) => [k?.kind, k?.pod]), [
    ['process-start', 'echo-2'],
    ['listening', 'echo-2'],
    ['ready', 'echo-2'],
    ['last-request', 'echo-2'],
    ['exit', 'echo-2'],
  ]);
});

test('anything else in the log is not an event', () => {
  for (const line of ['', 'GET / 200', '{"event":"sigterm"}', '{"event":"reboot","at":1}', '{"at":"soon","event":"exit"}', '{bad json', 'null']) {
    assert.equal(parseEchoLine(line, clock), undefined, line);
  }
});

test('preStop spans from pod-deleting (watch) to the sigterm line, only for pods with a hook', () => {
  const ev = (at: number, kind: LifecycleKind, pod: string, detail?: Record<string, Scalar>): LifecycleEvent => lifecycleEvent({ at, kind, pod, source: kind === 'sigterm' ? 'pod-log' : 'watch', ...(detail ? { detail } : {}) });
  const out = derivePreStop([
    ev(5e9, 'sigterm', 'a'),
    ev(0, 'pod-deleting', 'a', { preStopSeconds: 5 }),
    ev(1e9, 'pod-deleting', 'b'), // no hook
    ev(1.5e9, 'sigterm', 'b'),
    ev(2e9, 'pod-deleting', 'c', { preStopSeconds: 10 }), // killed before SIGTERM: no end
  ]);
  assert.deepEqual(out.map((e) => [e.kind, e.pod, e.at]), [
    ['prestop-start', 'a', 0],
    ['prestop-end', 'a', 5e9],
    ['prestop-start', 'c', 2e9],
  ]);
  assert.equal(out[1]?.detail?.ms, 5000);
});

test('NGINX ingress reloads from the controller (glog and JSON) and from the nginx master', () => {
  const recv = 9e9;
  const g = parseIngressLine('I20261123 01:00:03.250000   1 manager.go:321] Reloading nginx with configVersion: 7', 'nginx', recv, clock, 'nic-0');
  // epochMsToRunNs works in doubles: epoch ns lose up to ~256 ns, far below what is measured here.
  assert.ok(Math.abs((g?.at ?? 0) - 3250 * 1e6) < 1000);
  assert.deepEqual({ ...g, at: 0 }, { at: 0, source: 'ingress', kind: 'ingress-reload', pod: 'nic-0', detail: { controller: 'nginx', configVersion: 7, line: 'controller' } });
  // NIC 1.12 (the lab's): month and day only, year taken from the receive time.
  const short = parseIngressLine('I1123 01:00:03.250000       1 manager.go:292] Reloading nginx with configVersion: 7', 'nginx', recv, clock);
  assert.ok(Math.abs((short?.at ?? 0) - 3250 * 1e6) < 1000, String(short?.at));
  const newYear = parseIngressLine('I1231 23:59:59.000000       1 manager.go:292] Reloading nginx with configVersion: 9', 'nginx', recv, { t0EpochNs: BigInt(Date.parse('2027-01-01T00:00:00Z')) * 1_000_000n });
  assert.ok(Math.abs((newYear?.at ?? 0) - -1000 * 1e6) < 1000, 'a line from just before New Year keeps its year');
  const j = parseIngressLine('{"time":"2026-11-23T01:00:04.5Z","level":"DEBUG","msg":"Reloading nginx with configVersion: 8"}', 'nginx', recv, clock);
  assert.ok(Math.abs((j?.at ?? 0) - 4500 * 1e6) < 1000);
  const m = parseIngressLine('2026/11/23 01:00:05 [notice] 14#14: signal 1 (SIGHUP) received from 31, reconfiguring', 'nginx', recv, clock);
  assert.equal(m?.kind, 'ingress-reload');
  assert.equal(m?.at, recv, 'whole-second nginx lines keep the receive time');
  for (const other of ['I20261123 01:00:03.250000   1 main.go:1] Starting NGINX Ingress Controller', '2026/11/23 01:00:05 [notice] 14#14: start worker processes', '10.244.1.1 - - "GET / HTTP/1.1" 502']) {
    assert.equal(parseIngressLine(other, 'nginx', recv, clock), undefined, other);
  }
});

test('Traefik configuration swaps from the kubernetes provider', () => {
  const t = parseIngressLine('2026-11-23T01:00:05Z DBG github.com/traefik/traefik/v3/pkg/server/configurationwatcher.go:227 > Configuration received config={"http":{}} providerName=kubernetes', 'traefik', 7e9, clock);
  assert.equal(t?.kind, 'ingress-upstreams');
  assert.equal(t?.at, 7e9);
  const j = parseIngressLine('{"level":"debug","providerName":"kubernetes","message":"Configuration received","time":"2026-11-23T01:00:05Z"}', 'traefik', 7e9, clock);
  assert.equal(j?.kind, 'ingress-upstreams');
  assert.equal(parseIngressLine('{"level":"debug","providerName":"internal","message":"Configuration received"}', 'traefik', 7e9, clock), undefined);
  assert.equal(parseIngressLine('Reloading nginx with configVersion: 3', 'traefik', 7e9, clock), undefined);
});

test("Traefik's Gateway provider swaps are traefik-gateway's, not the Ingress provider's (and the other way round)", () => {
  const gw = '2026-12-03T08:00:05Z DBG github.com/traefik/traefik/v3/pkg/server/configurationwatcher.go:227 > Configuration received config={"http":{}} providerName=kubernetesgateway';
  const ing = '2026-12-03T08:00:05Z DBG github.com/traefik/traefik/v3/pkg/server/configurationwatcher.go:227 > Configuration received config={"http":{}} providerName=kubernetes';
  const g = parseIngressLine(gw, 'traefik-gateway', 7e9, clock, 'traefik-0');
  assert.deepEqual(g, { at: 7e9, source: 'ingress', kind: 'ingress-upstreams', pod: 'traefik-0', detail: { controller: 'traefik-gateway', provider: 'kubernetesgateway' } });
  assert.equal(parseIngressLine(gw, 'traefik', 7e9, clock), undefined, 'a Gateway route change is not an Ingress route change');
  assert.equal(parseIngressLine(ing, 'traefik-gateway', 7e9, clock), undefined, 'an Ingress route change is not a Gateway route change');
  const j = parseIngressLine('{"level":"debug","providerName":"kubernetesgateway","message":"Configuration received"}', 'traefik-gateway', 7e9, clock);
  assert.equal(j?.detail?.controller, 'traefik-gateway');
  assert.equal(parseIngressLine('{"level":"debug","message":"Configuration received"}', 'traefik-gateway', 7e9, clock), undefined, 'no provider named: not known to be the Gateway\'s');
});

test('ingress-nginx: a dynamic endpoint update and a reload, each at its glog time', () => {
  const recv = 10e9;
  const dyn = parseIngressLine('I1123 01:00:03.250000       7 controller.go:239] Dynamic reconfiguration succeeded.', 'ingress-nginx', recv, clock, 'inx-0');
  assert.deepEqual({ ...dyn, at: 0 }, { at: 0, source: 'ingress', kind: 'ingress-upstreams', pod: 'inx-0', detail: { controller: 'ingress-nginx', line: 'dynamic' } });
  const rel = parseIngressLine('I1123 01:00:04.500000       7 controller.go:213] "Backend successfully reloaded"', 'ingress-nginx', recv, clock);
  assert.equal(rel?.kind, 'ingress-reload');
  assert.equal(rel?.detail?.line, 'reload');
  assert.equal(Math.round(((rel?.at ?? 0) - (dyn?.at ?? 0)) / 1e6), 1250, 'the lines\' own times, 1.25 s apart (doubles: within a microsecond)');
  for (const other of [
    'I1123 01:00:03.250000       7 controller.go:193] "Configuration changes detected, backend reload required"',
    '2026/11/23 01:00:05 [notice] 14#14: signal 1 (SIGHUP) received from 31, reconfiguring',
    'I1123 01:00:03.250000       7 manager.go:292] Reloading nginx with configVersion: 7',
  ]) assert.equal(parseIngressLine(other, 'ingress-nginx', recv, clock), undefined, other);
});

// Item 6 of issue 10: each cause's fix names the lever that removes that mechanism, with this run's
// figures: a reload cut counts this path's reloads during the rollout and says when; a pod-side in-flight
// cut gives drain seconds from the measured SIGTERM-to-cut and last-request times; stale endpoints give a
// preStop from the measured propagation lag.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute } from './attribute.ts';
import { burst, endpoint, ev, GONE, MS, only, readyPod, rec } from '../../test/attribution.ts';

const LB = '172.18.255.200:80';

test('an in-flight cut by a stopping pod: drain seconds from the measured SIGTERM-to-cut and last-request times', () => {
  const events = [
    ...readyPod('k1', '10.244.1.8', 'w1', 0),
    ...readyPod('k2', '10.244.2.8', 'w2', 0),
    ev(40_000, 'pod-deleting', 'k1', { node: 'w1' }),
    ev(40_010, 'sigterm', 'k1'),
    endpoint(40_500, 'endpoint-not-ready', 'k1', '10.244.1.8', 'w1', GONE),
    ev(40_600, 'last-request', 'k1'),
    ev(41_000, 'exit', 'k1'),
  ];
  const records = [
    ...burst('lb', 39_000, 39_990, 'ok', { servedBy: 'k1', remoteAddr: LB, localPort: 40001, reusedConnection: true }, 10),
    ...burst('lb', 39_000, 41_500, 'ok', { servedBy: 'k2', remoteAddr: LB, localPort: 40002, reusedConnection: true }, 10),
    rec('lb', 40_183, 'reset-before-response', { remoteAddr: LB, localPort: 40001, reusedConnection: true, phase: 'headers', endAt: 41_000 * MS }),
  ];
  const a = only(attribute(records, events), 'persistent-connection-cut');
  assert.equal(a.evidence.lagsMs.sigtermToCutMs, 990);
  assert.equal(a.evidence.lagsMs.sigtermToLastRequestMs, 590);
  // 990 ms + max(500 ms, 20 %) -> 1.5 s
  assert.match(a.fix, /drain >= 1\.5 s after SIGTERM \(ON_SIGTERM=drain:2\)/);
  assert.match(a.fix, /cut a request 1\.0 s after SIGTERM/);
});

test('keep-alive cuts around ingress reloads: the fix counts this path\'s reloads during the rollout and says when, with the lever that avoids them', () => {
  const events = [
    ...readyPod('k1', '10.244.1.8', 'w1', 0, 'echo-ingress'),
    ev(44_000, 'rollout-start', undefined, { source: 'runner' }),
    ev(45_000, 'ingress-reload', undefined, { detail: { controller: 'nginx' } }),
    ev(47_500, 'ingress-reload', undefined, { detail: { controller: 'nginx' } }),
    ev(48_000, 'ingress-upstreams', undefined, { detail: { controller: 'traefik' } }),
    ev(50_000, 'rollout-end', undefined, { source: 'runner' }),
  ];
  const ing = { remoteAddr: '127.0.0.1:18080', reusedConnection: true };
  const records = [
    ...burst('nginx', 44_000, 44_990, 'ok', { servedBy: 'k1', ...ing, localPort: 5000 }, 10),
    rec('nginx', 45_010, 'stale-keepalive', { ...ing, localPort: 5000 }),
    rec('nginx', 47_520, 'stale-keepalive', { ...ing, localPort: 5001 }),
  ];
  const paths = { nginx: { via: 'ingress' as const, service: 'echo-ingress', controller: 'nginx' } };
  const cuts = attribute(records, events, { paths }).filter((a) => a.cause === 'persistent-connection-cut');
  assert.equal(cuts.length, 2);
  for (const a of cuts) {
    assert.equal(a.evidence.lagsMs.reloadsDuringRollout, 2);
    assert.match(a.fix, /nginx reloaded 2 times during the rollout \(at 1\.0 s, 3\.5 s after its start\)/);
    assert.match(a.fix, /nginx\.org\/use-cluster-ip/);
    // the controller's behaviour is named: a reloading controller, and the ones that are not
    assert.match(a.fix, /NGINX Inc's kubernetes-ingress rewrites its config and reloads nginx on every endpoint change; ingress-nginx and Traefik update upstreams without one/);
    assert.match(a.fix, /retry/);
    assert.doesNotMatch(a.fix, /SIGTERM/);
  }
});

test('a cut around the controller\'s catch-up reload just after rollout-end counts that rollout\'s reloads, not the controller\'s whole log (lab: "226 times during the run (at -1964.8 s, ...)")', () => {
  // in the shape of results/20261203-090601-fortio-rolling-update: the controller's log from before the run
  // (negative times), the reloads when the run's Ingress was created, a rollout 17.8-29.4 s, and a cut
  // window 29.0-30.1 s whose reload came at 30.0 s, after rollout-end
  const nginx = (tMs: number) => ev(tMs, 'ingress-reload', undefined, { detail: { controller: 'nginx' } });
  const events = [
    ...readyPod('k1', '10.244.1.8', 'w1', 0, 'echo-ingress'),
    nginx(-1_964_800), nginx(-1_964_300), nginx(-1_901_100),
    nginx(2_400), nginx(2_700), nginx(4_400),
    ev(17_800, 'rollout-start', undefined, { source: 'runner' }),
    nginx(20_900), nginx(24_600), nginx(28_800),
    ev(29_400, 'rollout-end', undefined, { source: 'runner' }),
    nginx(30_000),
    nginx(45_000), // after the window: not this window's
  ];
  const ing = { remoteAddr: '127.0.0.1:18080', reusedConnection: true };
  const records = [
    ...burst('nginx', 17_000, 28_990, 'ok', { servedBy: 'k1', ...ing, localPort: 5000 }, 10),
    // held 890 ms, then cut: its reload is the catch-up one at 30.0 s
    rec('nginx', 29_010, 'reset-before-response', { ...ing, localPort: 5000, endAt: 29_900 * MS }),
    rec('nginx', 29_600, 'stale-keepalive', { ...ing, localPort: 5001 }),
  ];
  const paths = { nginx: { via: 'ingress' as const, service: 'echo-ingress', controller: 'nginx' } };
  const a = only(attribute(records, events, { paths }), 'persistent-connection-cut');
  assert.equal(a.evidence.lagsMs.reloadsDuringRollout, 4, a.fix);
  assert.match(a.fix, /nginx reloaded 4 times during the rollout \(at 3\.1 s, 6\.8 s, 11\.0 s, 12\.2 s after its start\)/);
  assert.doesNotMatch(a.fix, /-\d/);
});

test('stale upstreams name the controller on the path: ingress-nginx updates its Lua balancer without a reload, its ClusterIP switch is service-upstream', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0, 'echo-ingress'),
    ...readyPod('new-1', '10.244.2.9', 'w2', 5_000, 'echo-ingress'),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_010, 'sigterm', 'old-1'),
    endpoint(10_300, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE, 'echo-ingress'),
    ev(12_900, 'ingress-upstreams', undefined, { detail: { controller: 'ingress-nginx', line: 'dynamic' } }),
  ];
  const records = [...burst('inx', 10_400, 12_800, 'http-5xx'), ...burst('inx', 13_000, 13_500, 'ok', { servedBy: 'new-1' })];
  const paths = { inx: { via: 'ingress' as const, service: 'echo-ingress', controller: 'ingress-nginx' } };
  const stale = only(attribute(records, events, { paths }), 'ingress-upstream-stale');
  assert.match(stale.fix, /nginx\.ingress\.kubernetes\.io\/service-upstream: "true"/);
  assert.match(stale.fix, /ingress-nginx updates the endpoints inside nginx \(a POST to its Lua balancer/);
  assert.doesNotMatch(stale.fix, /nginx\.org\/use-cluster-ip/);
});

test('routed after SIGTERM: preStop from the measured propagation lag plus margin', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ...readyPod('old-2', '10.244.2.5', 'w2', 0),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_050, 'sigterm', 'old-1'),
    endpoint(12_760, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE),
  ];
  const a = only(attribute(burst('clusterip', 10_100, 12_700, 'connect-refused'), events), 'routed-after-sigterm');
  assert.match(a.fix, /^preStop sleep >= 3\.4 s/);
  assert.match(a.fix, /routing stopped reaching the pod 2\.8 s after its deletion/);
});

// Attribution on hand-written timelines: one per cause, overlapping causes, clock skew between the
// watch stream and pod log lines, and the failures nothing explains.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attribution, LifecycleEvent, RequestRecord } from '../record.ts';
import { burst, endpoint, ev, GONE, MS, only, readyPod, rec } from '../../test/attribution.ts';
import { attribute, attributeStream, attributeWithSkew } from './attribute.ts';
import { summarizeAttributions } from './summary.ts';


test('routed after SIGTERM while still in endpoints: lag from SIGTERM to removal, preStop fix from it', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ...readyPod('old-2', '10.244.2.5', 'w2', 0),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { hasReadinessProbe: true, gracePeriodSeconds: 30 } }),
    ev(10_050, 'sigterm', 'old-1'),
    endpoint(12_760, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE),
    ev(12_800, 'exit', 'old-1'),
  ];
  const records = [...burst('clusterip', 9_000, 9_980, 'ok', { servedBy: 'old-2' }), ...burst('clusterip', 10_100, 12_700, 'connect-refused'), ...burst('clusterip', 13_000, 14_000, 'ok', { servedBy: 'old-2' })];
  const attrs = attribute(records, events);
  assert.equal(attrs.length, 1);
  const a = only(attrs, 'routed-after-sigterm');
  assert.deepEqual(a.pods, ['old-1']);
  assert.equal(a.lost, 131);
  assert.equal(a.byOutcome['connect-refused'], 131);
  assert.equal(a.evidence.lagsMs.sigtermToEndpointRemovedMs, 2710);
  assert.equal(a.evidence.lagsMs.deletionToSigtermMs, 50);
  assert.match(a.evidence.text, /endpoint removal came 2710 ms after SIGTERM/);
  // reach 2760 ms after deletion + max(500 ms, 20%) = 3312 ms -> 3.4 s
  assert.match(a.fix, /^preStop sleep >= 3\.4 s/);
  assert.deepEqual(a.evidence.events.map((e) => e.kind), ['pod-deleting', 'sigterm', 'endpoint-not-ready']);
  assert.equal(a.start, 10_100 * MS);
});

test('ingress upstream stale: 502s after endpoint removal until the ingress reload; before removal it is routed-after-sigterm', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0, 'echo-ingress'),
    ...readyPod('new-1', '10.244.2.9', 'w2', 5_000, 'echo-ingress'),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_010, 'sigterm', 'old-1'),
    endpoint(10_300, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE, 'echo-ingress'),
    ev(10_650, 'ingress-reload', undefined, { detail: { controller: 'nginx' } }),
  ];
  const records = [...burst('ingress', 10_100, 10_280, 'http-5xx'), ...burst('ingress', 10_300, 10_640, 'http-5xx'), ...burst('ingress', 10_700, 11_000, 'ok', { servedBy: 'new-1' })];
  const attrs = attribute(records, events);
  assert.deepEqual(attrs.map((a) => [a.cause, a.lost]), [['routed-after-sigterm', 10], ['ingress-upstream-stale', 18]]);
  const stale = only(attrs, 'ingress-upstream-stale');
  assert.equal(stale.evidence.lagsMs.endpointRemovedToIngressReloadMs, 350);
  assert.equal(stale.evidence.lagsMs.sigtermToEndpointRemovedMs, 290);
  assert.match(stale.fix, /nginx\.org\/use-cluster-ip/);
  assert.match(stale.fix, /preStop sleep >= 1\.2 s/); // reload 650 ms after deletion + 500 ms
  const early = only(attrs, 'routed-after-sigterm');
  assert.match(early.fix, /through the ingress/);
});

test('routed before ready: in endpoints without a readiness probe before the app listened', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ev(19_000, 'pod-created', 'new-1', { node: 'w2', podIP: '10.244.2.9', detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } }),
    ev(19_900, 'process-start', 'new-1'),
    ev(20_000, 'pod-ready', 'new-1', { node: 'w2', podIP: '10.244.2.9' }),
    endpoint(20_100, 'endpoint-ready', 'new-1', '10.244.2.9', 'w2', { ready: true, serving: true, terminating: false }),
    ev(21_500, 'listening', 'new-1'),
    ev(21_500, 'ready', 'new-1'),
  ];
  const records = [...burst('clusterip', 20_150, 21_450, 'connect-refused'), ...burst('clusterip', 21_600, 22_000, 'ok', { servedBy: 'new-1' })];
  const a = only(attribute(records, events), 'routed-before-ready');
  assert.deepEqual(a.pods, ['new-1']);
  assert.equal(a.evidence.lagsMs.endpointReadyToAppReadyMs, 1400);
  assert.match(a.evidence.text, /no readiness probe/);
  assert.match(a.fix, /add a readinessProbe/);
});

test('a pod that answers 5xx itself before its ready line is routed-before-ready too', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ev(20_000, 'pod-created', 'new-1', { detail: { hasReadinessProbe: true } }),
    endpoint(20_100, 'endpoint-ready', 'new-1', '10.244.2.9', 'w2', { ready: true, serving: true, terminating: false }),
    ev(20_050, 'listening', 'new-1'),
    ev(20_900, 'ready', 'new-1'),
  ];
  const records = burst('clusterip', 20_200, 20_800, 'http-5xx', { servedBy: 'new-1', status: 503 });
  const a = only(attribute(records, events), 'routed-before-ready');
  assert.match(a.fix, /readiness probe check the app's real readiness/);
});

test('SIGKILL with requests in flight: grace period shorter than preStop', () => {
  const events = [
    ...readyPod('p', '10.244.1.7', 'w1', 0),
    ...readyPod('q', '10.244.2.7', 'w2', 0),
    ev(30_000, 'pod-deleting', 'p', { node: 'w1', detail: { hasReadinessProbe: true, gracePeriodSeconds: 5, preStopSeconds: 10 } }),
    endpoint(30_050, 'endpoint-not-ready', 'p', '10.244.1.7', 'w1', { ready: false, serving: true, terminating: true }),
    ev(35_300, 'pod-killed', 'p', { node: 'w1', apiAt: 35_000 * MS, detail: { exitCode: 137 } }),
  ];
  const records = burst('clusterip', 34_000, 34_900, 'reset-during-body', { endAt: 35_100 * MS, servedBy: 'p' }, 100);
  const a = only(attribute(records, events), 'sigkill-in-flight');
  assert.equal(a.lost, 10);
  assert.deepEqual(a.pods, ['p']);
  assert.equal(a.evidence.lagsMs.deletionToKillMs, 5000);
  assert.match(a.evidence.text, /grace period 5 s, preStop 10 s/);
  assert.match(a.fix, /terminationGracePeriodSeconds >= 40 s/);
});

test('a reused socket cut by an ingress reload, with no pod going away', () => {
  const events = [...readyPod('k1', '10.244.1.8', 'w1', 0), ev(45_000, 'ingress-reload', undefined, { detail: { controller: 'nginx' } })];
  const records = [
    ...burst('ingress', 44_000, 44_990, 'ok', { servedBy: 'k1', remoteAddr: '127.0.0.1:18080', localPort: 5000, reusedConnection: true }, 10),
    rec('ingress', 45_200, 'stale-keepalive', { remoteAddr: '127.0.0.1:18080', localPort: 5000, reusedConnection: true }),
  ];
  const a = only(attribute(records, events), 'persistent-connection-cut');
  assert.deepEqual(a.pods, []);
  assert.equal(a.evidence.lagsMs.reloadToCutMs, 200);
});

test('no ready endpoints: one replica and maxUnavailable 1', () => {
  const events = [
    ...readyPod('s1', '10.244.1.9', 'w1', 0),
    ev(49_990, 'pod-deleting', 's1', { node: 'w1' }),
    ev(49_995, 'sigterm', 's1'),
    endpoint(50_000, 'endpoint-not-ready', 's1', '10.244.1.9', 'w1', GONE),
    endpoint(50_400, 'endpoint-removed', 's1', '10.244.1.9', 'w1', GONE),
    ...readyPod('s2', '10.244.2.9', 'w2', 53_000),
  ];
  const records = [...burst('clusterip', 50_100, 52_900, 'connect-refused'), ...burst('clusterip', 53_100, 53_500, 'ok', { servedBy: 's2' })];
  const attrs = attribute(records, events);
  const a = only(attrs, 'no-ready-endpoints');
  assert.equal(a.lost, 141);
  assert.equal(a.evidence.lagsMs.noReadyEndpointMs, 3000);
  assert.match(a.fix, /maxUnavailable: 0 with maxSurge: 1/);
  assert.match(a.evidence.text, /also fits routed-after-sigterm/, 'the other fit is named, not hidden');
  assert.equal(attrs.length, 1);
});

test('LB with externalTrafficPolicy Local: the announcing node lost its last local endpoint', () => {
  const svc = 'echo-lb';
  const events = [
    ev(0, 'lb-announce', undefined, { node: 'w1', detail: { service: svc, initial: true } }),
    ...readyPod('a', '10.244.1.3', 'w1', 0, svc),
    ...readyPod('b', '10.244.2.3', 'w2', 0, svc),
    ev(60_000, 'pod-deleting', 'a', { node: 'w1', detail: { preStopSeconds: 5, gracePeriodSeconds: 30 } }),
    endpoint(60_010, 'endpoint-terminating', 'a', '10.244.1.3', 'w1', { ready: false, serving: true, terminating: true }, svc),
    endpoint(60_010, 'endpoint-not-ready', 'a', '10.244.1.3', 'w1', { ready: false, serving: true, terminating: true }, svc),
    ...readyPod('c', '10.244.2.4', 'w2', 61_000, svc),
    ev(65_000, 'sigterm', 'a'),
    endpoint(65_010, 'endpoint-removed', 'a', '10.244.1.3', 'w1', GONE, svc),
    ev(67_000, 'lb-announce', undefined, { node: 'w2', detail: { service: svc } }),
  ];
  const records = [...burst('lb', 64_000, 64_990, 'ok', { servedBy: 'a' }), ...burst('lb', 65_100, 66_900, 'connect-timeout', { endAt: 0 }), ...burst('lb', 67_100, 67_500, 'ok', { servedBy: 'c' })];
  for (const r of records) if (r.outcome === 'connect-timeout') r.endAt = r.sentAt + 1000 * MS;
  const a = only(attribute(records, events), 'lb-no-local-endpoint');
  assert.equal(a.lost, 91);
  assert.deepEqual(a.pods, ['a']);
  assert.equal(a.evidence.lagsMs.localEndpointsGoneToAnnounceMs, 1990);
  assert.match(a.evidence.text, /pointed at node w1/);
  assert.match(a.fix, /externalTrafficPolicy: Cluster/);
});

test('cloud LB, Local: it still sent to a node whose last local endpoint left, until its health check marked the node down', () => {
  const svc = 'echo-lb';
  const lb = (tMs: number, kind: 'lb-config' | 'lb-backend-up' | 'lb-backend-down', node?: string): LifecycleEvent => {
    const e: LifecycleEvent = { at: tMs * MS, source: 'lb', kind, object: `Service/${svc}` };
    if (node) e.node = node;
    e.detail = kind === 'lb-config' ? { backends: 'w1,w2', intervalMs: 3000, unhealthyThreshold: 3, healthyThreshold: 1, healthPort: 31000 } : { reason: 'Layer7 wrong status, code: 503' };
    return e;
  };
  const events = [
    lb(0, 'lb-config'),
    ...readyPod('a', '10.244.1.3', 'w1', 0, svc),
    lb(2000, 'lb-backend-down', 'w2'), // no local pod on w2 at first
    ...readyPod('c', '10.244.2.4', 'w2', 59_000, svc),
    lb(60_000, 'lb-backend-up', 'w2'),
    ev(60_500, 'pod-deleting', 'a', { node: 'w1', detail: { preStopSeconds: 5, gracePeriodSeconds: 30 } }),
    endpoint(60_510, 'endpoint-terminating', 'a', '10.244.1.3', 'w1', { ready: false, serving: true, terminating: true }, svc),
    ev(65_500, 'sigterm', 'a'),
    endpoint(65_600, 'endpoint-removed', 'a', '10.244.1.3', 'w1', GONE, svc),
    lb(68_400, 'lb-backend-down', 'w1'),
  ];
  // requests sent just before the endpoint left hang too (kube-proxy drops the LB's retries to w1)
  const records = [...burst('lb', 65_000, 65_400, 'ok', { servedBy: 'a' }), ...burst('lb', 65_560, 68_300, 'timeout', {}, 100), ...burst('lb', 68_500, 69_000, 'ok', { servedBy: 'c' })];
  for (const r of records) if (r.outcome === 'timeout') r.endAt = r.sentAt + 5000 * MS;
  const a = only(attribute(records, events), 'lb-health-check-lag');
  assert.equal(a.lost, 28);
  assert.deepEqual(a.pods, ['a']);
  assert.equal(a.evidence.lagsMs.readyLocalEndpointGoneToLbDownMs, 7890);
  assert.equal(a.evidence.lagsMs.noLocalEndpointToLbDownMs, 2800);
  assert.equal(a.evidence.lagsMs.healthCheckBoundMs, 9000);
  assert.match(a.evidence.text, /still sent to node w1/);
  assert.match(a.fix, /externalTrafficPolicy: Cluster; or keep Local with preStop sleep >= 10\.8 s/);
  // once the LB marked w1 down, a failure is not its lag
  const late = attribute([rec('lb', 70_000, 'timeout', { endAt: 75_000 * MS })], events);
  assert.ok(late.every((x) => x.cause !== 'lb-health-check-lag'));
});

test('cloud LB with no drain: reused connections cut when it marks a node down are its cut; with a drain they are not', () => {
  const cfg = (drainMs: number): LifecycleEvent => ({ at: 0, source: 'lb', kind: 'lb-config', object: 'Service/echo-lb', detail: { backends: 'w1,w2', intervalMs: 1000, unhealthyThreshold: 2, drainMs, change: 'create' } });
  const down: LifecycleEvent = { at: 30_000 * MS, source: 'lb', kind: 'lb-backend-down', object: 'Service/echo-lb', node: 'w1', detail: { reason: 'Layer7 wrong status, code: 503' } };
  const base = [...readyPod('a', '10.244.1.3', 'w1', 0, 'echo-lb'), ...readyPod('b', '10.244.2.3', 'w2', 0, 'echo-lb'), down];
  const records = [...burst('lb', 29_000, 29_900, 'ok', { servedBy: 'a', reusedConnection: true }, 100), ...burst('lb', 29_990, 30_050, 'reset-during-body', { reusedConnection: true }, 20)];
  const a = only(attribute(records, [cfg(0), ...base]), 'lb-connection-cut');
  assert.equal(a.lost, 4);
  assert.match(a.evidence.text, /marked node w1 down with no drain/);
  assert.match(a.fix, /drain/);
  assert.ok(attribute(records, [cfg(300_000), ...base]).every((x) => x.cause !== 'lb-connection-cut'));
});

test('overlapping causes on one target stay separate windows: in-flight requests killed while a new pod is not yet listening', () => {
  const events = [
    ...readyPod('old', '10.244.1.5', 'w1', 0),
    ev(70_000, 'pod-deleting', 'old', { node: 'w1', detail: { gracePeriodSeconds: 2, preStopSeconds: 0 } }),
    endpoint(70_020, 'endpoint-not-ready', 'old', '10.244.1.5', 'w1', { ready: false, serving: true, terminating: true }),
    ev(70_030, 'sigterm', 'old', { detail: { mode: 'drain:10' } }),
    ev(70_100, 'pod-created', 'new', { node: 'w2', podIP: '10.244.2.5', detail: { hasReadinessProbe: false } }),
    endpoint(71_000, 'endpoint-ready', 'new', '10.244.2.5', 'w2', { ready: true, serving: true, terminating: false }),
    ev(72_100, 'pod-killed', 'old', { node: 'w1', apiAt: 72_000 * MS, detail: { exitCode: 137 } }),
    ev(72_500, 'listening', 'new'),
  ];
  // The old pod drains: it keeps answering after SIGTERM until the kill.
  const draining = burst('clusterip', 70_100, 71_400, 'ok', { servedBy: 'old' }, 10);
  const killed = burst('clusterip', 71_500, 71_990, 'reset-during-body', { servedBy: 'old', endAt: 72_050 * MS }, 10);
  const refused = burst('clusterip', 71_500, 71_980, 'connect-refused', {}, 10);
  const attrs = attribute([...draining, ...killed, ...refused], events);
  const kill = only(attrs, 'sigkill-in-flight');
  const early = only(attrs, 'routed-before-ready');
  assert.equal(kill.lost, killed.length);
  assert.equal(early.lost, refused.length);
  assert.deepEqual([kill.pods, early.pods], [['old'], ['new']]);
  assert.ok(kill.start < early.end && early.start < kill.end, 'the windows overlap in time');
});

test('failures nothing explains are unexplained, never forced; dropped requests join the window they belong to', () => {
  const events = readyPod('p', '10.244.1.5', 'w1', 0);
  const lone = burst('clusterip', 80_000, 80_200, 'connect-refused');
  const droppedInside = burst('clusterip', 80_050, 80_150, 'dropped', { phase: 'none' }, 50);
  const droppedAlone = burst('other', 90_000, 90_100, 'dropped', { phase: 'none' }, 50);
  const attrs = attribute([...lone, ...droppedInside, ...droppedAlone], events);
  assert.equal(attrs.length, 2);
  const [a, b] = attrs as [Attribution, Attribution];
  assert.equal(a.cause, 'unexplained');
  assert.equal(a.lost, lone.length + droppedInside.length);
  assert.equal(a.byOutcome.dropped, droppedInside.length);
  assert.match(a.evidence.text, /match no mechanism on the timeline/);
  assert.equal(b.cause, 'unexplained');
  assert.equal(b.target, 'other');
  assert.match(b.evidence.text, /dropped \(never sent/);
});

test('a 5xx the pod itself sent while healthy is not blamed on the rollout', () => {
  const events = [...readyPod('p', '10.244.1.5', 'w1', 0), ev(10_000, 'pod-deleting', 'other', {}), ev(10_005, 'sigterm', 'other')];
  const attrs = attribute(burst('clusterip', 10_100, 10_200, 'http-5xx', { servedBy: 'p', status: 503 }), events);
  assert.deepEqual(attrs.map((a) => a.cause), ['unexplained']);
});

test('clock skew: pod-log times of a node measured 3 s ahead are moved back before they are compared', () => {
  const skewed = (offsetMs: number) => [
    ...readyPod('x', '10.244.1.5', 'w1', 0),
    ...readyPod('y', '10.244.2.5', 'w2', 0),
    ev(90_000, 'pod-deleting', 'x', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(90_060 + offsetMs, 'sigterm', 'x'),
    ev(90_100 + offsetMs, 'exit', 'x'),
    ev(90_300, 'pod-terminated', 'x', { node: 'w1', detail: { exitCode: 0 } }),
    endpoint(92_500, 'endpoint-not-ready', 'x', '10.244.1.5', 'w1', GONE),
  ];
  const records = burst('clusterip', 90_100, 92_000, 'connect-refused');
  const clock = (node: string, offsetMs: number) => ({ node, offsetMs, rttMs: 30, samples: 5, method: 'test' });
  // Uncorrected, the SIGTERM line would come after the failures and nothing would explain them.
  const res = attributeWithSkew(records, skewed(3000), { clocks: [clock('w1', 3000), clock('w2', 0)] });
  const w1 = res.skew.find((s) => s.node === 'w1');
  assert.equal(w1?.method, 'measured');
  assert.equal(w1?.offsetMs, 3000);
  const a = only(res.attributions, 'routed-after-sigterm');
  assert.equal(a.lost, records.length);
  assert.equal(a.evidence.lagsMs.deletionToSigtermMs, 60);

  // Measured ~0 (within the round trip): nothing moves.
  const plain = attributeWithSkew(records, skewed(0), { clocks: [clock('w1', 4)] });
  assert.equal(plain.skew.find((s) => s.node === 'w1')?.method, 'within-rtt');
  assert.equal(only(plain.attributions, 'routed-after-sigterm').evidence.lagsMs.deletionToSigtermMs, 60);

  // Not measured: nothing is guessed, the 3 s-ahead lines stay where they are and explain nothing.
  const unmeasured = attributeWithSkew(records, skewed(3000));
  assert.equal(unmeasured.skew.find((s) => s.node === 'w1')?.method, 'not-measured');
  assert.deepEqual(unmeasured.attributions.map((x) => x.cause), ['unexplained']);
});

test('summary: loss per window, cause and target', () => {
  const events = [
    ...readyPod('s1', '10.244.1.9', 'w1', 0),
    ev(49_990, 'pod-deleting', 's1', { node: 'w1' }),
    ev(49_995, 'sigterm', 's1'),
    endpoint(50_000, 'endpoint-not-ready', 's1', '10.244.1.9', 'w1', GONE),
    ...readyPod('s2', '10.244.2.9', 'w2', 53_000),
  ];
  const attrs = attribute([...burst('clusterip', 50_100, 50_500, 'connect-refused'), ...burst('ingress', 50_100, 50_300, 'http-5xx'), ...burst('ingress', 80_000, 80_040, 'http-5xx')], events);
  const s = summarizeAttributions(attrs);
  assert.equal(s.windows, 3);
  assert.equal(s.lost, 21 + 11 + 3);
  assert.deepEqual(s.byCause['no-ready-endpoints'], { windows: 2, lost: 32, longestWindowMs: 403 });
  assert.equal(s.byCause.unexplained?.lost, 3);
  assert.deepEqual(s.byTarget.ingress?.byCause, { 'no-ready-endpoints': 11, unexplained: 3 });
  assert.equal(s.longestWindowMs, 403);
  assert.deepEqual(s.rows.map((r) => [r.target, r.cause]), [['clusterip', 'no-ready-endpoints'], ['ingress', 'no-ready-endpoints'], ['ingress', 'unexplained']]);
});

test('through a proxy a client socket is not pinned to a pod: a cut on it is not blamed on the last pod it saw', () => {
  const events = [
    ...readyPod('k1', '10.244.1.8', 'w1', 0, 'echo-ingress'),
    ...readyPod('k2', '10.244.2.8', 'w2', 0, 'echo-ingress'),
    ev(40_000, 'pod-deleting', 'k1', { node: 'w1' }),
    ev(40_010, 'sigterm', 'k1'),
    endpoint(40_500, 'endpoint-not-ready', 'k1', '10.244.1.8', 'w1', GONE, 'echo-ingress'),
  ];
  const ing = { remoteAddr: '127.0.0.1:18080', reusedConnection: true };
  const records = [
    // nginx spreads each client connection over both pods
    ...burst('ingress', 39_000, 39_990, 'ok', { ...ing, localPort: 6000 }, 10).map((r, i) => ({ ...r, servedBy: i % 2 ? 'k1' : 'k2' })),
    rec('ingress', 40_020, 'stale-keepalive', { ...ing, localPort: 6000 }),
  ];
  const attrs = attribute(records, events);
  assert.deepEqual(attrs.map((a) => [a.cause, a.pods]), [['unexplained', []]]);
});

test('a pod deleted long ago with no routing-off event does not absorb later failures', () => {
  const events = [...readyPod('p', '10.244.1.5', 'w1', 0), ev(10_000, 'pod-deleting', 'p'), ev(10_010, 'sigterm', 'p'), ev(11_000, 'pod-gone', 'p')];
  const attrs = attribute([...burst('clusterip', 10_100, 10_500, 'connect-refused'), ...burst('clusterip', 60_000, 60_100, 'connect-refused')], events);
  assert.deepEqual(attrs.map((a) => [a.cause, a.lost]), [['routed-after-sigterm', 21], ['unexplained', 6]]);
});

test('with two LoadBalancer Services, each failure is judged by the announcement of the IP it connected to', () => {
  const ipAlloc = (svc: string, ip: string) => ev(0, 'k8s-event', undefined, { detail: { reason: 'IPAllocated', involvedKind: 'Service', involvedName: svc, message: `Assigned IP ["${ip}"]` } });
  const events = [
    ipAlloc('echo-lb1', '172.18.255.200'),
    ipAlloc('echo-lb2', '172.18.255.201'),
    ev(0, 'lb-announce', undefined, { node: 'w1', detail: { service: 'echo-lb1' } }),
    ev(1, 'lb-announce', undefined, { node: 'w2', detail: { service: 'echo-lb2' } }),
    ...readyPod('a', '10.244.1.3', 'w1', 0, 'echo-lb1'),
    ...readyPod('b', '10.244.2.3', 'w2', 0, 'echo-lb1'),
    ...readyPod('a', '10.244.1.3', 'w1', 0, 'echo-lb2'),
    ...readyPod('b', '10.244.2.3', 'w2', 0, 'echo-lb2'),
    endpoint(65_000, 'endpoint-removed', 'a', '10.244.1.3', 'w1', GONE, 'echo-lb1'),
    endpoint(65_000, 'endpoint-removed', 'a', '10.244.1.3', 'w1', GONE, 'echo-lb2'),
  ];
  const lb1 = burst('lb1', 65_100, 65_300, 'connect-timeout', { remoteAddr: '172.18.255.200:80' });
  const lb2 = burst('lb2', 65_100, 65_300, 'connect-timeout', { remoteAddr: '172.18.255.201:80' });
  const attrs = attribute([...lb1, ...lb2], events);
  assert.deepEqual(attrs.map((a) => [a.target, a.cause]), [['lb1', 'lb-no-local-endpoint'], ['lb2', 'unexplained']]);
});

test('the streaming form gives the same windows as the in-memory one', async () => {
  const events = [...readyPod('old-1', '10.244.1.5', 'w1', 0), ...readyPod('old-2', '10.244.2.5', 'w2', 0), ev(10_000, 'pod-deleting', 'old-1'), ev(10_050, 'sigterm', 'old-1'), endpoint(12_760, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE)];
  const records = [...burst('clusterip', 9_000, 9_980, 'ok', { servedBy: 'old-2' }), ...burst('clusterip', 10_100, 12_700, 'connect-refused')];
  async function* stream() {
    for (const r of records) yield r;
  }
  assert.deepEqual((await attributeStream(stream(), events)).attributions, attribute(records, events));
});

test('a SIGKILL the watch missed is inferred from a SIGTERM line without an exit line and the grace deadline', () => {
  const base = [
    ...readyPod('p', '10.244.1.7', 'w1', 0),
    ...readyPod('q', '10.244.2.7', 'w2', 0),
    ev(30_000, 'pod-deleting', 'p', { node: 'w1', detail: { hasReadinessProbe: true, gracePeriodSeconds: 4, preStopSeconds: 8 } }),
    endpoint(30_050, 'endpoint-not-ready', 'p', '10.244.1.7', 'w1', { ready: false, serving: true, terminating: true }),
    ev(34_010, 'sigterm', 'p', { detail: { mode: 'drain:5' } }),
  ];
  const records = burst('clusterip', 35_000, 35_900, 'reset-during-body', { endAt: 36_050 * MS, servedBy: 'p' }, 100);
  const killed = attribute(records, [...base, ev(36_400, 'pod-gone', 'p', { node: 'w1' })]);
  const a = only(killed, 'sigkill-in-flight');
  assert.match(a.evidence.text, /inferred/);
  assert.equal(a.evidence.lagsMs.deletionToKillMs, 4000);
  // The same pod logging its exit was not killed: no SIGKILL is inferred.
  const exited = attribute(records, [...base, ev(36_000, 'exit', 'p'), ev(36_400, 'pod-gone', 'p', { node: 'w1' })]);
  assert.equal(exited.filter((x) => x.cause === 'sigkill-in-flight').length, 0);
});

test('among pods that fit the same cause the most recent one is blamed; a refusal stamped just before the SIGTERM line counts', () => {
  // A real rolling update (fortio-rolling-update, naive): pod a stopped at 10.3 s, pod b at 11.66 s; the
  // refusals at 11.657 s (7 ms before b's SIGTERM line) are b's, though a is still within its lag.
  const events = [
    ...readyPod('a', '10.244.1.5', 'w1', 0),
    ...readyPod('b', '10.244.2.5', 'w2', 0),
    ...readyPod('c', '10.244.2.6', 'w2', 0),
    ev(10_335, 'sigterm', 'a'),
    ev(10_425, 'pod-deleting', 'a', { node: 'w1' }),
    endpoint(10_465, 'endpoint-not-ready', 'a', '10.244.1.5', 'w1', { ready: false, serving: true, terminating: true }),
    ev(11_629, 'pod-deleting', 'b', { node: 'w2' }),
    ev(11_664, 'sigterm', 'b'),
    endpoint(11_667, 'endpoint-not-ready', 'b', '10.244.2.5', 'w2', { ready: false, serving: true, terminating: true }),
  ];
  const records = [...burst('clusterip', 10_352, 10_472, 'connect-refused', {}, 40), ...burst('clusterip', 11_657, 11_777, 'connect-refused', {}, 40)];
  const attrs = attribute(records, events);
  assert.deepEqual(attrs.map((x) => [x.cause, x.pods, x.lost]), [['routed-after-sigterm', ['a'], 4], ['routed-after-sigterm', ['b'], 4]]);
  // The watch saw a's deletion 90 ms after its SIGTERM: the fix counts from the earlier of the two.
  assert.equal(attrs[0]?.evidence.lagsMs.deletionToRoutingStoppedMs, 137);
});

test('a refusal is judged when it came back: a stalled client stamps a burst with one early sentAt', () => {
  // Lab run 20261123-024305 (naive): 12 requests stamped sentAt 13.237 s were refused at 13.53 s; pod b
  // logged SIGTERM at 13.322 s, pod a 1.7 s earlier (still within its data-plane lag).
  const events = [
    ...readyPod('a', '10.244.1.5', 'w1', 0),
    ...readyPod('b', '10.244.2.5', 'w2', 0),
    ...readyPod('c', '10.244.2.6', 'w2', 0),
    ev(11_567, 'sigterm', 'a'),
    ev(11_859, 'pod-deleting', 'a', { node: 'w1' }),
    endpoint(11_875, 'endpoint-not-ready', 'a', '10.244.1.5', 'w1', { ready: false, serving: true, terminating: true }),
    ev(13_322, 'sigterm', 'b'),
    ev(13_502, 'pod-deleting', 'b', { node: 'w2' }),
    endpoint(13_502, 'endpoint-not-ready', 'b', '10.244.2.5', 'w2', { ready: false, serving: true, terminating: true }),
  ];
  const records = burst('clusterip', 13_237, 13_237, 'connect-refused', { endAt: 13_531 * MS }).concat(burst('clusterip', 13_463, 13_463, 'connect-refused', { endAt: 13_545 * MS }));
  const attrs = attribute(records, events);
  assert.deepEqual(attrs.map((x) => [x.cause, x.pods, x.lost]), [['routed-after-sigterm', ['b'], 2]]);
});

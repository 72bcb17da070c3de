import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointTransitions, eventTransitions, nodeTransitions, podTransitions, replicaSetTransitions, serviceEndpoints, type EndpointSliceWire, type PodWire } from './transitions.ts';

const kinds = (ts: Array<{ kind: string }>) => ts.map((t) => t.kind);

function pod(state: Partial<{ running: boolean; exit: number; reason: string; ready: boolean; deleting: boolean; restarts: number }>): PodWire {
  const cs: NonNullable<PodWire['status']>['containerStatuses'] = [{ name: 'echo', restartCount: state.restarts ?? 0, state: {} }];
  if (state.running) cs[0]!.state = { running: { startedAt: '2026-01-01T00:00:02Z' } };
  if (state.exit !== undefined) cs[0]!.state = { terminated: { exitCode: state.exit, finishedAt: '2026-01-01T00:00:09Z', ...(state.reason ? { reason: state.reason } : {}) } };
  return {
    metadata: { name: 'p', ...(state.deleting ? { deletionTimestamp: '2026-01-01T00:00:40Z', deletionGracePeriodSeconds: 30 } : {}) },
    spec: { nodeName: 'w1', containers: [{ name: 'echo', readinessProbe: {}, lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 7'] } } } }] },
    status: { podIP: '10.0.0.9', conditions: [{ type: 'Ready', status: state.ready ? 'True' : 'False' }], containerStatuses: cs },
  };
}

test('pod: SIGKILL (137) and OOMKilled are pod-killed, other exits pod-terminated, with the exit code', () => {
  assert.deepEqual(kinds(podTransitions(pod({ running: true }), pod({ exit: 137 }))), ['pod-killed']);
  assert.deepEqual(kinds(podTransitions(pod({ running: true }), pod({ exit: 1, reason: 'OOMKilled' }))), ['pod-killed']);
  const t = podTransitions(pod({ running: true }), pod({ exit: 143 }));
  assert.deepEqual(kinds(t), ['pod-terminated']);
  assert.equal(t[0]?.detail?.exitCode, 143);
  assert.equal(t[0]?.apiAtMs, Date.parse('2026-01-01T00:00:09Z'));
});

test('pod: a restart is a new start; deletion carries the exec preStop sleep and the grace period', () => {
  assert.deepEqual(kinds(podTransitions(pod({ running: true }), pod({ running: true, restarts: 1 }))), ['pod-started']);
  assert.deepEqual(kinds(podTransitions(pod({ running: true }), pod({ running: true }))), []);
  const d = podTransitions(pod({ running: true, ready: true }), pod({ running: true, ready: false, deleting: true }));
  assert.deepEqual(kinds(d), ['pod-unready', 'pod-deleting']);
  assert.deepEqual(d[1]?.detail, { hasReadinessProbe: true, gracePeriodSeconds: 30, preStopSeconds: 7 });
  assert.equal(d[1]?.apiAtMs, Date.parse('2026-01-01T00:00:10Z'));
  assert.equal(d[1]?.podIP, '10.0.0.9');
});

function sl(name: string, eps: Array<[string, string, boolean | null, boolean?]>): EndpointSliceWire {
  return { metadata: { name }, endpoints: eps.map(([pod, ip, ready, terminating]) => ({ addresses: [ip], conditions: { ready, ...(terminating === undefined ? {} : { terminating }) }, targetRef: { kind: 'Pod', name: pod } })) };
}

test('endpoints: judged across slices, so a move between slices is no removal; nil ready means ready', () => {
  const before = serviceEndpoints([sl('a', [['p1', '10.0.0.1', true]])]);
  const after = serviceEndpoints([sl('a', []), sl('b', [['p1', '10.0.0.1', null]])]);
  assert.deepEqual(endpointTransitions('echo', before, after), []);
  const term = serviceEndpoints([sl('b', [['p1', '10.0.0.1', false, true]])]);
  assert.deepEqual(kinds(endpointTransitions('echo', after, term)), ['endpoint-terminating', 'endpoint-not-ready']);
  assert.deepEqual(kinds(endpointTransitions('echo', term, serviceEndpoints([]))), ['endpoint-removed']);
  assert.deepEqual(kinds(endpointTransitions('echo', serviceEndpoints([]), after)), ['endpoint-added', 'endpoint-ready']);
  // A starting pod: added not ready, then ready (serving turns on with it) - no terminating event.
  const starting = serviceEndpoints([sl('b', [['p2', '10.0.0.2', false]])]);
  assert.deepEqual(kinds(endpointTransitions('echo', starting, serviceEndpoints([sl('b', [['p2', '10.0.0.2', true]])]))), ['endpoint-ready']);
});

test('replica sets, nodes and events', () => {
  const rs = (n: number) => ({ metadata: { name: 'rs', annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { replicas: n } });
  assert.deepEqual(replicaSetTransitions(rs(1), rs(2))[0]?.detail, { replicaSet: 'rs', from: 1, to: 2, revision: '2' });
  assert.deepEqual(replicaSetTransitions(rs(2), rs(2)), []);
  const node = (s: string) => ({ metadata: { name: 'w1' }, status: { conditions: [{ type: 'Ready', status: s }] } });
  assert.deepEqual(kinds(nodeTransitions(node('True'), node('False'))), ['node-not-ready']);
  assert.deepEqual(kinds(nodeTransitions(undefined, node('True'))), ['node-ready']);
  const ev = (count: number) => ({
    metadata: { name: 'e' },
    involvedObject: { kind: 'Service', name: 'echo-lb' },
    reason: 'nodeAssigned',
    message: 'announcing from node "lossless-worker2" with protocol "layer2"',
    count,
    lastTimestamp: '2026-01-01T00:00:03Z',
  });
  const t = eventTransitions(undefined, ev(1));
  assert.deepEqual(kinds(t), ['k8s-event', 'lb-announce']);
  assert.equal(t[1]?.node, 'lossless-worker2');
  assert.equal(t[1]?.source, 'lb');
  assert.deepEqual(kinds(eventTransitions(ev(1), ev(1))), [], 'an update that does not bump the count is no new occurrence');
  assert.deepEqual(kinds(eventTransitions(ev(1), ev(2))), ['k8s-event', 'lb-announce'], 'the same announcement again (A -> B -> A) bumps the count');
  assert.deepEqual(kinds(eventTransitions(undefined, ev(1), true)), ['lb-announce'], 'history yields only the announcement');
});

// One history per pod, read by attribution's timeline and by the report's lanes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecycleEvent } from '../record.ts';
import { buildLanes } from '../report/lanes.ts';
import { podHistories } from './history.ts';
import { buildTimeline } from './timeline.ts';

const S = 1e9;
const events: LifecycleEvent[] = [
  { at: 1 * S, source: 'watch', kind: 'pod-created', pod: 'p-a', podIP: '10.0.0.1', node: 'w1' },
  { at: 2 * S, source: 'pod-log', kind: 'listening', pod: 'p-a' },
  // an event naming only the IP (an EndpointSlice endpoint without a targetRef)
  { at: 3 * S, source: 'watch', kind: 'endpoint-ready', podIP: '10.0.0.1', detail: { service: 'echo', ready: true, serving: true, terminating: false } },
  { at: 4 * S, source: 'consumer', kind: 'consumer-list', pod: 'consumer-0', detail: { providers: 'p-a', added: 'p-a', removed: '' } },
  { at: 5 * S, source: 'ingress', kind: 'ingress-reload', pod: 'nginx-0', detail: { controller: 'nginx' } },
  { at: 6 * S, source: 'runner', kind: 'rollout-start' },
  { at: 9 * S, source: 'consumer', kind: 'consumer-list', pod: 'consumer-0', detail: { providers: '', added: '', removed: 'p-a' } },
  { at: 10 * S, source: 'pod-log', kind: 'sigterm', pod: 'p-a' },
];

test('a pod\'s history: its own events, those naming only its IP, and the consumer\'s list changes naming it', () => {
  const h = podHistories([...events].reverse());
  assert.deepEqual(h.pods.get('p-a')?.entries.map((x) => `${x.via}:${x.e.kind}@${x.e.at / S}`), ['pod:pod-created@1', 'pod:listening@2', 'ip:endpoint-ready@3', 'consumer-added:consumer-list@4', 'consumer-removed:consumer-list@9', 'pod:sigterm@10']);
  assert.deepEqual(h.others.map((e) => e.kind), ['rollout-start']);
  assert.equal(h.ipToPod.get('10.0.0.1'), 'p-a');
});

test('attribution and the lanes read the same history: the consumer\'s list span of a provider is the same in both', () => {
  const tl = buildTimeline(events);
  const a = tl.pods.get('p-a');
  assert.ok(a);
  assert.deepEqual([a.consumerAdded, a.consumerDropped, a.sigterm], [4 * S, 9 * S, 10 * S]);
  // an ingress controller's own lines are about the ingress: no pod facts for the controller
  assert.equal(tl.pods.has('nginx-0'), false);
  const { lanes } = buildLanes(events, { from: 0, to: 20 });
  const lane = lanes.find((l) => l.pod === 'p-a');
  assert.ok(lane);
  assert.deepEqual(lane.spans.filter((s) => s[0] === 'endpoint'), [['endpoint', 3, 20]], 'in the Service from 3 s (by its IP), and in the consumer\'s list from 4 to 9 s: one span');
  assert.deepEqual(lane.points.filter((p) => p[0] === 'sigterm').map((p) => p[1]), [10]);
});

// Item 2 of issue 10: when a failure names no pod (a ClusterIP, LB or proxy connect failure), the cause is
// decided by which pod could have refused at that instant, never by a fixed order of causes; where the
// evidence cannot separate two mechanisms the window says "ambiguous" with each candidate's evidence.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute } from './attribute.ts';
import { burst, endpoint, ev, GONE, only, readyPod } from '../../test/attribution.ts';

const CLUSTER_IP = { remoteAddr: '10.96.0.10:80' };

/** The probe: a new pod in endpoints but not listening until 11.5 s; the old one left endpoints at 10.25 s. */
function newNotListeningOldGone() {
  return [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ev(9_000, 'pod-created', 'new-1', { node: 'w2', podIP: '10.244.2.9', detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } }),
    ev(9_100, 'process-start', 'new-1'),
    endpoint(10_000, 'endpoint-ready', 'new-1', '10.244.2.9', 'w2', { ready: true, serving: true, terminating: false }),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_010, 'sigterm', 'old-1'),
    endpoint(10_250, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE),
    ev(11_500, 'listening', 'new-1'),
    ev(11_500, 'ready', 'new-1'),
  ];
}

test('refusals after the old pod left the endpoints, while the new one was routed and not listening: the new pod, the old named as a lag-only fit', () => {
  const records = [...burst('clusterip', 10_900, 11_400, 'connect-refused', CLUSTER_IP), ...burst('clusterip', 11_600, 12_000, 'ok', { servedBy: 'new-1' })];
  const attrs = attribute(records, newNotListeningOldGone());
  assert.deepEqual(attrs.map((a) => [a.cause, a.pods.join()]), [['routed-before-ready', 'new-1']]);
  const a = only(attrs, 'routed-before-ready');
  assert.match(a.evidence.text, /also fits routed-after-sigterm/);
});

test('refusals while both the stopped old pod and the not-listening new pod were in the endpoints: ambiguous, with the evidence for each', () => {
  const records = burst('clusterip', 10_060, 10_240, 'connect-refused', CLUSTER_IP);
  const attrs = attribute(records, newNotListeningOldGone());
  assert.equal(attrs.length, 1);
  const a = only(attrs, 'ambiguous');
  assert.deepEqual(a.pods, ['new-1', 'old-1']);
  assert.equal(a.lost, records.length);
  assert.match(a.evidence.text, /^\d+ lost over \d+ ms: ambiguous: routed-after-sigterm or routed-before-ready/);
  assert.match(a.evidence.text, /routed-before-ready \(new-1\): .*in endpoints 1500 ms before its app was ready/);
  assert.match(a.evidence.text, /routed-after-sigterm \(old-1\): .*endpoint removal came 240 ms after SIGTERM/);
  // a fix for each, since either may be the one
  assert.match(a.fix, /if routed-after-sigterm: preStop sleep >= .*; if routed-before-ready: add a readinessProbe/);
  assert.ok(a.evidence.events.some((e) => e.pod === 'new-1') && a.evidence.events.some((e) => e.pod === 'old-1'));
});

test('the address reached settles it: a refusal from the old pod\'s IP is the old pod\'s', () => {
  const records = burst('clusterip', 10_060, 10_240, 'connect-refused', { remoteAddr: '10.244.1.5:8080' });
  const a = only(attribute(records, newNotListeningOldGone()), 'routed-after-sigterm');
  assert.deepEqual(a.pods, ['old-1']);
});

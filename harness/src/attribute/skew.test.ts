// Item 4 of issue 10: clock skew is measured per node at run start, never inferred from when a watch
// delivered an event. On one clock a late deletion must not move the SIGTERM lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeWithSkew } from './attribute.ts';
import { burst, endpoint, ev, GONE, only, readyPod } from '../../test/attribution.ts';

/** One clock; the watch delivered old-1's deletion 900 ms after the kubelet had already sent SIGTERM. */
function lateDeletion(sigtermMs = 10_010) {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0),
    ...readyPod('old-2', '10.244.2.5', 'w2', 0),
    ev(10_900, 'pod-deleting', 'old-1', { node: 'w1', detail: { hasReadinessProbe: true, gracePeriodSeconds: 30 } }),
    ev(sigtermMs, 'sigterm', 'old-1'),
    endpoint(12_000, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE),
    ev(sigtermMs + 2_100, 'exit', 'old-1'),
    ev(12_300, 'pod-terminated', 'old-1', { node: 'w1', detail: { exitCode: 0 } }),
  ];
  const records = burst('clusterip', 10_050, 11_950, 'connect-refused', { remoteAddr: '10.244.1.5:8080' }, 100);
  return { events, records };
}

test('a deletion delivered 900 ms late on one clock moves nothing: every refusal after SIGTERM is routed-after-sigterm', () => {
  const { events, records } = lateDeletion();
  const res = attributeWithSkew(records, events);
  for (const s of res.skew) assert.equal(s.offsetMs, 0, `node ${s.node}: ${JSON.stringify(s)}`);
  const a = only(res.attributions, 'routed-after-sigterm');
  assert.equal(a.lost, records.length);
  assert.equal(res.attributions.length, 1);
});

test('a measured offset is applied to that node\'s pod-log times; one within its round trip is not', () => {
  // w1's clock runs 3 s ahead: its SIGTERM line says 13.01 s for 10.01 s on the host's clock.
  const { events, records } = lateDeletion(13_010);
  const clocks = [
    { node: 'w1', offsetMs: 3000, rttMs: 40, samples: 5, method: 'test' },
    { node: 'w2', offsetMs: 12, rttMs: 40, samples: 5, method: 'test' },
  ];
  const res = attributeWithSkew(records, events, { clocks });
  assert.deepEqual(res.skew.map((s) => [s.node, s.offsetMs, s.method]), [['w1', 3000, 'measured'], ['w2', 0, 'within-rtt']]);
  assert.equal(only(res.attributions, 'routed-after-sigterm').lost, records.length);
  // Unmeasured, the lines stay where the node's clock put them, and the verdict says it was not measured.
  const raw = attributeWithSkew(records, events);
  assert.ok(raw.skew.every((s) => s.method === 'not-measured' && s.offsetMs === 0));
  assert.ok(!raw.attributions.some((a) => a.cause === 'routed-after-sigterm' && a.lost === records.length));
});

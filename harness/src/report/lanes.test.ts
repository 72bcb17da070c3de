// Pod lanes on the registry path: providers have no endpoints, so their routed span is their time in the
// consumer's list, and the registry's removal is a tick on their lane.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LifecycleEvent, lifecycleEvent, type LifecycleKind, type Scalar } from '../record.ts';
import { buildLanes } from './lanes.ts';

const S = 1e9;
const ev = (t: number, kind: LifecycleKind, pod: string, source: LifecycleEvent['source'], detail?: Record<string, Scalar>): LifecycleEvent =>
  lifecycleEvent({ at: t * S, kind, pod, source, ...(detail ? { detail } : {}) });

test('a provider lane: in the consumer\'s list from its addition to its removal, with the registry removal ticked', () => {
  const events = [
    ev(1, 'process-start', 'p-a', 'pod-log'),
    ev(2, 'listening', 'p-a', 'pod-log'),
    ev(3, 'consumer-list', 'consumer-0', 'consumer', { providers: 'p-a', added: 'p-a', removed: '', reason: 'watch' }),
    ev(10, 'sigterm', 'p-a', 'pod-log'),
    ev(20, 'registry-expire', 'p-a', 'registry', { op: 'delete', reason: 'expired' }),
    ev(21, 'consumer-list', 'consumer-0', 'consumer', { providers: '', added: '', removed: 'p-a', reason: 'poll' }),
    ev(22, 'exit', 'p-a', 'pod-log'),
  ];
  const { lanes } = buildLanes(events, { from: 0, to: 30 });
  const a = lanes.find((l) => l.pod === 'p-a');
  assert.ok(a);
  assert.deepEqual(a.spans.filter((s) => s[0] === 'endpoint'), [['endpoint', 3, 21]]);
  assert.deepEqual(a.points.filter((p) => p[0] === 'endpoint-removed').map((p) => [p[1], p[2]]), [[20, 'registry: lease expired'], [21, "removed from consumer-0's list"]]);
  // the consumer keeps its own lane, without the providers' spans
  const c = lanes.find((l) => l.pod === 'consumer-0');
  assert.ok(c);
  assert.equal(c.spans.filter((s) => s[0] === 'endpoint').length, 0);
});

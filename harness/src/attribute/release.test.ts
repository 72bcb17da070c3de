// Item 7 of issue 10: not every loss is the rollout's. A new version whose pods answer 503 to 3% of
// requests while Ready and routed is blamed on that release (its ReplicaSet's error rate against the old
// pods'), and errors that were there before the rollout started are baseline, not the rollout's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../record.ts';
import { attribute } from './attribute.ts';
import { ev, only, readyPod, rec } from '../../test/attribution.ts';

const OLD = ['echo-6d5f7c9b8-x1abc', 'echo-6d5f7c9b8-x2def'];
const NEW = 'echo-84c7f5d96-n1ghi';

/** Every 10 ms one request, round-robin over the pods routed at that time; `bad` decides which answer 503. */
function brokenRollout(newErrEvery: number, oldErrEvery: number) {
  const events = [
    ...readyPod(OLD[0]!, '10.244.1.5', 'w1', 0),
    ...readyPod(OLD[1]!, '10.244.2.5', 'w2', 0),
    ev(20_000, 'rollout-start', undefined, { source: 'runner', detail: { n: 1 } }),
    ...readyPod(NEW, '10.244.1.9', 'w1', 22_000),
  ];
  const records: RequestRecord[] = [];
  const count = new Map<string, number>();
  for (let t = 100; t < 40_000; t += 10) {
    const pods = t >= 22_000 ? [...OLD, NEW] : OLD;
    const pod = pods[(t / 10) % pods.length]!;
    const n = (count.get(pod) ?? 0) + 1;
    count.set(pod, n);
    const every = pod === NEW ? newErrEvery : oldErrEvery;
    records.push(n % every === 0 ? rec('clusterip', t, 'http-5xx', { servedBy: pod, status: 503, phase: 'body' }) : rec('clusterip', t, 'ok', { servedBy: pod, status: 200 }));
  }
  return { events, records };
}

test('a release whose pods answer 503 to 3% of requests while ready is blamed on it, with its rate against the old pods\'', () => {
  const { events, records } = brokenRollout(33, 200);
  const attrs = attribute(records, events);
  const broken = attrs.filter((a) => a.cause === 'broken-release');
  const newErrors = records.filter((r) => r.servedBy === NEW && r.outcome === 'http-5xx').length;
  assert.equal(broken.reduce((n, a) => n + a.lost, 0), newErrors, 'every 503 of the new pods is the release\'s');
  for (const a of broken) assert.deepEqual(a.pods, [NEW]);
  const a = broken[0]!;
  assert.match(a.evidence.text, /pod template echo-84c7f5d96: 3\.0% of its \d+ answered requests were 5xx against 0\.5% of the other pods' \d+/);
  assert.match(a.evidence.text, /ready since 22\.0 s/);
  assert.match(a.fix, /roll back/);
  // Nothing else is blamed on routing; the old pods' 0.5% is baseline, before and during the rollout.
  assert.deepEqual([...new Set(attrs.map((x) => x.cause))].sort(), ['baseline', 'broken-release']);
  const before = attrs.filter((x) => x.start < 20_000e6);
  assert.ok(before.length > 0 && before.every((x) => x.cause === 'baseline'));
  assert.match(before[0]!.evidence.text, /before the rollout started/);
});

test('the same release at the old pods\' rate is no release fault: baseline', () => {
  const { events, records } = brokenRollout(200, 200);
  const attrs = attribute(records, events);
  assert.deepEqual([...new Set(attrs.map((x) => x.cause))], ['baseline']);
});

test('without a rollout-start or another template to compare, a pod\'s own 5xx stays unexplained', () => {
  const events = readyPod('p', '10.244.1.5', 'w1', 0);
  const attrs = attribute([rec('clusterip', 10_100, 'http-5xx', { servedBy: 'p', status: 503 })], events);
  assert.equal(only(attrs, 'unexplained').lost, 1);
});

// Dubbo's warm-up weight and RandomLoadBalance, table-tested; pick distribution with a seeded source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveWeight, expectedShares, pickRandom, warmupWeight } from './weights.ts';
import { prng as seededRandom } from '../../harness/src/schedule/pacer.ts';
import type { Provider } from './weights.ts';

test('warm-up weight: ww = floor(uptime / (warmup / weight)) clamped to [1, weight]', () => {
  const rows: Array<[uptime: number, warmup: number, weight: number, ww: number]> = [
    [0, 600_000, 100, 1],
    [1, 600_000, 100, 1],
    [6_000, 600_000, 100, 1],
    [11_999, 600_000, 100, 1],
    [12_000, 600_000, 100, 2],
    [60_000, 600_000, 100, 10],
    [300_000, 600_000, 100, 50],
    [599_999, 600_000, 100, 99],
    [600_000, 600_000, 100, 100],
    [1_200_000, 600_000, 100, 100],
    [5_000, 10_000, 200, 100],
    [2_500, 10_000, 4, 1],
    [9_999, 10_000, 4, 3],
  ];
  for (const [uptime, warmup, weight, ww] of rows) assert.equal(warmupWeight(uptime, warmup, weight), ww, `uptime ${uptime} warmup ${warmup} weight ${weight}`);
});

test('effective weight: 1 before start, ramp during warm-up, full weight after or without warm-up', () => {
  const p = { startAt: 1_000_000, warmupMs: 100_000, weight: 100 };
  const rows: Array<[now: number, w: number]> = [
    [990_000, 1], // clock skew: started "in the future"
    [1_000_000, 1], // uptime 0
    [1_050_000, 50],
    [1_099_999, 99],
    [1_100_000, 100],
    [9_000_000, 100],
  ];
  for (const [now, w] of rows) assert.equal(effectiveWeight(p, now), w, `now ${now}`);
  assert.equal(effectiveWeight({ startAt: 1_000_000, warmupMs: 0, weight: 7 }, 1_000_001), 7);
});

const prov = (pod: string, startAt: number, warmupMs: number, weight: number): Provider => ({ pod, ip: '10.0.0.1', port: 8080, startAt, registeredAt: startAt, warmupMs, weight });

function countPicks(list: Provider[], now: number, n: number, seed: number): Map<string, number> {
  const random = seededRandom(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const p = pickRandom(list, now, random)!;
    counts.set(p.pod, (counts.get(p.pod) ?? 0) + 1);
  }
  return counts;
}

test('random pick: uniform with equal weights, proportional with unequal ones (seeded, generous bounds)', () => {
  const now = 10_000_000;
  const equal = [prov('a', 0, 0, 100), prov('b', 0, 0, 100), prov('c', 0, 0, 100), prov('d', 0, 0, 100)];
  const ce = countPicks(equal, now, 20_000, 1);
  for (const pod of ['a', 'b', 'c', 'd']) {
    const c = ce.get(pod) ?? 0;
    assert.ok(c > 4_500 && c < 5_500, `${pod}: ${c} of 20000`);
  }
  // a warming provider at a quarter of its warm-up gets weight 25 against 100 + 100: 25/225 of the picks
  const warming = [prov('old-1', 0, 0, 100), prov('old-2', 0, 0, 100), prov('new', now - 15_000, 60_000, 100)];
  assert.equal(effectiveWeight(warming[2]!, now), 25);
  const share = expectedShares(warming, now).get('new')!;
  assert.ok(Math.abs(share - 25 / 225) < 1e-9);
  const cw = countPicks(warming, now, 45_000, 7);
  const fresh = cw.get('new') ?? 0;
  assert.ok(fresh > 4_000 && fresh < 6_000, `new got ${fresh} of 45000, expected ~5000`);
  assert.ok(Math.abs((cw.get('old-1') ?? 0) - (cw.get('old-2') ?? 0)) < 2_000);
  // a provider whose process has not started yet (uptime <= 0) weighs 1
  const cold = [prov('up', 0, 0, 100), prov('future', now + 5_000, 60_000, 100)];
  const cc = countPicks(cold, now, 10_100, 3);
  assert.ok((cc.get('future') ?? 0) < 400, `future got ${cc.get('future')}`);
});

test('random pick: walks the weights by offset (deterministic sources), undefined when empty', () => {
  const now = 1_000_000;
  const list = [prov('a', 0, 0, 10), prov('b', 0, 0, 30)]; // total 40
  assert.equal(pickRandom(list, now, () => 0)!.pod, 'a');
  assert.equal(pickRandom(list, now, () => 9.99 / 40)!.pod, 'a');
  assert.equal(pickRandom(list, now, () => 10 / 40)!.pod, 'b');
  assert.equal(pickRandom(list, now, () => 0.999)!.pod, 'b');
  const same = [prov('x', 0, 0, 5), prov('y', 0, 0, 5), prov('z', 0, 0, 5)];
  assert.equal(pickRandom(same, now, () => 0.5)!.pod, 'y');
  assert.equal(pickRandom([], now), undefined);
  const r1 = seededRandom(42);
  const r2 = seededRandom(42);
  for (let i = 0; i < 5; i++) assert.equal(r1(), r2());
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPacer } from './pacer.ts';

const S = 1e9;

test('uniform pacer: table of (elapsed, sent) -> wait | stop', () => {
  const p = createPacer({ rate: 10, durationNs: 1 * S, maxTicks: Infinity, arrivals: 'uniform' });
  const table: Array<[number, number, number | 'stop']> = [
    [0, 0, 0], // first tick due at once
    [0, 1, 100e6], // second due at 100 ms
    [50e6, 1, 50e6],
    [150e6, 1, 0], // late: no wait, never negative
    [500e6, 3, 0], // far behind: catch up without waiting
    [0, 9, 900e6],
    [0, 10, 'stop'], // tick 10 would be due at 1 s = duration
  ];
  for (const [elapsed, sent, want] of table) {
    const got = p.pace(elapsed, sent);
    if (want === 'stop') assert.deepEqual(got, { stop: true }, `(${elapsed}, ${sent})`);
    else assert.deepEqual(got, { stop: false, waitNs: want }, `(${elapsed}, ${sent})`);
  }
});

test('uniform pacer: rate x duration ticks exactly, and maxTicks bounds it', () => {
  for (const [rate, secs] of [[1, 5], [50, 2], [1000, 3], [10000, 1], [7, 0.5]] as const) {
    const p = createPacer({ rate, durationNs: secs * S, maxTicks: Infinity, arrivals: 'uniform' });
    let n = 0;
    while (!p.pace(0, n).stop) n++;
    assert.equal(n, Math.ceil(rate * secs), `rate ${rate} for ${secs}s`);
  }
  const p = createPacer({ rate: 100, durationNs: Infinity, maxTicks: 37, arrivals: 'uniform' });
  let n = 0;
  while (!p.pace(0, n).stop) n++;
  assert.equal(n, 37);
});

test('uniform pacer: no drift over an hour at 10k/s', () => {
  const p = createPacer({ rate: 10000, durationNs: Infinity, maxTicks: Infinity, arrivals: 'uniform' });
  assert.equal(p.dueAt(36_000_000), 3600 * S);
  assert.equal(p.dueAt(36_000_001) - p.dueAt(36_000_000), 100_000);
});

test('poisson pacer: deterministic per seed, mean rate holds, gaps vary', () => {
  const mk = (seed: number) => createPacer({ rate: 1000, durationNs: Infinity, maxTicks: Infinity, arrivals: 'poisson', seed });
  const a = mk(42);
  const b = mk(42);
  const c = mk(43);
  const first = Array.from({ length: 5 }, (_, i) => a.dueAt(i));
  assert.deepEqual(first, Array.from({ length: 5 }, (_, i) => b.dueAt(i)));
  assert.notDeepEqual(first, Array.from({ length: 5 }, (_, i) => c.dueAt(i)));
  assert.equal(first[0], 0);
  // replaying an earlier index gives the same value (the cursor rewinds)
  assert.equal(a.dueAt(2), first[2]);
  // 100k arrivals at 1000/s take ~100 s; the mean of an exponential sum is within a few % at this n
  const t = a.dueAt(100_000) / S;
  assert.ok(t > 97 && t < 103, `100k arrivals took ${t}s`);
  // gaps are not all equal (that would be uniform); they are non-negative
  const gaps = new Set<number>();
  for (let i = 1; i < 50; i++) {
    const g = a.dueAt(i) - a.dueAt(i - 1);
    assert.ok(g >= 0);
    gaps.add(g);
  }
  assert.ok(gaps.size > 40);
});

test('pacer rejects a non-positive rate', () => {
  assert.throws(() => createPacer({ rate: 0, durationNs: S, maxTicks: 1, arrivals: 'uniform' }), /rate must be > 0/);
});

test('wakeAt: the due time of the last tick within the slack, never past the end', () => {
  const p = createPacer({ rate: 5000, durationNs: 1e6, maxTicks: Infinity, arrivals: 'uniform' }); // ticks at 0, 200, ... 800 µs
  const table: Array<[number, number, number]> = [
    // [sent, slackNs, wake]
    [0, 0, 0], // no slack: each tick its own wake-up
    [0, 199_999, 0], // the next tick is 1 ns too far
    [0, 200_000, 200_000], // ... now within: both go at 200 µs (tick 0 then lags 200 µs)
    [0, 250_000, 200_000],
    [1, 250_000, 400_000],
    [0, 10e6, 800_000], // the slack reaches past the end: the last tick, not a tick never sent
    [4, 250_000, 800_000],
  ];
  for (const [sent, slack, want] of table) assert.equal(p.wakeAt(sent, slack), want, `wakeAt(${sent}, ${slack})`);
  const slow = createPacer({ rate: 1000, durationNs: Infinity, maxTicks: 3, arrivals: 'uniform' });
  assert.equal(slow.wakeAt(0, 250_000), 0, 'ticks 1 ms apart: a 250 µs slack adds no lag');
  assert.equal(slow.wakeAt(1, 5e6), 2e6, 'maxTicks 3: tick 2 is the last');
});

test('wakeAt on poisson arrivals: within the slack, and looking ahead never changes the schedule', () => {
  const cfg = { rate: 5000, durationNs: Infinity, maxTicks: Infinity, arrivals: 'poisson', seed: 7 } as const;
  const a = createPacer(cfg);
  const b = createPacer(cfg);
  let n = 0;
  let batches = 0;
  while (n < 20_000) {
    const wake = a.wakeAt(n, 250_000);
    assert.ok(wake >= a.dueAt(n) && wake - a.dueAt(n) <= 250_000, `tick ${n}`);
    // the loop sends every tick due by the wake-up: each of them matches a pacer that never looked ahead
    while (a.dueAt(n) <= wake) {
      assert.equal(a.dueAt(n), b.dueAt(n), `tick ${n}`);
      n++;
    }
    batches++;
  }
  assert.ok(batches < n, `${batches} wake-ups for ${n} ticks: some are shared`);
});

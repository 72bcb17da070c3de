// The exact Mann-Whitney U test against values worked out by hand and from published tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomial, mannWhitney, median, minAttainableP } from './stats.ts';

test('complete separation at 3 v 3 gives the smallest possible two-sided p, 2/20', () => {
  const r = mannWhitney([0, 0.01, 0.02], [0.6, 0.7, 0.9]);
  assert.equal(r.exact, true);
  assert.equal(r.uA, 0);
  assert.equal(r.p, 0.1);
  assert.equal(minAttainableP(3, 3), 0.1);
  assert.equal(mannWhitney([0.6, 0.7, 0.9], [0, 0.01, 0.02]).uA, 9);
});

test('4 v 4 separated: p = 2/70; one swap: p = 4/70 (U = 1 or 15 in the tails)', () => {
  assert.equal(mannWhitney([1, 2, 3, 4], [5, 6, 7, 8]).p, 2 / 70);
  // rank sums 11 (1,2,3,5) or 25 are the next most extreme: 2 splits each side
  assert.equal(mannWhitney([1, 2, 3, 5], [4, 6, 7, 8]).p, 4 / 70);
});

test('identical runs (all ties) are no difference: p = 1', () => {
  assert.equal(mannWhitney([0, 0, 0], [0, 0, 0]).p, 1);
  assert.equal(mannWhitney([5, 5, 5], [5, 5, 5]).p, 1);
});

test('ties are handled exactly by enumeration over midranks', () => {
  // pooled 0,0,0,0,1,1 (midranks 2.5 and 5.5), A = {0,0,0}: W = 7.5, mean 10.5. Of the 20 splits, the
  // 4 with three zeros (W 7.5) and the 4 with both ones (W 13.5) are as extreme: 8 of 20
  const r = mannWhitney([0, 0, 0], [0, 1, 1]);
  assert.equal(r.p, 8 / 20);
});

test('one run a side cannot reach any usual level; few samples limits', () => {
  assert.equal(minAttainableP(1, 1), 1);
  assert.equal(minAttainableP(2, 2), 2 / 6);
  assert.equal(binomial(6, 3), 20);
  assert.equal(binomial(20, 10), 184756);
});

test('larger samples fall back to the normal approximation and agree in order of magnitude', () => {
  const a = Array.from({ length: 15 }, (_, i) => i);
  const b = Array.from({ length: 15 }, (_, i) => i + 10);
  const r = mannWhitney(a, b);
  assert.equal(r.exact, false);
  assert.ok(r.p > 1e-7 && r.p < 1e-3, String(r.p)); // z about 4.1 for 12.5 of 225 pairs
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

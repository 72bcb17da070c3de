// The bench's own arithmetic and argv: failing-seq ground truth, RSS slope, options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialBand, expectedSeqs, failSeqsEnv, failingRanges } from './errors.ts';
import { slope } from './ledger-size.ts';
import { parseOptions, UsageError } from './options.ts';
import { table } from './table.ts';

test('failing seqs: ranges inside the run, FAIL_SEQS syntax, expected set from the seqs present', () => {
  const ranges = failingRanges(1000);
  assert.equal(failSeqsEnv(503, ranges), '503:10-19,42,333-432,950-974');
  const expected = expectedSeqs(ranges, Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(expected.length, 10 + 1 + 100 + 25);
  // 1-based numbering: seq 1000 exists, 0 does not; the set follows the ledger
  const oneBased = expectedSeqs(ranges, Array.from({ length: 1000 }, (_, i) => i + 1));
  assert.equal(oneBased.length, expected.length);
  assert.ok(failingRanges(30).every((r) => r.to < 30 && r.from <= r.to));
});

test('binomial band: 3 sigma of n·p', () => {
  assert.equal(binomialBand(10000, 0.05), 3 * Math.sqrt(475));
});

test('slope: least squares, flat series is 0, too few points is NaN', () => {
  assert.equal(slope([[0, 5], [1, 5], [2, 5]]), 0);
  assert.equal(slope([[0, 1], [1, 3], [2, 5]]), 2);
  assert.ok(Number.isNaN(slope([[0, 1]])));
});

test('options: defaults, --quick, and bad input naming the option', () => {
  const d = parseOptions([]);
  assert.deepEqual([d.rateSeconds, d.ledgerSeconds, d.connections], [30, 60, 32]);
  assert.deepEqual(d.rates, [1000, 5000, 10000]);
  const q = parseOptions(['--quick', '--only', 'rate,errors']);
  assert.deepEqual([q.rateSeconds, q.sections], [5, ['rate', 'errors']]);
  assert.equal(parseOptions(['--long']).ledgerSeconds, 600);
  assert.throws(() => parseOptions(['--rates', '1000,-5']), (e: Error) => e instanceof UsageError && /--rates "-5"/.test(e.message));
  assert.throws(() => parseOptions(['--only', 'speed']), /--only "speed"/);
  assert.throws(() => parseOptions(['--quick', '--long']), /choose one/);
  assert.throws(() => parseOptions(['--bogus']), UsageError);
  assert.deepEqual(parseOptions([]).timings, ['default']);
  assert.deepEqual(parseOptions(['--timings', 'default,spin']).timings, ['default', 'spin']);
  assert.throws(() => parseOptions(['--timings', 'precise,busy']), /--timings "busy": expected a comma list of default, precise, timer, spin/);
  assert.deepEqual(parseOptions([]).https, ['default']);
  assert.deepEqual(parseOptions(['--http', 'default,undici']).https, ['default', 'undici']);
  assert.throws(() => parseOptions(['--http', 'curl']), /--http "curl": expected a comma list of default, wire, undici/);
});

test('table: numbers right-aligned, text left-aligned', () => {
  const t = table(['tool', 'req/s'], [['lossless', 12345], ['ab', 7]]).split('\n');
  assert.equal(t[2], 'lossless  12,345');
  assert.equal(t[3], 'ab             7');
});

test('cpuBetween: interpolates the CPU used inside a window, undefined outside the samples', async () => {
  const { cpuBetween } = await import('./proc.ts');
  const series: [number, number][] = [[1000, 0.5], [2000, 1.5], [3000, 1.5], [4000, 3.5]];
  assert.equal(cpuBetween(series, 1500, 3500), 2.5 - 1.0);
  assert.equal(cpuBetween(series, 2000, 3000), 0);
  assert.equal(cpuBetween(series, 500, 3000), undefined);
  assert.equal(cpuBetween(series, 3000, 9000), 2);
});

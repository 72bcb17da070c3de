import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDurationMs } from './duration.ts';

test('Go-style durations: single and compound parts, every unit, fractions', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500], ['2s', 2000], ['1.5s', 1500], ['2m', 120_000], ['1m30s', 90_000], ['1h', 3_600_000],
    ['1h5m', 3_900_000], ['1h2m3s4ms', 3_723_004], ['250us', 0.25], ['250µs', 0.25], ['1500000ns', 1.5], ['.5s', 500], [' 3s ', 3000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text);
});

test('not durations: bare numbers, unknown units, signs, spaces inside, empty', () => {
  for (const text of ['30', '', 's', '1d', '-1s', '+1s', '1 s', '1m 30s', '1.s', '1e3ms', '1sm', 'ms1']) assert.equal(parseDurationMs(text), undefined, text);
});

test('formatDuration is the inverse for whole milliseconds', () => {
  for (const ms of [0, 250, 1000, 1500, 60_000, 90_000, 3_600_000, 3_723_004]) assert.equal(parseDurationMs(formatDuration(ms)), ms, String(ms));
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(1500), '1.5s');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOTATIONS, fromAnnotations, PRESETS, toAnnotations } from './settings.ts';

test('annotations round-trip; absent ones keep the cloud-provider-kind preset', () => {
  const s = { intervalMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, timeoutMs: 900, drainMs: 0 };
  assert.deepEqual(fromAnnotations(toAnnotations(s)), { settings: s, problems: [] });
  assert.deepEqual(fromAnnotations(undefined).settings, PRESETS['cloud-provider-kind']);
  assert.deepEqual(fromAnnotations({ [ANNOTATIONS.intervalMs]: '500' }).settings, { ...PRESETS['cloud-provider-kind'], intervalMs: 500 });
});

test('a bad annotation is named with what is allowed', () => {
  const { problems } = fromAnnotations({ [ANNOTATIONS.unhealthyThreshold]: '0', [ANNOTATIONS.intervalMs]: '3s' });
  assert.deepEqual(problems.map((p) => p.annotation).sort(), [ANNOTATIONS.intervalMs, ANNOTATIONS.unhealthyThreshold].sort());
  assert.match(problems[0]!.allowed, /an integer from \d+ to \d+/);
});

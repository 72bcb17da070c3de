// One rule per cause (issue 10, "Shape"): every Cause has exactly one rule, in causes/<cause>.ts, and a
// cause without its rule fails here rather than falling through to unexplained's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CAUSES } from '../record.ts';
import { RULES } from './rules.ts';

test('every cause has exactly one rule, and its own file', () => {
  assert.deepEqual([...RULES.map((r) => r.cause)].sort(), [...CAUSES].sort());
  const files = readdirSync(fileURLToPath(new URL('./causes/', import.meta.url))).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.deepEqual(files.map((f) => f.replace(/\.ts$/, '')).sort(), [...CAUSES].sort());
});

test('the verdicts no failure fits by itself come after the mechanisms, the release after the rollout', () => {
  const stages = RULES.map((r) => r.stage);
  const order = { rollout: 0, release: 1, verdict: 2 } as const;
  assert.deepEqual(stages, [...stages].sort((a, b) => order[a] - order[b]));
  assert.deepEqual(RULES.filter((r) => r.stage === 'verdict').map((r) => r.cause).sort(), ['ambiguous', 'unexplained']);
});

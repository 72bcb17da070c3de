import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUMMARY_SCHEMA_FILE, summaryJsonSchemaText } from './jsonschema.ts';
import { makeLoadRun } from '../../test/runs.ts';

test('load/summary.schema.json is what the zod schema generates (UPDATE_SCHEMA=1 rewrites it)', () => {
  const want = summaryJsonSchemaText();
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SUMMARY_SCHEMA_FILE, want);
  assert.equal(readFileSync(SUMMARY_SCHEMA_FILE, 'utf8'), want, 'out of date: run UPDATE_SCHEMA=1 scripts/node24 --import tsx --test harness/src/folder/jsonschema.test.ts');
});

test('a real summary.json has every property the schema requires, and no other at the top level', async () => {
  const schema = JSON.parse(summaryJsonSchemaText()) as { required: string[]; properties: Record<string, { type?: string }>; additionalProperties?: unknown };
  const dir = mkdtempSync(join(tmpdir(), 'lossless-schema-'));
  try {
    const run = await makeLoadRun(join(dir, 'run'), '503:3-5', 50);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const k of schema.required) assert.ok(k in summary, `summary.json lacks required ${k}`);
    for (const k of Object.keys(summary)) assert.ok(k in schema.properties, `summary.json has ${k}, which the schema does not name`);
    assert.equal(schema.properties.t0EpochNs!.type, 'string');
    assert.deepEqual(schema.required.slice(0, 3), ['version', 'runId', 't0EpochNs']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

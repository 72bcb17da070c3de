// summary.json's JSON Schema, generated from the zod schema the run folder validates with (artifacts.ts), so
// the published file (load/summary.schema.json, beside SUMMARY.md) cannot drift from what the code reads:
// jsonschema.test.ts fails when it is out of date (UPDATE_SCHEMA=1 rewrites it).
import { z } from 'zod';
import { summarySchema } from './artifacts.ts';

export const SUMMARY_SCHEMA_FILE = new URL('../load/summary.schema.json', import.meta.url);

/** The schema as published: draft 2020-12, with an id and a title, two-space JSON and a final newline. */
export function summaryJsonSchemaText(): string {
  const generated = z.toJSONSchema(summarySchema, { io: 'output', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const doc = {
    $schema,
    $id: 'https://lossless.invalid/schemas/summary.v1.json',
    title: 'lossless summary.json, version 1',
    description: 'Counts by outcome and path, loss %, latency percentiles and per-second series of one run. Field meanings: harness/src/load/SUMMARY.md. Generated from harness/src/folder/artifacts.ts (summarySchema).',
    ...rest,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

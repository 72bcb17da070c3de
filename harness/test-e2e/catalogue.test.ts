// The catalogue on the lab: every scenario's variants, each run LOSSLESS_E2E_REPEAT times (default 3).
// A naive variant must lose with one of the causes its file names as the largest share; a fixed one must
// lose nothing (the file's `expect`, judged by the same gate users run). Each run, as soon as it is judged,
// is merged into the committed catalogue (scenarios/catalogue.json and its Markdown twin CATALOGUE.md, by
// run id: invocations add up); the README links that file. Select with LOSSLESS_E2E_SCENARIOS=a,b and
// _VARIANTS=naive,fixed; LOSSLESS_E2E_CATALOGUE=<dir> writes the two files elsewhere.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { addToCatalogue } from '../src/catalogue/catalogue.ts';
import { catalogueEntry } from '../src/catalogue/entry.ts';
import { createLab } from '../src/lab/context.ts';
import { labUp } from '../src/lab/up.ts';
import { finishRun } from '../src/scenario/outputs.ts';
import { runScenario } from '../src/scenario/run.ts';
import { loadScenario } from '../src/scenario/schema.ts';

const repeat = Number(process.env.LOSSLESS_E2E_REPEAT ?? 3);
const pick = (v: string | undefined) => (v ? new Set(v.split(',').map((s) => s.trim())) : undefined);
const onlyScenarios = pick(process.env.LOSSLESS_E2E_SCENARIOS);
const onlyVariants = pick(process.env.LOSSLESS_E2E_VARIANTS);
const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort()
  .filter((f) => !onlyScenarios || onlyScenarios.has(f.slice(0, -5)));

const catalogueDir = process.env.LOSSLESS_E2E_CATALOGUE ?? 'scenarios';
const catalogueFiles = [join(catalogueDir, 'catalogue.json'), join(catalogueDir, 'CATALOGUE.md')] as const;

let labImages: Record<string, string> = {};
before(async () => {
  labImages = (await labUp(createLab((l) => console.error(`lab: ${l}`)))).images;
});

for (const f of files) {
  const file = join('scenarios', f);
  describe(f.slice(0, -5), async () => {
    const s = await loadScenario(file);
    for (const variant of s.variants.filter((v) => !onlyVariants || onlyVariants.has(v))) {
      for (let i = 1; i <= repeat; i++) {
        test(`${variant} run ${i}`, { timeout: 900_000 }, async () => {
          const run = await runScenario({ file, variant, skipLabUp: true, labImages, log: (l) => console.error(`  ${l}`) });
          const done = await finishRun(run);
          const g = done.outputs.gate;
          const t = run.summary.totals;
          const row = catalogueEntry(run.dir);
          addToCatalogue(...catalogueFiles, [row]);
          console.error(`  catalogue: ${row.id} ${row.lost} / ${row.sent} lost, ${row.status}: ${row.verdict} (${catalogueFiles[1]})`);
          assert.equal(run.error, undefined, `the run stopped early: ${run.error?.message}`);
          assert.ok(t.scheduled > 0, 'load was sent');
          assert.equal(row.status === 'met', g.pass, `the catalogue's verdict (${row.status}) and the gate's (${g.pass}) agree`);
          assert.ok(g.pass, `expectation not met (${run.dir}):\n${g.checks.filter((c) => !c.pass).map((c) => c.message).join('\n')}`);
        });
      }
    }
  });
}

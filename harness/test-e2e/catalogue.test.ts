// The catalogue on the lab: every scenario's variants, each run LOSSLESS_E2E_REPEAT times (default 3).
// A naive variant must lose with the causes its file names; a fixed one must lose nothing (the file's
// `expect`, judged by the same gate users run). Figures per run go to results/e2e-<stamp>.md and .json:
// the README's table comes from there. Select with LOSSLESS_E2E_SCENARIOS=a,b and _VARIANTS=naive,fixed.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLab } from '../src/lab/context.ts';
import { labUp } from '../src/lab/up.ts';
import { finishRun } from '../src/scenario/outputs.ts';
import { runFolderName, runScenario } from '../src/scenario/run.ts';
import { loadScenario } from '../src/scenario/schema.ts';

const repeat = Number(process.env.LOSSLESS_E2E_REPEAT ?? 3);
const pick = (v: string | undefined) => (v ? new Set(v.split(',').map((s) => s.trim())) : undefined);
const onlyScenarios = pick(process.env.LOSSLESS_E2E_SCENARIOS);
const onlyVariants = pick(process.env.LOSSLESS_E2E_VARIANTS);
const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort()
  .filter((f) => !onlyScenarios || onlyScenarios.has(f.slice(0, -5)));

interface Row {
  scenario: string;
  variant: string;
  run: number;
  dir: string;
  scheduled: number;
  lost: number;
  lossPct: number;
  longestWindowMs: number;
  causes: string;
  hostCpuMeanPct: number;
  pass: boolean;
  failed: string[];
}
const rows: Row[] = [];

let labImages: Record<string, string> = {};
before(async () => {
  labImages = (await labUp(createLab((l) => console.error(`lab: ${l}`)))).images;
});

after(() => {
  if (rows.length === 0) return;
  mkdirSync('results', { recursive: true });
  const base = join('results', runFolderName(new Date(), 'e2e'));
  writeFileSync(`${base}.json`, JSON.stringify(rows, null, 2) + '\n');
  const md = ['| scenario | variant | run | lost / sent | loss % | longest window | causes | host CPU | expectation |', '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.variant} | ${r.run} | ${r.lost} / ${r.scheduled} | ${r.lossPct} | ${r.longestWindowMs} ms | ${r.causes || '-'} | ${r.hostCpuMeanPct}% | ${r.pass ? 'met' : `NOT met: ${r.failed.join('; ')}`} |`)];
  writeFileSync(`${base}.md`, md.join('\n') + '\n');
  console.error(`e2e figures: ${base}.md`);
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
          const causes = [...new Set(done.outputs.windows.map((w) => w.cause ?? 'none'))].join(', ');
          const t = run.summary.totals;
          rows.push({
            scenario: s.name, variant, run: i, dir: run.dir, scheduled: t.scheduled - t.cancelled, lost: t.lost, lossPct: t.lossPct,
            longestWindowMs: done.outputs.windows.reduce((m, w) => Math.max(m, w.durationMs), 0), causes, hostCpuMeanPct: run.hostCpu.meanPct,
            pass: g.pass, failed: g.checks.filter((c) => !c.pass).map((c) => c.message),
          });
          assert.equal(run.error, undefined, `the run stopped early: ${run.error?.message}`);
          assert.ok(t.scheduled > 0, 'load was sent');
          assert.ok(g.pass, `expectation not met (${run.dir}):\n${g.checks.filter((c) => !c.pass).map((c) => c.message).join('\n')}`);
        });
      }
    }
  });
}

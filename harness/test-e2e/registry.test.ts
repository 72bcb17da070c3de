// The registry path on the lab, beyond the catalogue's naive/fixed verdicts: the warm-up ramp measured on a
// real scale-out against the share Dubbo's weights predict, and a registry outage (its pod deleted mid-run)
// that the consumer and providers survive. Figures go to results/<stamp>-registry-e2e.md.
// Select with LOSSLESS_E2E_SCENARIOS (registry-warmup, registry-outage).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLab } from '../src/lab/context.ts';
import { labUp } from '../src/lab/up.ts';
import { finishRun } from '../src/scenario/outputs.ts';
import { connect } from '../src/scenario/kube.ts';
import { REGISTRY_NAME } from '../src/scenario/registry.ts';
import { runFolderName, runScenario } from '../src/scenario/run.ts';
import { measureRamp } from './ramp.ts';

const only = process.env.LOSSLESS_E2E_SCENARIOS ? new Set(process.env.LOSSLESS_E2E_SCENARIOS.split(',').map((s) => s.trim())) : undefined;
const wanted = (name: string) => !only || only.has(name);
const lines: string[] = [];
let labImages: Record<string, string> = {};

before(async () => {
  if (wanted('registry-warmup') || wanted('registry-outage')) labImages = (await labUp(createLab((l) => console.error(`lab: ${l}`)))).images;
});

after(() => {
  if (lines.length === 0) return;
  mkdirSync('results', { recursive: true });
  const file = join('results', `${runFolderName(new Date(), 'registry-e2e')}.md`);
  writeFileSync(file, lines.join('\n') + '\n');
  console.error(`registry e2e figures: ${file}`);
});

if (wanted('registry-warmup')) {
  test('warm-up: the new provider\'s share ramps as the weights predict (within 10%), and nothing is lost', { timeout: 900_000 }, async () => {
    const run = await runScenario({ file: 'scenarios/registry-warmup.yaml', variant: 'fixed', skipLabUp: true, labImages, log: (l) => console.error(`  ${l}`) });
    const done = await finishRun(run);
    assert.equal(run.error, undefined, `the run stopped early: ${run.error?.message}`);
    const rollout = run.events.find((e) => e.kind === 'rollout-start');
    assert.ok(rollout, 'the scale-out happened');
    const records = [];
    for await (const r of run.folder.ledger()) records.push(r);
    const ramp = measureRamp(records, run.events, { t0EpochNs: BigInt(run.summary.t0EpochNs) }, rollout.at);
    const overall = Math.abs(ramp.served - ramp.expected) / ramp.expected;
    lines.push(`## registry-warmup fixed: ${run.dir}`, '', `new provider ${ramp.pod}, warm-up ${ramp.warmupMs} ms; lost ${run.summary.totals.lost} of ${run.summary.totals.scheduled}`, '',
      '| seconds after joining | requests | served by it | measured share | predicted share | difference |', '|---|---|---|---|---|---|',
      ...ramp.bins.map((b) => `| ${b.fromS}-${b.toS} | ${b.requests} | ${b.served} | ${(b.measured * 100).toFixed(1)}% | ${(b.predicted * 100).toFixed(1)}% | ${b.predicted > 0 ? `${(((b.measured - b.predicted) / b.predicted) * 100).toFixed(1)}%` : '-'} |`),
      '', `whole warm-up: served ${ramp.served}, predicted ${ramp.expected.toFixed(1)} (${(overall * 100).toFixed(1)}% apart)`, '');
    console.error(lines.join('\n'));
    assert.ok(done.outputs.gate.pass, `expectation not met: ${done.outputs.gate.checks.filter((c) => !c.pass).map((c) => c.message).join('; ')}`);
    assert.ok(ramp.bins.length >= 4, 'the warm-up spans several bins');
    assert.ok(ramp.bins[0]!.measured < ramp.bins.at(-1)!.measured, 'the share grows');
    assert.ok(overall <= 0.1, `over the warm-up the new provider served ${ramp.served} requests; the weights predict ${ramp.expected.toFixed(1)}`);
    // bins where the expected count is large enough for 10% to exceed sampling noise several times over
    for (const b of ramp.bins.filter((x) => x.predicted * x.requests >= 200)) {
      assert.ok(Math.abs(b.measured - b.predicted) <= 0.1 * b.predicted, `bin ${b.fromS}-${b.toS} s: measured ${b.measured.toFixed(3)} vs predicted ${b.predicted.toFixed(3)}`);
    }
  });
}

if (wanted('registry-outage')) {
  test('registry outage: its pod deleted mid-run, the consumer resubscribes, providers re-register, the ledger counts the loss', { timeout: 900_000 }, async () => {
    const k = connect('lab');
    let deletedAt: number | undefined;
    let deletion: Promise<void> | undefined;
    const run = await runScenario({
      file: 'scenarios/registry-registration.yaml', variant: 'fixed', skipLabUp: true, labImages,
      log: (l) => {
        console.error(`  ${l}`);
        // the load starts right after the paths answer: delete the registry 4 s into it, before the rollout
        if (l.startsWith('paths:') && !deletion) {
          deletion = new Promise((r) => setTimeout(r, 4000)).then(async () => {
            const ns = 'lossless-registry-registration';
            const pods = await k.core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/name=${REGISTRY_NAME}` });
            for (const p of pods.items) await k.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns, gracePeriodSeconds: 0 });
            deletedAt = Date.now();
            console.error(`  deleted the registry pod(s): ${pods.items.map((p) => p.metadata?.name).join(', ')}`);
          });
        }
      },
    });
    await deletion;
    const done = await finishRun(run);
    assert.equal(run.error, undefined, `the run stopped early: ${run.error?.message}`);
    assert.ok(deletedAt, 'the registry pod was deleted');
    const t0Ms = Number(BigInt(run.summary.t0EpochNs) / 1_000_000n);
    const at = (deletedAt - t0Ms) * 1e6;
    const after = run.events.filter((e) => e.at >= at - 1e9);
    const kinds = (k: string) => after.filter((e) => e.kind === k);
    const reregistered = after.filter((e) => e.kind === 'registry-register' && e.source === 'pod-log' && e.detail?.reason === 're-register');
    const t = run.summary.totals;
    const after1 = (k: string) => after.find((e) => e.kind === k);
    const lag = (e: { at: number } | undefined) => (e ? `${Math.round((e.at - at) / 1e6)} ms` : 'never');
    lines.push(`## registry outage (registry-registration fixed, registry pod deleted): ${run.dir}`, '',
      `after the deletion: consumer disconnected ${lag(after1('registry-disconnected'))}, resubscribed ${lag(after1('registry-resubscribed'))}, first provider re-registered ${lag(reregistered[0])}`,
      `lost ${t.lost} of ${t.scheduled}; windows: ${done.outputs.windows.map((w) => `${w.cause} ${w.lost}`).join(', ') || 'none'}`,
      `consumer: ${kinds('registry-disconnected').length} disconnect(s), ${kinds('registry-resubscribed').length} resubscription(s); providers re-registered: ${[...new Set(reregistered.map((e) => e.pod))].join(', ')}`, '');
    console.error(lines.join('\n'));
    assert.ok(kinds('registry-disconnected').length >= 1, 'the consumer saw its watch break');
    assert.ok(kinds('registry-resubscribed').length >= 1, 'the consumer resubscribed');
    assert.ok(reregistered.length >= 1, 'providers registered again in the new registry');
    assert.ok(t.scheduled > 0 && t.lost < t.scheduled, 'the path kept serving');
    // after the rollout the consumer's list holds the new providers: it followed the new registry
    const last = [...run.events].reverse().find((e) => e.kind === 'consumer-list');
    assert.ok(last && String(last.detail?.providers).split(',').filter(Boolean).length >= 3, `the consumer ends with the providers listed: ${String(last?.detail?.providers)}`);
  });
}

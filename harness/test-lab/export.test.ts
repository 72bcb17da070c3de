// A lab run exported to a real Prometheus (npm run test:lab, after npm run lab:up): one scenario run on the
// cluster (grace-period, naive: it loses to SIGKILL with requests in flight), `lossless export` of its folder
// to Debian's prometheus started here on loopback, and the series read back against summary.json,
// attribution.json and the runner's rollout marks. Skips when prometheus is not installed (.ci/run installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { PROMETHEUS, raw, startPrometheus, sum } from '../test/prometheus.ts';
import type { Summary } from '../src/load/summary.ts';
import type { Attribution } from '../src/record.ts';
import { pathName } from '../src/export/series.ts';

const BIN = fileURLToPath(new URL('../bin/lossless', import.meta.url));

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err }));
  });
}

test('a lab run exported to a real Prometheus reads back as its summary.json says', { skip: !existsSync(PROMETHEUS) && `${PROMETHEUS} not installed (apt-get install prometheus)`, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-lab-export-'));
  let prom: ChildProcess | undefined;
  try {
    const sc = await run(['scenario', 'grace-period', '--variant', 'naive', '--no-lab-up', '--results', join(dir, 'results'), '--json', '--quiet'], 600_000);
    assert.ok(sc.code === 0 || sc.code === 1, `scenario exited ${sc.code}: ${sc.err.slice(-2000)}`);
    const runDir = join(dir, 'results', readdirSync(join(dir, 'results')).find((d) => d.endsWith('-grace-period'))!);
    // --json: one document on stdout whose summary is the folder's; --quiet: nothing else on stderr
    const doc = JSON.parse(sc.out) as { exitCode: number; runs: Array<{ dir: string; variant: string; exitCode: number; error: string | null; summary: Summary; gate: { pass: boolean; checks: unknown[] } }> };
    assert.equal(doc.exitCode, sc.code);
    assert.equal(doc.runs.length, 1);
    assert.equal(doc.runs[0]!.dir, runDir);
    assert.equal(doc.runs[0]!.variant, 'naive');
    assert.equal(doc.runs[0]!.error, null);
    assert.ok(doc.runs[0]!.gate.checks.length > 0);
    assert.deepEqual(doc.runs[0]!.summary.totals, (JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary).totals);
    assert.equal(sc.err.trim(), '', 'nothing on stderr with --quiet');
    const p = await startPrometheus(dir);
    prom = p.proc;
    const ex = await run(['export', runDir, '--remote-write', `${p.url}/api/v1/write`, '--json'], 120_000);
    assert.equal(ex.code, 0, ex.err);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary;
    const attributions = JSON.parse(readFileSync(join(runDir, 'attribution.json'), 'utf8')) as Attribution[];
    const end = Date.parse(summary.endedAt) + 5000;
    assert.ok(summary.targets.length >= 2, 'grace-period drives two paths');
    for (const t of summary.targets) {
      const sel = (name: string) => `${name}{run="${summary.runId}",path="${pathName(t.target)}",scenario="grace-period",variant="naive"}`;
      assert.equal(sum(await raw(p.url, sel('lossless_scheduled'), end)), t.scheduled, `${t.target} scheduled`);
      assert.equal(sum(await raw(p.url, sel('lossless_ok'), end)), t.ok, `${t.target} ok`);
      assert.equal(sum(await raw(p.url, sel('lossless_lost'), end)), t.lost, `${t.target} lost`);
    }
    const windows = await raw(p.url, `lossless_loss_window_lost{run="${summary.runId}"}`, end);
    assert.equal(windows.length, attributions.length);
    const marks = await raw(p.url, `lossless_rollout{run="${summary.runId}"}`, end);
    assert.deepEqual(marks.map((m) => m.metric.mark).sort(), ['end', 'start']);
    console.error(`  exported ${readFileSync(join(runDir, 'summary.json')).length} B summary: ${JSON.parse(ex.out).runs[0].series} series; lost ${summary.totals.lost} of ${summary.totals.scheduled}, ${attributions.length} windows`);
  } finally {
    prom?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The CLI's conventions across commands: --version, the exit-code table in --help, compare as a regression
// gate (exit 1 when a variant is significantly worse than the base), Go-style durations on options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLoadRun } from '../../test/runs.ts';
import { main } from './main.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (t: string) => { out += t; return true; } },
    stderr: { write: (t: string) => { err += t; return true; } },
  } as unknown as Parameters<typeof main>[1];
  return { code: await main(argv, io), out, err };
}

test('--version names the package version, the commit and node; exit 0', async () => {
  for (const flag of ['--version', '-V', 'version']) {
    const r = await cli([flag]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^lossless \d+\.\d+\.\d+ \((git [0-9a-f]{7,}, )?node v\d+\.\d+\.\d+\)\n$/);
  }
});

test('--help documents the exit codes every command uses', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const code of ['0', '1', '2', '3', '70', '130']) assert.match(r.out, new RegExp(`^  ${code} +\\S`, 'm'));
});

test('Go-style durations on options: 1m30s is accepted where 90s is, a bare number names what is allowed', async () => {
  const bad = await cli(['load', 'http://127.0.0.1:9/', '--duration', '90']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--duration '90': expected a duration such as 500ms, 2s, 1m30s or 1h/);
  // parsed and then refused for another reason: the duration itself was fine
  const both = await cli(['load', 'http://127.0.0.1:9/', '--duration', '1m30s', '--requests', '5']);
  assert.equal(both.code, 2);
  assert.match(both.err, /give one of them, not both/);
});

test('compare is a regression gate: exit 1 when a variant is significantly worse than the base, 0 when better or with --no-fail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-gate-'));
  try {
    const clean: string[] = [];
    const lossy: string[] = [];
    for (let i = 0; i < 3; i++) {
      clean.push(await makeLoadRun(join(dir, `clean-${i}`), '503:1000', 50));
      lossy.push(await makeLoadRun(join(dir, `lossy-${i}`), `503:10-${15 + i}`, 50));
    }
    const worse = await cli(['compare', ...clean.map((d) => `last=${d}`), ...lossy.map((d) => `tonight=${d}`), '--out', join(dir, 'c.html')]);
    assert.equal(worse.code, 1, worse.err);
    assert.match(worse.out, /tonight vs last: worse/);
    assert.match(worse.err, /significantly worse: tonight vs last/);
    const better = await cli(['compare', ...lossy.map((d) => `before=${d}`), ...clean.map((d) => `after=${d}`), '--out', join(dir, 'c.html'), '--json']);
    assert.equal(better.code, 0, better.err);
    const json = JSON.parse(better.out) as { pairs: Array<{ base: string; other: string; verdict: string }> };
    assert.deepEqual(json.pairs.map((p) => [p.base, p.other, p.verdict]), [['before', 'after', 'better']]);
    const report = await cli(['compare', ...clean.map((d) => `last=${d}`), ...lossy.map((d) => `tonight=${d}`), '--out', join(dir, 'c.html'), '--no-fail']);
    assert.equal(report.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report keeps the budgets a run was judged by; --json gives the verdict; --verbose lists passing checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-keep-'));
  try {
    const run = await makeLoadRun(join(dir, 'run'), '503:10-19', 100, 100);
    assert.match((await cli(['report', run])).out, /no budget set/);
    const judged = await cli(['report', run, '--max-loss', '1%']);
    assert.equal(judged.code, 1);
    // no flags: the 1% it was judged by still holds (it used to say "no budget set" and exit 0)
    const again = await cli(['report', run, '--json']);
    assert.equal(again.code, 1, again.err);
    const json = JSON.parse(again.out) as { runs: Array<{ dir: string; windows: number; gate: { pass: boolean; exitCode: number; budgets: Record<string, number>; checks: Array<{ kind: string; pass: boolean; message: string }> } }> };
    assert.equal(json.runs.length, 1);
    assert.equal(json.runs[0]!.dir, run);
    assert.deepEqual(json.runs[0]!.gate.budgets, { maxLossPercent: 1 });
    assert.equal(json.runs[0]!.gate.pass, false);
    assert.deepEqual(json.runs[0]!.gate.checks.map((c) => [c.kind, c.pass]), [['maxLossPercent', false]]);
    // new flags replace them, and are then the ones kept
    assert.equal((await cli(['report', run, '--max-loss', '20%'])).code, 0);
    const verbose = await cli(['report', run, '--verbose']);
    assert.equal(verbose.code, 0);
    assert.match(verbose.out, /ok: http:\/\/127\.0\.0\.1:\d+\/: loss 10% \(10 of 100\) <= budget 20%/);
    assert.equal((await cli(['report', run, '--quiet'])).out, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

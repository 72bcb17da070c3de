// The nightly workflow and its script: actionlint (when built: scripts/ci/nightly.sh lint builds it)
// on the real workflow and on a broken copy, shellcheck on the script when present, and the gate step
// on real run folders (real engine against the real echo) with a breached and a kept budget.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeLoadRun } from '../../test/runs.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const WORKFLOW = join(REPO, '.github/workflows/nightly.yml');
const SCRIPT = join(REPO, 'scripts/ci/nightly.sh');
const cache = process.env.LOSSLESS_CACHE ?? join(homedir(), '.cache/lossless/lab');
const ACTIONLINT = [join(cache, 'bin-tools/actionlint'), '/usr/local/bin/actionlint', '/usr/bin/actionlint'].find((p) => existsSync(p));
const SHELLCHECK = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'lossless-nightly-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('actionlint: the nightly workflow is clean, and a broken copy is caught', { skip: ACTIONLINT ? false : 'actionlint not built: run scripts/ci/nightly.sh lint (go install from its module)' }, async () => {
  const ok = await execa(ACTIONLINT!, ['-no-color', WORKFLOW], { reject: false });
  assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
  const broken = join(root, 'broken.yml');
  writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-24.04\n    timeout-minutes: soon').replace('${{ github.run_id }}', '${{ github.run_idd }}'));
  const bad = await execa(ACTIONLINT!, ['-no-color', broken], { reject: false });
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stdout, /run_idd/);
});

test('shellcheck: scripts/ci/nightly.sh', { skip: SHELLCHECK ? false : 'shellcheck not installed (apt-get install -y shellcheck)' }, async () => {
  const r = await execa(SHELLCHECK!, [SCRIPT], { reject: false });
  assert.equal(r.exitCode, 0, r.stdout);
});

test('nightly.sh gate: exit 1 naming the breach, 0 once every run is within budget', async () => {
  const results = join(root, 'results');
  const nightly = join(results, 'nightly');
  mkdirSync(nightly, { recursive: true });
  writeFileSync(join(nightly, 'started'), '');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(nightly, 'started'), past, past);
  const lossy = await makeLoadRun(join(results, 'run-lossy'), '503:10-19', 50);
  const clean = await makeLoadRun(join(results, 'run-clean'), '503:1000', 50);
  // the scenario runner writes scenario.json with the variant's budgets; the gate re-reads them
  writeFileSync(join(lossy, 'scenario.json'), JSON.stringify({ name: 'gate-test', variant: 'fixed', budgets: { maxLost: 0 } }));
  writeFileSync(join(clean, 'scenario.json'), JSON.stringify({ name: 'gate-test', variant: 'fixed', budgets: { maxLost: 0 } }));
  const env = { ...process.env, RESULTS_DIR: results, GITHUB_STEP_SUMMARY: join(root, 'step-summary.md') };
  const breach = await execa(SCRIPT, ['gate'], { env, reject: false });
  assert.equal(breach.exitCode, 1, breach.stdout + breach.stderr);
  const table = readFileSync(join(nightly, 'gate.md'), 'utf8');
  assert.match(table, /\| run-lossy \| \*\*BREACH\*\*: http:\/\/127\.0\.0\.1:\d+\/: lost 10 > budget 0; worst window/);
  assert.match(table, /\| run-clean \| within budget \|/);
  assert.match(readFileSync(join(root, 'step-summary.md'), 'utf8'), /## lossless nightly: 2 runs/);
  // a naive variant that loses is what its expectation asks for: the gate passes
  writeFileSync(join(lossy, 'scenario.json'), JSON.stringify({ name: 'gate-test', variant: 'naive', budgets: { maxLost: 0 }, expect: { loses: true } }));
  const kept = await execa(SCRIPT, ['gate'], { env, reject: false });
  assert.equal(kept.exitCode, 0, kept.stdout + kept.stderr);
  const usage = await execa(SCRIPT, ['nope'], { reject: false });
  assert.equal(usage.exitCode, 2);
});

test('nightly.sh annotate and previous: junit failures as ::error lines; a night significantly worse than the last exits 1, and its runs are kept for the next', async () => {
  const results = join(root, 'results-prev');
  const nightly = join(results, 'nightly');
  const previous = join(results, 'previous-night');
  mkdirSync(nightly, { recursive: true });
  const scenario = JSON.stringify({ name: 'prev-test', variant: 'fixed', budgets: { maxLost: 0 } });
  // last night: three clean runs (kept in previous-night); tonight: three runs losing 10-12 of 50
  for (let i = 0; i < 3; i++) {
    const d = await makeLoadRun(join(previous, `last-${i}`), '503:1000', 50);
    writeFileSync(join(d, 'scenario.json'), scenario);
  }
  const tonight: string[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await makeLoadRun(join(results, `tonight-${i}`), `503:10-${19 + i}`, 50);
    writeFileSync(join(d, 'scenario.json'), scenario);
    tonight.push(d);
  }
  writeFileSync(join(nightly, 'started'), '');
  const past = new Date(Date.now() - 600_000);
  utimesSync(join(nightly, 'started'), past, past);
  const env = { ...process.env, RESULTS_DIR: results, PREVIOUS_DIR: previous, GITHUB_STEP_SUMMARY: join(root, 'prev-summary.md') };
  assert.equal((await execa(SCRIPT, ['gate'], { env, reject: false })).exitCode, 1);
  const ann = await execa(SCRIPT, ['annotate'], { env, reject: false });
  assert.equal(ann.exitCode, 0, ann.stderr);
  const errors = ann.stdout.split('\n').filter((l) => l.startsWith('::error '));
  assert.equal(errors.length, 3, ann.stdout);
  assert.match(errors[0]!, /^::error title=lossless tonight-0: http:\/\/127\.0\.0\.1:\d+\/: maxLost 0 \(maxLost\)::lost 10 > budget 0; worst window/);

  const prev = await execa(SCRIPT, ['previous'], { env, reject: false });
  assert.equal(prev.exitCode, 1, prev.stdout + prev.stderr);
  assert.match(prev.stdout, /\| prev-test\/fixed \| \*\*WORSE\*\*: tonight vs last: worse/);
  assert.match(readFileSync(join(root, 'prev-summary.md'), 'utf8'), /## against the previous night/);
  // tonight's runs replaced last night's: the next night compares against them
  assert.ok(tonight.every((d) => existsSync(join(previous, d.split('/').pop()!, 'summary.json'))));
  assert.ok(!existsSync(join(previous, 'last-0')));
  // the next night measures the same again (new runs: a kept run compared with itself would be one run
  // counted twice, which compare refuses): no significant difference, exit 0
  for (let i = 0; i < 3; i++) {
    rmSync(tonight[i]!, { recursive: true, force: true });
    writeFileSync(join(await makeLoadRun(tonight[i]!, `503:10-${19 + i}`, 50), 'scenario.json'), scenario);
  }
  const again = await execa(SCRIPT, ['previous'], { env, reject: false });
  assert.equal(again.exitCode, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /\| prev-test\/fixed \| tonight vs last: no significant difference/);
});

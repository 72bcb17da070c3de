// compare on real run folders: the real engine against the real echo with FAIL_SEQS, so the figures
// come from real ledgers and summaries, not from hand-written numbers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLoadRun } from '../../test/runs.ts';
import { compareRuns, formatComparison, parseRunSpec } from './compare.ts';
import { compareCommand } from '../cli/compare.ts';
import type { Io } from '../cli/command.ts';
import { UsageError } from '../errors.ts';
import { DATA_ONLY_CSS, browserSkipReason, inkPixels, launchChromium } from './browser.ts';

let root: string;
const runs: Record<'same' | 'naive' | 'fixed', string[]> = { same: [], naive: [], fixed: [] };
const TICKS = 100;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lossless-compare-'));
  // 10 of 100 lost in every `same` run; naive loses 30, fixed 2
  for (let i = 0; i < 6; i++) runs.same.push(await makeLoadRun(join(root, `same-${i}`), '503:40-49', TICKS));
  for (let i = 0; i < 3; i++) runs.naive.push(await makeLoadRun(join(root, `naive-${i}`), '503:30-59', TICKS));
  for (let i = 0; i < 3; i++) runs.fixed.push(await makeLoadRun(join(root, `fixed-${i}`), '503:50-51', TICKS));
});
after(() => rmSync(root, { recursive: true, force: true }));

function io(): Io & { out: () => string } {
  let o = '';
  return {
    stdout: { write: (s: string) => ((o += s), true) } as unknown as Io['stdout'],
    stderr: { write: () => true } as unknown as Io['stderr'],
    out: () => o,
  };
}

test('two groups of runs of the same variant: no significant difference', async () => {
  const c = await compareRuns(runs.same.map((dir, i) => ({ dir, variant: i < 3 ? 'a' : 'b' })));
  assert.equal(c.pairs.length, 1);
  const p = c.pairs[0]!;
  assert.equal(p.verdict, 'no significant difference', p.text);
  assert.equal(c.variants[0]!.median.lossPct, 10);
  assert.equal(c.variants[1]!.median.lossPct, 10);
  assert.equal(p.tests[0]!.test.p, 1);
});

test('naive vs fixed: fixed is better, with the numbers', async () => {
  const c = await compareRuns([...runs.naive.map((dir) => ({ dir, variant: 'naive' })), ...runs.fixed.map((dir) => ({ dir, variant: 'fixed' }))]);
  const p = c.pairs[0]!;
  assert.equal(p.base, 'naive');
  assert.equal(p.other, 'fixed');
  assert.equal(p.verdict, 'better', p.text);
  assert.match(p.text, /^fixed vs naive: better — loss 2% \(median of 3 runs: 2, 2, 2\) vs 30% \(30, 30, 30\); Mann-Whitney U = 0, exact two-sided p = 0\.1 \(level 0\.1\)$/);
  // the other way round it is worse
  const back = await compareRuns([...runs.fixed.map((dir) => ({ dir, variant: 'fixed' })), ...runs.naive.map((dir) => ({ dir, variant: 'naive' }))]);
  assert.equal(back.pairs[0]!.verdict, 'worse');
  // failures by class and the longest window come from the real ledgers
  const naive = c.variants[0]!.runs[0]!;
  assert.deepEqual(naive.byOutcome, { ok: 70, 'http-5xx': 30 });
  // no client policy: the client-seen figure is the wire's
  assert.deepEqual([naive.client, naive.clientLost, naive.clientLossPct], ['none', 30, 30]);
  assert.equal(naive.windows, 1);
  assert.ok(naive.longestWindowMs > 100 && naive.longestWindowMs < 1000, String(naive.longestWindowMs));
  const text = formatComparison(c);
  assert.match(text, /naive\s+naive-0\s+30\s+30\s+1\s/);
  assert.match(text, /http-5xx 30/);
});

test('one run a side: insufficient runs, not a verdict', async () => {
  const c = await compareRuns([{ dir: runs.naive[0]!, variant: 'naive' }, { dir: runs.fixed[0]!, variant: 'fixed' }]);
  assert.equal(c.pairs[0]!.verdict, 'insufficient runs');
  assert.match(c.pairs[0]!.text, /with 1 and 1 runs no outcome can reach p <= 0\.1 .*repeat each variant at least 3 times/);
});

test('lossless compare: name=dir grouping, text and compare.html (opened in chromium when present)', async () => {
  assert.deepEqual(parseRunSpec('naive=results/a'), { variant: 'naive', dir: 'results/a' });
  assert.deepEqual(parseRunSpec('results/a'), { dir: 'results/a' });
  const out = join(root, 'cmp', 'compare.html');
  const o = io();
  const code = await compareCommand.run([...runs.naive.map((d) => `naive=${d}`), ...runs.fixed.map((d) => `fixed=${d}`), '--out', out], o);
  assert.equal(code, 0);
  assert.match(o.out(), /fixed vs naive: better/);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /data-verdict="better"/);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i);
  await assert.rejects(compareCommand.run(['--alpha', '2', runs.naive[0]!], io()), (e: Error) => e instanceof UsageError && /--alpha '2'/.test(e.message));
  await assert.rejects(compareCommand.run([], io()), UsageError);

  const skip = browserSkipReason();
  if (skip) return void console.log(`# ${skip}`);
  assert.ok(existsSync(out));
  const b = await launchChromium();
  try {
    const page = await b.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`file://${out}`);
    await page.waitForSelector('html[data-report-ready="1"]');
    assert.deepEqual(errors, []);
    await page.addStyleTag({ content: DATA_ONLY_CSS });
    const figs = page.locator('figure.chart');
    assert.equal(await figs.count(), 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(await figs.nth(i).locator('path.line').count(), 6, 'one line per run');
      const ink = await inkPixels(b.context, await figs.nth(i).locator('svg').screenshot());
      assert.ok(ink > 300, `overlay ${i}: ${ink} data pixels`);
    }
  } finally {
    await b.close();
  }
});

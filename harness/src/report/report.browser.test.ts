// report.html in a real headless chromium (Debian's, through playwright-core): no console errors,
// every view drawn (pixels of data in each chart, axes and labels hidden), the failure marks of a run
// with known failures on the pod and path they hit, and a printable page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeRolloutRun, NEW_POD, OLD_POD } from '../../test/runs.ts';
import { writeRunOutputs } from './folder.ts';
import { DATA_ONLY_CSS, browserSkipReason, inkPixels, launchChromium, type LaunchedBrowser } from './browser.ts';

const skip = browserSkipReason();
let root: string;
let html: string;
let lostOld = 0;
let lostNew = 0;
let b: LaunchedBrowser | undefined;
let page: Page;
const errors: string[] = [];

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'lossless-report-browser-'));
  const run = await makeRolloutRun(join(root, 'run'));
  ({ lostOld, lostNew } = run);
  html = (await writeRunOutputs(run.dir)).htmlPath;
  b = await launchChromium();
  page = await b.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
  });
  await page.goto(`file://${html}`);
  await page.waitForSelector('html[data-report-ready="1"]', { timeout: 30_000 });
});
after(async () => {
  await b?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('opens from file:// with no console error and no network request', { skip: skip ?? false }, () => {
  assert.deepEqual(errors, []);
});

test('every view is drawn: data pixels in each chart area', { skip: skip ?? false }, async () => {
  const figs = page.locator('figure.chart');
  const views = await figs.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-view')}:${e.getAttribute('data-drawn')}`));
  assert.deepEqual(views, ['rps:1', 'rps:1', 'latency:1', 'served:1', 'lanes:1']);
  await page.addStyleTag({ content: DATA_ONLY_CSS });
  for (let i = 0; i < views.length; i++) {
    const shot = await figs.nth(i).locator('svg').screenshot();
    const ink = await inkPixels(b!.context, shot);
    assert.ok(ink > 300, `${views[i]}: only ${ink} data pixels`);
  }
  // the blank check can fail: an svg with its data removed has no ink once axes are hidden
  await page.locator('figure[data-view="served"] svg path.line').evaluateAll((els) => els.forEach((p) => p.remove()));
  const blank = await inkPixels(b!.context, await page.locator('figure[data-view="served"] svg').screenshot());
  assert.ok(blank < 50, `served chart without its lines still has ${blank} pixels`);
  await page.reload();
  await page.waitForSelector('html[data-report-ready="1"]');
});

test('failure marks: one per failed request, on the pod and path it hit', { skip: skip ?? false }, async () => {
  assert.equal(lostNew, 21);
  assert.ok(lostOld > 20);
  const lanes = page.locator('figure[data-view="lanes"]');
  assert.equal(await lanes.getAttribute('data-marks'), String(lostOld + lostNew));
  // refused connections carry no pod name: the attribution's window puts them on the old pod (the few
  // it may leave unexplained, without a pod, go to the "(pod unknown)" lane)
  const oldMarks = Number(await lanes.locator(`g.lane[data-pod="${OLD_POD}"]`).getAttribute('data-marks'));
  const unknown = lanes.locator('g.lane[data-pod="(pod unknown)"]');
  const unknownMarks = (await unknown.count()) ? Number(await unknown.getAttribute('data-marks')) : 0;
  assert.equal(oldMarks + unknownMarks, lostOld);
  assert.ok(oldMarks > 0, 'the attributed failures sit on the old pod');
  // the 503s came from the new pod (x-lossless-pod)
  assert.equal(await lanes.locator(`g.lane[data-pod="${NEW_POD}"]`).getAttribute('data-marks'), String(lostNew));
  const count = async (target: string) => ((await lanes.locator(`path.marks[data-target="${target}"]`).getAttribute('d')) ?? '').split('M').length - 1;
  assert.equal(await count('0'), lostOld, 'marks on path 0 (the old pod\'s)');
  assert.equal(await count('1'), lostNew, 'marks on path 1 (the new pod\'s)');
  await page.addStyleTag({ content: '.chart svg :not(path.marks):not(g):not(svg) { visibility: hidden !important; }' });
  const ink = await inkPixels(b!.context, await lanes.locator('svg').screenshot());
  assert.ok(ink > 100, `marks alone drew ${ink} pixels`);
  await page.reload();
  await page.waitForSelector('html[data-report-ready="1"]');
  // the lanes show the rollout: SIGTERM and exit ticks on the old pod, ready on the new
  assert.equal(await lanes.locator(`g.lane[data-pod="${OLD_POD}"] line[data-point="sigterm"]`).count(), 1);
  assert.equal(await lanes.locator(`g.lane[data-pod="${NEW_POD}"] line[data-point="ready"]`).count(), 1);
  // and the windows table names the cause
  const causes = await page.locator('#windows td.cause').allTextContents();
  assert.ok(causes.length >= 1 && causes.every((c) => c.length > 0 && c !== '—'), causes.join(','));
});

test('printable: print media keeps the charts and renders a PDF', { skip: skip ?? false }, async () => {
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  assert.ok(pdf.length > 20_000, `pdf of ${pdf.length} bytes`);
  assert.ok(await page.locator('figure[data-view="lanes"] svg').isVisible());
  await page.emulateMedia({ media: 'screen' });
});

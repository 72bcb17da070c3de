import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clock, Progress } from './progress.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A terminal or a pipe that keeps what was written. */
function sink(isTTY: boolean): { isTTY: boolean; text: string; write(t: string): boolean } {
  return { isTTY, text: '', write(t: string) { this.text += t; return true; } };
}

test('clock reads as a person writes durations', () => {
  assert.equal(clock(4.4), '4s');
  assert.equal(clock(185), '3m05s');
  assert.equal(clock(3720), '1h02m');
});

test('off a TTY: a line every period with step, sub-step, elapsed, estimate from the last build and the log', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'lossless-progress-'));
  try {
    let now = 0;
    const lines: string[] = [];
    // the first build: no past duration; the step's time is kept for the next one
    const first = new Progress(cache, sink(false), (l) => lines.push(l), () => now, 20);
    first.begin('build binaries', '/c/logs/build.log');
    first.sub('kubernetes', '/c/logs/build-kubernetes.log', 600);
    now = 125_000;
    await wait(70);
    assert.ok(lines.length >= 2, `a line per 20 ms period, got ${lines.length}`);
    assert.equal(lines[0], '  … build binaries › kubernetes, 2m05s, no past duration in the cache, kubernetes 2m05s, ~7m55s left for kubernetes (took 10m00s last time), log /c/logs/build-kubernetes.log');
    first.subDone('kubernetes', 630);
    now = 1_800_000;
    first.end(1800, true);
    const n = lines.length;
    await wait(50);
    assert.equal(lines.length, n, 'no line once the step ended');
    assert.deepEqual(JSON.parse(readFileSync(join(cache, 'logs', 'durations.json'), 'utf8')), {
      'build binaries › kubernetes': 630,
      'build binaries': 1800,
    });

    // the next build reads those estimates back; a failed step does not replace them
    now = 0;
    const second = new Progress(cache, sink(false), (l) => lines.push(l), () => now, 1000);
    second.begin('build binaries', '/c/logs/build.log');
    second.sub('kubernetes', '/c/logs/build-kubernetes.log');
    now = 700_000;
    assert.equal(second.status(), '… build binaries › kubernetes, 11m40s, ~18m20s left (took 30m00s last time), kubernetes 11m40s, over last time\'s 10m30s for kubernetes, log /c/logs/build-kubernetes.log');
    second.end(700, false);
    assert.equal(JSON.parse(readFileSync(join(cache, 'logs', 'durations.json'), 'utf8'))['build binaries'], 1800);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('on a TTY: one line redrawn in place, cleared around ordinary output; nested steps show their path', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'lossless-progress-'));
  try {
    const tty = sink(true);
    const printed: string[] = [];
    let now = 0;
    const p = new Progress(cache, tty, (l) => { tty.text += `${l}\n`; printed.push(l); }, () => now, 20);
    p.begin('add-ons', '/c/logs/add-ons.log');
    p.begin('metallb', '/c/logs/metallb.log');
    now = 3000;
    await wait(50);
    assert.match(tty.text, /\r\x1b\[2K… add-ons › metallb, 3s, no past duration in the cache, log \/c\/logs\/metallb\.log/);
    assert.equal(printed.length, 0, 'the status never becomes a line of its own on a TTY');
    tty.text = '';
    p.line('✓ metallb 3.0s');
    assert.ok(tty.text.startsWith('\r\x1b[2K✓ metallb 3.0s\n'), JSON.stringify(tty.text));
    p.end(3, true);
    assert.match(p.status(), /^… add-ons, 3s/);
    p.end(3, true);
    assert.equal(p.status(), '');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

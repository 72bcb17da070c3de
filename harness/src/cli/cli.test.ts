// The CLI contract the bench and the scenario runner rely on: validation (exit 2, nothing written),
// exit 3, outputs, decode, and Ctrl-C, through main() and through the real `lossless` process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { Summary } from '../load/summary.ts';
import { hangServer, httpServer } from '../../test/servers.ts';
import { CSV_COLUMNS } from './decode.ts';
import { runCli } from '../../test/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/lossless', import.meta.url));

const run = runCli;

test('bad input: exit 2, a message naming the option, the value and what is allowed, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-cli-'));
  try {
    const out = join(dir, 'out');
    const u = 'http://127.0.0.1:9/';
    const cases: Array<[string[], RegExp]> = [
      [[u, '--qps', '0'], /--qps '0': must be greater than 0/],
      [[u, '--qps=-5'], /--qps '-5': expected a positive number/],
      [[u, '--qps', 'lots'], /--qps 'lots': expected a positive number/],
      [[u, '--duration', '10y'], /--duration '10y': expected a duration such as 500ms, 2s, 1m30s or 1h/],
      [[u, '--duration', '0s'], /--duration '0s': must be greater than 0/],
      [[u, '--duration', '1s', '--requests', '5'], /give one of them, not both/],
      [[u, '--requests', '2.5'], /--requests '2.5': expected a whole number/],
      [[u, '--connections', '0'], /--connections '0': expected a whole number >= 1|must be at least 1/],
      [[u, '--timeout', '10m'], /--timeout '10m': at most 300s/],
      [[u, '--arrivals', 'bursty'], /--arrivals 'bursty': expected one of uniform, poisson/],
      [[u, '-H', 'no-colon'], /-H 'no-colon': expected 'name: value'/],
      [[u, '--method', 'GE T'], /--method 'GE T'/],
      [[u, '--body', 'x', '--body-file', '/etc/hostname'], /--body and --body-file/],
      [[u, '--body-file', join(dir, 'missing')], /--body-file '.*missing': cannot read it \(ENOENT\)/],
      [[u, '--run-id', 'a b'], /--run-id 'a b'/],
      [[u, '--bogus'], /unknown option '--bogus'; allowed: --qps/],
      [['not a url'], /<url> 'not a url': not a valid URL/],
      [['ftp://127.0.0.1/'], /<url> 'ftp:\/\/127.0.0.1\/': protocol ftp: not allowed/],
      [[], /missing <url>/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['load', ...args, '--out', out]);
      assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message, args.join(' '));
      assert.equal(existsSync(out), false, `nothing written for ${args.join(' ')}`);
    }
    assert.equal((await run(['nope'])).code, 2);
    assert.equal((await run(['decode', join(dir, 'missing.bin')])).code, 2);
    assert.equal((await run(['decode', '/etc/hostname', '--format', 'xml'])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable output folder is exit 3; a file where a folder belongs is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-cli-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await run(['load', 'http://127.0.0.1:9/', '--requests', '1', '--out', join(file, 'sub')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--out '.*a-file\/sub': '.*a-file' is a file; expected a folder/);
    const proc = await run(['load', 'http://127.0.0.1:9/', '--requests', '1', '--out', '/proc/nope/run']);
    assert.equal(proc.code, 3, proc.err);
    assert.match(proc.err, /--out '\/proc\/nope\/run': cannot write there \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load writes ledger.bin and summary.json; decode prints them as NDJSON and CSV', async () => {
  const f = await httpServer(200, 'pod-x');
  const dir = mkdtempSync(join(tmpdir(), 'lossless-cli-'));
  try {
    const out = join(dir, 'run');
    const r = await run(['load', f.url, '--qps', '100', '--requests', '30', '--out', out, '--json', '-H', 'x-extra: 1']);
    assert.equal(r.code, 0, r.err);
    const { report, ...printed } = JSON.parse(r.out) as Summary & { report: unknown };
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.deepEqual(printed, onDisk);
    assert.deepEqual(report, JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), '--json adds the report stage\'s report.json as `report`');
    assert.equal(onDisk.totals.ok, 30);
    assert.equal(onDisk.runId, 'run');
    const nd = await run(['decode', join(out, 'ledger.bin')]);
    assert.equal(nd.code, 0);
    const lines = nd.out.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; servedBy: string; outcome: string });
    assert.equal(lines.length, 30);
    assert.deepEqual(lines.map((l) => l.seq).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
    assert.ok(lines.every((l) => l.servedBy === 'pod-x' && l.outcome === 'ok'));
    const csv = await run(['decode', out, '--format', 'csv']); // a run folder works too
    const rows = csv.out.trim().split('\n');
    assert.equal(rows[0], CSV_COLUMNS.join(','));
    assert.equal(rows.length, 31);
    assert.match(rows[1]!, /,ok,200,,none,127\.0\.0\.1:\d+,\d+,(true|false),pod-x,\d+,2,1,false$/);
    // a second run into the same folder is refused rather than overwriting it
    assert.equal((await run(['load', f.url, '--requests', '1', '--out', out])).code, 2);
  } finally {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lossless process: Ctrl-C stops sending, twice cancels in-flight requests, the summary is partial', { timeout: 60_000 }, async () => {
  const hang = await hangServer();
  const ok = await httpServer();
  const dir = mkdtempSync(join(tmpdir(), 'lossless-cli-'));
  try {
    const out = join(dir, 'run');
    const child = spawn(BIN, ['load', hang.url, ok.url, '--qps', '20', '--duration', '5m', '--timeout', '60s', '--out', out, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // wait until it is sending: the hung target has seen a few requests
    const deadline = Date.now() + 30_000;
    while (hang.seen.size < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(hang.seen.size >= 5, `the process never started sending: ${stderr}`);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.partial, true);
    const hung = s.targets.find((t) => t.target === hang.url)!;
    assert.ok(hung.cancelled > 0 && hung.cancelled === hung.scheduled, JSON.stringify(hung.byOutcome));
    assert.equal(hung.lost, 0);
    assert.ok(s.totals.scheduled < 20 * 2 * 60, 'sending stopped long before the 5 minutes');
    const { stdout } = await promisify(execFile)(BIN, ['decode', join(out, 'ledger.bin')]);
    assert.equal(stdout.trim().split('\n').length, s.totals.scheduled);
  } finally {
    await hang.close();
    await ok.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A run that dies keeps what it measured: the real `lossless` process against a real server on loopback,
// killed (-9), hung up on (SIGHUP), its stdout reader gone (`--stream | head -2`, `decode | head -1`), its
// ledger unwritable mid-run (a file size limit: the same EFBIG/ENOSPC path as a full disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpServer } from '../../test/servers.ts';
import { EnvError } from '../errors.ts';
import { RunFolder } from '../folder/folder.ts';
import { readLedger } from '../ledger/reader.ts';
import { runLoad } from './run.ts';
import type { Summary } from './summary.ts';

const BIN = fileURLToPath(new URL('../../bin/lossless', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lossless-durable-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], shell?: string): Child {
  const proc = shell
    ? spawn('bash', ['-c', `${shell}; exec "$0" "$@"`, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return { proc, stdout: () => out, stderr: () => err, exit };
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ledgerOf(dir: string): Promise<{ records: number; complete: boolean; runId: string | undefined }> {
  const reader = readLedger(join(dir, 'ledger.bin'));
  let records = 0;
  for await (const _ of reader) records++;
  return { records, complete: reader.complete, runId: reader.header?.runId };
}

test('kill -9 at 5 s into a 10 s run at 1000/s leaves a decodable ledger of >= 4000 records, and report says partial', { timeout: 90_000 }, async () => {
  const f = await httpServer(200, 'pod-k');
  try {
    const out = join(root, 'killed');
    const c = start(['load', f.url, '--qps', '1000', '--duration', '10s', '--out', out, '--quiet']);
    await until('the first request', () => f.seen.size > 0, 30_000);
    await new Promise((r) => setTimeout(r, 5000));
    c.proc.kill('SIGKILL');
    assert.equal((await c.exit).signal, 'SIGKILL');
    assert.equal(existsSync(join(out, 'summary.json')), false, 'no summary: the process had no chance to write one');
    const l = await ledgerOf(out);
    assert.equal(l.runId, 'killed');
    assert.equal(l.complete, false);
    assert.ok(l.records >= 4000, `${l.records} records kept of ~5000 sent (server saw ${f.seen.size})`);
    const r = start(['report', out]);
    const done = await r.exit;
    assert.equal(done.code, 0, r.stderr());
    assert.match(r.stdout(), new RegExp(`partial run: ${l.records} requests recorded before it stopped`));
    assert.match(r.stdout(), /note: no summary\.json \(the run was killed before its ledger was closed\): the figures are rebuilt from the \d+ records of ledger\.bin/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { partial: boolean };
    assert.equal(report.partial, true);
  } finally {
    await f.close();
  }
});

test('SIGHUP (a closed terminal) stops the run like Ctrl-C: partial summary, whole ledger, exit 0', { timeout: 60_000 }, async () => {
  const f = await httpServer(200, 'pod-h');
  try {
    const out = join(root, 'hup');
    const c = start(['load', f.url, '--qps', '200', '--duration', '5m', '--out', out, '--quiet']);
    await until('requests', () => f.seen.size > 50, 30_000);
    c.proc.kill('SIGHUP');
    const e = await c.exit;
    assert.equal(e.code, 0, `${e.signal ?? ''} ${c.stderr()}`);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.partial, true);
    const l = await ledgerOf(out);
    assert.equal(l.complete, true);
    assert.equal(l.records, s.totals.scheduled);
  } finally {
    await f.close();
  }
});

test('load --stream | head -2: the reader goes away, the run goes on and every record still reaches the ledger', { timeout: 60_000 }, async () => {
  const f = await httpServer(200, 'pod-s');
  try {
    const out = join(root, 'stream');
    const c = start(['load', f.url, '--qps', '500', '--requests', '1500', '--out', out, '--stream', '--quiet']);
    await until('two lines', () => c.stdout().split('\n').length > 2, 30_000);
    c.proc.stdout!.destroy(); // what `head -2` does after its second line
    const e = await c.exit;
    assert.equal(e.code, 0, c.stderr());
    assert.match(c.stderr(), /stdout was closed after \d+ streamed records; the run goes on and every record still goes to .*ledger\.bin/);
    const l = await ledgerOf(out);
    assert.equal(l.complete, true);
    assert.equal(l.records, 1500);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.totals.ok, 1500);
  } finally {
    await f.close();
  }
});

test('decode | head -1: exit 3 naming stdout, not an EPIPE stack trace', { timeout: 60_000 }, async () => {
  // a ledger far larger than a pipe's buffer (100,000 records), written by the real writer
  const out = join(root, 'decode');
  const w = RunFolder.create(out).createLedger({ t0EpochNs: 1n, runId: 'decode' });
  for (let seq = 0; seq < 100_000; seq++) {
    w.write({ seq, target: 'http://127.0.0.1:1/', scheduledAt: seq * 1e6, sentAt: seq * 1e6, endAt: seq * 1e6 + 5e5, outcome: 'ok', status: 200, phase: 'none', reusedConnection: true, bytesSent: 80, bytesReceived: 120 });
  }
  w.close();
  const c = start(['decode', out]);
  await until('output', () => c.stdout().length > 0, 30_000);
  c.proc.stdout!.destroy();
  const e = await c.exit;
  assert.equal(e.code, 3, c.stderr());
  assert.match(c.stderr(), /^lossless decode: stdout was closed by its reader \(EPIPE\) after \d+ records of .*ledger\.bin; nothing is wrong with the ledger\n$/);
});

test('a ledger that cannot be written mid-run (file size limit, as a full disk) stops the run: exit 3, the records kept stay decodable', { timeout: 60_000 }, async () => {
  const f = await httpServer(200, 'pod-f');
  try {
    const out = join(root, 'full');
    // 100 KiB per file: ~2,500 records of 40 bytes, then write() fails with EFBIG (SIGXFSZ ignored, as Node does)
    const c = start(['load', f.url, '--qps', '1000', '--duration', '20s', '--out', out, '--quiet'], 'trap "" XFSZ; ulimit -f 100');
    const e = await c.exit;
    assert.equal(e.code, 3, c.stderr());
    assert.match(c.stderr(), /^lossless load: cannot write .*ledger\.bin \((EFBIG|ENOSPC)\): the run stopped; the ledger keeps \d+ of \d+ records; free disk space/);
    assert.doesNotMatch(c.stderr(), /\n\s+at /);
    const l = await ledgerOf(out);
    assert.ok(l.records > 1000 && l.records < 3000, `${l.records} records kept`);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.partial, true);
    assert.deepEqual({ complete: s.ledger?.complete, records: s.ledger?.records }, { complete: false, records: l.records });
    assert.ok(s.totals.scheduled < 20_000 / 2, `sending stopped at the failure (${s.totals.scheduled} scheduled)`);
  } finally {
    await f.close();
  }
});

test('a ledger on a full device (/dev/full) is an EnvError naming the file before anything is sent', async () => {
  const f = await httpServer(200, 'pod-z');
  try {
    const out = join(root, 'devfull');
    const folder = RunFolder.create(out);
    symlinkSync('/dev/full', join(out, 'ledger.bin'));
    await assert.rejects(
      runLoad({ targets: [f.url], qps: 100, requests: 10, connections: 4, keepalive: true, timeoutMs: 1000, method: 'GET', headers: [], maxInFlight: 10, arrivals: 'uniform', runId: 'devfull' }, { folder }),
      (e: unknown) => e instanceof EnvError && /ledger\.bin '.*devfull\/ledger\.bin': ENOSPC/.test(e.message),
    );
    assert.equal(f.seen.size, 0);
  } finally {
    await f.close();
  }
});

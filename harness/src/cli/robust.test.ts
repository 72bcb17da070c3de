// The bad-input and fault cases of issue #14 (and #10 item 9), each through main() as the CLI runs it:
// a contract exit code (2 bad input, 3 environment) with the option, field or path named, never a stack
// trace (exit 70) and never 1 (a budget) for a broken input. Real servers on loopback, real run folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hangServer, httpServer } from '../../test/servers.ts';
import { EXIT_INTERNAL } from '../errors.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import type { Summary } from '../load/summary.ts';
import { COMMANDS } from './main.ts';
import { runCli } from '../../test/cli.ts';

const run = runCli;

const root = mkdtempSync(join(tmpdir(), 'lossless-robust-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A real run folder from `lossless load` (20 ok requests); each case works on its own copy. */
let made: string | undefined;
async function runFolder(name: string): Promise<string> {
  if (!made) {
    const f = await httpServer(200, 'pod-a');
    made = join(root, 'base');
    const r = await run(['load', f.url, '--qps', '200', '--requests', '20', '--out', made, '--quiet']);
    await f.close();
    assert.equal(r.code, 0, r.err);
  }
  const dir = join(root, name);
  cpSync(made, dir, { recursive: true });
  return dir;
}

test('load: --out an existing file, --out "", http:///x and a CR/LF header are bad input (exit 2), nothing written', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const u = 'http://127.0.0.1:9/';
  const cases: Array<[string[], RegExp]> = [
    [[u, '--requests', '1', '--out', file], /--out '.*a-file': is a file; expected a folder/],
    [[u, '--requests', '1', '--out', ''], /--out '': empty; give a folder path/],
    [['http:///x', '--requests', '1', '--out', join(root, 'u1')], /<url> 'http:\/\/\/x': no host after 'http:\/\/'/],
    [['http:x', '--requests', '1', '--out', join(root, 'u2')], /<url> 'http:x': no host/],
    [[u, '-H', 'x-a: b\r\nx-b: c', '--requests', '1', '--out', join(root, 'h1')], /-H "x-a: b\\r\\nx-b: c": a header value cannot hold CR, LF or NUL/],
  ];
  for (const [args, message] of cases) {
    const r = await run(['load', ...args]);
    assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.err}`);
    assert.match(r.err, message);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x', 'the file given as --out is left as it was');
});

test('load: the default --max-in-flight keeps every request of a hanging target a timeout, none dropped', { timeout: 30_000 }, async () => {
  const hang = await hangServer();
  try {
    const out = join(root, 'hang');
    const r = await run(['load', hang.url, '--qps', '200', '--duration', '3s', '--timeout', '1s', '--out', out, '--json']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as Summary;
    assert.equal(s.totals.dropped, 0, JSON.stringify(s.totals.byOutcome));
    assert.equal(s.totals.byOutcome.timeout, s.totals.scheduled);
  } finally {
    await hang.close();
  }
});

test('decode: a folder whose ledger.bin is a folder is exit 2; a trailer that disagrees with the records is exit 2', async () => {
  const d = join(root, 'isdir');
  mkdirSync(join(d, 'ledger.bin'), { recursive: true });
  const r = await run(['decode', d]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /<ledger> '.*isdir\/ledger\.bin': not a regular file/);

  // a trailer saying 3 over a file holding 2 records (a record frame cut out of the middle)
  const p = join(root, 'count.bin');
  const w = new LedgerWriter(p, { t0EpochNs: 1n, runId: 'count' });
  const rec = { target: 't', scheduledAt: 1, sentAt: 1, endAt: 2, outcome: 'ok', phase: 'none', reusedConnection: false, bytesSent: 1, bytesReceived: 1 } as const;
  for (let seq = 0; seq < 3; seq++) w.write({ ...rec, seq });
  w.close();
  const whole = readFileSync(p);
  const end = whole.length - 8; // the trailer: 8 bytes (ledger/codec.ts END_BYTES)
  writeFileSync(p, Buffer.concat([whole.subarray(0, end - 40), whole.subarray(end)]));
  const c = await run(['decode', p]);
  assert.equal(c.code, 2, c.err);
  assert.match(c.err, /its trailer says 3 records, the file holds 2: the file is damaged/);
});

test('report and compare: summary.json, attribution.json and scenario.json that are not a run\'s are exit 2 naming the field', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['summary.json', 'null', /summary\.json '.*': not a lossless summary\.json: \(top level\): Invalid input/],
    ['summary.json', '{"version":1,"targets":[],"totals":{}}', /summary\.json .*: not a lossless summary\.json: .*runId/],
    ['summary.json', '{"version":1,"targets":[1],"totals":{"scheduled":"x"}}', /summary\.json .*(totals\.scheduled|targets\.0)/],
    ['summary.json', '{ not json', /summary\.json '.*': not JSON/],
    ['attribution.json', '{}', /attribution\.json '.*': not a lossless attribution\.json: \(top level\): Invalid input: expected array/],
    ['attribution.json', '[1,"x",null]', /attribution\.json .*: 0: Invalid input: expected object/],
    ['scenario.json', '"garbage"', /scenario\.json .*: \(top level\): Invalid input: expected object/],
    ['scenario.json', '{"budgets":{"maxLost":"none"}}', /scenario\.json .*: budgets\.maxLost/],
    ['scenario.json', '{"expect":{"loses":"yes"}}', /scenario\.json .*: expect\.loses/],
  ];
  let i = 0;
  for (const [file, text, message] of cases) {
    const dir = await runFolder(`bad-${i++}`);
    writeFileSync(join(dir, file), text);
    for (const argv of [['report', dir], ['compare', `a=${dir}`, '--out', join(dir, 'c.html')]]) {
      const r = await run(argv);
      assert.equal(r.code, 2, `${argv[0]} with ${file} = ${text}: ${r.err}`);
      assert.match(r.err, message, `${argv[0]} with ${file} = ${text}`);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
  }
});

test('compare --out under /proc is exit 3 at once, not an endless recursive mkdir', { timeout: 20_000 }, async () => {
  const dir = await runFolder('proc');
  const t = Date.now();
  const r = await run(['compare', dir, '--out', '/proc/nope/c.html']);
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, /--out '\/proc\/nope': cannot write there \(ENOENT\)/);
  assert.ok(Date.now() - t < 5000);
});

test('report refuses a ledger truncated mid-file or copied from another run (exit 2), never 0 windows and exit 0', async () => {
  const cut = await runFolder('cut');
  const ledger = join(cut, 'ledger.bin');
  truncateSync(ledger, statSync(ledger).size - 60);
  const a = await run(['report', cut]);
  assert.equal(a.code, 2, a.err);
  assert.match(a.err, /ledger\.bin in '.*cut' ends mid-file after \d+ records, but summary\.json says the run wrote 20: the ledger is truncated/);

  const f = await httpServer(503, 'pod-b');
  const other = join(root, 'other');
  const o = await run(['load', f.url, '--qps', '200', '--requests', '20', '--out', other, '--quiet']);
  await f.close();
  assert.equal(o.code, 0, o.err);
  const copied = await runFolder('copied');
  cpSync(join(other, 'ledger.bin'), join(copied, 'ledger.bin'));
  const b = await run(['report', copied]);
  assert.equal(b.code, 2, b.err);
  assert.match(b.err, /ledger\.bin in '.*copied' belongs to run 'other', summary\.json to run 'base': one of them was copied from another run/);
});

test('compare refuses a run given twice; runs of different scenarios get a warning in the verdict', async () => {
  const r1 = await runFolder('twice');
  const r2 = await runFolder('twice-copy'); // a copy of the same run: same run id, same clock origin
  const a = await run(['compare', `a=${r1}`, `a=${r1}`, `b=${r2}`, '--out', join(root, 'c1.html')]);
  assert.equal(a.code, 2, a.err);
  assert.match(a.err, /<run dir> '.*twice': the same run as '.*twice' \(run id base\); each run may be given once/);
  const b = await run(['compare', `a=${r1}`, `b=${r2}`, '--out', join(root, 'c2.html')]);
  assert.equal(b.code, 2, b.err);
  assert.match(b.err, /'.*twice-copy': the same run as '.*twice'/);

  const x = await runFolder('scen-x');
  writeFileSync(join(x, 'scenario.json'), JSON.stringify({ name: 'fortio-rolling-update', variant: 'naive' }));
  const f = await httpServer(200, 'pod-c');
  const y = join(root, 'scen-y');
  assert.equal((await run(['load', f.url, '--qps', '200', '--requests', '20', '--out', y, '--quiet'])).code, 0);
  await f.close();
  writeFileSync(join(y, 'scenario.json'), JSON.stringify({ name: 'lb-local-traffic', variant: 'fixed' }));
  const c = await run(['compare', x, y, '--out', join(root, 'c3.html')]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /^warning: runs of different scenarios are compared \(fortio-rolling-update, lb-local-traffic\)/);
  const j = await run(['compare', x, y, '--out', join(root, 'c4.html'), '--json']);
  assert.match((JSON.parse(j.out) as { warnings: string[] }).warnings[0]!, /different scenarios/);
});

test('a run whose every request was cancelled cannot pass --max-loss 0', { timeout: 30_000 }, async () => {
  const hang = await hangServer();
  try {
    const out = join(root, 'cancelled');
    // the run ends (by --requests) while the only request hangs; a 0 ms drain is not possible, so interrupt it
    const stop = run(['load', hang.url, '--qps', '10', '--requests', '3', '--timeout', '60s', '--out', out, '--quiet']);
    await new Promise((r) => setTimeout(r, 700));
    process.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGINT');
    assert.equal((await stop).code, 0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.totals.cancelled, s.totals.scheduled, JSON.stringify(s.totals.byOutcome));
    const r = await run(['report', out, '--max-loss', '0']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /breach: run: nothing was measured: all 3 requests were cancelled/);
  } finally {
    await hang.close();
  }
});

test('a crash inside a command is exit 70 with one line, never 1 (the budget code)', async () => {
  COMMANDS.push({ name: 'explode', load: async () => ({ name: 'explode', summary: '', usage: '', run: async () => { throw new TypeError('boom'); } }) });
  try {
    const r = await run(['explode']);
    assert.equal(r.code, EXIT_INTERNAL);
    assert.match(r.err, /^lossless explode: internal error: TypeError: boom/);
  } finally {
    COMMANDS.pop();
  }
});

// The in-cluster loader's hand-off, end to end on this machine: the real `lossless load --stream`
// process against a real echo and a refusing port, read back by LoaderStream. The pod and its log
// transport are exercised on the lab (test:e2e); everything else of the path is here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEcho } from '../../../workloads/echo/echo.ts';
import { createRunTimer } from '../load/clock.ts';
import type { RequestRecord } from '../record.ts';
import { IN_CLUSTER_SEQ_BASE, LoaderStream, loaderArgs } from './incluster.ts';

const BIN = fileURLToPath(new URL('../../bin/lossless', import.meta.url));

async function streamRun(args: string[], stopAfterMs?: number): Promise<{ records: RequestRecord[]; stream: LoaderStream; code: number | null; clock0: bigint }> {
  const clock = createRunTimer();
  const records: RequestRecord[] = [];
  const stream = new LoaderStream(clock, (r) => records.push(r));
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // the stop is timed from the stream's first line: before it, the CLI may still be compiling (7 s on the busy
  // box) and a SIGTERM then kills it before its handlers exist, which is not what the test is about
  let timer: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (stopAfterMs !== undefined) timer ??= setTimeout(() => child.kill('SIGTERM'), stopAfterMs);
    stream.line(l);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { records, stream, code, clock0: clock.t0EpochNs };
}

test('loaderArgs is what the load CLI accepts (the pod runs exactly this)', () => {
  const args = loaderArgs({ namespace: 'ns', image: 'i', url: 'http://svc.ns.svc.cluster.local:80/clusterip', runId: 'r1', qps: 250, connections: 50, keepalive: true, timeoutMs: 5000, arrivals: 'uniform', maxDurationMs: 3_600_000 });
  assert.deepEqual(args.slice(0, 4), ['load', 'http://svc.ns.svc.cluster.local:80/clusterip', '--qps', '250']);
  assert.ok(args.includes('--stream') && args.includes('--seq-base'));
});

test('--stream hands every record over with its count; seqs start at the base; times land on the reader clock', async () => {
  const echo = await startEcho({ pod: 'echo-stream', log: () => {} });
  const dir = mkdtempSync(join(tmpdir(), 'lossless-stream-'));
  try {
    const ok = `http://127.0.0.1:${echo.port}/a`;
    const refused = 'http://127.0.0.1:1/b';
    const { records, stream, code } = await streamRun(['load', ok, refused, '--qps', '100', '--requests', '150', '--timeout', '2s', '--seq-base', String(IN_CLUSTER_SEQ_BASE), '--stream', '--quiet', '--out', join(dir, 'o')]);
    assert.equal(code, 0);
    const res = stream.result();
    assert.equal(res.reported, 300, 'the end line counts 150 ticks x 2 targets');
    assert.equal(res.received, 300);
    assert.equal(res.complete, true);
    assert.equal(res.partial, false);
    const seqs = records.map((r) => r.seq).sort((a, b) => a - b);
    assert.equal(seqs[0], IN_CLUSTER_SEQ_BASE);
    assert.equal(seqs.at(-1), IN_CLUSTER_SEQ_BASE + 299);
    assert.equal(records.filter((r) => r.target === ok && r.outcome === 'ok' && r.servedBy === 'echo-stream').length, 150);
    assert.equal(records.filter((r) => r.target === refused && r.outcome === 'connect-refused').length, 150);
    // the loader started after the reader's clock: shifted times are positive and ordered
    for (const r of records) assert.ok(r.scheduledAt > 0 && r.sentAt >= r.scheduledAt && r.endAt >= r.sentAt);
  } finally {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM mid-run (the pod deleted): the stream ends with a partial count that matches what arrived', async () => {
  const echo = await startEcho({ pod: 'echo-term', log: () => {} });
  const dir = mkdtempSync(join(tmpdir(), 'lossless-stream-'));
  try {
    const { stream, code } = await streamRun(['load', `http://127.0.0.1:${echo.port}/`, '--qps', '50', '--duration', '5m', '--stream', '--quiet', '--out', join(dir, 'o')], 3000);
    assert.equal(code, 0);
    const res = stream.result();
    assert.equal(res.partial, true);
    assert.equal(res.complete, true, `received ${res.received}, reported ${res.reported}`);
    assert.ok(res.received >= 50, `about 3 s at 50/s, got ${res.received}`);
  } finally {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log follow broken mid-run and followed again from the start loses no record and counts none twice', async () => {
  const echo = await startEcho({ pod: 'echo-resume', log: () => {} });
  const dir = mkdtempSync(join(tmpdir(), 'lossless-resume-'));
  try {
    // the real loader's stream, as the pod log holds it
    const child = spawn(BIN, ['load', `http://127.0.0.1:${echo.port}/`, '--qps', '200', '--requests', '300', '--seq-base', String(IN_CLUSTER_SEQ_BASE), '--stream', '--quiet', '--out', join(dir, 'o')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    assert.equal(await new Promise<number | null>((resolve) => child.on('close', resolve)), 0);
    const records: RequestRecord[] = [];
    const stream = new LoaderStream(createRunTimer(), (r) => records.push(r));
    const cut = Math.floor(lines.length * 0.4);
    for (const l of lines.slice(0, cut)) stream.line(l); // the first follow breaks here
    assert.equal(stream.ended, false);
    for (const l of lines) stream.line(l); // the second follow reads the log from its start
    const res = stream.result();
    assert.equal(res.complete, true, JSON.stringify(res));
    assert.equal(res.received, 300);
    assert.equal(res.reported, 300);
    assert.equal(res.replayed, cut - 1, 'every record line before the cut came twice (the header line is not a record)');
    assert.equal(new Set(records.map((r) => r.seq)).size, 300);
  } finally {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a client policy reaches the loader (--client) and its re-sends come back as their own records, each (seq, attempt) once', async () => {
  const base = { namespace: 'ns', image: 'i', url: 'http://svc/clusterip', runId: 'r1', qps: 10, connections: 1, keepalive: true, timeoutMs: 5000, arrivals: 'uniform' as const, maxDurationMs: 60_000 };
  assert.ok(!loaderArgs(base).includes('--client'), 'none is the default: an older loader image needs no flag');
  assert.ok(!loaderArgs({ ...base, client: { kind: 'none' } }).includes('--client'));
  const args = loaderArgs({ ...base, client: { kind: 'retries', retries: 2 } });
  assert.deepEqual(args.slice(args.indexOf('--client'), args.indexOf('--client') + 2), ['--client', 'retries:2']);
  // the real CLI against a refusing port: every request tried three times
  const dir = mkdtempSync(join(tmpdir(), 'lossless-stream-'));
  try {
    const { records, stream, code } = await streamRun(['load', 'http://127.0.0.1:1/r', '--qps', '20', '--requests', '4', '--timeout', '2s', '--client', 'retries:2', '--stream', '--quiet', '--out', join(dir, 'o')]);
    assert.equal(code, 0, 'no budget set: losses alone do not fail the load');
    const res = stream.result();
    assert.equal(res.received, 12);
    assert.equal(res.complete, true);
    assert.deepEqual(records.map((r) => `${r.seq}:${r.attempt ?? 1}:${r.retried === true}`).sort(), [
      '0:1:true', '0:2:true', '0:3:false', '1:1:true', '1:2:true', '1:3:false', '2:1:true', '2:2:true', '2:3:false', '3:1:true', '3:2:true', '3:3:false',
    ]);
    // a replayed line (log followed anew) is skipped by (seq, attempt), not by seq
    const again = new LoaderStream(createRunTimer(), () => undefined);
    again.line(JSON.stringify({ stream: 'header', runId: 'x', t0EpochNs: '0' }));
    for (const r of [...records, ...records]) again.line(JSON.stringify(r));
    assert.equal(again.result().replayed, 12);
    assert.equal(again.count, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

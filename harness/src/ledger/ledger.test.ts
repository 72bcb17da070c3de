// The binary ledger and the timeline round-trip exactly (up to the documented 100 ns unit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTCOMES, PHASES, type LifecycleEvent, type RequestRecord } from '../record.ts';
import { LedgerWriter } from './writer.ts';
import { LedgerFormatError, readLedger } from './reader.ts';
import { TimelineWriter, readTimeline } from './timeline.ts';

const T0 = 1_795_000_000_123_456_789n;

function sample(i: number): RequestRecord {
  const outcome = OUTCOMES[i % OUTCOMES.length]!;
  const r: RequestRecord = {
    seq: i,
    target: i % 3 === 0 ? 'http://127.0.0.1:8080/a' : 'http://[::1]:9090/ü-path',
    // spans beyond 2^32 ns (4.3 s) to exercise the 48-bit time
    scheduledAt: i * 7_000_000_100 + 300,
    sentAt: i * 7_000_000_100 + 300 + (i % 5) * 1200,
    endAt: i * 7_000_000_100 + 300 + (i % 5) * 1200 + i * 100_000,
    outcome,
    phase: PHASES[i % PHASES.length]!,
    reusedConnection: i % 2 === 1,
    bytesSent: 100 + i,
    bytesReceived: i * 1000,
  };
  if (i % 4 !== 0) r.status = 200 + (i % 4) * 100;
  if (i % 3 !== 2) r.errorCode = i % 2 ? 'ECONNRESET' : 'UND_ERR_SOCKET';
  if (i % 5 !== 0) r.remoteAddr = `10.244.0.${i % 7}:8080`;
  if (i % 6 !== 0) r.localPort = 40000 + i;
  if (i % 2 === 0) r.servedBy = `echo-7d9f-${i % 4}`;
  if (i % 7 >= 5) r.attempt = i % 7 - 3; // 2 or 3: a client policy's re-sends
  if (i % 7 === 4 || i % 7 === 5) r.retried = true;
  return r;
}

test('ledger round trip: every field, strings via the dictionary, 40 bytes a record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-ledger-'));
  try {
    const path = join(dir, 'ledger.bin');
    const w = new LedgerWriter(path, { t0EpochNs: T0, runId: 'run-ü1' });
    const n = 20_000; // several 256 KiB buffers, so frames straddle read chunks
    for (let i = 0; i < n; i++) w.write(sample(i));
    w.close();
    const reader = readLedger(path);
    let i = 0;
    for await (const r of reader) {
      assert.deepEqual(r, sample(i), `record ${i}`);
      i++;
    }
    assert.equal(i, n);
    assert.deepEqual(reader.header, { version: 2, t0EpochNs: T0, runId: 'run-ü1' });
    assert.equal(reader.complete, true);
    assert.equal(reader.trailerCount, n);
    const size = statSync(path).size;
    assert.ok(size < n * 40 + 2000, `${size} bytes for ${n} records`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('times are kept to 100 ns: sub-unit parts round', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-ledger-'));
  try {
    const path = join(dir, 'ledger.bin');
    const w = new LedgerWriter(path, { t0EpochNs: T0, runId: 'r' });
    w.write({ seq: 1, target: 't', scheduledAt: 1_000_000_007, sentAt: 1_000_000_007 + 1_234_567, endAt: 1_000_000_007 + 1_234_567 + 9_876_549, outcome: 'ok', phase: 'none', reusedConnection: false, bytesSent: 1, bytesReceived: 2 });
    w.close();
    const rs: RequestRecord[] = [];
    for await (const r of readLedger(path)) rs.push(r);
    assert.equal(rs[0]!.scheduledAt, 1_000_000_007);
    assert.equal(rs[0]!.sentAt - rs[0]!.scheduledAt, 1_234_600);
    assert.equal(rs[0]!.endAt - rs[0]!.sentAt, 9_876_500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a killed writer leaves a readable ledger without trailer; garbage is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-ledger-'));
  try {
    const path = join(dir, 'ledger.bin');
    const w = new LedgerWriter(path, { t0EpochNs: T0, runId: 'r' });
    for (let i = 0; i < 100; i++) w.write(sample(i));
    w.close();
    truncateSync(path, statSync(path).size - 8 - 17); // drop the trailer and part of the last record
    const reader = readLedger(path);
    let n = 0;
    for await (const _ of reader) n++;
    assert.equal(n, 99);
    assert.equal(reader.complete, false);

    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, 'not a ledger at all, just text');
    await assert.rejects(async () => {
      for await (const _ of readLedger(bad)) n++;
    }, LedgerFormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timeline round trip with its header', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-timeline-'));
  try {
    const path = join(dir, 'timeline.ndjson');
    const w = new TimelineWriter(path, { t0EpochNs: T0, runId: 'r1' });
    const events: LifecycleEvent[] = [
      { at: 5e9, source: 'watch', kind: 'pod-deleting', pod: 'echo-1', podIP: '10.244.1.5', object: 'Pod/echo-1', apiAt: 4e9 },
      { at: 5.2e9, source: 'pod-log', kind: 'sigterm', pod: 'echo-1', detail: { inFlight: 3, mode: 'graceful' } },
    ];
    for (const e of events) w.write(e);
    w.close();
    const { header, events: it } = await readTimeline(path);
    assert.equal(header.t0EpochNs, T0);
    assert.equal(header.runId, 'r1');
    const back: LifecycleEvent[] = [];
    for await (const e of it) back.push(e);
    assert.deepEqual(back, events);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ledger version 1 (no attempts) still reads: every record a first attempt; an unknown version is refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-ledger-'));
  try {
    const path = join(dir, 'ledger.bin');
    const w = new LedgerWriter(path, { t0EpochNs: T0, runId: 'v1' });
    const plain = (i: number): RequestRecord => {
      const r = sample(i);
      delete r.attempt;
      delete r.retried;
      return r;
    };
    for (let i = 0; i < 50; i++) w.write(plain(i));
    w.close();
    // what a version-1 writer put down: version 1 in the header, byte 3 of each record 0 (reserved)
    const b = readFileSync(path);
    b.writeUInt16LE(1, 8);
    const headerBytes = 22 + 2;
    let o = headerBytes;
    let records = 0;
    while (o < b.length) {
      const tag = b[o];
      if (tag === 0x01) {
        assert.equal(b[o + 3], 1, 'a first attempt is written as attempt 1');
        b[o + 3] = 0;
        o += 40;
        records++;
      } else if (tag === 0x02) o += 5 + b.readUInt16LE(o + 3);
      else break;
    }
    assert.equal(records, 50);
    writeFileSync(path, b);
    const reader = readLedger(path);
    let i = 0;
    for await (const r of reader) {
      assert.deepEqual(r, plain(i), `record ${i}`);
      assert.equal(r.attempt, undefined);
      i++;
    }
    assert.equal(i, 50);
    assert.equal(reader.header?.version, 1);
    b.writeUInt16LE(3, 8);
    writeFileSync(path, b);
    await assert.rejects(async () => {
      for await (const _ of readLedger(path)) void _;
    }, (err: unknown) => err instanceof LedgerFormatError && /ledger version 3, this reader knows 1 and 2/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The run as a whole: every scheduled request leaves exactly one record on disk, whatever the
// target does; the schedule holds when the target hangs; bounds and interrupts are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadConfig } from './run.ts';
import { summarize, type Summary } from './summary.ts';
import { readLedger } from '../ledger/reader.ts';
import type { RequestRecord } from '../record.ts';
import { hangServer, httpServer, midBodyServer, refusedUrl, resetServer, type Fixture } from '../../test/servers.ts';
import { RunFolder } from '../folder/folder.ts';

function config(targets: string[], over: Partial<LoadConfig> = {}): LoadConfig {
  return {
    targets, qps: 100, connections: 16, keepalive: true, timeoutMs: 1000, method: 'GET', headers: [], maxInFlight: 100_000,
    arrivals: 'uniform', runId: 'run-test', ...over,
  };
}

async function ledgerRecords(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  const reader = readLedger(path);
  for await (const r of reader) out.push(r);
  assert.equal(reader.complete, true, 'ledger ends with its trailer');
  assert.equal(reader.trailerCount, out.length);
  return out;
}

function assertComplete(rs: RequestRecord[], scheduled: number, summary: Summary): void {
  assert.equal(rs.length, scheduled, 'one record per scheduled request');
  const seqs = rs.map((r) => r.seq).sort((a, b) => a - b);
  assert.deepEqual(seqs, Array.from({ length: scheduled }, (_, i) => i), 'seqs 0..n-1, each once');
  assert.equal(summary.totals.scheduled, scheduled);
  assert.equal(summary.ledger?.records, scheduled);
}

test('ledger is complete at several rates and against refusing, resetting and hanging targets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-run-'));
  const fixtures: Fixture[] = [];
  try {
    const ok = await httpServer();
    const reset = await resetServer();
    const midBody = await midBodyServer();
    const hang = await hangServer();
    fixtures.push(ok, reset, midBody, hang);
    const refused = await refusedUrl();
    const cases: Array<[string, string[], Partial<LoadConfig>, number]> = [
      // generous timeouts: the box is shared with long builds, and completeness is the point here
      ['ok 50/s', [ok.url], { qps: 50, requests: 40, timeoutMs: 10_000 }, 40],
      ['ok 1000/s', [ok.url], { qps: 1000, durationMs: 1000, timeoutMs: 10_000 }, 1000],
      ['ok 500/s no keep-alive', [ok.url], { qps: 500, requests: 500, keepalive: false, connections: 64, timeoutMs: 10_000 }, 500],
      ['four failing targets at 200/s', [refused, reset.url, midBody.url, hang.url], { qps: 200, requests: 100, timeoutMs: 2000 }, 400],
    ];
    for (const [name, targets, over, scheduled] of cases) {
      const out = join(dir, name.replace(/\W+/g, '-'));
      const { summary } = await runLoad(config(targets, over), { folder: RunFolder.create(out) });
      const rs = await ledgerRecords(join(out, 'ledger.bin'));
      assertComplete(rs, scheduled, summary);
      const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      assert.equal(onDisk.totals.scheduled, scheduled, name);
      assert.equal(onDisk.version, 1);
      if (targets.length === 4) {
        const by = (t: string) => summary.targets.find((x) => x.target === t)!.byOutcome;
        assert.deepEqual(by(refused), { 'connect-refused': 100 });
        assert.deepEqual(by(reset.url), { 'reset-before-response': 100 });
        assert.deepEqual(by(midBody.url), { 'reset-during-body': 100 });
        assert.deepEqual(by(hang.url), { timeout: 100 });
        assert.equal(summary.totals.lost, 400);
        assert.equal(summary.totals.lossPct, 100);
      } else {
        assert.equal(summary.totals.ok, scheduled, name);
      }
      // the ledger is 40 bytes a record plus the header, a few strings and the trailer
      const size = statSync(join(out, 'ledger.bin')).size;
      assert.ok(size <= 40 * scheduled + 1024, `${name}: ${size} bytes for ${scheduled} records`);
    }
  } finally {
    for (const f of fixtures) await f.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('open loop: the send rate holds while every request hangs (no coordinated omission)', async () => {
  const hang = await hangServer();
  try {
    const records: RequestRecord[] = [];
    // 2 s at 100/s against a target that never answers, 4 connections: a closed loop would send 4
    const { summary } = await runLoad(config([hang.url], { qps: 100, durationMs: 2000, connections: 4, timeoutMs: 2500 }), {
      onRecord: (r) => records.push(r),
    });
    assert.equal(records.length, 200);
    assert.equal(summary.totals.sent, 200, 'every request was sent, none dropped');
    assert.ok(summary.totals.actualQps > 90 && summary.totals.actualQps < 110, `actual ${summary.totals.actualQps}/s`);
    // sent on time: the loop did not wait for the hung ones (generous bound for a loaded 2-core box)
    assert.ok(summary.totals.sendLagMs.p50 < 50, `send lag p50 ${summary.totals.sendLagMs.p50} ms`);
    // latency from intended time grows with queueing behind 4 busy sockets: the late ones time out
    assert.equal(summary.totals.byOutcome.timeout, 200);
  } finally {
    await hang.close();
  }
});

test('max-in-flight: requests beyond the bound become dropped records', async () => {
  const hang = await hangServer();
  try {
    const records: RequestRecord[] = [];
    const { summary } = await runLoad(config([hang.url], { qps: 100, requests: 50, maxInFlight: 10, timeoutMs: 1500 }), {
      onRecord: (r) => records.push(r),
    });
    assert.equal(records.length, 50);
    assert.equal(summary.totals.dropped, 40);
    assert.equal(summary.totals.sent, 10);
    const dropped = records.filter((r) => r.outcome === 'dropped');
    assert.ok(dropped.every((r) => r.sentAt === r.scheduledAt && r.phase === 'none' && r.seq >= 10));
    assert.equal(summary.totals.lost, 50);
  } finally {
    await hang.close();
  }
});

test('interrupt: sending stops, in-flight requests are cancelled, the summary is partial', async () => {
  const hang = await hangServer();
  const ok = await httpServer();
  const dir = mkdtempSync(join(tmpdir(), 'lossless-int-'));
  try {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 700);
    const { summary } = await runLoad(config([hang.url, ok.url], { qps: 20, durationMs: 60_000, timeoutMs: 30_000 }), {
      signal: stop.signal, drainMs: 300, folder: RunFolder.create(dir),
    });
    const ledgerPath = join(dir, 'ledger.bin');
    assert.equal(summary.partial, true);
    const hung = summary.targets.find((t) => t.target === hang.url)!;
    const fine = summary.targets.find((t) => t.target === ok.url)!;
    assert.ok(hung.scheduled >= 5 && hung.scheduled < 100, `scheduled ${hung.scheduled} before the interrupt`);
    assert.equal(hung.cancelled, hung.scheduled, 'every hung request is cancelled, none lost');
    assert.equal(hung.lost, 0);
    assert.equal(fine.ok, fine.scheduled);
    const rs = await ledgerRecords(ledgerPath);
    assert.equal(rs.length, summary.totals.scheduled);
    assert.ok(rs.filter((r) => r.outcome === 'cancelled').every((r) => r.errorCode === 'LOSSLESS_CANCELLED'));
  } finally {
    await hang.close();
    await ok.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('summary rebuilt from the ledger equals the live one', async () => {
  const f = await httpServer(200);
  const bad = await httpServer(503);
  const dir = mkdtempSync(join(tmpdir(), 'lossless-sum-'));
  try {
    const cfg = config([f.url, bad.url], { qps: 200, durationMs: 2500 });
    const { summary, clock } = await runLoad(cfg, { folder: RunFolder.create(dir) });
    const ledgerPath = join(dir, 'ledger.bin');
    const rebuilt = await summarize(readLedger(ledgerPath), { runId: cfg.runId, t0EpochNs: clock.t0EpochNs, closeAfterNs: cfg.timeoutMs * 1e6 + 2e9 });
    // times on disk are 100 ns units: percentiles (µs) agree to within a unit of the histogram
    const strip = (s: Summary) => JSON.parse(JSON.stringify({ totals: s.totals, targets: s.targets, series: s.series }, (k, v: unknown) =>
      /^(p50|p90|p99|p999|max|mean|p50Ms|p99Ms|actualQps)$/.test(k) ? Math.round(Number(v)) : v));
    assert.deepEqual(strip(rebuilt), strip(summary));
    assert.equal(summary.totals.byOutcome['http-5xx'], 500);
    assert.equal(summary.totals.byStatus['503'], 500);
    assert.equal(summary.totals.lossPct, 50);
    assert.deepEqual([...new Set(summary.series.map((s) => s.t))], [0, 1, 2]);
    assert.equal(summary.series.reduce((a, s) => a + s.scheduled, 0), 1000);
  } finally {
    await f.close();
    await bad.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live figures once a second, and poisson arrivals at the mean rate', async () => {
  const f = await httpServer();
  try {
    const seconds: Array<{ sent: number; ok: number }> = [];
    const { summary } = await runLoad(config([f.url], { qps: 100, durationMs: 2500, arrivals: 'poisson', seed: 7, timeoutMs: 10_000 }), {
      onSecond: (s) => seconds.push({ sent: s.sent, ok: s.ok }),
    });
    // a seeded poisson schedule over 2.5 s at 100/s: about 250 arrivals, and the same number every time
    assert.ok(summary.totals.scheduled > 180 && summary.totals.scheduled < 320, `${summary.totals.scheduled} arrivals`);
    const again = await runLoad(config([f.url], { qps: 100, durationMs: 2500, arrivals: 'poisson', seed: 7, timeoutMs: 10_000 }));
    assert.equal(again.summary.totals.scheduled, summary.totals.scheduled);
    assert.equal(summary.totals.ok, summary.totals.scheduled);
    assert.ok(seconds.length >= 2, `${seconds.length} per-second callbacks`);
    const sent = seconds.reduce((a, s) => a + s.sent, 0);
    assert.ok(sent > 0 && sent <= summary.totals.scheduled);
    assert.ok(seconds.every((s) => s.ok <= s.sent + 50));
  } finally {
    await f.close();
  }
});

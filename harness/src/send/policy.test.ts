// Each client policy against real local servers: which failures it re-sends and which it must not, counted
// from the ledger on disk (every attempt a record: same seq, its attempt number, `retried` on all but the last).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadConfig } from '../load/run.ts';
import { summarize, type Summary } from '../load/summary.ts';
import { readLedger } from '../ledger/reader.ts';
import { RunFolder } from '../folder/folder.ts';
import { isFinalAttempt, type RequestRecord } from '../record.ts';
import { failOnceServer, httpServer, inFlightCutServer, refusedUrl, staleKeepAliveServer, type Fixture } from '../../test/servers.ts';
import { envoyBackoffMs, parseClientPolicy, retryHook, type ClientPolicy } from './policy.ts';
import { HTTP_CLIENTS } from './sender.ts';
import { UsageError } from '../errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'lossless-policy-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

/** One connection, requests far enough apart that each ends (re-sends included) before the next is due. */
async function run(url: string, client: ClientPolicy, over: Partial<LoadConfig> = {}): Promise<{ rs: RequestRecord[]; summary: Summary }> {
  const out = join(dir, `run-${runs++}`);
  const cfg: LoadConfig = {
    targets: [url], qps: 8, requests: 5, connections: 1, keepalive: true, timeoutMs: 3000, method: 'GET', headers: [],
    maxInFlight: 1000, arrivals: 'uniform', runId: 'policy-test', client, ...over,
  };
  const { summary } = await runLoad(cfg, { folder: RunFolder.create(out) });
  const rs: RequestRecord[] = [];
  const reader = readLedger(join(out, 'ledger.bin'));
  for await (const r of reader) rs.push(r);
  assert.equal(reader.complete, true);
  // the summary rebuilt from the ledger has the same client figures as the one written live (latencies
  // aside: the ledger keeps times to 100 ns)
  const again = await summarize(rs, { runId: 'policy-test', t0EpochNs: 0n });
  const counts = (s: Summary) => ({ ...s.totals.client, latencyFromIntendedMs: s.totals.client?.latencyFromIntendedMs.count });
  assert.deepEqual(counts(again), counts(summary));
  return { rs: rs.sort((a, b) => a.seq - b.seq || (a.attempt ?? 1) - (b.attempt ?? 1)), summary };
}

/** attempts per seq, in seq order */
const attempts = (rs: RequestRecord[]) => {
  const m = new Map<number, number>();
  for (const r of rs) m.set(r.seq, (m.get(r.seq) ?? 0) + 1);
  return [...m.values()];
};
const finals = (rs: RequestRecord[]) => rs.filter(isFinalAttempt);
const closedBeforeResponse = (o: string) => o === 'stale-keepalive' || o === 'reset-before-response';

/** Each seq's attempts are numbered 1..n, all but the last marked retried, all with the first one's intended time. */
function assertChains(rs: RequestRecord[]): void {
  const bySeq = new Map<number, RequestRecord[]>();
  for (const r of rs) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
  for (const [seq, chain] of bySeq) {
    chain.forEach((r, i) => {
      assert.equal(r.attempt ?? 1, i + 1, `seq ${seq} attempt numbers`);
      assert.equal(r.retried === true, i < chain.length - 1, `seq ${seq} attempt ${i + 1} retried flag`);
      assert.equal(r.scheduledAt, chain[0]!.scheduledAt, 'a re-send keeps the intended time');
      if (i > 0) assert.ok(r.sentAt >= chain[i - 1]!.endAt - 200, 'a re-send goes out after the attempt it follows ended');
    });
  }
}

async function withServer(make: () => Promise<Fixture>, body: (f: Fixture) => Promise<void>): Promise<void> {
  const f = await make();
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

// both HTTP clients the engine has (send/wire.ts, undici): the policy sees the same records from either
for (const http of HTTP_CLIENTS) {
  const runWith = (url: string, client: ClientPolicy, over: Partial<LoadConfig> = {}) => run(url, client, { http, ...over });

  test(`${http}: idle keep-alive socket closed as the request arrives: none shows it, go and browser re-send the GET on a new connection`, async () => {
    await withServer(staleKeepAliveServer, async (f) => {
      // no re-send: the failure stands and the next request opens a new connection (fresh: ok), whose
      // second request fails again
      const none = await runWith(f.url, { kind: 'none' });
      assert.deepEqual(attempts(none.rs), [1, 1, 1, 1, 1]);
      assert.deepEqual(none.rs.map((r) => r.outcome === 'ok'), [true, false, true, false, true]);
      assert.ok(none.rs.filter((r) => r.outcome !== 'ok').every((r) => r.reusedConnection && closedBeforeResponse(r.outcome)), none.rs.map((r) => r.outcome).join());
      assert.equal(none.summary.totals.lost, 2);
      assert.equal(none.summary.totals.client?.lost, 2);
      assert.equal(none.summary.totals.retries, 0);
      assert.equal(none.rs.some((r) => r.retried || r.attempt !== undefined), false);
    });
    for (const kind of ['go', 'browser'] as const) {
      await withServer(staleKeepAliveServer, async (f) => {
        const { rs, summary } = await runWith(f.url, { kind });
        // seq 0 on a fresh connection; seqs 1-4 each fail on the reused one and succeed as the first
        // request of a new connection
        assert.deepEqual(attempts(rs), [1, 2, 2, 2, 2], kind);
        assertChains(rs);
        for (const r of rs.filter((x) => x.retried)) assert.ok(r.reusedConnection && closedBeforeResponse(r.outcome), `${kind}: ${r.outcome}`);
        assert.ok(finals(rs).every((r) => r.outcome === 'ok' && !r.reusedConnection));
        assert.equal(summary.totals.scheduled, 9, 'every attempt is a record');
        assert.equal(summary.totals.lost, 4, 'the wire failures stay counted');
        assert.equal(summary.totals.retries, 4);
        assert.deepEqual({ ...summary.totals.client, latencyFromIntendedMs: null }, { requests: 5, retried: 4, lost: 0, lossPct: 0, byOutcome: {}, latencyFromIntendedMs: null });
        assert.equal(summary.totals.client?.latencyFromIntendedMs.count, 5);
        assert.deepEqual([...f.seen.values()], [1, 2, 2, 2, 2], 'the server saw each re-sent request twice');
      });
    }
  });

  test(`${http}: idle race on a POST: a browser re-sends it (any method), Go does not once it was written (not replayable) unless it carries an Idempotency-Key`, async () => {
    const post = { method: 'POST', body: Buffer.from('{"n":1}') };
    await withServer(staleKeepAliveServer, async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'browser' }, post);
      assert.deepEqual(attempts(rs), [1, 2, 2, 2, 2]);
      assert.equal(summary.totals.client?.lost, 0);
    });
    await withServer(staleKeepAliveServer, async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'go' }, post);
      assert.deepEqual(attempts(rs), [1, 1, 1, 1, 1]);
      const failed = rs.filter((r) => r.outcome !== 'ok');
      assert.deepEqual(failed.map((r) => r.seq), [1, 3]);
      assert.ok(failed.every((r) => r.phase === 'headers' && r.reusedConnection), 'all of the request was written before the close');
      assert.equal(summary.totals.client?.lost, 2);
      assert.equal(summary.totals.lost, 2);
    });
    await withServer(staleKeepAliveServer, async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'go' }, { ...post, headers: [['Idempotency-Key', 'abc']] });
      assert.deepEqual(attempts(rs), [1, 2, 2, 2, 2]);
      assert.equal(summary.totals.client?.lost, 0);
    });
  });

  test(`${http}: in-flight cut (server read the request, held it 150 ms, closed without answering): Go must not re-send a POST; it does re-send a GET (transportReadFromServerError on a reused connection, replayable)`, async () => {
    await withServer(() => inFlightCutServer(150), async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'go' }, { method: 'POST', body: Buffer.from('x'), requests: 4, qps: 4 });
      assert.deepEqual(attempts(rs), [1, 1, 1, 1]);
      // seqs 1 and 3 were the second request on their connection; after each cut the next one is fresh
      assert.deepEqual(rs.map((r) => r.outcome), ['ok', 'reset-before-response', 'ok', 'reset-before-response']);
      assert.ok(rs[1]!.reusedConnection && rs[3]!.reusedConnection);
      assert.equal(summary.totals.client?.lost, 2);
      assert.deepEqual(summary.totals.client?.byOutcome, { 'reset-before-response': 2 });
      assert.deepEqual([...f.seen.values()], [1, 1, 1, 1], 'the server had each POST once');
    });
    await withServer(() => inFlightCutServer(150), async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'go' }, { requests: 4, qps: 4 });
      assert.deepEqual(attempts(rs), [1, 2, 2, 2]);
      assertChains(rs);
      assert.ok(rs.filter((r) => r.retried).every((r) => r.outcome === 'reset-before-response'));
      assert.equal(summary.totals.lost, 3);
      assert.equal(summary.totals.client?.lost, 0);
      // the client waited from the intended time through the 150 ms hold and the re-send
      assert.ok(summary.totals.client!.latencyFromIntendedMs.max >= 140, String(summary.totals.client!.latencyFromIntendedMs.max));
      assert.deepEqual([...f.seen.values()], [1, 2, 2, 2], 'a GET the server had already read is run twice');
    });
  });

  test(`${http}: refused connections: go and browser never re-send a failed dial; retries:2 tries three times and still fails`, async () => {
    const url = await refusedUrl();
    for (const kind of ['none', 'go', 'browser'] as const) {
      const { rs, summary } = await runWith(url, { kind }, { requests: 3, qps: 20 });
      assert.deepEqual(attempts(rs), [1, 1, 1], kind);
      assert.equal(summary.totals.client?.lost, 3);
    }
    const { rs, summary } = await runWith(url, { kind: 'retries', retries: 2 }, { requests: 3, qps: 4 });
    assert.deepEqual(attempts(rs), [3, 3, 3]);
    assertChains(rs);
    assert.ok(rs.every((r) => r.outcome === 'connect-refused'));
    assert.equal(summary.totals.lost, 9);
    assert.equal(summary.totals.retries, 6);
    assert.deepEqual({ lost: summary.totals.client?.lost, retried: summary.totals.client?.retried, byOutcome: summary.totals.client?.byOutcome }, { lost: 3, retried: 3, byOutcome: { 'connect-refused': 3 } });
  });

  test(`${http}: 503s: go and browser show them (a response is not an error), retries:1 gets through a one-time 503, retries:2 against a steady 503 gives up after 3`, async () => {
    await withServer(() => failOnceServer(503), async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'go' }, { requests: 3, qps: 20 });
      assert.deepEqual(attempts(rs), [1, 1, 1]);
      assert.equal(summary.totals.client?.lost, 3);
      assert.deepEqual(summary.totals.client?.byOutcome, { 'http-5xx': 3 });
    });
    await withServer(() => failOnceServer(503), async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'retries', retries: 1 }, { requests: 3, qps: 8 });
      assert.deepEqual(attempts(rs), [2, 2, 2]);
      assertChains(rs);
      assert.deepEqual(rs.map((r) => r.status), [503, 200, 503, 200, 503, 200]);
      assert.equal(summary.totals.lost, 3);
      assert.equal(summary.totals.client?.lost, 0);
    });
    await withServer(() => httpServer(503), async (f) => {
      const { rs, summary } = await runWith(f.url, { kind: 'retries', retries: 2 }, { requests: 2, qps: 4 });
      assert.deepEqual(attempts(rs), [3, 3]);
      assert.equal(summary.totals.client?.lost, 2);
      assert.equal(summary.totals.lost, 6);
    });
  });
}

test('--client values: parsed, or refused naming the field, the value and what is allowed', () => {
  assert.deepEqual(parseClientPolicy('--client', 'go'), { kind: 'go' });
  assert.deepEqual(parseClientPolicy('--client', 'retries:3'), { kind: 'retries', retries: 3 });
  for (const bad of ['chrome', 'retries', 'retries:0', 'retries:10', 'retries:-1', '']) {
    assert.throws(() => parseClientPolicy('load.client', bad), (e: unknown) => e instanceof UsageError && e.message.startsWith(`load.client '${bad}'`) && /retries:N/.test(e.message), bad);
  }
  assert.equal(retryHook({ kind: 'none' }, { method: 'GET', headers: [] }), undefined);
});

test("Envoy's back-off: fully jittered, [0, (2^k - 1) x 25 ms], at most 250 ms", () => {
  assert.equal(envoyBackoffMs(1, () => 0.999), 24.975);
  assert.equal(envoyBackoffMs(2, () => 0.5), 37.5);
  assert.equal(envoyBackoffMs(5, () => 0.999), 250);
  assert.equal(envoyBackoffMs(3, () => 0), 0);
});

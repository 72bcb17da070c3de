// The peers' outputs reduced to one shape. Parsers are pinned on outputs captured from real runs
// (fixtures/, 1000 requests against a server failing every 20th with 503); when the peers are built
// (scripts/bench/peers.sh), each one also runs for real against a counting server on 127.0.0.1 and
// its reported counts are checked against what the server saw.
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAutocannon, parseFortio, parseVegeta, PEERS, type PeerBins, type PeerName } from './peers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (f: string) => readFile(join(here, 'fixtures', f), 'utf8');

test('fortio JSON: counts by status, transport errors from code -1, ActualQPS, p99 in ms', async () => {
  const r = parseFortio(await fixture('fortio-1.68.2.json'));
  assert.equal(r.total, 1000);
  assert.deepEqual(r.byStatus, { '200': 950, '503': 50 });
  assert.equal(r.errors, 0);
  assert.ok(Math.abs(r.rate - 496.87) < 0.01);
  assert.ok(Math.abs(r.durationS - 2.0126) < 0.001);
  assert.equal(r.latencyP99Ms, 70);
  assert.equal(r.extra.socketsOpened, 58);
  const withErrors = JSON.parse(await fixture('fortio-1.68.2.json')) as Record<string, unknown>;
  withErrors.RetCodes = { '200': 900, '-1': 100 };
  assert.equal(parseFortio(JSON.stringify(withErrors)).errors, 100);
  assert.deepEqual(parseFortio(JSON.stringify(withErrors)).byStatus, { '200': 900 });
});

test('vegeta report JSON: status 0 is a transport error, rate and duration from its own fields', async () => {
  const r = parseVegeta(await fixture('vegeta-12.13.0-report.json'));
  assert.equal(r.total, 1000);
  assert.deepEqual(r.byStatus, { '200': 950, '503': 50 });
  assert.equal(r.errors, 0);
  assert.ok(Math.abs(r.rate - 490.02) < 0.01);
  assert.ok(Math.abs((r.latencyP99Ms ?? 0) - 53.83) < 0.01);
  assert.equal(r.extra.firstErrors, '503 Service Unavailable');
});

test('autocannon JSON: responses, its own "sent" counter kept apart, rate = responses / duration', async () => {
  const r = parseAutocannon(await fixture('autocannon-9.0.0.json'));
  assert.equal(r.total, 2296);
  assert.deepEqual(r.byStatus, { '200': 2181, '503': 115 });
  assert.equal(r.extra.sent, 3296);
  assert.ok(Math.abs(r.rate - 2296 / 2.02) < 0.01);
});

test('a malformed peer output names the field', () => {
  assert.throws(() => parseVegeta('{"latencies":{},"requests":"x"}'), /requests/);
  assert.throws(() => parseFortio('{}'), /DurationHistogram/);
});

async function peerBins(): Promise<PeerBins | undefined> {
  const dir = join(process.env.LOSSLESS_CACHE ?? join(process.env.HOME ?? '/root', '.cache/lossless/lab'), 'bench', 'bin');
  const bins: PeerBins = {
    node: process.execPath,
    autocannon: join(here, '..', '..', 'node_modules', 'autocannon', 'autocannon.js'),
    fortio: join(dir, 'fortio'),
    vegeta: join(dir, 'vegeta'),
  };
  try {
    await Promise.all([access(bins.fortio), access(bins.vegeta), access(bins.autocannon)]);
    return bins;
  } catch {
    return undefined;
  }
}

/** Fails every 10th request it receives with 503 and counts what it served. */
async function countingServer(): Promise<{ server: Server; url: string; seen: () => { total: number; failed: number } }> {
  let total = 0;
  let failed = 0;
  const server = createServer((_req, res) => {
    total++;
    if (total % 10 === 0) {
      failed++;
      res.statusCode = 503;
    }
    res.end('ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/`, seen: () => ({ total, failed }) };
}

for (const tool of ['fortio', 'vegeta', 'autocannon'] as PeerName[]) {
  test(`${tool} for real: its counts match what a counting server saw`, async (t) => {
    const bins = await peerBins();
    if (!bins) return t.skip('peers not built: run scripts/bench/peers.sh');
    const { server, url, seen } = await countingServer();
    try {
      const dir = await mkdtemp(join(tmpdir(), 'bench-peer-'));
      const r = await PEERS[tool](bins, { url, qps: 200, requests: 400, durationS: 2, connections: 4, keepalive: true, dir });
      const s = seen();
      const reported503 = r.byStatus['503'] ?? 0;
      const reportedOk = r.byStatus['200'] ?? 0;
      assert.equal(r.errors, 0);
      if (tool === 'fortio') {
        // with -n the count is exact (the -t case below differs)
        assert.equal(r.total, s.total);
        assert.equal(reported503, s.failed);
      } else if (tool === 'autocannon') {
        // autocannon may have requests in flight when it stops counting: it never reports more than the server saw
        assert.ok(r.total <= s.total && r.total >= 390, `${r.total} vs server ${s.total}`);
        assert.ok(reported503 <= s.failed && reported503 >= s.failed - 2);
      } else {
        assert.equal(r.total, s.total);
        assert.equal(reported503, s.failed);
      }
      assert.equal(reportedOk + reported503, r.total);
      assert.ok(r.rate > 0);
    } finally {
      server.close();
    }
  });
}

test('fortio for real with -t: one warm-up request per connection reaches the server uncounted', async (t) => {
  const bins = await peerBins();
  if (!bins) return t.skip('peers not built: run scripts/bench/peers.sh');
  const { server, url, seen } = await countingServer();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'bench-peer-'));
    const r = await PEERS.fortio(bins, { url, qps: 200, durationS: 2, connections: 4, keepalive: true, dir });
    assert.equal(seen().total, r.total + 4);
  } finally {
    server.close();
  }
});

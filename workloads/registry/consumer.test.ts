// The consumer end to end: real providers (startEcho inside startProvider), a real consumer, a real etcd,
// all on loopback. Count-based assertions with generous bounds.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createEtcd } from './etcd.ts';
import { startEtcd } from './etcd.fixture.ts';
import type { EtcdFixture } from './etcd.fixture.ts';
import { Lines, spawnEntry, until } from './lines.fixture.ts';
import { startConsumer } from './consumer.ts';
import type { ConsumerOptions } from './consumer.ts';
import { startProvider } from './provider.ts';
import type { ProviderKnobs } from './knobs.ts';
import { prng as seededRandom } from '../../harness/src/schedule/pacer.ts';

const MAIN = fileURLToPath(new URL('./consumer.main.ts', import.meta.url));
let fx: EtcdFixture;
const dispatcher = new Agent({ connections: 4 });
before(async () => {
  fx = await startEtcd();
});
after(async () => {
  await dispatcher.close();
  await fx?.stop();
});

let n = 0;
const reg = (service: string, over: Partial<ProviderKnobs> = {}): ProviderKnobs => ({
  registryUrl: fx.url, prefix: '/e2e/', service, podIp: '127.0.0.1', registerAfter: 'ready', registerDelayMs: 0,
  leaseTtl: 10, weight: 100, deregisterOnSigterm: false, ...over,
});
const consumerOpts = (service: string, over: Partial<ConsumerOptions> = {}): ConsumerOptions => ({
  registryUrl: fx.url, prefix: '/e2e/', service, port: 0, host: '127.0.0.1', pod: 'cons', refresh: 'watch',
  pollIntervalMs: 5000, upstreamTimeoutMs: 3000, emptyProtection: true, retries: 0, log: () => {}, ...over,
});

async function get(port: number, path: string, seq: number, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${port}${path}`, { headers: { 'x-lossless-seq': String(seq), ...headers }, dispatcher });
  const body = await res.body.text();
  const h = (k: string) => res.headers[k] as string | undefined;
  return { status: res.statusCode, body, pod: h('x-lossless-pod'), seq: h('x-lossless-seq'), consumer: h('x-lossless-consumer'), error: h('x-lossless-upstream-error') };
}

test('routes to registered providers (x-lossless-pod = provider); a killed provider gives 502 with its pod and ECONNREFUSED', async () => {
  const service = `svc${++n}`;
  const p1 = await startProvider({ pod: 'p1', registry: reg(service), log: () => {} });
  const p2 = await startProvider({ pod: 'p2', registry: reg(service), log: () => {} });
  const lines = new Lines();
  const c = await startConsumer(consumerOpts(service, { log: lines.push, random: seededRandom(1) }));
  try {
    await until('consumer lists p1,p2', () => c.subscription.providers.length === 2);
    assert.equal((await get(c.port, '/readyz', 0)).status, 200);
    const served = new Map<string, number>();
    for (let seq = 1; seq <= 200; seq++) {
      const r = await get(c.port, '/work', seq);
      assert.equal(r.status, 200);
      assert.equal(r.seq, String(seq));
      assert.equal(r.consumer, 'cons');
      assert.match(r.body, new RegExp(`^ok ${r.pod} ${seq}\\n$`));
      served.set(r.pod!, (served.get(r.pod!) ?? 0) + 1);
    }
    assert.ok((served.get('p1') ?? 0) > 50 && (served.get('p2') ?? 0) > 50, JSON.stringify([...served]));
    assert.deepEqual(lines.all.map((l) => l.event).slice(0, 2), ['listening', 'consumer-list']);
    // p1 dies without deregistering: its key lives until the lease expires, so the consumer still picks it
    await p1.stop();
    const fails: Array<{ pod?: string; error?: string; status: number }> = [];
    let ok = 0;
    for (let seq = 201; seq <= 400 && fails.length < 20; seq++) {
      const r = await get(c.port, '/', seq);
      if (r.status === 200) {
        ok++;
        assert.equal(r.pod, 'p2');
      } else fails.push(r);
    }
    assert.ok(fails.length >= 5 && ok >= 5, `${fails.length} failed, ${ok} ok`);
    for (const f of fails) {
      assert.equal(f.status, 502);
      assert.equal(f.pod, 'p1');
      assert.match(f.error ?? '', /^(ECONNREFUSED|ECONNRESET)$/);
    }
    assert.ok(fails.some((f) => f.error === 'ECONNREFUSED'), JSON.stringify(fails));
  } finally {
    await c.stop();
    await p1.stop();
    await p2.stop();
    await createEtcd(fx.url).del(`/e2e/${service}/p1`);
  }
});

test('NO_PROVIDER 503 without x-lossless-pod; a slow provider gives 504 TIMEOUT; RETRIES fails over; x-lossless-run forwarded', async () => {
  const service = `svc${++n}`;
  const c = await startConsumer(consumerOpts(service, { upstreamTimeoutMs: 400 }));
  const etcd = createEtcd(fx.url);
  // a plain server that shows the headers it got (a registered provider need not be echo)
  const raw = createServer((req, res) => res.end(`${req.headers['x-lossless-run']}|${req.headers['x-lossless-seq']}|${req.url}`));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
  const rawPort = (raw.address() as AddressInfo).port;
  try {
    await c.subscription.loaded;
    const none = await get(c.port, '/', 1);
    assert.equal(none.status, 503);
    assert.equal(none.error, 'NO_PROVIDER');
    assert.equal(none.pod, undefined);
    assert.equal(none.consumer, 'cons');

    const p = await startProvider({ pod: 'slow', registry: reg(service), log: () => {} });
    try {
      await until('slow listed', () => c.subscription.providers.length === 1);
      const slow = await get(c.port, '/?delay=2s', 2);
      assert.equal(slow.status, 504);
      assert.equal(slow.pod, 'slow');
      assert.equal(slow.error, 'TIMEOUT');
      assert.equal((await get(c.port, '/?status=418', 3)).status, 418, 'status relayed');
    } finally {
      await p.stop();
      await etcd.del(`/e2e/${service}/slow`);
    }
    await etcd.put(`/e2e/${service}/raw`, JSON.stringify({ pod: 'raw', ip: '127.0.0.1', port: rawPort, startAt: 0, registeredAt: 0, warmupMs: 0, weight: 100 }));
    await until('raw listed', () => c.subscription.providers.map((x) => x.pod).join() === 'raw');
    const r = await get(c.port, '/a/b?x=1', 7, { 'x-lossless-run': 'run-9' });
    assert.equal(r.body, 'run-9|7|/a/b?x=1');
    assert.equal(r.pod, 'raw', 'no x-lossless-pod from upstream: the registry pod');
  } finally {
    await c.stop();
    raw.close();
    raw.closeAllConnections();
    await etcd.del(`/e2e/${service}/raw`);
  }

  // failover: with RETRIES=1 a dead provider is retried on the live one (hides the loss, hence off by default)
  const s2 = `svc${++n}`;
  const live = await startProvider({ pod: 'live', registry: reg(s2), log: () => {} });
  await etcd.put(`/e2e/${s2}/dead`, JSON.stringify({ pod: 'dead', ip: '127.0.0.1', port: 1, startAt: 0, registeredAt: 0, warmupMs: 0, weight: 100 }));
  const c2 = await startConsumer(consumerOpts(s2, { retries: 1, random: seededRandom(5) }));
  try {
    await until('both listed', () => c2.subscription.providers.length === 2);
    for (let seq = 0; seq < 40; seq++) {
      const r = await get(c2.port, '/', seq);
      assert.equal(r.status, 200);
      assert.equal(r.pod, 'live');
    }
  } finally {
    await c2.stop();
    await live.stop();
    await etcd.del(`/e2e/${s2}/dead`);
    await etcd.del(`/e2e/${s2}/live`);
  }
});

test('warm-up: a provider that just started gets a small share until its warm-up ends (Dubbo weights)', async () => {
  const service = `svc${++n}`;
  const old = await startProvider({ pod: 'old', startAt: Date.now() - 3_600_000, warmupMs: 60_000, registry: reg(service), log: () => {} });
  const fresh = await startProvider({ pod: 'fresh', warmupMs: 600_000, registry: reg(service), log: () => {} });
  const c = await startConsumer(consumerOpts(service, { random: seededRandom(11) }));
  try {
    await until('both listed', () => c.subscription.providers.length === 2);
    let toFresh = 0;
    for (let seq = 0; seq < 300; seq++) if ((await get(c.port, '/', seq)).pod === 'fresh') toFresh++;
    // fresh weighs 1-3 of 100 during its first ~18 s: expected ~1-3 %, allow up to 10 %
    assert.ok(toFresh < 30, `fresh served ${toFresh} of 300`);
  } finally {
    await c.stop();
    await old.stop();
    await fresh.stop();
    const etcd = createEtcd(fx.url);
    await etcd.del(`/e2e/${service}/old`);
    await etcd.del(`/e2e/${service}/fresh`);
  }
});

test('as a process: ready once listed, SIGTERM finishes in-flight and exits 0; a bad knob exits 2', async () => {
  const service = `svc${++n}`;
  const p = await startProvider({ pod: 'pp', registry: reg(service), log: () => {} });
  const c = spawnEntry(MAIN, { PORT: '0', HOST: '127.0.0.1', POD_NAME: 'cons-proc', REGISTRY_URL: fx.url, REGISTRY_PREFIX: '/e2e/', SERVICE: service, REFRESH: 'poll', POLL_INTERVAL: '1s' });
  try {
    const listening = await c.lines.wait('listening');
    await c.lines.wait('ready');
    const list = await c.lines.wait('consumer-list');
    assert.equal(list.providers, 'pp');
    const port = listening.port as number;
    const slow = get(port, '/?delay=800ms', 1);
    await until('request in flight', () => p.echo.inFlight === 1);
    c.proc.kill('SIGTERM');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.pod, 'pp');
    assert.equal(await c.exited, 0, c.stderr());
    const events = c.lines.all.map((l) => l.event);
    assert.deepEqual(events.slice(events.indexOf('sigterm')), ['sigterm', 'exit']);
    assert.equal(c.lines.of('sigterm')[0]!.inFlight, 1);
  } finally {
    c.proc.kill('SIGKILL');
    await p.stop();
    await createEtcd(fx.url).del(`/e2e/${service}/pp`);
  }
  const bad = spawnEntry(MAIN, { REGISTRY_URL: fx.url, POLL_INTERVAL: 'often' });
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /POLL_INTERVAL='often'/);
});

// The registry provider against a real etcd: when it registers, /offline, SIGTERM, lease re-grant.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createEtcd } from './etcd.ts';
import { startEtcd, freePort } from './etcd.fixture.ts';
import type { EtcdFixture } from './etcd.fixture.ts';
import { Lines, spawnEntry, until } from './lines.fixture.ts';
import { providerKnobsFromEnv, consumerKnobsFromEnv } from './knobs.ts';
import type { ProviderKnobs } from './knobs.ts';
import { startProvider } from './provider.ts';

const MAIN = fileURLToPath(new URL('./provider.main.ts', import.meta.url));
let fx: EtcdFixture;
before(async () => {
  fx = await startEtcd();
});
after(async () => {
  await fx?.stop();
});

const knobs = (over: Partial<ProviderKnobs> = {}): ProviderKnobs => ({
  registryUrl: fx.url, prefix: '/test/', service: 'svc', podIp: '127.0.0.1', registerAfter: 'ready',
  registerDelayMs: 0, leaseTtl: 10, weight: 100, deregisterOnSigterm: false, ...over,
});

test('knobs: defaults, and errors naming the variable', () => {
  const k = providerKnobsFromEnv({ REGISTRY_URL: 'http://registry:2379', POD_IP: '10.1.2.3' });
  assert.deepEqual(k, {
    registryUrl: 'http://registry:2379', prefix: '/lossless/providers/', service: 'echo', podIp: '10.1.2.3',
    registerAfter: 'ready', registerDelayMs: 0, leaseTtl: 10, weight: 100, deregisterOnSigterm: false,
  });
  assert.throws(() => providerKnobsFromEnv({}), /REGISTRY_URL is required/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'registry:2379' }), /REGISTRY_URL='registry:2379'/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', REGISTER_AFTER: 'soon' }), /REGISTER_AFTER='soon': expected start or listening or ready/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', LEASE_TTL: '1' }), /LEASE_TTL='1': expected an integer 2-/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', WEIGHT: '0' }), /WEIGHT='0': expected an integer 1-10000/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', REGISTER_DELAY: '5' }), /REGISTER_DELAY='5'/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', DEREGISTER_ON_SIGTERM: 'yes' }), /DEREGISTER_ON_SIGTERM='yes': expected true or false/);
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', REGISTRY_PREFIX: 'x' }), /REGISTRY_PREFIX='x'/);
  assert.throws(() => consumerKnobsFromEnv({ REGISTRY_URL: 'http://r', RETRIES: '6' }, 'h'), /RETRIES='6': expected an integer 0-5/);
  assert.throws(() => consumerKnobsFromEnv({ REGISTRY_URL: 'http://r', REFRESH: 'push' }, 'h'), /REFRESH='push': expected watch or poll/);
  assert.throws(() => consumerKnobsFromEnv({ REGISTRY_URL: 'http://r', EMPTY_PROTECTION: '1' }, 'h'), /EMPTY_PROTECTION='1'/);
  assert.equal(consumerKnobsFromEnv({ REGISTRY_URL: 'http://r' }, 'host-1').pod, 'host-1');
  assert.equal(providerKnobsFromEnv({ REGISTRY_URL: 'http://r', WEIGHT_WARMUP: '60s' }).advertisedWarmupMs, 60_000);
  assert.equal(providerKnobsFromEnv({ REGISTRY_URL: 'http://r' }).advertisedWarmupMs, undefined, 'unset: echo WARMUP is advertised');
  assert.throws(() => providerKnobsFromEnv({ REGISTRY_URL: 'http://r', WEIGHT_WARMUP: 'soon' }), /WEIGHT_WARMUP='soon'/);
});

test('WEIGHT_WARMUP advertises a warm-up other than the app\'s cold period (0: none)', async () => {
  const lines = new Lines();
  const etcd = createEtcd(fx.url);
  const p = await startProvider({ pod: 'p-adv', warmupMs: 30_000, registry: knobs({ advertisedWarmupMs: 0 }), log: lines.push, etcd });
  try {
    const reg = await lines.wait('registered');
    assert.equal(reg.warmupMs, 0);
    assert.equal(JSON.parse((await etcd.range('/test/svc/p-adv')).kvs[0]!.value).warmupMs, 0);
  } finally {
    await p.stop();
    await etcd.del('/test/svc/p-adv');
  }
});

test('registers after ready + REGISTER_DELAY, with the advertised value; never before', async () => {
  const lines = new Lines();
  const etcd = createEtcd(fx.url);
  const startAt = Date.now();
  const p = await startProvider({ pod: 'p-ready', readyDelayMs: 400, warmupMs: 30_000, registry: knobs({ registerDelayMs: 400, weight: 50 }), startAt, log: lines.push, etcd });
  try {
    await lines.wait('listening');
    assert.equal((await etcd.range('/test/svc/')).kvs.length, 0, 'not registered while not ready');
    const reg = await lines.wait('registered');
    const ready = lines.of('ready')[0]!;
    assert.ok(reg.at >= ready.at + 390, `registered ${reg.at - ready.at} ms after ready`);
    assert.equal(reg.key, '/test/svc/p-ready');
    assert.equal(reg.reason, 'initial');
    assert.equal(reg.lease, p.lease);
    const kvs = (await etcd.range('/test/svc/')).kvs;
    assert.equal(kvs.length, 1);
    assert.equal(kvs[0]!.lease, p.lease);
    const v = JSON.parse(kvs[0]!.value);
    assert.deepEqual({ ...v, registeredAt: 0 }, { pod: 'p-ready', ip: '127.0.0.1', port: p.port, startAt, registeredAt: 0, warmupMs: 30_000, weight: 50 });
    assert.ok(v.registeredAt >= ready.at);
    assert.deepEqual([reg.startAt, reg.warmupMs, reg.weight], [startAt, 30_000, 50], 'the registered line carries the weighing metadata');
  } finally {
    await p.stop();
    await etcd.del('/test/svc/p-ready');
  }
});

test('REGISTER_AFTER=start registers before the server listens (STARTUP_DELAY); =listening before ready', async () => {
  const lines = new Lines();
  const port = await freePort();
  const p = await startProvider({ pod: 'p-start', port, startupDelayMs: 600, registry: knobs({ registerAfter: 'start' }), log: lines.push });
  const l2 = new Lines();
  const q = await startProvider({ pod: 'p-listen', readyDelayMs: 800, registry: knobs({ registerAfter: 'listening' }), log: l2.push });
  try {
    const reg = await lines.wait('registered');
    assert.ok(reg.at < lines.of('listening')[0]!.at, 'registered before listening');
    const reg2 = await l2.wait('registered');
    await l2.wait('ready');
    assert.ok(reg2.at >= l2.of('listening')[0]!.at && reg2.at < l2.of('ready')[0]!.at, 'registered between listening and ready');
    await assert.rejects(startProvider({ pod: 'x', registry: knobs({ registerAfter: 'start' }), log: () => {} }), /REGISTER_AFTER='start' needs a fixed PORT/);
  } finally {
    await p.stop();
    await q.stop();
    const etcd = createEtcd(fx.url);
    await etcd.del('/test/svc/p-start');
    await etcd.del('/test/svc/p-listen');
  }
});

test('/offline deletes the key, leaves the lease to expire, answers after wait; idempotent; never re-registers', async () => {
  const lines = new Lines();
  const etcd = createEtcd(fx.url);
  const p = await startProvider({ pod: 'p-off', registry: knobs({ leaseTtl: 3 }), log: lines.push, etcd });
  try {
    await lines.wait('registered');
    const lease = p.lease;
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${p.port}/offline?wait=700ms`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'offline\n');
    assert.ok(Date.now() - t0 >= 690, 'answered after wait');
    const dereg = lines.of('deregistered');
    assert.equal(dereg.length, 1);
    assert.equal(dereg[0]!.reason, 'offline');
    assert.ok(dereg[0]!.at <= t0 + 700, 'deleted before the wait ended');
    assert.equal((await etcd.range('/test/svc/')).kvs.length, 0);
    assert.ok((await etcd.timeToLive(lease)) > 0, 'lease still lives (not revoked)');
    assert.equal((await fetch(`http://127.0.0.1:${p.port}/offline`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${p.port}/offline?wait=soon`)).status, 400);
    // past the lease's TTL: it expired by itself, nothing was put back
    await until('lease expired', async () => (await etcd.timeToLive(lease)) === -1, 15_000);
    assert.equal((await etcd.range('/test/svc/')).kvs.length, 0);
    assert.equal(lines.of('registered').length, 1);
    assert.equal(lines.of('deregistered').length, 1);
    // echo still serves
    assert.equal((await fetch(`http://127.0.0.1:${p.port}/`)).status, 200);
  } finally {
    await p.stop();
  }
});

test('registry away: one registry-error per outage; lease gone (empty replacement): grant and put again', async () => {
  const lines = new Lines();
  const etcd = createEtcd(fx.url);
  const p = await startProvider({ pod: 'p-regrant', registry: knobs({ leaseTtl: 3 }), log: lines.push, etcd });
  try {
    await lines.wait('registered');
    const firstLease = p.lease;
    await fx.kill();
    const err = await lines.wait('registry-error');
    assert.equal(err.code, 'ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 2500)); // several retries, still one line
    assert.equal(lines.of('registry-error').length, 1);
    await fx.start(); // an empty etcd on the same port: the lease is unknown there
    const again = await lines.wait('registered', { reason: 're-register' });
    assert.notEqual(again.lease, firstLease);
    const kvs = (await etcd.range('/test/svc/')).kvs;
    assert.deepEqual(kvs.map((kv) => [kv.key, kv.lease]), [['/test/svc/p-regrant', again.lease]]);
    assert.ok(again.at > err.at);
  } finally {
    await p.stop();
    await etcd.del('/test/svc/p-regrant').catch(() => {});
  }
});

test('as a process: DEREGISTER_ON_SIGTERM deletes before echo shuts down; without it the key outlives the process', async () => {
  const env = (pod: string, dereg: string) => ({
    PORT: '0', POD_NAME: pod, REGISTRY_URL: fx.url, REGISTRY_PREFIX: '/proc/', SERVICE: 'svc', POD_IP: '127.0.0.1',
    LEASE_TTL: '30', DEREGISTER_ON_SIGTERM: dereg, ON_SIGTERM: 'graceful',
  });
  const etcd = createEtcd(fx.url);
  const a = spawnEntry(MAIN, env('proc-a', 'true'));
  const b = spawnEntry(MAIN, env('proc-b', 'false'));
  try {
    await a.lines.wait('registered');
    await b.lines.wait('registered');
    assert.equal((await etcd.range('/proc/svc/')).kvs.length, 2);
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
    assert.equal(await a.exited, 0, a.stderr());
    assert.equal(await b.exited, 0, b.stderr());
    const order = a.lines.all.map((l) => l.event);
    assert.deepEqual(order.slice(order.indexOf('deregistered')), ['deregistered', 'sigterm', 'last-request', 'exit']);
    assert.equal(a.lines.of('deregistered')[0]!.reason, 'sigterm');
    assert.equal(b.lines.of('deregistered').length, 0);
    const left = (await etcd.range('/proc/svc/')).kvs.map((kv) => kv.key);
    assert.deepEqual(left, ['/proc/svc/proc-b'], 'the naive provider stays registered until its lease expires');
  } finally {
    a.proc.kill('SIGKILL');
    b.proc.kill('SIGKILL');
    await etcd.del('/proc/svc/proc-b').catch(() => {});
  }
  const bad = spawnEntry(MAIN, { REGISTRY_URL: fx.url, WEIGHT: '0' });
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /WEIGHT='0': expected an integer 1-10000/);
});

test('SIGTERM before the registration moment: never registers, shutdown does not wait for it', async () => {
  const lines = new Lines();
  const etcd = createEtcd(fx.url);
  const p = await startProvider({ pod: 'p-early', readyDelayMs: 60_000, registry: knobs({ deregisterOnSigterm: true }), log: lines.push, etcd });
  const code = await Promise.race([p.sigterm(), new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
  assert.equal(code, 0);
  assert.equal(lines.of('registered').length, 0);
  assert.equal(lines.of('deregistered')[0]!.reason, 'sigterm');
  assert.equal((await etcd.range('/test/svc/p-early')).kvs.length, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(lines.of('registered').length, 0, 'the pending registration was cancelled');
});

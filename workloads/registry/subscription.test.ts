// The consumer's list logic against a real etcd: watch and poll refresh, expired vs deleted, empty
// protection, and the registry pod replaced (resubscribe, providers re-register, the list recovers).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createEtcd } from './etcd.ts';
import { startEtcd } from './etcd.fixture.ts';
import type { EtcdFixture } from './etcd.fixture.ts';
import { Lines, until } from './lines.fixture.ts';
import { startProvider } from './provider.ts';
import { observeRegistry, subscribe } from './subscription.ts';
import type { Subscription } from './subscription.ts';

let fx: EtcdFixture;
before(async () => {
  fx = await startEtcd();
});
after(async () => {
  await fx?.stop();
});

let n = 0;
const value = (pod: string) => JSON.stringify({ pod, ip: '127.0.0.1', port: 1, startAt: 1, registeredAt: 1, warmupMs: 0, weight: 100 });
const podsOf = (s: Subscription) => s.providers.map((p) => p.pod).join(',');

for (const refresh of ['watch', 'poll'] as const) {
  test(`${refresh}: initial list, then a new provider and a deletion are picked up and logged`, async () => {
    const prefix = `/sub-${++n}/svc/`;
    const etcd = createEtcd(fx.url);
    await etcd.put(`${prefix}a`, value('a'));
    await etcd.put(`${prefix}b`, value('b'));
    await etcd.put(`${prefix}junk`, 'not a provider'); // ignored
    const lines = new Lines();
    const sub = subscribe({ etcd, prefix, pod: 'c-1', log: lines.push, refresh, pollIntervalMs: 300, emptyProtection: true });
    try {
      await sub.loaded;
      assert.equal(podsOf(sub), 'a,b');
      const first = lines.of('consumer-list')[0]!;
      assert.deepEqual({ ...first, at: 0, revision: 0 }, { event: 'consumer-list', at: 0, pod: 'c-1', providers: 'a,b', added: 'a,b', removed: '', reason: 'initial', revision: 0, refresh, ...(refresh === 'poll' ? { pollIntervalMs: 300 } : {}) });
      await etcd.put(`${prefix}c`, value('c'));
      const added = await lines.wait('consumer-list', { added: 'c' });
      assert.equal(added.reason, refresh);
      assert.equal(added.providers, 'a,b,c');
      await etcd.del(`${prefix}a`);
      const removed = await lines.wait('consumer-list', { removed: 'a' });
      assert.equal(removed.reason, refresh);
      assert.equal(removed.providers, 'b,c');
      assert.equal(podsOf(sub), 'b,c');
      assert.ok((removed.revision as number) > (added.revision as number));
      assert.equal(lines.of('consumer-list').length, 3, 'one line per change, none for unchanged polls');
    } finally {
      await sub.stop();
    }
  });
}

test('registry-level watch: put is registered, a delete is deleted, a lease running out is expired', async () => {
  const prefix = `/sub-${++n}/svc/`;
  const etcd = createEtcd(fx.url);
  const lines = new Lines();
  const obs = observeRegistry({ etcd, prefix, pod: 'c-obs', log: lines.push });
  try {
    await new Promise((r) => setTimeout(r, 500)); // let it subscribe (it logs only changes after)
    const short = await etcd.grant(2);
    const long = await etcd.grant(60);
    await etcd.put(`${prefix}exp`, value('exp'), short.id);
    await etcd.put(`${prefix}del`, value('del'), long.id);
    await lines.wait('registry-change', { provider: 'del', op: 'put' });
    assert.equal(lines.of('registry-change', { provider: 'exp', op: 'put' })[0]!.reason, 'registered');
    await etcd.del(`${prefix}del`);
    const d = await lines.wait('registry-change', { provider: 'del', op: 'delete' });
    assert.equal(d.reason, 'deleted');
    const e = await lines.wait('registry-change', { provider: 'exp', op: 'delete' }, 20_000);
    assert.equal(e.reason, 'expired');
    assert.equal(typeof e.revision, 'number');
  } finally {
    await obs.stop();
  }
});

test('empty protection: an empty registry keeps the cached list (logged); off, the list empties', async () => {
  const etcd = createEtcd(fx.url);
  for (const [refresh, protection] of [['watch', true], ['poll', true], ['watch', false]] as const) {
    const prefix = `/sub-${++n}/svc/`;
    await etcd.put(`${prefix}a`, value('a'));
    await etcd.put(`${prefix}b`, value('b'));
    const lines = new Lines();
    const sub = subscribe({ etcd, prefix, pod: 'c-e', log: lines.push, refresh, pollIntervalMs: 200, emptyProtection: protection });
    try {
      await sub.loaded;
      await etcd.del(`${prefix}a`);
      await etcd.del(`${prefix}b`);
      if (protection) {
        const kept = await lines.wait('empty-protection');
        // the watch may see the two deletes apart (then b alone is the last list); a poll may see either
        assert.ok(kept.kept === 'a,b' || kept.kept === 'b', `${refresh}: kept ${kept.kept}`);
        await new Promise((r) => setTimeout(r, 600));
        assert.equal(podsOf(sub), kept.kept, `${refresh}: cache kept`);
        assert.equal(lines.of('empty-protection').length, 1, 'logged once per empty spell');
        await etcd.put(`${prefix}c`, value('c'));
        await until(`${refresh}: list replaced by c`, () => podsOf(sub) === 'c');
        assert.equal(lines.of('consumer-list').at(-1)!.removed, kept.kept);
      } else {
        const emptied = await lines.wait('consumer-list', { providers: '' });
        // both deletes in one watch message remove a,b at once; seen apart, b is the last one removed
        assert.ok(emptied.removed === 'b' || emptied.removed === 'a,b', `${refresh}: removed ${emptied.removed}`);
        assert.equal(sub.providers.length, 0);
        assert.equal(lines.of('empty-protection').length, 0);
      }
    } finally {
      await sub.stop();
    }
  }
});

test('registry pod replaced: the watch resubscribes, providers re-register, the list recovers and never empties', async () => {
  const etcd = createEtcd(fx.url);
  const reg = { registryUrl: fx.url, prefix: '/replace/', service: 'svc', podIp: '127.0.0.1', registerAfter: 'ready' as const, registerDelayMs: 0, leaseTtl: 3, weight: 100, deregisterOnSigterm: false };
  const plines = new Lines();
  const p1 = await startProvider({ pod: 'p1', registry: reg, log: plines.push, etcd });
  const p2 = await startProvider({ pod: 'p2', registry: reg, log: plines.push, etcd });
  const lines = new Lines();
  const sub = subscribe({ etcd, prefix: '/replace/svc/', pod: 'c-r', log: lines.push, refresh: 'watch', pollIntervalMs: 5000, emptyProtection: true });
  const obs = observeRegistry({ etcd, prefix: '/replace/svc/', pod: 'c-r', log: lines.push });
  let minSize = Infinity;
  let sampler: NodeJS.Timeout | undefined;
  try {
    await until('both providers listed', () => podsOf(sub) === 'p1,p2');
    sampler = setInterval(() => (minSize = Math.min(minSize, sub.providers.length)), 10);
    await fx.replace();
    const disc = await lines.wait('registry-disconnected');
    assert.match(String(disc.code), /^[A-Z_]+$/);
    const resub = await lines.wait('registry-resubscribed');
    assert.ok(resub.at >= disc.at);
    await until('providers re-registered', () => plines.of('registered', { reason: 're-register' }).length === 2, 30_000);
    // the empty relist (if it came before the re-registrations) was protected, then the watch saw them back
    await until('list holds both again from the new registry', async () => (await etcd.range('/replace/svc/')).kvs.length === 2 && podsOf(sub) === 'p1,p2');
    await lines.wait('registry-change', { provider: 'p1', op: 'put' });
    // a relist between the two re-registrations sees one provider: a real transient, but never none
    assert.ok(minSize >= 1, 'the routing list never emptied');
    if (process.env.LOSSLESS_VERBOSE) console.log(lines.all);
    assert.equal(lines.of('registry-disconnected').length, 1);
  } finally {
    clearInterval(sampler);
    await sub.stop();
    await obs.stop();
    await p1.stop();
    await p2.stop();
  }
});

test('poll: the registry away is one registry-disconnected; the next good poll is registry-resubscribed; the cache stays', async () => {
  const prefix = `/sub-${++n}/svc/`;
  const etcd = createEtcd(fx.url);
  await etcd.put(`${prefix}a`, value('a'));
  const lines = new Lines();
  const sub = subscribe({ etcd, prefix, pod: 'c-p', log: lines.push, refresh: 'poll', pollIntervalMs: 200, emptyProtection: false });
  try {
    await sub.loaded;
    await fx.kill();
    const disc = await lines.wait('registry-disconnected');
    assert.equal(disc.code, 'ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 1000)); // several failed polls
    assert.equal(lines.of('registry-disconnected').length, 1);
    assert.equal(podsOf(sub), 'a', 'a failed poll is not an empty list');
    await fx.start();
    await etcd.put(`${prefix}b`, value('b'));
    const resub = await lines.wait('registry-resubscribed');
    assert.ok(resub.providers === '' || resub.providers === 'b', `resubscribed with ${resub.providers}`); // a poll may land before the put
    await until('list from the new registry', () => podsOf(sub) === 'b');
    assert.equal(lines.of('consumer-list').at(-1)!.reason, 'poll');
  } finally {
    await sub.stop();
  }
});

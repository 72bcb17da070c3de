// The etcd client against a real etcd (fixture): answer shapes, lease life, watch events, error codes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createEtcd, EtcdError, prefixEnd } from './etcd.ts';
import type { WatchMessage } from './etcd.ts';
import { startEtcd, freePort } from './etcd.fixture.ts';
import type { EtcdFixture } from './etcd.fixture.ts';

let fx: EtcdFixture;
before(async () => {
  fx = await startEtcd();
});
after(async () => {
  await fx?.stop();
});

test('prefixEnd: the next key after every key with the prefix', () => {
  assert.equal(Buffer.from(prefixEnd('/a/'), 'base64').toString(), '/a0');
  assert.deepEqual([...Buffer.from(prefixEnd('a\xff'), 'base64')], [0x61, 0xc3, 0xc0]); // utf-8 bytes of ÿ are c3 bf
});

test('grant, put with a lease, range, keepalive, timetolive, delete, watch with prev_kv', async () => {
  const etcd = createEtcd(fx.url);
  const lease = await etcd.grant(5);
  assert.match(lease.id, /^\d+$/);
  assert.equal(lease.ttl, 5);
  await etcd.put('/t/svc/a', '{"x":1}', lease.id);
  await etcd.put('/t/svc/b', 'plain');
  await etcd.put('/t/svcX', 'outside the prefix');
  const r = await etcd.range('/t/svc/');
  assert.deepEqual(r.kvs.map((kv) => [kv.key, kv.value, kv.lease]), [['/t/svc/a', '{"x":1}', lease.id], ['/t/svc/b', 'plain', '']]);
  assert.ok(r.revision >= 4);
  assert.ok((await etcd.keepalive(lease.id)) > 0);
  const ttl = await etcd.timeToLive(lease.id);
  assert.ok(ttl > 0 && ttl <= 5);
  assert.equal(await etcd.keepalive('12345'), 0); // unknown lease: TTL absent
  assert.equal(await etcd.timeToLive('12345'), -1);

  const ac = new AbortController();
  const got: WatchMessage[] = [];
  const watching = (async () => {
    for await (const m of etcd.watch('/t/svc/', { startRevision: r.revision + 1, prevKv: true, signal: ac.signal })) {
      got.push(m);
      if (got.some((g) => g.events.some((e) => e.type === 'DELETE'))) break;
    }
  })();
  await etcd.put('/t/svc/c', 'new');
  assert.equal(await etcd.del('/t/svc/a'), 1);
  await watching;
  ac.abort();
  assert.equal(got[0]!.created, true);
  const events = got.flatMap((m) => m.events);
  assert.deepEqual(events.map((e) => [e.type, e.kv.key]), [['PUT', '/t/svc/c'], ['DELETE', '/t/svc/a']]);
  assert.equal(events[1]!.prevKv!.lease, lease.id);
  assert.equal(events[1]!.prevKv!.value, '{"x":1}');
});

test('errors carry a code: lease not found, refused, compacted watch', async () => {
  const etcd = createEtcd(fx.url);
  await assert.rejects(etcd.put('/t/x', 'v', '999'), (e: EtcdError) => e instanceof EtcdError && e.code === 'NOT_FOUND');
  const dark = createEtcd(`http://127.0.0.1:${await freePort()}`);
  await assert.rejects(dark.range('/t/'), (e: EtcdError) => e.code === 'ECONNREFUSED');
  const rev = await etcd.put('/t/y', '1');
  await etcd.put('/t/y', '2');
  await fetch(`${fx.url}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(rev + 1) }) }).then((r) => r.text());
  const ac = new AbortController();
  for await (const m of etcd.watch('/t/', { startRevision: rev, signal: ac.signal })) {
    if (m.canceled) {
      assert.equal(m.compactRevision, rev + 1);
      break;
    }
  }
  ac.abort();
});

test('a watch whose server dies ends with an EtcdError carrying a socket code', async () => {
  const etcd = createEtcd(fx.url);
  const ac = new AbortController();
  let created = false;
  const failure = (async () => {
    try {
      for await (const m of etcd.watch('/t/', { signal: ac.signal })) if (m.created) created = true;
    } catch (err) {
      return err as EtcdError;
    }
    return undefined;
  })();
  while (!created) await new Promise((r) => setTimeout(r, 20));
  await fx.replace();
  const err = await failure;
  assert.ok(err instanceof EtcdError, String(err));
  assert.ok(['ECONNRESET', 'UND_ERR_SOCKET', 'WATCH_ENDED'].includes(err.code), err.code);
  ac.abort();
  assert.deepEqual((await etcd.range('/t/')).kvs, []); // the replacement is empty
});

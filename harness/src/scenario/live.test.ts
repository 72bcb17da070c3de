import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../record.ts';
import { LiveCounter } from './live.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rec(target: string, outcome: RequestRecord['outcome'], seq: number): RequestRecord {
  return { seq, target, scheduledAt: 0, sentAt: 0, endAt: 1, outcome, phase: 'body', reusedConnection: false } as RequestRecord;
}

test('per path sent and lost during load, by phase, a line every period off a TTY', async () => {
  let now = 0;
  const lines: string[] = [];
  const live = new LiveCounter({ isTTY: false, write: () => true }, (l) => lines.push(l), () => now, 20);
  live.paths([{ path: 'ingress', url: 'http://127.0.0.1:18080/ingress' }, { path: 'clusterip', url: 'http://echo.ns.svc.cluster.local:80/clusterip' }]);
  live.start();
  assert.equal(live.status(), 'load 0s: ingress sent 0 lost 0 · clusterip sent 0 lost 0');
  for (let i = 0; i < 100; i++) live.add(rec('http://127.0.0.1:18080/ingress', i < 3 ? 'http-5xx' : 'ok', i));
  live.add(rec('http://echo.ns.svc.cluster.local:80/clusterip', 'ok', 100));
  live.add(rec('http://echo.ns.svc.cluster.local:80/clusterip', 'cancelled', 101));
  now = 12_000;
  live.setPhase('rollout 1/1');
  await wait(60);
  live.stop();
  assert.ok(lines.length >= 2);
  assert.equal(lines.at(-1), 'live: rollout 1/1 12s: ingress sent 100 lost 3 (3.00%) · clusterip sent 1 lost 0');
  const n = lines.length;
  await wait(40);
  assert.equal(lines.length, n, 'no line after stop');
});

test('on a TTY the counter is one redrawn line and log lines clear it first', async () => {
  let text = '';
  const tty = { isTTY: true, write: (t: string) => { text += t; return true; } };
  const live = new LiveCounter(tty, (l) => { text += `${l}\n`; }, () => 0, 20);
  live.paths([{ path: 'lb', url: 'http://172.18.0.200:80/lb' }]);
  live.start();
  await wait(50);
  assert.match(text, /\r\x1b\[2Kload 0s: lb sent 0 lost 0$/);
  live.line('rollout 1/1 started (restart)');
  assert.match(text, /\r\x1b\[2Krollout 1\/1 started \(restart\)\n\r\x1b\[2Kload 0s: lb sent 0 lost 0$/);
  live.stop();
  assert.ok(text.endsWith('\r\x1b[2K'));
});

test('a record naming the URL as normalised (default port dropped) counts on its path; a TTY line never wraps', async () => {
  let text = '';
  const tty = { isTTY: true, columns: 40, write: (t: string) => { text += t; return true; } };
  const live = new LiveCounter(tty, () => {}, () => 0, 20);
  live.paths([{ path: 'clusterip', url: 'http://echo-clusterip.ns.svc.cluster.local:80/clusterip' }]);
  live.add(rec('http://echo-clusterip.ns.svc.cluster.local/clusterip', 'ok', 1));
  assert.equal(live.status(), 'load 0s: clusterip sent 1 lost 0');
  live.paths([{ path: 'ingress', url: 'http://127.0.0.1:18080/ingress' }]);
  live.start();
  await wait(50);
  live.stop();
  const drawn = text.split('\r\x1b[2K').filter(Boolean);
  assert.ok(drawn.length > 0 && drawn.every((d) => d.length <= 39), JSON.stringify(drawn));
  assert.ok(drawn[0]!.endsWith('…'));
});

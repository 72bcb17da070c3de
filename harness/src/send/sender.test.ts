// Each outcome class produced by the real failure it names, through the real sender: every case with
// each HTTP client (wire, the default, and undici), which must record it the same.
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { runLoad, type LoadConfig } from '../load/run.ts';
import type { RequestRecord } from '../record.ts';
import { HTTP_CLIENTS } from './sender.ts';
import { hangServer, httpServer, inFlightCutServer, midBodyServer, refusedUrl, resetServer, staleKeepAliveServer } from '../../test/servers.ts';

for (const http of HTTP_CLIENTS) {
  function config(targets: string[], over: Partial<LoadConfig> = {}): LoadConfig {
    return {
      targets, qps: 20, requests: 4, connections: 4, keepalive: true, timeoutMs: 2000, method: 'GET', headers: [],
      maxInFlight: 1000, arrivals: 'uniform', runId: 'test', http, ...over,
    };
  }

  async function records(cfg: LoadConfig): Promise<RequestRecord[]> {
    const out: RequestRecord[] = [];
    await runLoad(cfg, { onRecord: (r) => out.push(r) });
    return out.sort((a, b) => a.seq - b.seq);
  }

  test(`${http}: ok: status, servedBy, remote address, local port, and socket reuse`, async () => {
    const f = await httpServer(200, 'pod-a');
    try {
      const rs = await records(config([f.url], { connections: 1, requests: 3, qps: 10 }));
      assert.deepEqual(rs.map((r) => r.outcome), ['ok', 'ok', 'ok']);
      for (const r of rs) {
        assert.equal(r.status, 200);
        assert.equal(r.servedBy, 'pod-a');
        assert.equal(r.remoteAddr, `127.0.0.1:${f.port}`);
        assert.ok(r.localPort && r.localPort > 0);
        assert.ok(r.bytesSent > 50, 'request head bytes counted');
        assert.equal(r.bytesReceived, 2);
        assert.ok(r.endAt >= r.sentAt && r.sentAt >= r.scheduledAt);
      }
      // one connection, three requests: the first is fresh, the others reuse it
      assert.deepEqual(rs.map((r) => r.reusedConnection), [false, true, true]);
      assert.equal(new Set(rs.map((r) => r.localPort)).size, 1);
      assert.deepEqual([...f.seen.keys()].sort(), [0, 1, 2]);
    } finally {
      await f.close();
    }
  });

  test(`${http}: --no-keepalive: a new connection per request`, async () => {
    const f = await httpServer();
    try {
      const rs = await records(config([f.url], { connections: 1, requests: 4, qps: 10, keepalive: false }));
      assert.deepEqual(rs.map((r) => r.outcome), ['ok', 'ok', 'ok', 'ok']);
      assert.ok(rs.every((r) => !r.reusedConnection));
      assert.equal(new Set(rs.map((r) => r.localPort)).size, 4);
    } finally {
      await f.close();
    }
  });

  test(`${http}: http-5xx and http-4xx from the status`, async () => {
    const a = await httpServer(503);
    const b = await httpServer(404);
    try {
      const rs = await records(config([a.url, b.url], { requests: 2 }));
      assert.deepEqual(rs.map((r) => [r.target, r.outcome, r.status]), [
        [a.url, 'http-5xx', 503], [b.url, 'http-4xx', 404], [a.url, 'http-5xx', 503], [b.url, 'http-4xx', 404],
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${http}: connect-refused from a closed port`, async () => {
    const url = await refusedUrl();
    const rs = await records(config([url]));
    assert.equal(rs.length, 4);
    for (const r of rs) {
      assert.equal(r.outcome, 'connect-refused');
      assert.equal(r.errorCode, 'ECONNREFUSED');
      assert.equal(r.phase, 'connect');
      assert.equal(r.remoteAddr, url.slice('http://'.length, -1));
    }
  });

  test(`${http}: reset-before-response: the server resets a fresh connection on the request`, async () => {
    const f = await resetServer();
    try {
      const rs = await records(config([f.url]));
      assert.deepEqual(rs.map((r) => r.outcome), Array(4).fill('reset-before-response'));
      assert.ok(rs.every((r) => !r.reusedConnection && r.status === undefined && r.errorCode !== undefined));
      assert.ok(rs.every((r) => r.phase === 'headers' || r.phase === 'write'), rs.map((r) => r.phase).join());
    } finally {
      await f.close();
    }
  });

  test(`${http}: reset-during-body: the server resets after the head and part of the body`, async () => {
    const f = await midBodyServer();
    try {
      const rs = await records(config([f.url], { requests: 3 }));
      assert.deepEqual(rs.map((r) => r.outcome), Array(3).fill('reset-during-body'));
      assert.ok(rs.every((r) => r.status === 200 && r.phase === 'body' && r.servedBy === 'raw' && r.bytesReceived === 'partial-body'.length));
    } finally {
      await f.close();
    }
  });

  test(`${http}: timeout: a hung server; the record ends at the deadline`, async () => {
    const f = await hangServer();
    try {
      const rs = await records(config([f.url], { requests: 2, timeoutMs: 300 }));
      assert.deepEqual(rs.map((r) => r.outcome), ['timeout', 'timeout']);
      for (const r of rs) {
        assert.equal(r.phase, 'headers');
        const ms = (r.endAt - r.sentAt) / 1e6;
        assert.ok(ms >= 290 && ms < 3000, `ended after ${ms} ms`);
      }
    } finally {
      await f.close();
    }
  });

  test(`${http}: stale-keepalive: a reused socket closed under the request fails, and is not retried`, async () => {
    const f = await staleKeepAliveServer();
    try {
      const rs = await records(config([f.url], { connections: 1, requests: 2, qps: 5 }));
      assert.equal(rs[0]!.outcome, 'ok');
      assert.equal(rs[1]!.outcome, 'stale-keepalive');
      assert.equal(rs[1]!.reusedConnection, true);
      assert.equal(rs[1]!.localPort, rs[0]!.localPort, 'the failure happened on the reused socket');
      // the server saw seq 1 exactly once: no silent retry on a new connection
      assert.equal(f.seen.get(1), 1);
      assert.equal(f.seen.size, 2);
    } finally {
      await f.close();
    }
  });

  test(`${http}: a reused socket the server closed 800 ms after it had the request is an in-flight cut (reset-before-response), not stale-keepalive`, async () => {
    const f = await inFlightCutServer(800);
    try {
      const rs = await records(config([f.url], { connections: 1, requests: 2, qps: 5 }));
      assert.equal(rs[0]!.outcome, 'ok');
      assert.equal(rs[1]!.reusedConnection, true);
      assert.ok((rs[1]!.endAt - rs[1]!.sentAt) / 1e6 >= 750, 'the server held it');
      assert.equal(rs[1]!.outcome, 'reset-before-response');
      assert.equal(f.seen.get(1), 1);
    } finally {
      await f.close();
    }
  });

  test(`${http}: dns: an unresolvable host (.invalid never resolves)`, async () => {
    const rs = await records(config(['http://nonexistent.invalid/'], { requests: 1 }));
    assert.equal(rs.length, 1);
    assert.equal(rs[0]!.outcome, 'dns');
    assert.match(rs[0]!.errorCode ?? '', /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/);
  });

  test(`${http}: connect-timeout: a listener whose accept queue is full drops the SYNs`, { timeout: 30_000 }, async () => {
    // A real listener (backlog 1) in a child whose thread then sleeps (Atomics.wait, no CPU): the
    // kernel queues two connections, then drops further SYNs, so those connects never complete.
    const child = spawn(process.execPath, ['-e',
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);" +
      "setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000),50)})"], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((r) => child.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
      await new Promise((r) => setTimeout(r, 300));
      const rs = await records(config([`http://127.0.0.1:${port}/`], { requests: 8, connections: 8, timeoutMs: 2000 }));
      assert.equal(rs.length, 8);
      const ct = rs.filter((r) => r.outcome === 'connect-timeout');
      assert.ok(ct.length >= 1, rs.map((r) => r.outcome).join());
      assert.ok(ct.every((r) => r.phase === 'connect' && r.errorCode === 'UND_ERR_CONNECT_TIMEOUT'));
      // the ones the kernel did queue were written and never answered
      assert.ok(rs.every((r) => r.outcome === 'connect-timeout' || (r.outcome === 'timeout' && r.phase === 'headers')));
    } finally {
      child.kill('SIGKILL');
    }
  });
}

// The wire client against real servers on loopback, each case run through undici too: the same records
// (outcome, status, pod, body bytes, phase, error code, socket reuse) from both clients, for the response
// framings a target can send (length, chunked split across reads, to close, 1xx first, 204, HEAD) and for
// what a server does to a socket (close after answering, garbage, a head that never ends).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { runLoad, type LoadConfig } from '../load/run.ts';
import type { RequestRecord } from '../record.ts';
import { rawServer, type Fixture } from '../../test/servers.ts';
import { wireCanSend } from './wire.ts';
import type { HttpClient } from './sender.ts';

function config(url: string, http: HttpClient, over: Partial<LoadConfig> = {}): LoadConfig {
  return {
    targets: [url], qps: 20, requests: 3, connections: 1, keepalive: true, timeoutMs: 1500, method: 'GET', headers: [],
    maxInFlight: 1000, arrivals: 'uniform', runId: 'wire-test', http, ...over,
  };
}

type Seen = Pick<RequestRecord, 'outcome' | 'status' | 'servedBy' | 'bytesReceived' | 'phase' | 'errorCode' | 'reusedConnection'>;

async function both(make: () => Promise<Fixture>, over: Partial<LoadConfig> = {}): Promise<{ wire: Seen[]; undici: Seen[] }> {
  const out: Partial<Record<HttpClient, Seen[]>> = {};
  for (const http of ['wire', 'undici'] as const) {
    const f = await make();
    try {
      const rs: RequestRecord[] = [];
      await runLoad(config(f.url, http, over), { onRecord: (r) => rs.push(r) });
      out[http] = rs
        .sort((a, b) => a.seq - b.seq)
        .map((r) => ({ outcome: r.outcome, status: r.status, servedBy: r.servedBy, bytesReceived: r.bytesReceived, phase: r.phase, errorCode: r.errorCode, reusedConnection: r.reusedConnection }));
    } finally {
      await f.close();
    }
  }
  return { wire: out.wire!, undici: out.undici! };
}

/** A server answering each request with `reply(socket, nth)`, written in the pieces given (one write each, 5 ms apart). */
const pieces = (reply: (nth: number) => string[]) => () =>
  rawServer((s: Socket, nth) => {
    const parts = reply(nth);
    parts.forEach((p, i) => setTimeout(() => s.writable && s.write(p), i * 5));
  });

test('framings: content-length, chunked across reads, 204, 1xx before the answer: the same records as undici', async () => {
  const cases: Array<[string, (nth: number) => string[]]> = [
    ['length', () => ['HTTP/1.1 200 OK\r\nx-lossless-pod: a\r\ncontent-length: 5\r\n\r\nhello']],
    ['head split', () => ['HTTP/1.1 200 OK\r\nx-lossl', 'ess-pod: b\r\ncontent-len', 'gth: 3\r\n\r', '\nabc']],
    ['chunked', () => ['HTTP/1.1 200 OK\r\nX-Lossless-Pod: c\r\ntransfer-encoding: chunked\r\n\r\n4\r\nwi', 'ki\r\n', '5\r\npedia\r\n0\r\n', '\r\n']],
    ['204', () => ['HTTP/1.1 204 No Content\r\nx-lossless-pod: d\r\n\r\n']],
    ['1xx', () => ['HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n', 'HTTP/1.1 503 Busy\r\nx-lossless-pod: e\r\ncontent-length: 2\r\n\r\nno']],
  ];
  for (const [name, reply] of cases) {
    const { wire, undici } = await both(pieces(reply));
    assert.deepEqual(wire, undici, name);
    assert.equal(wire.length, 3, name);
    assert.deepEqual(wire.map((r) => r.reusedConnection), [false, true, true], `${name}: one socket for the three`);
  }
});

test('a body to the close, and connection: close: the socket is not reused, as with undici', async () => {
  for (const reply of [
    () => ['HTTP/1.1 200 OK\r\nx-lossless-pod: f\r\nconnection: close\r\n\r\nuntil the end'],
    () => ['HTTP/1.1 200 OK\r\nx-lossless-pod: g\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'],
  ]) {
    const { wire, undici } = await both(() =>
      rawServer((s) => {
        s.end(reply()[0]!);
      }),
    );
    assert.deepEqual(wire, undici);
    assert.deepEqual(wire.map((r) => [r.outcome, r.reusedConnection]), [['ok', false], ['ok', false], ['ok', false]]);
  }
});

test('a keep-alive socket the server ends right after its answer: the next request, started at once, goes on a new socket (ok), as with undici', async () => {
  // connections 1 and requests due together: each next request starts from the previous one's record,
  // in the same turn that reads the answer and the FIN
  const { wire, undici } = await both(() => rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')), { qps: 1000, requests: 5 });
  assert.deepEqual(wire, undici);
  assert.deepEqual(wire.map((r) => [r.outcome, r.reusedConnection]), Array.from({ length: 5 }, () => ['ok', false]));
});

test('garbage instead of a status line, and a head that never ends: failed records, never a hang', async () => {
  const garbage = await both(() => rawServer((s) => s.write('SSH-2.0-OpenSSH_9.6\r\n\r\n')), { requests: 2 });
  assert.deepEqual(garbage.wire, garbage.undici);
  assert.deepEqual(garbage.wire.map((r) => [r.outcome, r.errorCode]), [['other', 'HTTPParserError'], ['other', 'HTTPParserError']]);
  // 17 KiB of header line: over the 16 KiB head limit both clients keep
  const huge = await both(() => rawServer((s) => s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(17 * 1024)}`)), { requests: 1 });
  assert.deepEqual(huge.wire, huge.undici);
  assert.deepEqual(huge.wire.map((r) => [r.outcome, r.errorCode]), [['other', 'UND_ERR_HEADERS_OVERFLOW']]);
});

test('a Host header replaces the URL\'s; the request head is as undici writes it', async () => {
  const heads: Record<HttpClient, string[]> = { wire: [], undici: [] };
  for (const http of ['wire', 'undici'] as const) {
    const f = await rawServer((s, _nth, head) => {
      heads[http].push(head.replace(/x-lossless-seq: \d+/, 'x-lossless-seq: N'));
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    try {
      await runLoad(config(f.url, http, { requests: 1, headers: [['Host', 'shop.example'], ['x-a', '1']] }));
    } finally {
      await f.close();
    }
  }
  assert.equal(heads.wire[0], heads.undici[0]);
  assert.match(heads.wire[0]!, /^GET \/ HTTP\/1\.1\r\nhost: shop\.example\r\nconnection: keep-alive\r\nx-lossless-seq: N\r\nx-lossless-run: wire-test\r\nx-a: 1$/);
});

test('targets the wire client leaves to undici: https, and headers undici gives a meaning (connection, content-length...)', () => {
  assert.equal(wireCanSend(new URL('http://a/'), ['x-a', '1']), true);
  assert.equal(wireCanSend(new URL('https://a/'), []), false);
  assert.equal(wireCanSend(new URL('http://a/'), ['Connection', 'close']), false);
  assert.equal(wireCanSend(new URL('http://a/'), ['content-length', '3']), false);
});

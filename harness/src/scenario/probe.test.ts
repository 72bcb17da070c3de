import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { answers, probeTargets } from './probe.ts';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/p` };
}

test('a path answers only with a 2xx that names the pod, and the Host header is sent', async () => {
  const hosts: Array<string | undefined> = [];
  const { server, url } = await serve((req, res) => {
    hosts.push(req.headers.host);
    if (req.headers.host === 'p.ns.lossless.test') res.setHeader('x-lossless-pod', 'echo-1');
    res.end('ok');
  });
  try {
    assert.equal(await answers({ path: 'p', type: 'ingress', url, headers: [['host', 'p.ns.lossless.test']], service: 'echo-p' }), true);
    assert.equal(await answers({ path: 'p', type: 'ingress', url, headers: [], service: 'echo-p' }), false, 'no pod header: the default backend answered');
    assert.equal(hosts[0], 'p.ns.lossless.test');
  } finally {
    server.close();
  }
});

test('probeTargets waits for a path that starts answering, and names one that never does', async () => {
  let calls = 0;
  const { server, url } = await serve((_req, res) => {
    calls++;
    if (calls > 2) res.setHeader('x-lossless-pod', 'echo-1');
    res.statusCode = calls > 2 ? 200 : 503;
    res.end();
  });
  try {
    await probeTargets([{ path: 'late', type: 'lb', url, headers: [], service: 'echo-late' }], 10_000);
    assert.ok(calls >= 5, `2 failures then 3 successes in a row, got ${calls} calls`);
    const refused = { path: 'dead', type: 'lb' as const, url: 'http://127.0.0.1:1/dead', headers: [] as Array<[string, string]>, service: 'echo-dead' };
    await assert.rejects(probeTargets([refused], 1000), /dead \(http:\/\/127\.0\.0\.1:1\/dead\)/);
  } finally {
    server.close();
  }
});

// followPodLog against a fake API server on port 0 (a real HTTP server answering the pod log endpoint:
// the real API server is exercised by the lab tests). The point: a stream the server breaks mid-way ends
// the follow; it must never surface as an unhandled 'error' that kills the run.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { followPodLog } from './podlog.ts';

function kubeConfigFor(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

test('lines arrive; a connection the server resets mid-stream ends the follow without an unhandled error', async () => {
  let asked = '';
  const server = createServer((req, res: ServerResponse) => {
    asked = req.url ?? '';
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('{"event":"listening","at":1}\n{"event":"ready"');
    setTimeout(() => {
      res.write(',"at":2}\n');
      setTimeout(() => res.socket?.destroy(), 50);
    }, 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    const lines: string[] = [];
    const f = await followPodLog(kubeConfigFor((server.address() as AddressInfo).port), 'ns', 'echo-1', 'echo', (l) => lines.push(l), { sinceSeconds: 5 });
    await f.done;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(lines, ['{"event":"listening","at":1}', '{"event":"ready","at":2}']);
    assert.match(asked, /^\/api\/v1\/namespaces\/ns\/pods\/echo-1\/log\?container=echo&follow=true&sinceSeconds=5$/);
    assert.deepEqual(uncaught, []);
  } finally {
    process.off('uncaughtException', onUncaught);
    server.closeAllConnections();
    server.close();
  }
});

test('stop() while the server still streams ends the follow cleanly; a 404 is an error naming the pod', async () => {
  const server = createServer((req, res) => {
    if (req.url?.includes('/pods/gone/')) {
      res.writeHead(404);
      res.end('pods "gone" not found');
      return;
    }
    res.writeHead(200);
    const t = setInterval(() => res.write('tick\n'), 20);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const kc = kubeConfigFor((server.address() as AddressInfo).port);
    const lines: string[] = [];
    const f = await followPodLog(kc, 'ns', 'echo-1', 'echo', (l) => lines.push(l));
    await new Promise((r) => setTimeout(r, 150));
    f.stop();
    await f.done;
    assert.ok(lines.length >= 2 && lines.every((l) => l === 'tick'));
    await assert.rejects(followPodLog(kc, 'ns', 'gone', 'echo', () => {}), /ns\/gone: HTTP 404/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

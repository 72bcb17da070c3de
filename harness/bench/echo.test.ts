// The bench's handle on the echo workload, against the real echo process: port from its listening
// line, the served count from its last-request event on SIGTERM, and the first-client wait.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstClient, startEcho } from './echo.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// keep-alive, so the connection stays open while firstClient looks for it
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(url, { agent }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', rej);
    req.end();
  });
}

test('echo: port from its listening line, served count from SIGTERM, knobs passed through env', async () => {
  const echo = await startEcho(root, process.execPath, { FAIL: '503:100' });
  try {
    assert.match(echo.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const waiting = firstClient(echo, 20_000);
    const statuses = [await get(echo.url), await get(echo.url), await get(echo.url)];
    await waiting;
    assert.deepEqual(statuses, [503, 503, 503]);
    const { served, code } = await echo.terminate();
    agent.destroy();
    assert.equal(served, 3);
    assert.equal(code, 0);
  } finally {
    await echo.stop();
  }
});

test('firstClient: times out when nobody connects', async () => {
  const echo = await startEcho(root, process.execPath, {});
  try {
    await assert.rejects(firstClient(echo, 300), /no client connected/);
  } finally {
    await echo.stop();
  }
});

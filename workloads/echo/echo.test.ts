// The echo workload's knobs, in process (startEcho) and as a real process (SIGTERM modes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request, Agent } from 'undici';
import { startEcho, type EchoEvent } from './echo.ts';
import { KnobError, knobsFromEnv, parseDelay, parseFail, parseFailSeqs, parseSigterm } from './knobs.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

async function get(port: number, path = '/', seq?: number, dispatcher?: Agent) {
  const res = await request(`http://127.0.0.1:${port}${path}`, { headers: seq === undefined ? {} : { 'x-lossless-seq': String(seq) }, ...(dispatcher ? { dispatcher } : {}) });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

test('knob parsing: values, and errors that name the variable', () => {
  assert.deepEqual(parseFail('503:5,500:1'), [{ status: 503, percent: 5 }, { status: 500, percent: 1 }]);
  assert.deepEqual(parseFailSeqs('503:10-20,42,500:7'), [
    { status: 503, from: 10, to: 20 }, { status: 503, from: 42, to: 42 }, { status: 500, from: 7, to: 7 },
  ]);
  assert.deepEqual(parseDelay('50ms:10,1s:1'), [{ ms: 50, percent: 10 }, { ms: 1000, percent: 1 }]);
  assert.deepEqual(parseSigterm('drain:5'), { kind: 'drain', ms: 5000 });
  assert.deepEqual(parseSigterm('drain:250ms'), { kind: 'drain', ms: 250 });
  assert.throws(() => parseFail('503'), /FAIL='503'/);
  assert.throws(() => parseFail('503:60,500:60'), /more than 100/);
  assert.throws(() => parseFailSeqs('10-20'), /start with a status/);
  assert.throws(() => parseSigterm('later'), /ON_SIGTERM='later': expected exit, graceful or drain/);
  assert.throws(() => knobsFromEnv({ PORT: '70000' }, 'h'), KnobError);
  assert.throws(() => knobsFromEnv({ READY_DELAY: '5' }, 'h'), /READY_DELAY='5'/);
  const k = knobsFromEnv({ PORT: '0', READY_DELAY: '2s' }, 'host-1');
  assert.equal(k.pod, 'host-1');
  assert.equal(k.readyDelayMs, 2000);
  assert.equal(knobsFromEnv({ POD_NAME: 'p' }, 'h').pod, 'p');
  assert.equal(knobsFromEnv({ WARMUP_RPS: '150' }, 'h').warmupRps, 150);
  assert.throws(() => knobsFromEnv({ WARMUP_RPS: 'fast' }, 'h'), /WARMUP_RPS='fast'/);
});

test('answers with x-lossless-pod and the seq echoed; FAIL_SEQS fails exactly those seqs; query overrides', async () => {
  const events: EchoEvent[] = [];
  const echo = await startEcho({ pod: 'pod-1', failSeqs: parseFailSeqs('503:3-5,9'), log: (e) => events.push(e) });
  try {
    const statuses: number[] = [];
    for (let seq = 0; seq < 12; seq++) {
      const r = await get(echo.port, '/', seq);
      assert.equal(r.headers['x-lossless-pod'], 'pod-1');
      assert.equal(r.headers['x-lossless-seq'], String(seq));
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 503, 503, 503, 200, 200, 200, 503, 200, 200]);
    assert.equal((await get(echo.port, '/any?status=418', 1)).status, 418);
    const t = Date.now();
    assert.equal((await get(echo.port, '/?delay=300ms')).status, 200);
    assert.ok(Date.now() - t >= 290);
    assert.equal((await get(echo.port, '/livez')).status, 200);
    assert.equal(events[0]!.event, 'listening');
    assert.equal(events[0]!.port, echo.port);
    assert.equal(typeof events[0]!.at, 'number');
  } finally {
    await echo.stop();
  }
});

test('FAIL and DELAY by percentage (a seeded random source, counted)', async () => {
  let x = 0;
  const random = () => ((x = (x + 0.37) % 1)); // evenly spread over [0,1)
  const echo = await startEcho({ fail: parseFail('503:20,500:10'), delay: parseDelay('200ms:10'), random, log: () => undefined });
  try {
    const counts = new Map<number, number>();
    let slow = 0;
    for (let i = 0; i < 100; i++) {
      const t = Date.now();
      const r = await get(echo.port, '/', i);
      if (Date.now() - t >= 190) slow++;
      counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    }
    assert.equal(counts.get(503), 20);
    assert.equal(counts.get(500), 10);
    assert.equal(counts.get(200), 70);
    assert.ok(slow >= 8 && slow <= 12, `${slow} slow responses`);
  } finally {
    await echo.stop();
  }
});

test('READY_DELAY holds /readyz at 503; WARMUP adds latency that fades', async () => {
  const events: EchoEvent[] = [];
  const echo = await startEcho({ readyDelayMs: 400, warmupMs: 1500, warmupDelayMs: 300, log: (e) => events.push(e) });
  try {
    const t0 = Date.now();
    assert.equal((await get(echo.port, '/readyz')).status, 503);
    const first = Date.now();
    await get(echo.port, '/', 1);
    const early = Date.now() - first;
    assert.ok(early >= 150, `early request took ${early} ms, expected warm-up delay`);
    while (Date.now() - t0 < 1700) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await get(echo.port, '/readyz')).status, 200);
    assert.ok(events.some((e) => e.event === 'ready'));
    const late = Date.now();
    await get(echo.port, '/', 2);
    assert.ok(Date.now() - late < early, 'latency fell after the warm-up');
  } finally {
    await echo.stop();
  }
});

test('WARMUP_RPS: a cold app queues a burst it cannot serve yet; warm, the same burst is quick', { timeout: 30_000 }, async () => {
  const events: EchoEvent[] = [];
  // capacity ramps from 1 req/s (5%) to 20 req/s over 2 s: 8 requests at once take over a second to clear
  const echo = await startEcho({ warmupMs: 2000, warmupRps: 20, log: (e) => events.push(e) });
  const agent = new Agent({ connections: 16 });
  try {
    const listening = events.find((e) => e.event === 'listening');
    assert.equal(listening?.warmupMs, 2000, 'the cold period is on the listening line');
    assert.equal(listening?.warmupRps, 20);
    const burst = async () => {
      const t = Date.now();
      const took = await Promise.all(Array.from({ length: 8 }, (_, i) => get(echo.port, '/', i, agent).then((r) => {
        assert.equal(r.status, 200);
        return Date.now() - t;
      })));
      return Math.max(...took);
    };
    const cold = await burst();
    assert.ok(cold >= 900, `cold burst cleared in ${cold} ms; expected queueing over a second`);
    await new Promise((r) => setTimeout(r, 2500)); // past the warm-up, queue drained
    const warm = await burst();
    assert.ok(warm < cold / 2, `warm burst took ${warm} ms vs ${cold} ms cold`);
  } finally {
    await agent.close();
    await echo.stop();
  }
});

interface Proc {
  child: ChildProcess;
  events: EchoEvent[];
  port: number;
  exit: Promise<number | null>;
  waitFor(event: string): Promise<EchoEvent>;
}

async function spawnEcho(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', POD_NAME: 'proc-1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const events: EchoEvent[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    events.push(JSON.parse(l) as EchoEvent);
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (event: string) => {
    for (;;) {
      const e = events.find((x) => x.event === event);
      if (e) return e;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const listening = await waitFor('listening');
  return { child, events, port: Number(listening.port), exit, waitFor };
}

test('ON_SIGTERM=exit: gone at once, the in-flight request is cut', { timeout: 30_000 }, async () => {
  const p = await spawnEcho({ ON_SIGTERM: 'exit' });
  const inflight = get(p.port, '/?delay=3s', 7).then(() => 'answered', (e: { code?: string }) => `failed ${e.code}`);
  await new Promise((r) => setTimeout(r, 300));
  p.child.kill('SIGTERM');
  assert.equal(await p.exit, 143);
  assert.match(await inflight, /^failed (UND_ERR_SOCKET|ECONNRESET)/);
  const sig = p.events.find((e) => e.event === 'sigterm')!;
  assert.equal(sig.inFlight, 1);
  assert.deepEqual(p.events.map((e) => e.event), ['start', 'listening', 'ready', 'sigterm', 'last-request', 'exit']);
});

test('ON_SIGTERM=graceful: stops accepting, finishes in-flight, closes idle keep-alive sockets, exits 0', { timeout: 30_000 }, async () => {
  const p = await spawnEcho({ ON_SIGTERM: 'graceful' });
  const agent = new Agent({ connections: 4 });
  try {
    await get(p.port, '/', 1, agent); // leaves an idle keep-alive socket behind
    const inflight = get(p.port, '/?delay=800ms', 2, agent);
    await new Promise((r) => setTimeout(r, 200));
    p.child.kill('SIGTERM');
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'close');
    assert.equal(await p.exit, 0);
    const last = p.events.find((e) => e.event === 'last-request')!;
    assert.equal(last.seq, '2');
    assert.equal(p.events.find((e) => e.event === 'sigterm')!.inFlight, 1);
    await assert.rejects(get(p.port, '/', 3), /ECONNREFUSED|connect/);
  } finally {
    await agent.close();
  }
});

test('ON_SIGTERM=drain:1: keeps serving (readyz 503) for the drain, each answer with connection: close, then exits', { timeout: 30_000 }, async () => {
  const p = await spawnEcho({ ON_SIGTERM: 'drain:1' });
  const agent = new Agent({ connections: 1 });
  try {
    assert.equal((await get(p.port, '/', 4, agent)).headers.connection, 'keep-alive', 'before SIGTERM: keep-alive');
    p.child.kill('SIGTERM');
    await p.waitFor('sigterm');
    // the keep-alive socket from before is still served, and told to close: the client leaves it itself
    const reused = await get(p.port, '/', 6, agent);
    assert.equal(reused.status, 200);
    assert.equal(reused.headers.connection, 'close');
  } finally {
    await agent.close();
  }
  const during = await get(p.port, '/', 5);
  assert.equal(during.status, 200, 'still serving new connections during the drain');
  assert.equal(during.headers.connection, 'close');
  assert.equal((await get(p.port, '/readyz')).status, 503);
  assert.equal(await p.exit, 0);
  const sig = p.events.find((e) => e.event === 'sigterm')!;
  const exit = p.events.find((e) => e.event === 'exit')!;
  assert.ok(exit.at - sig.at >= 950, `exited ${exit.at - sig.at} ms after SIGTERM`);
  assert.equal(sig.mode, 'drain:1');
});

test('STARTUP_DELAY delays listening', { timeout: 30_000 }, async () => {
  const p = await spawnEcho({ STARTUP_DELAY: '500ms' });
  const start = p.events.find((e) => e.event === 'start')!;
  const listening = p.events.find((e) => e.event === 'listening')!;
  assert.ok(listening.at - start.at >= 490, `listening ${listening.at - start.at} ms after start`);
  p.child.kill('SIGTERM');
  await p.exit;
});

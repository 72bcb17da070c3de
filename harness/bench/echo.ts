// Starts the echo workload as its own process on 127.0.0.1 with PORT=0 and reads the port from its
// {"event":"listening","port":N} line, as a scenario would. One echo per measurement keeps runs apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Echo {
  url: string;
  port: number;
  pid: number;
  /** Open sockets of the echo right after it listened, before any client: the baseline of firstClient. */
  baseSockets: number;
  /** Lifecycle lines the echo printed so far (parsed JSON). */
  events: Record<string, unknown>[];
  /** SIGKILL: no drain needed between measurements. Idempotent. */
  stop(): Promise<void>;
  /**
   * SIGTERM (the echo's ON_SIGTERM behaviour runs) and wait for it to exit; resolves with the
   * `served` count of its last-request event: every request that reached the server, the ground truth.
   */
  terminate(timeoutMs?: number): Promise<{ served?: number; code: number | null }>;
}

/** The echo's entry file, from the `echo` npm script (the engine's contract), e.g. workloads/echo/main.ts. */
export async function echoEntry(root: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.echo ?? '';
  const m = /(workloads\/echo\/\S+\.ts)/.exec(script);
  if (!m?.[1]) {
    throw new EnvironmentError(
      `no echo workload: package.json has no "echo" script naming workloads/echo/<file>.ts (found ${JSON.stringify(script)}); ` +
        'the bench needs the echo workload of issue 2 in the tree',
    );
  }
  return m[1];
}

export class EnvironmentError extends Error {}

export async function startEcho(root: string, node: string, env: Record<string, string>): Promise<Echo> {
  const entry = await echoEntry(root);
  // Node 24 strips the types itself, as the echo's npm script and its image run it
  const child: ChildProcess = spawn(node, [entry], {
    cwd: root,
    // HOST pins the listener to loopback if the echo honours it; the bench only ever targets 127.0.0.1
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', POD_NAME: 'bench-echo', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EnvironmentError(`echo (${entry}) printed no listening line within 30 s; stderr: ${stderr.trim()}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new EnvironmentError(`echo (${entry}) exited ${code} before listening; stderr: ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a lifecycle line
      }
      events.push(ev);
      if (ev.event === 'listening' && typeof ev.port === 'number') {
        clearTimeout(timer);
        resolve(ev.port);
      }
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const pid = child.pid as number;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid,
    baseSockets: await socketCount(pid),
    events,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL'); // no drain needed between measurements; a fresh echo comes next
      await exited;
    },
    async terminate(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      const last = events.findLast((e) => e.event === 'last-request');
      return typeof last?.served === 'number' ? { served: last.served, code } : { code };
    },
  };
}

async function socketCount(pid: number): Promise<number> {
  let n = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    try {
      if ((await readlink(`/proc/${pid}/fd/${fd}`)).startsWith('socket:')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/**
 * Resolves when a client is connected to the echo: its count of open sockets is above what it had
 * right after listening. Tools start at different speeds (a Go binary at once, the engine after loading its
 * TypeScript), so "halfway through the run" is timed from here, not from the spawn.
 */
export async function firstClient(echo: Echo, timeoutMs = 30_000): Promise<void> {
  const base = echo.baseSockets;
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if ((await socketCount(echo.pid)) > base) return;
    await sleep(5);
  }
  throw new Error(`no client connected to the echo within ${timeoutMs} ms`);
}

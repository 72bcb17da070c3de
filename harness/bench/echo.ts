// Starts the echo workload as its own process on 127.0.0.1 with PORT=0 and reads the port from its
// {"event":"listening","port":N} line, as a scenario would. One echo per measurement keeps runs apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Echo {
  url: string;
  port: number;
  pid: number;
  /** Lifecycle lines the echo printed so far (parsed JSON). */
  events: Record<string, unknown>[];
  stop(): Promise<void>;
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
  const child: ChildProcess = spawn(node, ['--import', 'tsx', entry], {
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
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid: child.pid as number,
    events,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL'); // no drain needed between measurements; a fresh echo comes next
      await exited;
    },
  };
}

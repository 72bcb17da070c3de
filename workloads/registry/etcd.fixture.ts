// Test fixture: a real etcd process on loopback (free ports, a temp data dir), killed and cleaned after.
// The binary is the lab's (scripts/lab/build.sh etcd); on a machine without it the fixture builds it once
// (~3 min cold, from the Go module proxy) so these tests never skip.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export function etcdBinary(): string {
  const cache = process.env.LOSSLESS_CACHE || join(homedir(), '.cache', 'lossless', 'lab');
  const bin = join(cache, 'bin', 'etcd');
  if (existsSync(bin)) return bin;
  process.stderr.write(`etcd.fixture: ${bin} missing; building it with scripts/lab/build.sh etcd (a few minutes)\n`);
  const build = () => spawnSync(join(REPO, 'scripts/lab/build.sh'), ['etcd'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 30 * 60_000 });
  let r = build();
  // once more: the recipe's `etcd --version | grep -q` check can die of SIGPIPE (141) after a good build
  // (seen 3 in 50 here); the rerun reuses the Go build cache, so it costs seconds
  if (r.status !== 0) r = build();
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`scripts/lab/build.sh etcd failed (status ${r.status}); see ${cache}/logs/build-etcd.log`);
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface EtcdFixture {
  url: string;
  port: number;
  /** The registry pod replaced: kill etcd (SIGKILL) and start an empty one on the same client port. */
  replace(): Promise<void>;
  /** Kill etcd and leave the port dark (start() brings up an empty one). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdFixture> {
  const bin = etcdBinary();
  const root = mkdtempSync(join(tmpdir(), 'lossless-etcd-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let generation = 0;

  async function start(): Promise<void> {
    if (proc) return;
    generation++;
    const dir = join(root, `gen-${generation}`);
    const peer = `http://127.0.0.1:${await freePort()}`;
    const log = join(root, `gen-${generation}.log`);
    const fd = openSync(log, 'w');
    const p = spawn(bin, [
      '--name', 'default', '--data-dir', dir, '--log-level', 'warn',
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`,
    ], { stdio: ['ignore', fd, fd] });
    closeSync(fd); // the child holds its own copy
    proc = p;
    let exited = false;
    p.once('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`etcd exited at start: ${readFileSync(log, 'utf8').slice(-2000)}`);
      try {
        const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}', signal: AbortSignal.timeout(1000) });
        await res.text();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`etcd not answering on ${url} after 30 s: ${readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function kill(): Promise<void> {
    const p = proc;
    if (!p) return;
    proc = undefined;
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
  }

  await start();
  return {
    url,
    port,
    start,
    kill,
    async replace() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

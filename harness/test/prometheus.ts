// A real Prometheus (Debian's package) started on a loopback port for a test, with remote write enabled, and
// its raw samples read back. Used by the export tests (harness/src/export, harness/test-lab).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';

export const PROMETHEUS = process.env.LOSSLESS_PROMETHEUS ?? '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function startPrometheus(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
  const proc = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}: ${log.slice(-500)}`);
    try {
      const r = await request(`${url}/-/ready`);
      await r.body.text();
      if (r.statusCode === 200) return { url, proc };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`prometheus not ready in 15 s: ${log.slice(-500)}`);
}

export interface Raw { metric: Record<string, string>; values: Array<[number, string]> }

/** Raw samples (a range selector in an instant query returns them as stored). */
export async function raw(url: string, selector: string, atMs: number): Promise<Raw[]> {
  const q = new URLSearchParams({ query: `${selector}[1h]`, time: String(atMs / 1000 + 1) });
  const r = await request(`${url}/api/v1/query?${q}`);
  const body = (await r.body.json()) as { status: string; data: { result: Raw[] } };
  assert.equal(body.status, 'success');
  return body.data.result;
}

export const sum = (rs: Raw[]) => rs.reduce((n, r) => n + r.values.reduce((m, [, v]) => m + Number(v), 0), 0);


// Test helpers: collect JSON log lines (in process or from a child's stdout) and wait for conditions with
// generous deadlines (2 busy cores: never assert on tight timing).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LogLine } from './log.ts';

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Lines {
  all: LogLine[] = [];
  push = (l: LogLine): void => {
    this.all.push(l);
  };
  of(event: string, match: Partial<LogLine> = {}): LogLine[] {
    return this.all.filter((l) => l.event === event && Object.entries(match).every(([k, v]) => l[k] === v));
  }
  wait(event: string, match: Partial<LogLine> = {}, timeoutMs = 20_000): Promise<LogLine> {
    return until(`${event} ${JSON.stringify(match)} (seen: ${this.all.map((l) => l.event).join(',')})`, () => this.of(event, match)[0], timeoutMs);
  }
}

export interface Child {
  proc: ChildProcess;
  lines: Lines;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Run a workload entry as a real process on Node 24 (the machine's node may be older: use this one). */
export function spawnEntry(entry: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = new Lines();
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      err += `stdout: ${l}\n`;
    }
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, lines, stderr: () => err, exited };
}

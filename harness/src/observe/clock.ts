// Each node's clock against the host's, measured at run start. Pod-log times come from the node's
// clock, request and watch stamps from the host's: attribution moves pod-log times by the measured
// offset only (skew is never inferred from when a watch delivered something).
//
// One sample: read the host clock, ask the node for its time (`date +%s%N` in the kind node's
// container), read the host clock again. The node's reading happened somewhere inside the bracket, so
// offset = node - midpoint, with ±rtt/2 uncertainty. The sample with the smallest round trip wins.
// One `docker exec` per sample is lopsided (~200 ms, most of it starting the process before `date`
// runs: measured +77..+98 ms on kind's nodes, which share the host's clock); one exec session per node
// that answers a newline with a `date` line is a pipe round trip instead (a few ms, symmetric).

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface NodeClock {
  node: string;
  /** node clock - host clock (ms), from the min-RTT sample; null when it could not be measured. */
  offsetMs: number | null;
  /** That sample's round trip (ms): the offset is known to ±rttMs/2. */
  rttMs: number | null;
  samples: number;
  /** How it was read, e.g. `docker exec -i lossless-worker sh (date +%s%N per newline)`. */
  method: string;
  /** Why it could not be measured (the reader's error code). */
  error?: string;
}

/** Returns the node's wall clock as epoch ns, in decimal text. */
export type NodeClockReader = (node: string) => Promise<string>;

/** The host's wall clock, epoch ns, at sub-ms precision. */
export function hostEpochNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** A long-lived shell in the node's container answering each newline with `date +%s%N`. */
export function dockerDateSession(node: string): { read: NodeClockReader; close: () => void } {
  return lineSession('docker', ['exec', '-i', node, 'sh', '-c', 'while read -r _; do date +%s%N; done']);
}

/** A child that answers each line written to it with one line: a reader over it, and its close. */
export function lineSession(cmd: string, args: string[]): { read: NodeClockReader; close: () => void } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  const fail = (e: Error) => {
    for (const w of waiting.splice(0)) w.reject(e);
  };
  createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.resolve(l));
  child.on('error', fail);
  // a write to a child that already died fails with EPIPE on stdin: without a listener that is an uncaught error
  child.stdin.on('error', (e: NodeJS.ErrnoException) => fail(Object.assign(new Error(`${cmd} stdin: ${e.code ?? 'error'}`), { code: e.code ?? 'stdin' })));
  child.on('exit', (code) => fail(Object.assign(new Error(`${cmd} exited ${code}`), { code: code ?? 'signal' })));
  const read: NodeClockReader = () =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null || child.killed) return reject(Object.assign(new Error(`${cmd} is not running`), { code: 'exited' }));
      waiting.push({ resolve, reject });
      child.stdin.write('\n');
    });
  // every exit path ends the child: its stdin closing ends the shell loop
  return { read, close: () => { child.stdin.end(); child.kill(); } };
}

export async function measureNodeClock(node: string, read: NodeClockReader, opts: { samples?: number; method?: string; now?: () => bigint } = {}): Promise<NodeClock> {
  const samples = opts.samples ?? 5;
  const now = opts.now ?? hostEpochNs;
  const method = opts.method ?? 'reader';
  let best: { offsetNs: bigint; rttNs: bigint } | undefined;
  for (let i = 0; i < samples; i++) {
    let text: string;
    const t0 = now();
    try {
      text = await read(node);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return { node, offsetMs: null, rttMs: null, samples: i, method, error: typeof code === 'string' || typeof code === 'number' ? String(code) : 'failed' };
    }
    const t1 = now();
    const v = text.trim();
    if (!/^\d{10,}$/.test(v)) return { node, offsetMs: null, rttMs: null, samples: i, method, error: 'not-epoch-ns' };
    const rttNs = t1 - t0;
    const offsetNs = BigInt(v) - (t0 + rttNs / 2n);
    if (!best || rttNs < best.rttNs) best = { offsetNs, rttNs };
  }
  if (!best) return { node, offsetMs: null, rttMs: null, samples: 0, method, error: 'no-samples' };
  return { node, offsetMs: round1(Number(best.offsetNs) / 1e6), rttMs: round1(Number(best.rttNs) / 1e6), samples, method };
}

/** Every node, one after the other (concurrent reads would lengthen each other's round trips), each over its own exec session. */
export async function measureNodeClocks(nodes: readonly string[], samples = 9): Promise<NodeClock[]> {
  const out: NodeClock[] = [];
  for (const n of nodes) {
    const s = dockerDateSession(n);
    try {
      out.push(await measureNodeClock(n, s.read, { samples, method: `docker exec -i ${n} sh (date +%s%N per newline)` }));
    } finally {
      s.close();
    }
  }
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

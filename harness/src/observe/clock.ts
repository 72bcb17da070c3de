// Each node's clock against the host's, measured at run start. Pod-log times come from the node's
// clock, request and watch stamps from the host's: attribution moves pod-log times by the measured
// offset only (skew is never inferred from when a watch delivered something).
//
// One sample: read the host clock, ask the node for its time (`date +%s%N` in the kind node's
// container), read the host clock again. The node's reading happened somewhere inside the bracket, so
// offset = node - midpoint, with ±rtt/2 uncertainty. The sample with the smallest round trip wins.

import { execFile } from 'node:child_process';

export interface NodeClock {
  node: string;
  /** node clock - host clock (ms), from the min-RTT sample; null when it could not be measured. */
  offsetMs: number | null;
  /** That sample's round trip (ms): the offset is known to ±rttMs/2. */
  rttMs: number | null;
  samples: number;
  /** How it was read, e.g. `docker exec lossless-worker date +%s%N`. */
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

/** `docker exec <node> date +%s%N`: a kind node is a container named after the node. */
export const dockerDate: NodeClockReader = (node) =>
  new Promise((resolve, reject) => {
    execFile('docker', ['exec', node, 'date', '+%s%N'], { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

export async function measureNodeClock(node: string, read: NodeClockReader, opts: { samples?: number; method?: string; now?: () => bigint } = {}): Promise<NodeClock> {
  const samples = opts.samples ?? 5;
  const now = opts.now ?? hostEpochNs;
  const method = opts.method ?? `docker exec ${node} date +%s%N`;
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

/** Every node, one after the other (concurrent reads would lengthen each other's round trips). */
export async function measureNodeClocks(nodes: readonly string[], read: NodeClockReader = dockerDate, samples = 5): Promise<NodeClock[]> {
  const out: NodeClock[] = [];
  for (const n of nodes) out.push(await measureNodeClock(n, read, { samples }));
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

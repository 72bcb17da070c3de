// The echo server's knobs, read from environment variables (Kubernetes sets env on the container).
// Erasable TypeScript only: Node 24 runs this file directly, no build step in the image.

export type SigtermMode = { kind: 'exit' } | { kind: 'graceful' } | { kind: 'drain'; ms: number };
export interface FailRule { status: number; percent: number }
export interface SeqRule { status: number; from: number; to: number }
export interface DelayRule { ms: number; percent: number }

export interface EchoKnobs {
  port: number;
  host?: string;
  pod: string;
  startupDelayMs: number;
  readyDelayMs: number;
  warmupMs: number;
  warmupDelayMs: number;
  /** WARMUP_RPS: while warming up, capacity grows linearly to this many requests/s; the excess queues. 0 = off. */
  warmupRps: number;
  fail: FailRule[];
  failSeqs: SeqRule[];
  delay: DelayRule[];
  onSigterm: SigtermMode;
}

export class KnobError extends Error {
  override name = 'KnobError';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `2s`, `1.5m`; `0` alone is allowed. */
export function parseDurationMs(name: string, value: string): number {
  const v = value.trim();
  if (v === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new KnobError(`${name}='${value}': expected a duration such as 500ms, 2s, 1m (or 0)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

function parseStatus(name: string, s: string, whole: string): number {
  const n = Number(s);
  if (!/^\d{3}$/.test(s) || n < 100 || n > 599) throw new KnobError(`${name}='${whole}': '${s}' is not an HTTP status 100-599`);
  return n;
}

function parsePercent(name: string, s: string, whole: string): number {
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || n > 100) throw new KnobError(`${name}='${whole}': '${s}' is not a percentage 0-100`);
  return n;
}

/** FAIL=`503:5,500:1`: 503 for 5% of requests, 500 for 1% (fortio-style). */
export function parseFail(value: string, name = 'FAIL'): FailRule[] {
  if (value.trim() === '') return [];
  const rules = value.split(',').map((part) => {
    const [s, p, extra] = part.trim().split(':');
    if (s === undefined || p === undefined || extra !== undefined) throw new KnobError(`${name}='${value}': expected status:percent items, e.g. 503:5,500:1`);
    return { status: parseStatus(name, s, value), percent: parsePercent(name, p, value) };
  });
  if (rules.reduce((a, r) => a + r.percent, 0) > 100) throw new KnobError(`${name}='${value}': percentages add up to more than 100`);
  return rules;
}

/** FAIL_SEQS=`503:10-20,42,500:7`: a `status:` prefix starts a group; seqs and ranges follow. */
export function parseFailSeqs(value: string, name = 'FAIL_SEQS'): SeqRule[] {
  if (value.trim() === '') return [];
  const out: SeqRule[] = [];
  let status: number | undefined;
  for (const raw of value.split(',')) {
    let item = raw.trim();
    const i = item.indexOf(':');
    if (i >= 0) {
      status = parseStatus(name, item.slice(0, i), value);
      item = item.slice(i + 1);
    }
    if (status === undefined) throw new KnobError(`${name}='${value}': start with a status, e.g. 503:10-20,42`);
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw new KnobError(`${name}='${value}': '${item}' is not a seq or a range a-b`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new KnobError(`${name}='${value}': range '${item}' ends before it starts`);
    out.push({ status, from, to });
  }
  return out;
}

/** DELAY=`50ms:10,1s:1`: 50 ms for 10% of requests, 1 s for 1%. */
export function parseDelay(value: string, name = 'DELAY'): DelayRule[] {
  if (value.trim() === '') return [];
  const rules = value.split(',').map((part) => {
    const [d, p, extra] = part.trim().split(':');
    if (d === undefined || p === undefined || extra !== undefined) throw new KnobError(`${name}='${value}': expected duration:percent items, e.g. 50ms:10`);
    return { ms: parseDurationMs(name, d), percent: parsePercent(name, p, value) };
  });
  if (rules.reduce((a, r) => a + r.percent, 0) > 100) throw new KnobError(`${name}='${value}': percentages add up to more than 100`);
  return rules;
}

/** ON_SIGTERM=`exit` | `graceful` | `drain:<seconds>` (`drain:5` or `drain:5s`). */
export function parseSigterm(value: string): SigtermMode {
  const v = value.trim();
  if (v === 'exit') return { kind: 'exit' };
  if (v === 'graceful') return { kind: 'graceful' };
  const m = /^drain:(.+)$/.exec(v);
  if (m) {
    const d = m[1]!;
    return { kind: 'drain', ms: /^\d+(\.\d+)?$/.test(d) ? Number(d) * 1000 : parseDurationMs('ON_SIGTERM', d) };
  }
  throw new KnobError(`ON_SIGTERM='${value}': expected exit, graceful or drain:<seconds>`);
}

/** WARMUP_RPS=`200`: requests per second a warm app serves (the cold one's capacity ramps up to it). */
export function parseRps(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) throw new KnobError(`WARMUP_RPS='${value}': expected requests per second > 0, e.g. 200`);
  return n;
}

export function knobsFromEnv(env: Record<string, string | undefined>, hostname: string): EchoKnobs {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KnobError(`PORT='${env.PORT}': expected 0-65535 (0 = any free port)`);
  const d = (name: string) => (env[name] ? parseDurationMs(name, env[name]) : 0);
  const knobs: EchoKnobs = {
    port,
    pod: env.POD_NAME || hostname,
    startupDelayMs: d('STARTUP_DELAY'),
    readyDelayMs: d('READY_DELAY'),
    warmupMs: d('WARMUP'),
    warmupDelayMs: d('WARMUP_DELAY'),
    warmupRps: parseRps(env.WARMUP_RPS),
    fail: parseFail(env.FAIL ?? ''),
    failSeqs: parseFailSeqs(env.FAIL_SEQS ?? ''),
    delay: parseDelay(env.DELAY ?? ''),
    onSigterm: parseSigterm(env.ON_SIGTERM || 'graceful'),
  };
  if (env.HOST) knobs.host = env.HOST;
  return knobs;
}

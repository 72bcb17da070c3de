// The pacer decides when each request is due, and nothing else: it knows no HTTP, no sockets, no
// responses, so a slow target can never slow the schedule (open loop). Shape after vegeta's
// `Pace(elapsed, hits) -> (wait, stop)`, but also exposes `dueAt(n)` so the send loop stamps each
// request with its intended time (latency is measured from it: no coordinated omission).

export type Arrivals = 'uniform' | 'poisson';
export const ARRIVALS: readonly Arrivals[] = ['uniform', 'poisson'];

export interface PacerConfig {
  /** Ticks per second (one tick = one request per target). > 0. */
  rate: number;
  /** Stop once a tick would be due at or after this many ns since start; Infinity = no limit. */
  durationNs: number;
  /** Stop after this many ticks; Infinity = no limit. */
  maxTicks: number;
  arrivals: Arrivals;
  /** Seed for poisson arrivals: the same seed gives the same schedule (table-testable). */
  seed?: number;
}

export type Pace = { stop: true } | { stop: false; waitNs: number };

export interface Pacer {
  /** How long to wait before the tick number `sent` (0-based) is due, or stop. */
  pace(elapsedNs: number, sent: number): Pace;
  /** Intended time of tick n (0-based), ns since start. Non-decreasing in n. */
  dueAt(n: number): number;
}

/** mulberry32: a small, fast, seedable PRNG; statistical quality is ample for arrival jitter (and for seeded tests elsewhere). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createPacer(cfg: PacerConfig): Pacer {
  if (!(cfg.rate > 0) || !Number.isFinite(cfg.rate)) throw new RangeError(`rate must be > 0, got ${cfg.rate}`);
  const intervalNs = 1e9 / cfg.rate;
  let dueAt: (n: number) => number;
  if (cfg.arrivals === 'uniform') {
    // Multiply rather than accumulate so rounding never drifts over an hour-long run.
    dueAt = (n) => Math.round(n * intervalNs);
  } else {
    // Exponential gaps with mean 1/rate. The send loop only moves forward, so the times are
    // generated lazily and memoised in a sliding cursor; asking for an earlier n replays from 0.
    const seed = cfg.seed ?? 1;
    let next = prng(seed);
    let cursor = 0; // index of `at`
    let at = 0; // the first tick is due at 0, like uniform
    dueAt = (n) => {
      if (n < cursor) {
        next = prng(seed);
        cursor = 0;
        at = 0;
      }
      while (cursor < n) {
        // 1 - u is in (0, 1], so the log is finite
        at += -Math.log(1 - next()) * intervalNs;
        cursor++;
      }
      return Math.round(at);
    };
  }
  return {
    dueAt,
    pace(elapsedNs, sent) {
      if (sent >= cfg.maxTicks) return { stop: true };
      const due = dueAt(sent);
      if (due >= cfg.durationNs) return { stop: true };
      return { stop: false, waitNs: due > elapsedNs ? due - elapsedNs : 0 };
    },
  };
}

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
  /**
   * When to wake to send tick `sent` when each wake-up may send several ticks: the due time of the
   * last tick due within `slackNs` of tick `sent` (and before the end). Waking then sends them all at
   * once, so no tick waits longer than `slackNs` past its due time (its send lag, recorded), and at
   * high rates one wake-up (a loop turn, a syscall) serves several ticks. Ticks further apart than
   * the slack each get their own wake-up: no lag is added where nothing is saved.
   */
  wakeAt(sent: number, slackNs: number): number;
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
    // Exponential gaps with mean 1/rate. The send loop only moves forward (wakeAt looks a few ticks
    // ahead of pace), so the times are generated lazily and the last WINDOW of them kept in a ring;
    // asking for an earlier n than that replays from 0.
    const seed = cfg.seed ?? 1;
    const WINDOW = 4096;
    const ring = new Float64Array(WINDOW);
    let next = prng(seed);
    let cursor = 0; // highest index generated; ring[cursor % WINDOW] is its time
    let at = 0; // the first tick is due at 0, like uniform
    dueAt = (n) => {
      if (n <= cursor && n > cursor - WINDOW) return Math.round(ring[n % WINDOW] as number);
      if (n < cursor) {
        next = prng(seed);
        cursor = 0;
        at = 0;
      }
      while (cursor < n) {
        ring[cursor % WINDOW] = at;
        // 1 - u is in (0, 1], so the log is finite
        at += -Math.log(1 - next()) * intervalNs;
        cursor++;
      }
      ring[cursor % WINDOW] = at;
      return Math.round(at);
    };
  }
  const ends = (n: number, due: number) => n >= cfg.maxTicks || due >= cfg.durationNs;
  return {
    dueAt,
    wakeAt(sent, slackNs) {
      const first = dueAt(sent);
      let wake = first;
      for (let n = sent + 1; ; n++) {
        const d = dueAt(n);
        if (d - first > slackNs || ends(n, d)) return wake;
        wake = d;
      }
    },
    pace(elapsedNs, sent) {
      if (sent >= cfg.maxTicks) return { stop: true };
      const due = dueAt(sent);
      if (due >= cfg.durationNs) return { stop: true };
      return { stop: false, waitNs: due > elapsedNs ? due - elapsedNs : 0 };
    },
  };
}

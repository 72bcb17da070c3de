// One clock per run: the wall clock read once at the origin, the monotonic clock after that, so
// record times never jump with NTP and every stage of a run shares one time base (record.ts).
import type { RunClock } from '../record.ts';

export interface RunTimer extends RunClock {
  /** ns since the origin, from the monotonic clock. */
  now(): number;
}

export function createRunTimer(): RunTimer {
  const originMs = performance.now();
  // timeOrigin + now() is the wall clock at the same instant, to sub-ms precision
  const t0EpochNs = BigInt(Math.round((performance.timeOrigin + originMs) * 1000)) * 1000n;
  return { t0EpochNs, now: () => (performance.now() - originMs) * 1e6 };
}

// A registry provider's cold period, as observed: the seconds after it started listening in which the
// requests the consumer sent it failed (timed out, queue full) or were slow while the other providers
// answered the same seconds well. Never read from the app's own WARMUP setting: a real app does not
// print its cold period, and reading the fault injection would make the verdict hold by construction.

import type { RequestRecord } from '../record.ts';

interface Second {
  n: number;
  fail: number;
  okN: number;
  okMs: number;
}

/** A second a provider was failing alone: its failure share this much above the others'... */
const FAIL_SHARE = 0.2;
const FAIL_MARGIN = 0.15;
/** ... or its answers this many times slower than theirs, and by at least SLOW_MIN_MS. */
const SLOW_RATIO = 3;
const SLOW_MIN_MS = 50;
/** A cold start shows early: the first such second within this long of listening. */
const YOUNG_MS = 10_000;

export interface ColdSpan {
  /** From listening to the end of the last second it failed or was slow alone (ms). */
  coldMs: number;
  /** In those seconds: its failure share and the other providers'. */
  failShare: number;
  othersFailShare: number;
}

/** Per pod and second of send time, what the requests naming it came to (the registry consumer's answers). */
export class ProviderLoad {
  private readonly perPod = new Map<string, Map<number, Second>>();

  add(r: RequestRecord): void {
    // 502: the consumer could not connect to it (refused): not a cold symptom, the other causes judge it
    if (!r.servedBy || r.status === 502) return;
    let m = this.perPod.get(r.servedBy);
    if (!m) this.perPod.set(r.servedBy, (m = new Map()));
    const s = Math.floor(r.sentAt / 1e9);
    let b = m.get(s);
    if (!b) m.set(s, (b = { n: 0, fail: 0, okN: 0, okMs: 0 }));
    b.n++;
    if (r.outcome === 'ok') {
      b.okN++;
      b.okMs += (r.endAt - r.sentAt) / 1e6;
    } else b.fail++;
  }

  /** The provider's observed cold period after `listeningAt` (run ns), against `others`; undefined when none showed. */
  coldSpan(pod: string, listeningAt: number, others: readonly string[]): ColdSpan | undefined {
    const mine = this.perPod.get(pod);
    if (!mine) return undefined;
    const from = Math.floor(listeningAt / 1e9);
    let first: number | undefined;
    let last: number | undefined;
    let n = 0;
    let fail = 0;
    let on = 0;
    let ofail = 0;
    for (const s of [...mine.keys()].filter((x) => x >= from).sort((a, b) => a - b)) {
      const p = mine.get(s) as Second;
      const o: Second = { n: 0, fail: 0, okN: 0, okMs: 0 };
      for (const other of others) {
        const b = this.perPod.get(other)?.get(s);
        if (!b) continue;
        o.n += b.n;
        o.fail += b.fail;
        o.okN += b.okN;
        o.okMs += b.okMs;
      }
      if (o.n === 0) continue; // nothing to compare with this second
      const share = p.fail / p.n;
      const oshare = o.fail / o.n;
      const failing = share >= FAIL_SHARE && share >= oshare + FAIL_MARGIN;
      const pMs = p.okN > 0 ? p.okMs / p.okN : 0;
      const oMs = o.okN > 0 ? o.okMs / o.okN : Infinity;
      const slow = p.okN > 0 && pMs >= SLOW_RATIO * oMs && pMs - oMs >= SLOW_MIN_MS;
      if (!failing && !slow) continue;
      if (first === undefined) {
        if ((s - from) * 1000 > YOUNG_MS) return undefined; // failing alone, but not young: not a cold start
        first = s;
      }
      last = s;
      n += p.n;
      fail += p.fail;
      on += o.n;
      ofail += o.fail;
    }
    if (last === undefined) return undefined;
    return { coldMs: Math.round((last + 1) * 1000 - listeningAt / 1e6), failShare: fail / n, othersFailShare: on > 0 ? ofail / on : 0 };
  }
}

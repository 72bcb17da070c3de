// The test `compare` uses on run-level figures: Mann-Whitney U, two-sided, with its exact p-value by
// enumerating every way to split the pooled runs into the two groups.
//
// Why this test: the unit is the run (requests inside one loss window are not independent), so each
// side has a handful of values (default 3 runs). Loss figures are not normal (many runs at exactly 0,
// the odd run with a long window), so a t-test's assumptions fail; a rank test needs none, and full
// enumeration gives the exact p even with ties (midranks), which an asymptotic approximation does not
// at n = 3. The cost: with 3 runs a side the smallest p any outcome can reach is 2/C(6,3) = 0.1, so
// the default significance level is 0.1 and a verdict needs complete separation of the two sides;
// `minAttainableP` lets the caller say "insufficient runs" when no outcome could reach the level.

/** Past this many runs in all, enumeration is replaced by the normal approximation with tie correction. */
export const EXACT_MAX_N = 20;

export interface RankTest {
  nA: number;
  nB: number;
  /** U for side A: the number of (a, b) pairs with a > b, ties counting one half. */
  uA: number;
  /** Two-sided p-value. */
  p: number;
  exact: boolean;
}

function midranks(values: number[]): number[] {
  const idx = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]![1]] = r;
    i = j + 1;
  }
  return ranks;
}

export function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** The smallest two-sided p an exact test can give for these group sizes. */
export function minAttainableP(nA: number, nB: number): number {
  if (nA === 0 || nB === 0) return 1;
  return Math.min(1, 2 / binomial(nA + nB, nA));
}

export function mannWhitney(a: number[], b: number[]): RankTest {
  const nA = a.length;
  const nB = b.length;
  if (nA === 0 || nB === 0) return { nA, nB, uA: 0, p: 1, exact: true };
  const ranks = midranks([...a, ...b]);
  const N = nA + nB;
  const wA = ranks.slice(0, nA).reduce((s, r) => s + r, 0);
  const uA = wA - (nA * (nA + 1)) / 2;
  const mean = (nA * (N + 1)) / 2;
  const dev = Math.abs(wA - mean);
  if (dev < 1e-9) return { nA, nB, uA, p: 1, exact: N <= EXACT_MAX_N };
  if (N <= EXACT_MAX_N) {
    // every choice of nA of the N ranks is equally likely under "no difference"
    let extreme = 0;
    let total = 0;
    const pick = (start: number, left: number, sum: number) => {
      if (left === 0) {
        total++;
        if (Math.abs(sum - mean) >= dev - 1e-9) extreme++;
        return;
      }
      for (let i = start; i <= N - left; i++) pick(i + 1, left - 1, sum + ranks[i]!);
    };
    pick(0, nA, 0);
    return { nA, nB, uA, p: extreme / total, exact: true };
  }
  // normal approximation with tie correction and continuity correction
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let tie = 0;
  for (const t of counts.values()) tie += t * t * t - t;
  const variance = ((nA * nB) / 12) * (N + 1 - tie / (N * (N - 1)));
  const z = (dev - 0.5) / Math.sqrt(variance);
  return { nA, nB, uA, p: Math.min(1, 2 * (1 - normalCdf(z))), exact: false };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, error < 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

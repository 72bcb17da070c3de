// Client-side balancing as Dubbo does it: the warm-up weight of a provider that started recently
// (AbstractLoadBalance.calculateWarmupWeight) and RandomLoadBalance (weighted random, uniform when all
// weights are equal). Pure: time and randomness come in as arguments, so the lead can predict shares.

/** A provider as registered (the registry value's JSON). */
export interface Provider {
  pod: string;
  ip: string;
  port: number;
  /** Process start, epoch ms. */
  startAt: number;
  registeredAt: number;
  warmupMs: number;
  weight: number;
}

/** Dubbo: ww = floor(uptime / (warmup / weight)), clamped to [1, weight]. */
export function warmupWeight(uptimeMs: number, warmupMs: number, weight: number): number {
  const ww = Math.floor(uptimeMs / (warmupMs / weight));
  return ww < 1 ? 1 : Math.min(ww, weight);
}

/** The weight a consumer gives a provider at `now`: 1 before it started, ramping during warm-up, then its weight. */
export function effectiveWeight(p: Pick<Provider, 'startAt' | 'warmupMs' | 'weight'>, now: number): number {
  const uptime = now - p.startAt;
  if (uptime <= 0) return 1;
  if (p.warmupMs > 0 && uptime < p.warmupMs) return warmupWeight(uptime, p.warmupMs, p.weight);
  return p.weight;
}

/** Each provider's expected share of picks at `now` (sums to 1): what RandomLoadBalance converges to. */
export function expectedShares(providers: readonly Provider[], now: number): Map<string, number> {
  const w = providers.map((p) => effectiveWeight(p, now));
  const total = w.reduce((a, b) => a + b, 0);
  return new Map(providers.map((p, i) => [p.pod, total > 0 ? w[i]! / total : 1 / providers.length]));
}

/**
 * RandomLoadBalance: with unequal weights, an offset uniform in [0, total) walks the weights; with equal
 * weights, a uniform index. `random` returns [0, 1). Undefined for an empty list.
 */
export function pickRandom<P extends Pick<Provider, 'startAt' | 'warmupMs' | 'weight'>>(
  providers: readonly P[],
  now: number,
  random: () => number = Math.random,
): P | undefined {
  const n = providers.length;
  if (n === 0) return undefined;
  if (n === 1) return providers[0];
  const weights = new Array<number>(n);
  let total = 0;
  let same = true;
  for (let i = 0; i < n; i++) {
    const w = effectiveWeight(providers[i]!, now);
    weights[i] = w;
    total += w;
    if (same && i > 0 && w !== weights[0]) same = false;
  }
  if (total > 0 && !same) {
    let offset = Math.floor(random() * total); // Dubbo: ThreadLocalRandom.nextInt(totalWeight)
    for (let i = 0; i < n; i++) {
      offset -= weights[i]!;
      if (offset < 0) return providers[i];
    }
  }
  return providers[Math.floor(random() * n)];
}

// registry-stale-after-sigterm: the provider had stopped (SIGTERM) while the registry still listed it.

import { type Failure, type Fit, fit, JITTER, msOf, podOf, type Rule, sec, withMargin } from '../rule.ts';
import { deadFrom, type PodFacts } from '../timeline.ts';

/** The provider had stopped taking work when the consumer's request reached it. */
export function providerStopped(q: Failure): { f: PodFacts; dead: number } | undefined {
  const f = q.provider;
  if (!q.registry || !f) return undefined;
  const dead = deadFrom(f);
  return dead !== undefined && dead <= Math.max(q.r.sentAt, q.r.endAt) + JITTER ? { f, dead } : undefined;
}

export const registryStaleAfterSigterm: Rule = {
  cause: 'registry-stale-after-sigterm',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const stopped = providerStopped(q);
    if (!stopped) return [];
    const { f, dead } = stopped;
    if (f.registryGone !== undefined && q.r.sentAt >= f.registryGone) return [];
    return [fit('registry-stale-after-sigterm', [f.pod], [f.deletingEvent, f.sigtermEvent, f.registryGoneEvent], dead)];
  },
  explain(x) {
    const { o, lags, lostN, durMs, lastSent } = x;
    const f = podOf(x);
    const sig = f.sigterm ?? deadFrom(f);
    if (f.deleting !== undefined && sig !== undefined) lags.deletionToSigtermMs = msOf(sig - f.deleting);
    if (sig !== undefined && f.registryGone !== undefined) lags.sigtermToRegistryRemovalMs = msOf(f.registryGone - sig);
    if (f.registryGone !== undefined && f.consumerDropped !== undefined) lags.registryRemovalToConsumerDropMs = msOf(f.consumerDropped - f.registryGone);
    if (sig !== undefined) lags.sigtermToLastFailureMs = msOf(lastSent - sig);
    const how = f.registryGoneEvent?.kind === 'registry-expire' ? 'its lease expired' : 'it was deregistered';
    const removal = lags.sigtermToRegistryRemovalMs !== undefined ? `${how} ${lags.sigtermToRegistryRemovalMs} ms after SIGTERM` : 'no registry removal seen';
    const text = `${lostN} lost over ${durMs} ms: provider ${f.pod} stopped (SIGTERM) while still registered; ${removal}${lags.registryRemovalToConsumerDropMs !== undefined ? `, the consumer dropped it ${lags.registryRemovalToConsumerDropMs} ms after that` : ''}`;
    // the consumer's lag this time, or its poll interval (the worst case) when it polls
    if (f.consumerPollMs !== undefined) lags.consumerPollIntervalMs = f.consumerPollMs;
    const wait = withMargin(Math.max(lags.registryRemovalToConsumerDropMs ?? 0, f.consumerPollMs ?? 0, 0), o.marginMs);
    return { text, fix: `deregister before stopping: preStop GET /offline, then wait >= ${wait} s for consumers to refresh (preStop {offline: ${Math.ceil(wait)}}): the registry kept the stopped provider ${lags.sigtermToRegistryRemovalMs !== undefined ? sec(lags.sigtermToRegistryRemovalMs) : 'until the run ended'}` };
  },
};

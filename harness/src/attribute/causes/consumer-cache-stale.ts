// consumer-cache-stale: the registry had removed the stopped provider, but the consumer's list still held it.

import { fit, type Failure, type Fit, JITTER, msOf, podOf, type Rule, sec, withMargin } from '../rule.ts';
import { deadFrom } from '../timeline.ts';
import { providerStopped } from './registry-stale-after-sigterm.ts';

export const consumerCacheStale: Rule = {
  cause: 'consumer-cache-stale',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const f = providerStopped(q)?.f;
    const picked = q.r.sentAt;
    if (!f || f.registryGone === undefined || picked < f.registryGone) return [];
    if (f.consumerDropped !== undefined && picked >= f.consumerDropped + JITTER) return [];
    return [fit('consumer-cache-stale', [f.pod], [f.sigtermEvent ?? f.deletingEvent, f.registryGoneEvent, f.consumerDroppedEvent], f.registryGone)];
  },
  explain(x) {
    const { o, lags, lostN, durMs, lastSent } = x;
    const f = podOf(x);
    const sig = f.sigterm ?? deadFrom(f);
    if (f.registryGone !== undefined && f.consumerDropped !== undefined) lags.registryRemovalToConsumerDropMs = msOf(f.consumerDropped - f.registryGone);
    if (f.registryGone !== undefined && sig !== undefined) lags.registryRemovalToSigtermMs = msOf(sig - f.registryGone);
    if (f.registryGone !== undefined) lags.registryRemovalToLastFailureMs = msOf(lastSent - f.registryGone);
    const refresh = String(f.consumerDroppedEvent?.detail?.reason ?? '');
    if (f.consumerPollMs !== undefined) lags.consumerPollIntervalMs = f.consumerPollMs;
    const lag = Math.max(lags.registryRemovalToConsumerDropMs ?? lags.registryRemovalToLastFailureMs ?? durMs, f.consumerPollMs ?? 0);
    const stop = lags.registryRemovalToSigtermMs;
    const stopTxt = stop === undefined ? 'before that' : stop >= 0 ? `${stop} ms after its removal` : `${-stop} ms before its removal (its lease expired later)`;
    const what = f.consumerPollMs !== undefined ? `the consumer's poll interval ${sec(f.consumerPollMs)}` : `the consumer's refresh lag ${sec(lag)}`;
    return {
      text: `${lostN} lost over ${durMs} ms: the registry had removed provider ${f.pod}, but the consumer's list kept it ${lags.registryRemovalToConsumerDropMs !== undefined ? `${lags.registryRemovalToConsumerDropMs} ms longer (dropped on ${refresh || 'refresh'})` : 'until the run ended'}; the provider stopped ${stopTxt}`,
      fix: `deregister first, then wait longer than consumers take to refresh: preStop {offline: ${Math.ceil(withMargin(lag, o.marginMs))}} (>= ${what} + margin), or have consumers watch the registry instead of polling`,
    };
  },
};

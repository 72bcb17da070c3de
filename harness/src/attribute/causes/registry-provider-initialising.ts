// registry-provider-initialising: the registry consumer picked a provider (servedBy on its 502/504) that
// was registered or listed before its app listened or was ready, or that was still cold as observed
// (warmup.ts: failing or slow alone in its first seconds; never its WARMUP setting).

import { type Failure, type Fit, fit, JITTER, MS, msOf, podOf, type Rule, sec, withMargin } from '../rule.ts';

export const registryProviderInitialising: Rule = {
  cause: 'registry-provider-initialising',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const f = q.provider;
    if (!q.registry || !f) return [];
    const { r } = q;
    // The consumer picked the provider when the request reached it (about sentAt); the failure is reported
    // at endAt (a refusal at once, a timeout after the consumer's upstream timeout).
    const picked = r.sentAt;
    const listenEv = f.events.find((e) => e.kind === 'listening');
    const readyEv = f.events.find((e) => e.kind === 'ready');
    const registeredBefore = f.registered !== undefined && f.registered <= picked + JITTER;
    // Registered (or listed) before the app listened or was ready.
    if (!registeredBefore && f.consumerAdded === undefined) return [];
    const serveAt = f.listening;
    if (serveAt === undefined || picked < serveAt + JITTER || (f.appReady !== undefined && picked < f.appReady)) {
      return [fit('registry-provider-initialising', [f.pod], [f.registeredEvent, listenEv ?? readyEv], f.registered ?? f.consumerAdded ?? 0)];
    }
    if (f.cold !== undefined && r.status !== 502 && picked < serveAt + f.cold.coldMs * MS) {
      // Still cold (as observed: failing or slow alone in its first seconds): a timeout or a queue-full answer, not a refusal.
      return [fit('registry-provider-initialising', [f.pod], [f.registeredEvent, listenEv], f.registered ?? serveAt)];
    }
    return [];
  },
  explain(x) {
    const { w, o, lags, lostN, durMs, lastSent } = x;
    const f = podOf(x);
    const reg = f.registered;
    // after the app served (listening, and ready when it logs that): the failures were its cold period's
    const cold = f.cold !== undefined && f.listening !== undefined && w.start >= (f.appReady ?? f.listening);
    if (reg !== undefined && f.listening !== undefined) lags.registeredToListeningMs = msOf(f.listening - reg);
    if (reg !== undefined && f.appReady !== undefined) lags.registeredToReadyMs = msOf(f.appReady - reg);
    if (cold && f.cold && f.listening !== undefined) {
      lags.uptimeAtFirstFailureMs = msOf(w.start - f.listening);
      lags.uptimeAtLastFailureMs = msOf(lastSent - f.listening);
      lags.observedColdMs = f.cold.coldMs;
      const adv = f.advertisedWarmupMs ?? 0;
      const pct = (v: number) => `${Math.round(v * 100)}%`;
      return {
        text: `${lostN} lost over ${durMs} ms: provider ${f.pod} took a full share while cold: ${pct(f.cold.failShare)} of its requests failed in its first seconds against ${pct(f.cold.othersFailShare)} for the other providers (up ${lags.uptimeAtFirstFailureMs}-${lags.uptimeAtLastFailureMs} ms; failing alone until ${sec(f.cold.coldMs)} after it listened; it advertised ${adv > 0 ? sec(adv) : 'no'} warm-up to consumers)`,
        fix: `advertise a warm-up >= ${withMargin(f.cold.coldMs, o.marginMs)} s (Dubbo \`warmup\`: consumers ramp its weight linearly with uptime): it failed requests the other providers answered until ${sec(f.cold.coldMs)} after it started listening`,
      };
    }
    const gap = lags.registeredToReadyMs ?? lags.registeredToListeningMs ?? durMs;
    return {
      text: `${lostN} lost over ${durMs} ms: provider ${f.pod} was in the registry ${gap} ms before its app ${f.appReady !== undefined ? 'was ready' : 'listened'}`,
      fix: `register only when the app is ready (registerAfter: ready, or a registration delay >= ${withMargin(Math.max(gap, 0), o.marginMs)} s, Dubbo \`delay\`): consumers called it ${sec(gap)} too early`,
    };
  },
};

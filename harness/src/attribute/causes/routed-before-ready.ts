// routed-before-ready: the pod was in endpoints before its app was ready (or listening).

import { type Failure, type Fit, fit, JITTER, msOf, NO_ANSWER, podOf, type Rule, S, sec } from '../rule.ts';

export const routedBeforeReady: Rule = {
  cause: 'routed-before-ready',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, t, podErr } = q;
    if (q.registry) return [];
    const out: Fit[] = [];
    for (const f of q.candidates) {
      if (f.endpointReady === undefined || t < f.endpointReady - 0.5 * S) continue;
      if (podErr === f.pod) {
        const readyAt = f.appReady ?? f.listening;
        if (readyAt !== undefined && t < readyAt) out.push(fit('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'ready' || e.kind === 'listening')], f.endpointReady));
        continue;
      }
      if (!f.hasLogs || !((NO_ANSWER.has(r.outcome) && q.routed) || q.proxy5xx)) continue;
      const acceptsAt = f.listening ?? f.appReady;
      if (acceptsAt === undefined || t < acceptsAt) out.push(fit('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'listening' || e.kind === 'ready')], f.endpointReady, t >= f.endpointReady - JITTER));
    }
    return out;
  },
  explain(x) {
    const { lags, lostN, durMs, lastSent } = x;
    const f = podOf(x);
    const readyAt = f.appReady ?? f.listening;
    if (f.endpointReady !== undefined && readyAt !== undefined) lags.endpointReadyToAppReadyMs = msOf(readyAt - f.endpointReady);
    if (f.endpointReady !== undefined) lags.endpointReadyToLastFailureMs = msOf(lastSent - f.endpointReady);
    const gap = lags.endpointReadyToAppReadyMs ?? lags.endpointReadyToLastFailureMs ?? durMs;
    return {
      text: `${lostN} lost over ${durMs} ms: pod ${f.pod} was in endpoints ${gap} ms before its app was ready${f.hasReadinessProbe === false ? ' (no readiness probe)' : ''}`,
      fix:
        f.hasReadinessProbe === false
          ? `add a readinessProbe on the app's readiness (httpGet /readyz, periodSeconds 1): the app needed ${sec(gap)} after the pod was routed`
          : `make the readiness probe check the app's real readiness (it passed ${sec(gap)} before the app was ready)`,
    };
  },
};

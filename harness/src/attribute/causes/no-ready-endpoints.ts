// no-ready-endpoints: the Service had no endpoint to send to (or had none a moment ago and the data plane
// lags). A proxy such as the ingress needs a ready one; kube-proxy also uses serving terminating endpoints.
// On the registry path: the consumer's provider list was empty (503 NO_PROVIDER).

import { type Failure, type Fit, fit, JITTER, MS, msOf, type Rule, S, sec } from '../rule.ts';
import { zerosOn } from '../timeline.ts';

export const noReadyEndpoints: Rule = {
  cause: 'no-ready-endpoints',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, tl, t } = q;
    if (q.registry) {
      // a failure naming a provider is judged by the registry's timeline; one naming none, by the consumer's list
      if (q.provider) return [];
      const at = Math.max(r.sentAt, r.endAt);
      const z = tl.consumerEmpty.find((x) => at >= x.from && at <= x.to + 0.05 * S);
      return z ? [{ cause: 'no-ready-endpoints', pods: [], since: z.from, sure: true, anchors: [z.startEvent, ...(z.endEvent ? [z.endEvent] : [])] }] : [];
    }
    const out: Fit[] = [];
    for (const z of zerosOn(tl, q.hops, q.proxy5xx)) {
      if (t >= z.from && t <= z.to + q.lag) out.push(fit('no-ready-endpoints', [], [z.startEvent, z.endEvent], z.from, t <= z.to + JITTER));
    }
    return out;
  },
  explain({ w, tl, o, hops, lags, events, lostN, durMs }) {
    // The registry path's version: its anchors are the consumer's list emptying and filling again.
    const [emptied, refilled] = w.items[0]?.fit.anchors ?? [];
    if (emptied?.kind === 'consumer-list') {
      lags.consumerListEmptyMs = msOf((refilled?.at ?? w.end) - emptied.at);
      return {
        text: `${lostN} lost over ${durMs} ms while the registry consumer's provider list was empty for ${lags.consumerListEmptyMs} ms`,
        fix: `keep a registered provider through the rollout (maxUnavailable: 0 with maxSurge: 1: a replacement registers before the old one deregisters), and keep the consumer's empty protection on: its list had no provider for ${sec(lags.consumerListEmptyMs)}`,
      };
    }
    const proxyOnly = w.items.every((j) => j.r.outcome === 'http-5xx' && !j.r.servedBy);
    const z = zerosOn(tl, hops, proxyOnly).find((x) => w.start >= x.from - o.gapMs * MS && w.start <= x.to + o.dataplaneLagMs * MS);
    if (z) {
      lags.noReadyEndpointMs = Number.isFinite(z.to) ? msOf(z.to - z.from) : msOf(w.end - z.from);
      events.set('z0', z.startEvent);
      if (z.endEvent) events.set('z1', z.endEvent);
    }
    return {
      text: `${lostN} lost over ${durMs} ms while the Service had no ready endpoint${lags.noReadyEndpointMs !== undefined ? ` for ${lags.noReadyEndpointMs} ms` : ''}`,
      fix: `maxUnavailable: 0 with maxSurge: 1 (and replicas >= 2 for disruptions): the old pod left ${lags.noReadyEndpointMs !== undefined ? sec(lags.noReadyEndpointMs) : ''} before a new one was ready`,
    };
  },
};

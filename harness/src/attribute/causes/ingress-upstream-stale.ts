// ingress-upstream-stale: a proxy's 5xx after the endpoints dropped the pod but before the ingress acted on it.

import { type Failure, type Fit, fit, MS, type Rule, stoppedBy } from '../rule.ts';
import { deadFrom, firstChangeAfter } from '../timeline.ts';
import { explainStale } from './routed-after-sigterm.ts';

export const ingressUpstreamStale: Rule = {
  cause: 'ingress-upstream-stale',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    if (q.registry || !q.proxy5xx) return [];
    const out: Fit[] = [];
    for (const f of q.candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || !stoppedBy(f, dead, q.t) || f.routingGone === undefined || q.t < f.routingGone) continue;
      const change = firstChangeAfter(q.tl, f.routingGone, q.hops);
      if (change && q.t <= change.at + q.o.ingressLagMs * MS) out.push(fit('ingress-upstream-stale', [f.pod], [f.sigtermEvent ?? f.deletingEvent, f.routingGoneEvent, change], f.routingGone));
    }
    return out;
  },
  explain: (x) => explainStale(x, 'ingress-upstream-stale'),
};

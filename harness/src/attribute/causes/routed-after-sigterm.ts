// routed-after-sigterm: the pod had stopped (SIGTERM) while the routing still sent it traffic.

import type { Cause } from '../../record.ts';
import { type Explanation, type Failure, type Fit, fit, JITTER, msOf, NO_ANSWER, podOf, type Rule, S, sec, stoppedBy, withMargin } from '../rule.ts';
import { deadFrom, firstChangeAfter } from '../timeline.ts';
import { controllerWords } from '../controllers.ts';

export const routedAfterSigterm: Rule = {
  cause: 'routed-after-sigterm',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, t, podErr } = q;
    if (q.registry || !((NO_ANSWER.has(r.outcome) && q.routed) || q.proxy5xx || podErr)) return [];
    const out: Fit[] = [];
    for (const f of q.candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || !stoppedBy(f, dead, t)) continue;
      if (podErr && podErr !== f.pod) continue;
      // Without a routing-off event on the timeline, the pod object's deletion (or 30 s) bounds the blame.
      const routedUntil = f.routingGone ?? f.gone ?? dead + 30 * S;
      if (t > routedUntil + q.lag && !podErr) continue;
      out.push(fit('routed-after-sigterm', [f.pod], [f.deletingEvent, f.sigtermEvent, f.routingGoneEvent], dead, podErr !== undefined || t <= routedUntil + JITTER));
    }
    return out;
  },
  explain: (x) => explainStale(x, 'routed-after-sigterm'),
};

/** A stopped pod still reached: through the data plane (routed-after-sigterm) or the ingress's stale upstreams. */
export function explainStale(x: Explanation, cause: Extract<Cause, 'routed-after-sigterm' | 'ingress-upstream-stale'>): { text: string; fix: string } {
  const { w, tl, o, lags, events, lostN, durMs, proxy, layer } = x;
  const f = podOf(x);
  // The watch may deliver the deletion after the kubelet already sent SIGTERM: count from the earlier.
  const base = Math.min(f.deleting ?? Infinity, f.sigterm ?? Infinity, w.start);
  const sig = f.sigterm ?? deadFrom(f);
  if (f.deleting !== undefined && f.sigterm !== undefined) lags.deletionToSigtermMs = msOf(f.sigterm - f.deleting);
  if (sig !== undefined && f.routingGone !== undefined) lags.sigtermToEndpointRemovedMs = msOf(f.routingGone - sig);
  const change = f.routingGone !== undefined ? firstChangeAfter(tl, f.routingGone, x.hops) : undefined;
  if (proxy && change && f.routingGone !== undefined) {
    lags.endpointRemovedToIngressReloadMs = msOf(change.at - f.routingGone);
    events.set('reload', change);
  }
  if (sig !== undefined) lags.sigtermToLastFailureMs = msOf(x.lastSent - sig);
  const reach = Math.max(f.routingGone ?? 0, proxy && change ? change.at : 0, x.lastSent) - base;
  lags.deletionToRoutingStoppedMs = msOf(reach);
  const need = withMargin(msOf(reach), o.marginMs);
  const rm = lags.sigtermToEndpointRemovedMs;
  // Negative: the watch reported the removal before the SIGTERM line, yet the data plane still routed.
  const removal = rm === undefined ? 'no endpoint removal seen' : rm >= 0 ? `endpoint removal came ${rm} ms after SIGTERM` : `endpoint removal was seen ${-rm} ms before SIGTERM, yet the data plane still routed to it`;
  const reloadTxt = lags.endpointRemovedToIngressReloadMs !== undefined ? `, the ingress reloaded ${lags.endpointRemovedToIngressReloadMs} ms after that` : '';
  if (cause === 'ingress-upstream-stale') {
    // what the path's controller does with an endpoint change, and its own ClusterIP switch
    const ctl = controllerWords(change?.detail?.controller ?? x.hops?.controller);
    return {
      text: `${lostN} lost over ${durMs} ms: ${layer} still sent to pod ${f.pod} after it left the endpoints (${removal}${reloadTxt})`,
      fix: `route the ingress to the Service's ClusterIP (${ctl.clusterIp}), or preStop sleep >= ${need} s: the change reached the ingress ${sec(msOf(reach))} after the pod's deletion (${ctl.name} ${ctl.onEndpointChange})`,
    };
  }
  const now = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? ` (it is ${f.preStopSeconds} s now)` : '';
  return {
    text: `${lostN} lost over ${durMs} ms: pod ${f.pod} stopped (SIGTERM) while still routed; ${removal}${reloadTxt}`,
    fix: `preStop sleep >= ${need} s${now} with terminationGracePeriodSeconds above it: routing stopped reaching the pod ${sec(msOf(reach))} after its deletion, through ${layer}`,
  };
}

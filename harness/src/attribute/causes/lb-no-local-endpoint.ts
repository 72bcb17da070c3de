// lb-no-local-endpoint: the LB's announcing node (MetalLB L2) had no usable local endpoint while other
// nodes had (externalTrafficPolicy: Local).

import { endpointsAt } from '../timeline.ts';
import { type Failure, type Fit, fit, ipOf, msOf, NO_ANSWER, type Rule, sec } from '../rule.ts';

export const lbNoLocalEndpoint: Rule = {
  cause: 'lb-no-local-endpoint',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, tl, t, hops } = q;
    if (q.registry || !NO_ANSWER.has(r.outcome) || r.servedBy || !q.routed || (hops && hops.via !== 'lb')) return [];
    // The Service behind the LB IP connected to (the path's own, or what MetalLB said it assigned); else any.
    const lbSvc = hops?.service ?? tl.serviceByLbIp.get(ipOf(r.remoteAddr) ?? '');
    const ann = [...tl.announces].reverse().find((e) => e.at <= t && (lbSvc === undefined || e.detail?.service === lbSvc));
    const node = ann?.node;
    const svc = String(ann?.detail?.service ?? '');
    const pt = endpointsAt(tl.endpoints.get(svc), t);
    if (!ann || !node || !pt) return [];
    const local = pt.usableByNode.get(node)?.size ?? 0;
    let elsewhere = 0;
    for (const [n, set] of pt.usableByNode) if (n !== node) elsewhere += set.size;
    if (local !== 0 || elsewhere === 0) return [];
    const points = tl.endpoints.get(svc) ?? [];
    const lastLocal = [...points].reverse().find((p) => p.at <= t && (p.usableByNode.get(node)?.size ?? 0) > 0);
    return [fit('lb-no-local-endpoint', [...(lastLocal?.usableByNode.get(node) ?? [])], [ann], ann.at)];
  },
  explain({ w, tl, lags, events, lostN, durMs }) {
    const ann = [...events.values()].find((e) => e.kind === 'lb-announce');
    const node = ann?.node ?? '?';
    const svc = String(ann?.detail?.service ?? '');
    const points = tl.endpoints.get(svc) ?? [];
    const emptied = points.find((p) => p.at >= (ann?.at ?? 0) && (p.usableByNode.get(node)?.size ?? 0) === 0 && p.at <= w.start);
    const moved = tl.announces.find((e) => e.at > w.start && e.node !== node);
    if (emptied) lags.lastLocalEndpointGoneToFirstFailureMs = msOf(w.start - emptied.at);
    if (emptied && moved) {
      lags.localEndpointsGoneToAnnounceMs = msOf(moved.at - emptied.at);
      events.set('moved', moved);
    }
    return {
      text: `${lostN} lost over ${durMs} ms: the LB IP pointed at node ${node}, which had no local endpoint left${lags.localEndpointsGoneToAnnounceMs !== undefined ? `; the announcement moved ${lags.localEndpointsGoneToAnnounceMs} ms later` : ''}`,
      fix: `externalTrafficPolicy: Cluster, or keep a ready pod on ${node} through the rollout (maxUnavailable: 0 with node affinity to ${node}, the seed's in-place upgrade): traffic reached a node without local endpoints for ${sec(durMs)}`,
    };
  },
};

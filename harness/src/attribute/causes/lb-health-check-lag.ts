// lb-health-check-lag: the cloud LB still sent new connections to a node left without a local endpoint:
// its health check had not marked the node down yet (interval × unhealthyThreshold). The client only sees
// the LB's address.

import type { LifecycleEvent } from '../../record.ts';
import { type Failure, type Fit, fit, msOf, NO_ANSWER, type Rule, withMargin } from '../rule.ts';
import { endpointsAt, type EndpointPoint, type Timeline } from '../timeline.ts';

export const lbHealthCheckLag: Rule = {
  cause: 'lb-health-check-lag',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, hops } = q;
    if (q.registry || !NO_ANSWER.has(r.outcome) || r.servedBy || !q.routed || (hops && hops.via !== 'lb')) return [];
    return lbLagFits(q.tl, q.t, Math.max(q.t, r.endAt), hops?.service).map((l) => fit('lb-health-check-lag', l.pods, l.anchors, l.since, l.sure));
  },
  explain({ w, tl, o, lags, lostN, durMs, pod }) {
    const anchors = w.items[0]?.fit.anchors ?? [];
    const config = anchors.find((e) => e.kind === 'lb-config');
    const down = anchors.find((e) => e.kind === 'lb-backend-down');
    const node = down?.node ?? pod?.node ?? '?';
    const svc = (config?.object ?? '').replace(/^Service\//, '');
    const interval = Number(config?.detail?.intervalMs ?? 0);
    const threshold = Number(config?.detail?.unhealthyThreshold ?? 0);
    const bound = interval * threshold;
    if (bound > 0) lags.healthCheckBoundMs = bound;
    const points = tl.endpoints.get(svc) ?? [];
    // the health check counts ready local endpoints; kube-proxy also uses serving terminating ones
    // the first point without one after the last point with one, before the LB's down
    const goneBefore = (at: number, has: (p: EndpointPoint) => boolean) => {
      const last = [...points].reverse().find((p) => p.at <= at && has(p));
      return last ? points.find((p) => p.at > last.at && p.at <= at && !has(p)) : undefined;
    };
    const readyGone = down ? goneBefore(down.at, (p) => (p.readyByNode.get(node)?.size ?? 0) > 0) : undefined;
    const usableGone = down ? goneBefore(down.at, (p) => (p.usableByNode.get(node)?.size ?? 0) > 0) : undefined;
    if (down && readyGone) lags.readyLocalEndpointGoneToLbDownMs = msOf(down.at - readyGone.at);
    if (down && usableGone) lags.noLocalEndpointToLbDownMs = msOf(down.at - usableGone.at);
    const measured = lags.readyLocalEndpointGoneToLbDownMs;
    const text =
      `${lostN} lost over ${durMs} ms: the cloud LB still sent to node ${node}, which had no local endpoint left` +
      (down ? `; it marked ${node} down ${lags.noLocalEndpointToLbDownMs ?? '?'} ms after that` : '; its check had not marked the node down when the failures ended (a local pod came back first, or the run ended)') +
      (measured !== undefined ? ` (${measured} ms after its last ready local endpoint left; interval × threshold = ${interval} ms × ${threshold})` : '');
    const need = withMargin(Math.max(measured ?? 0, bound), o.marginMs);
    return { text, fix: `externalTrafficPolicy: Cluster; or keep Local with preStop sleep >= ${need} s (the pod keeps serving until the LB's check, ${interval} ms × ${threshold}, takes ${node} out); or an in-place update that keeps a ready pod on ${node}` };
  },
};

/** Nodes the cloud LB had up at t (HAProxy starts every server up) that had had local pods and had none
 * left at t or before the request ended (a connection the LB sent there hangs: kube-proxy drops it, the
 * LB retries the same node): the LB's health-check lag. */
function lbLagFits(tl: Timeline, t: number, end: number, service: string | undefined): Array<{ pods: string[]; anchors: LifecycleEvent[]; since: number; sure: boolean }> {
  const out: Array<{ pods: string[]; anchors: LifecycleEvent[]; since: number; sure: boolean }> = [];
  for (const svc of new Set(tl.lbConfigs.map((c) => (c.object ?? '').replace(/^Service\//, '')))) {
    if (service !== undefined && svc !== service) continue;
    const config = [...tl.lbConfigs].reverse().find((c) => c.at <= t && c.object === `Service/${svc}`);
    const points = tl.endpoints.get(svc);
    const pt = endpointsAt(points, t);
    if (!config || !pt) continue;
    for (const node of String(config.detail?.backends ?? '').split(',').filter(Boolean)) {
      const none = (p: EndpointPoint) => (p.usableByNode.get(node)?.size ?? 0) === 0;
      const firstNone = none(pt) ? pt : (points ?? []).find((p) => p.at > t && p.at <= end && none(p));
      if (!firstNone) continue;
      const states = tl.lbBackends.get(svc)?.get(node) ?? [];
      const last = [...states].reverse().find((e) => e.at <= t);
      if (last?.kind === 'lb-backend-down') continue;
      // never had a local pod: the first check ruled it out before the address was published
      const lastLocal = [...(points ?? [])].reverse().find((p) => p.at < firstNone.at && !none(p));
      if (!lastLocal) continue;
      const emptied = (points ?? []).find((p) => p.at > lastLocal.at && none(p));
      const down = states.find((e) => e.kind === 'lb-backend-down' && e.at > t);
      // sure when the node was already empty at the send; else it emptied while the connection hung
      out.push({ pods: [...lastLocal.usableByNode.get(node)!], anchors: [config, ...(down ? [down] : [])], since: emptied?.at ?? lastLocal.at, sure: none(pt) });
    }
  }
  return out;
}

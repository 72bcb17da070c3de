// lb-connection-cut: a reused connection the cloud LB cut when it dropped a backend (marked it down, or
// reloaded) without draining.

import type { LifecycleEvent } from '../../record.ts';
import { CONN_CUT, type Failure, type Fit, fit, msOf, type Rule, S } from '../rule.ts';
import type { Timeline } from '../timeline.ts';

export const lbConnectionCut: Rule = {
  cause: 'lb-connection-cut',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, hops } = q;
    if (q.registry || !r.reusedConnection || !CONN_CUT.has(r.outcome)) return [];
    const cut = !hops || hops.via === 'lb' ? lbCut(q.tl, r.sentAt - 0.5 * S, r.endAt + 0.5 * S, hops?.service) : undefined;
    return cut ? [fit('lb-connection-cut', [], cut, cut[1].at)] : [];
  },
  explain({ w, lags, lostN }) {
    const anchors = w.items[0]?.fit.anchors ?? [];
    const cut = anchors[1] ?? anchors[0];
    const reused = w.items.filter((j) => j.r.reusedConnection).length;
    if (cut) lags.lbDropToFirstFailureMs = msOf(w.start - cut.at);
    const what = cut?.kind === 'lb-backend-down' ? `marked node ${cut.node ?? '?'} down` : 'reloaded its configuration';
    return {
      text: `${lostN} requests on reused connections failed when the cloud LB ${what} with no drain (drain 0 ms; ${reused} of ${w.items.length} on reused sockets)`,
      fix: 'let the LB drain connections to a dropped backend (connection draining / deregistration delay longer than the longest request: healthCheck.drain here), and retry idempotent requests that fail on a reused connection',
    };
  },
};

/** The cloud LB's configuration and the event by which it cut connections in [from, to]: a backend marked
 * down or a reload, under drainMs 0 (HAProxy's on-marked-down shutdown-sessions, hard-stop-after). */
function lbCut(tl: Timeline, from: number, to: number, service: string | undefined): [LifecycleEvent, LifecycleEvent] | undefined {
  const drops = [...tl.lbConfigs.filter((c) => c.detail?.change === 'reload'), ...[...tl.lbBackends.values()].flatMap((m) => [...m.values()].flat())]
    .filter((e) => e.kind !== 'lb-backend-up' && e.at >= from && e.at <= to && (service === undefined || e.object === `Service/${service}`))
    .sort((a, b) => a.at - b.at);
  for (const e of drops) {
    // a reload's old process drains by the configuration it ran; a down by the one in effect
    const rule = [...tl.lbConfigs].reverse().find((c) => c.object === e.object && (e.kind === 'lb-config' ? c.at < e.at : c.at <= e.at)) ?? e;
    if (rule.kind === 'lb-config' && Number(rule.detail?.drainMs) === 0) return [rule, e];
  }
  return undefined;
}

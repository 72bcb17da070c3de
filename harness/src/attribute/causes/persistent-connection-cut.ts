// persistent-connection-cut: a reused keep-alive connection cut when its pod went away, or when an ingress
// reload closed it. Two mechanisms share it (FORMAT.md): the idle-socket race (stale-keepalive: closed as
// the request went out) and the in-flight cut (the peer had the request, held it, closed without answering).

import { CONN_CUT, type Failure, type Fit, fit, msOf, type Rule, S, sec, withMargin } from '../rule.ts';
import { changesOn, deadFrom } from '../timeline.ts';
import { controllerWords } from '../controllers.ts';

export const persistentConnectionCut: Rule = {
  cause: 'persistent-connection-cut',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r, tl } = q;
    if (q.registry || !r.reusedConnection || !CONN_CUT.has(r.outcome)) return [];
    const f = q.connPod ? tl.pods.get(q.connPod) : undefined;
    const gone = f ? Math.min(deadFrom(f) ?? Infinity, f.exit ?? Infinity) : Infinity;
    if (f && gone <= r.endAt + 0.5 * S) return [fit('persistent-connection-cut', [f.pod], [f.sigtermEvent ?? f.deletingEvent], gone)];
    const reload = [...changesOn(tl, q.hops)].reverse().find((e) => e.at <= r.endAt + 0.5 * S && e.at >= r.sentAt - 5 * S);
    return reload ? [fit('persistent-connection-cut', [], [reload], reload.at)] : [];
  },
  explain(x) {
    const { w, tl, o, lags, events, lostN, lastSent } = x;
    const reused = w.items.filter((j) => j.r.reusedConnection).length;
    const races = w.items.filter((j) => j.r.outcome === 'stale-keepalive').length;
    const cuts = w.items.length - races;
    const heldMs = w.items.reduce((m, j) => (j.r.outcome === 'stale-keepalive' ? m : Math.max(m, msOf(j.r.endAt - j.r.sentAt))), 0);
    if (races > 0) lags.idleRaces = races;
    if (cuts > 0) lags.inFlightCutMaxHeldMs = heldMs;
    const kinds = [
      ...(races > 0 ? [`${races} idle-socket race${races > 1 ? 's' : ''} (closed as the request went out)`] : []),
      ...(cuts > 0 ? [`${cuts} in-flight cut${cuts > 1 ? 's' : ''} (held up to ${heldMs} ms, then closed without an answer)`] : []),
    ].join(', ');
    const f = x.pod;
    let text: string;
    let cutFix: string;
    let raceFix: string;
    if (f) {
      const gone = Math.min(deadFrom(f) ?? Infinity, f.exit ?? Infinity);
      if (Number.isFinite(gone)) lags.podStopToCutMs = msOf(lastSent - gone);
      text = `${lostN} requests on reused keep-alive connections to pod ${f.pod} failed when it went away: ${kinds} (${reused} of ${w.items.length} on reused sockets)`;
      // drain: how long after SIGTERM the pod still held requests it had read (its cuts, its last request)
      const stop = f.sigterm ?? deadFrom(f) ?? w.start;
      const lastCut = w.items.reduce((m, j) => (j.r.outcome === 'stale-keepalive' ? m : Math.max(m, j.r.endAt)), -Infinity);
      if (Number.isFinite(lastCut)) lags.sigtermToCutMs = msOf(lastCut - stop);
      if (f.lastRequest !== undefined) lags.sigtermToLastRequestMs = msOf(f.lastRequest - stop);
      const need = withMargin(Math.max(lags.sigtermToCutMs ?? 0, lags.sigtermToLastRequestMs ?? 0, heldMs), o.marginMs);
      const pre = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? f.preStopSeconds : 0;
      cutFix = `finish in-flight requests before closing their connections: drain >= ${need} s after SIGTERM (ON_SIGTERM=drain:${Math.ceil(need)}), terminationGracePeriodSeconds >= ${Math.ceil(pre + need) + 5} s: this run's pod cut a request ${sec(lags.sigtermToCutMs ?? 0)} after SIGTERM${lags.sigtermToLastRequestMs !== undefined ? ` (its last request came ${sec(lags.sigtermToLastRequestMs)} after SIGTERM)` : ''}, one had been in flight ${sec(heldMs)}`;
      raceFix = `on SIGTERM answer with "Connection: close" and close idle keep-alive sockets before exiting, keep the server's idle timeout above the client's; clients should retry idempotent requests that fail on a reused connection (an idle-socket race was never read: safe to retry)`;
    } else {
      // A routing layer closed them: this path's reloads during the rollout, counted and dated.
      const reload = [...events.values()].find((e) => e.source === 'ingress');
      if (reload) lags.reloadToCutMs = msOf(w.start - reload.at);
      text = `${lostN} requests on reused keep-alive connections failed around an ingress reload: ${kinds} (${reused} of ${w.items.length} on reused sockets)`;
      const ctl = String(reload?.detail?.controller ?? 'the ingress');
      // The rollout the failures fall in (a controller catches up just after rollout-end: that reload is
      // still this rollout's), else the one the reload falls in. Counted from its start to the window's
      // end; without a rollout, from the run's start (the controller's log reaches back before the run).
      const ro = tl.rollouts.find((r) => w.start <= r.to && w.end >= r.from) ?? tl.rollouts.find((r) => reload !== undefined && reload.at >= r.from && reload.at <= r.to);
      const from = ro?.from ?? 0;
      const to = Math.max(ro?.to ?? -Infinity, w.end + 0.5 * S);
      const same = changesOn(tl, x.hops).filter((e) => e.detail?.controller === reload?.detail?.controller && e.at >= from && e.at <= to);
      lags.reloadsDuringRollout = same.length;
      const when = same.slice(0, 8).map((e) => sec(msOf(e.at - from))).join(', ') + (same.length > 8 ? ', ...' : '');
      const counted = `${ctl} reloaded ${same.length} time${same.length === 1 ? '' : 's'} ${ro ? `during the rollout (at ${when} after its start)` : `during the run up to these failures (at ${when})`}`;
      // a reloading controller: name what it does, and the controllers that take endpoints without a reload
      const c = controllerWords(reload?.detail?.controller ?? x.hops?.controller);
      const lever = `route the ingress to the Service's ClusterIP (${c.clusterIp}) so endpoint changes need no reload${c.reloads ? ` (${c.name} ${c.onEndpointChange}; ingress-nginx and Traefik update upstreams without one)` : ''}`;
      cutFix = `${counted}; ${lever}, and give the controller's workers time to finish requests on reload (worker-shutdown-timeout)`;
      raceFix = `${counted}; ${lever}, or have clients retry a request that fails on a reused connection before any response byte (safe: it was never read)`;
    }
    return { text, fix: [...(cuts > 0 ? [cutFix] : []), ...(races > 0 ? [raceFix] : [])].join('; and ') };
  },
};

// Evidence and fix for one loss window: the events that tie it to its cause, the lags between them in
// ms, and a fix whose numbers come from those lags plus a margin.

import type { Attribution, LifecycleEvent, Outcome } from '../record.ts';
import type { ResolvedOptions, Window } from './attribute.ts';
import { changesOn, deadFrom, firstChangeAfter, type PodFacts, type Timeline, zerosOn } from './timeline.ts';

const MS = 1e6;

function msOf(ns: number): number {
  return Math.round(ns / MS);
}

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Measured lag plus margin, rounded up to 0.1 s, in seconds. */
function withMargin(ms: number, marginMs: number): number {
  return Math.ceil((ms + Math.max(marginMs, ms * 0.2)) / 100) / 10;
}

export function describe(w: Window, tl: Timeline, o: ResolvedOptions): Attribution {
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const j of w.items) byOutcome[j.r.outcome] = (byOutcome[j.r.outcome] ?? 0) + 1;
  if (w.dropped.length > 0) byOutcome.dropped = w.dropped.length;
  const lostN = w.items.length + w.dropped.length;
  const seqs = [...w.items.map((j) => j.r.seq), ...w.dropped.map((r) => r.seq)].sort((a, b) => a - b).slice(0, 1000);
  const events = new Map<string, LifecycleEvent>();
  for (const j of w.items) for (const e of j.fit.anchors) events.set(`${e.kind}|${e.at}|${e.pod ?? ''}`, e);
  const others = [...new Set(w.items.flatMap((j) => j.others))];
  const lags: Record<string, number> = {};
  const durMs = msOf(w.end - w.start);
  const f0 = w.pods.length > 0 ? tl.pods.get(w.pods[0] as string) : undefined;
  const lastSent = w.items.reduce((m, j) => Math.max(m, j.r.sentAt), w.start); // no spread: windows can hold 100k items
  const proxy = w.items.some((j) => j.r.outcome === 'http-5xx' && !j.r.servedBy);
  let text = '';
  let fix = '';
  const layer = proxy ? 'the ingress' : 'the data plane (kube-proxy)';
  const hops = o.paths[w.target];

  switch (w.cause) {
    case 'ambiguous': {
      // Each candidate described as if it were the cause, side by side: the reader sees what each one needs.
      const cands = w.items[0]?.fit.candidates ?? [];
      const parts = cands.map((c) => {
        const d = describe({ ...w, cause: c.cause, pods: [...c.pods].sort(), items: w.items.map((j) => ({ ...j, fit: c, others: [] })) }, tl, o);
        for (const [k, v] of Object.entries(d.evidence.lagsMs)) lags[`${c.cause}.${k}`] = v;
        for (const e of d.evidence.events) events.set(`${e.kind}|${e.at}|${e.pod ?? ''}`, e);
        return { cause: c.cause, pods: c.pods, sure: c.sure, text: d.evidence.text.replace(/^\d+ (lost|requests)[^:]*: /, ''), fix: d.fix };
      });
      const sureTxt = (p: { sure: boolean }) => (p.sure ? '' : ' [only if the data plane lagged behind the change]');
      text = `${lostN} lost over ${durMs} ms: ambiguous: ${parts.map((p) => p.cause).join(' or ')}; the failures name no pod and each of these could have failed them: ${parts.map((p) => `${p.cause} (${p.pods.join(', ') || 'no pod'}): ${p.text}${sureTxt(p)}`).join(' | ')}`;
      fix = parts.map((p) => `if ${p.cause}: ${p.fix}`).join('; ');
      break;
    }
    case 'routed-after-sigterm':
    case 'ingress-upstream-stale': {
      const f = f0 as PodFacts;
      // The watch may deliver the deletion after the kubelet already sent SIGTERM: count from the earlier.
      const base = Math.min(f.deleting ?? Infinity, f.sigterm ?? Infinity, w.start);
      const sig = f.sigterm ?? deadFrom(f);
      if (f.deleting !== undefined && f.sigterm !== undefined) lags.deletionToSigtermMs = msOf(f.sigterm - f.deleting);
      if (sig !== undefined && f.routingGone !== undefined) lags.sigtermToEndpointRemovedMs = msOf(f.routingGone - sig);
      const change = f.routingGone !== undefined ? firstChangeAfter(tl, f.routingGone, hops) : undefined;
      if (proxy && change && f.routingGone !== undefined) {
        lags.endpointRemovedToIngressReloadMs = msOf(change.at - f.routingGone);
        events.set('reload', change);
      }
      if (sig !== undefined) lags.sigtermToLastFailureMs = msOf(lastSent - sig);
      const reach = Math.max(f.routingGone ?? 0, proxy && change ? change.at : 0, lastSent) - base;
      lags.deletionToRoutingStoppedMs = msOf(reach);
      const need = withMargin(msOf(reach), o.marginMs);
      const rm = lags.sigtermToEndpointRemovedMs;
      // Negative: the watch reported the removal before the SIGTERM line, yet the data plane still routed.
      const removal = rm === undefined ? 'no endpoint removal seen' : rm >= 0 ? `endpoint removal came ${rm} ms after SIGTERM` : `endpoint removal was seen ${-rm} ms before SIGTERM, yet the data plane still routed to it`;
      const reloadTxt = lags.endpointRemovedToIngressReloadMs !== undefined ? `, the ingress reloaded ${lags.endpointRemovedToIngressReloadMs} ms after that` : '';
      if (w.cause === 'ingress-upstream-stale') {
        text = `${lostN} lost over ${durMs} ms: ${layer} still sent to pod ${f.pod} after it left the endpoints (${removal}${reloadTxt})`;
        fix = `route the ingress to the Service's ClusterIP (nginx.org/use-cluster-ip: "true" / Traefik nativeLB), or preStop sleep >= ${need} s: the change reached the ingress ${sec(msOf(reach))} after the pod's deletion`;
      } else {
        text = `${lostN} lost over ${durMs} ms: pod ${f.pod} stopped (SIGTERM) while still routed; ${removal}${reloadTxt}`;
        const now = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? ` (it is ${f.preStopSeconds} s now)` : '';
        fix = `preStop sleep >= ${need} s${now} with terminationGracePeriodSeconds above it: routing stopped reaching the pod ${sec(msOf(reach))} after its deletion, through ${layer}`;
      }
      break;
    }
    case 'sigkill-in-flight': {
      const f = f0 as PodFacts;
      const kill = f.killed ?? w.end;
      if (f.deleting !== undefined) lags.deletionToKillMs = msOf(kill - f.deleting);
      if (f.sigterm !== undefined) lags.sigtermToKillMs = msOf(kill - f.sigterm);
      const grace = f.gracePeriodSeconds;
      const pre = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? f.preStopSeconds : 0;
      const inferred = f.killedEvent?.detail?.inferred === true ? ' (inferred: SIGTERM logged, no exit line, the pod ended at its grace deadline)' : '';
      if (f.killedEvent) events.set('kill', f.killedEvent);
      text = `${lostN} requests in flight when pod ${f.pod} was SIGKILLed${inferred}${lags.deletionToKillMs !== undefined ? ` ${lags.deletionToKillMs} ms after its deletion` : ''}${grace !== undefined ? ` (grace period ${grace} s${pre ? `, preStop ${pre} s` : ''})` : ''}`;
      fix = `terminationGracePeriodSeconds >= ${pre + 30} s (preStop ${pre} s + 30 s, the seed's rule): the kill came before the pod finished its in-flight requests`;
      break;
    }
    case 'persistent-connection-cut': {
      const reused = w.items.filter((j) => j.r.reusedConnection).length;
      // Two mechanisms (FORMAT.md): the idle-socket race (stale-keepalive: closed as the request went out)
      // and the in-flight cut (the peer had the request, held it, closed without answering).
      const races = w.items.filter((j) => j.r.outcome === 'stale-keepalive').length;
      const cuts = w.items.length - races;
      const heldMs = w.items.reduce((m, j) => (j.r.outcome === 'stale-keepalive' ? m : Math.max(m, msOf(j.r.endAt - j.r.sentAt))), 0);
      if (races > 0) lags.idleRaces = races;
      if (cuts > 0) lags.inFlightCutMaxHeldMs = heldMs;
      const kinds = [
        ...(races > 0 ? [`${races} idle-socket race${races > 1 ? 's' : ''} (closed as the request went out)`] : []),
        ...(cuts > 0 ? [`${cuts} in-flight cut${cuts > 1 ? 's' : ''} (held up to ${heldMs} ms, then closed without an answer)`] : []),
      ].join(', ');
      const f = f0;
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
        const ro = tl.rollouts.find((x) => reload !== undefined && reload.at >= x.from && reload.at <= x.to);
        const same = changesOn(tl, hops).filter((e) => e.detail?.controller === reload?.detail?.controller && (!ro || (e.at >= ro.from && e.at <= ro.to)));
        lags.reloadsDuringRollout = same.length;
        const when = same.slice(0, 8).map((e) => sec(msOf(e.at - (ro?.from ?? 0)))).join(', ') + (same.length > 8 ? ', ...' : '');
        const counted = `${ctl} reloaded ${same.length} time${same.length === 1 ? '' : 's'} ${ro ? `during the rollout (at ${when} after its start)` : `during the run (at ${when})`}`;
        const lever = `route the ingress to the Service's ClusterIP (nginx.org/use-cluster-ip: "true" / Traefik nativeLB) so endpoint changes need no reload`;
        cutFix = `${counted}; ${lever}, and give the controller's workers time to finish requests on reload (worker-shutdown-timeout)`;
        raceFix = `${counted}; ${lever}, or have clients retry a request that fails on a reused connection before any response byte (safe: it was never read)`;
      }
      fix = [...(cuts > 0 ? [cutFix] : []), ...(races > 0 ? [raceFix] : [])].join('; and ');
      break;
    }
    case 'no-ready-endpoints': {
      // The registry path's version: its anchors are the consumer's list emptying and filling again.
      const [emptied, refilled] = w.items[0]?.fit.anchors ?? [];
      if (emptied?.kind === 'consumer-list') {
        lags.consumerListEmptyMs = msOf((refilled?.at ?? w.end) - emptied.at);
        text = `${lostN} lost over ${durMs} ms while the registry consumer's provider list was empty for ${lags.consumerListEmptyMs} ms`;
        fix = `keep a registered provider through the rollout (maxUnavailable: 0 with maxSurge: 1: a replacement registers before the old one deregisters), and keep the consumer's empty protection on: its list had no provider for ${sec(lags.consumerListEmptyMs)}`;
        break;
      }
      const proxyOnly = w.items.every((j) => j.r.outcome === 'http-5xx' && !j.r.servedBy);
      const z = zerosOn(tl, hops, proxyOnly).find((x) => w.start >= x.from - o.gapMs * MS && w.start <= x.to + o.dataplaneLagMs * MS);
      if (z) {
        lags.noReadyEndpointMs = Number.isFinite(z.to) ? msOf(z.to - z.from) : msOf(w.end - z.from);
        events.set('z0', z.startEvent);
        if (z.endEvent) events.set('z1', z.endEvent);
      }
      text = `${lostN} lost over ${durMs} ms while the Service had no ready endpoint${lags.noReadyEndpointMs !== undefined ? ` for ${lags.noReadyEndpointMs} ms` : ''}`;
      fix = `maxUnavailable: 0 with maxSurge: 1 (and replicas >= 2 for disruptions): the old pod left ${lags.noReadyEndpointMs !== undefined ? sec(lags.noReadyEndpointMs) : ''} before a new one was ready`;
      break;
    }
    case 'lb-connection-cut': {
      const anchors = w.items[0]?.fit.anchors ?? [];
      const cut = anchors[1] ?? anchors[0];
      const reused = w.items.filter((j) => j.r.reusedConnection).length;
      if (cut) lags.lbDropToFirstFailureMs = msOf(w.start - cut.at);
      const what = cut?.kind === 'lb-backend-down' ? `marked node ${cut.node ?? '?'} down` : 'reloaded its configuration';
      text = `${lostN} requests on reused connections failed when the cloud LB ${what} with no drain (drain 0 ms; ${reused} of ${w.items.length} on reused sockets)`;
      fix = 'let the LB drain connections to a dropped backend (connection draining / deregistration delay longer than the longest request: healthCheck.drain here), and retry idempotent requests that fail on a reused connection';
      break;
    }
    case 'lb-health-check-lag': {
      const anchors = w.items[0]?.fit.anchors ?? [];
      const config = anchors.find((e) => e.kind === 'lb-config');
      const down = anchors.find((e) => e.kind === 'lb-backend-down');
      const node = down?.node ?? f0?.node ?? '?';
      const svc = (config?.object ?? '').replace(/^Service\//, '');
      const interval = Number(config?.detail?.intervalMs ?? 0);
      const threshold = Number(config?.detail?.unhealthyThreshold ?? 0);
      const bound = interval * threshold;
      if (bound > 0) lags.healthCheckBoundMs = bound;
      const points = tl.endpoints.get(svc) ?? [];
      // the health check counts ready local endpoints; kube-proxy also uses serving terminating ones
      // the first point without one after the last point with one, before the LB's down
      const goneBefore = (at: number, has: (p: (typeof points)[number]) => boolean) => {
        const last = [...points].reverse().find((p) => p.at <= at && has(p));
        return last ? points.find((p) => p.at > last.at && p.at <= at && !has(p)) : undefined;
      };
      const readyGone = down ? goneBefore(down.at, (p) => (p.readyByNode.get(node)?.size ?? 0) > 0) : undefined;
      const usableGone = down ? goneBefore(down.at, (p) => (p.usableByNode.get(node)?.size ?? 0) > 0) : undefined;
      if (down && readyGone) lags.readyLocalEndpointGoneToLbDownMs = msOf(down.at - readyGone.at);
      if (down && usableGone) lags.noLocalEndpointToLbDownMs = msOf(down.at - usableGone.at);
      const measured = lags.readyLocalEndpointGoneToLbDownMs;
      text = `${lostN} lost over ${durMs} ms: the cloud LB still sent to node ${node}, which had no local endpoint left` +
        (down ? `; it marked ${node} down ${lags.noLocalEndpointToLbDownMs ?? '?'} ms after that` : '; its check had not marked the node down when the failures ended (a local pod came back first, or the run ended)') +
        (measured !== undefined ? ` (${measured} ms after its last ready local endpoint left; interval × threshold = ${interval} ms × ${threshold})` : '');
      const need = withMargin(Math.max(measured ?? 0, bound), o.marginMs);
      fix = `externalTrafficPolicy: Cluster; or keep Local with preStop sleep >= ${need} s (the pod keeps serving until the LB's check, ${interval} ms × ${threshold}, takes ${node} out); or an in-place update that keeps a ready pod on ${node}`;
      break;
    }
    case 'lb-no-local-endpoint': {
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
      text = `${lostN} lost over ${durMs} ms: the LB IP pointed at node ${node}, which had no local endpoint left${lags.localEndpointsGoneToAnnounceMs !== undefined ? `; the announcement moved ${lags.localEndpointsGoneToAnnounceMs} ms later` : ''}`;
      fix = `externalTrafficPolicy: Cluster, or keep a ready pod on ${node} through the rollout (maxUnavailable: 0 with node affinity to ${node}, the seed's in-place upgrade): traffic reached a node without local endpoints for ${sec(durMs)}`;
      break;
    }
    case 'routed-before-ready': {
      const f = f0 as PodFacts;
      const readyAt = f.appReady ?? f.listening;
      if (f.endpointReady !== undefined && readyAt !== undefined) lags.endpointReadyToAppReadyMs = msOf(readyAt - f.endpointReady);
      if (f.endpointReady !== undefined) lags.endpointReadyToLastFailureMs = msOf(lastSent - f.endpointReady);
      const gap = lags.endpointReadyToAppReadyMs ?? lags.endpointReadyToLastFailureMs ?? durMs;
      text = `${lostN} lost over ${durMs} ms: pod ${f.pod} was in endpoints ${gap} ms before its app was ready${f.hasReadinessProbe === false ? ' (no readiness probe)' : ''}`;
      fix = f.hasReadinessProbe === false
        ? `add a readinessProbe on the app's readiness (httpGet /readyz, periodSeconds 1): the app needed ${sec(gap)} after the pod was routed`
        : `make the readiness probe check the app's real readiness (it passed ${sec(gap)} before the app was ready)`;
      break;
    }
    case 'registry-provider-initialising': {
      const f = f0 as PodFacts;
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
        const pct = (x: number) => `${Math.round(x * 100)}%`;
        text = `${lostN} lost over ${durMs} ms: provider ${f.pod} took a full share while cold: ${pct(f.cold.failShare)} of its requests failed in its first seconds against ${pct(f.cold.othersFailShare)} for the other providers (up ${lags.uptimeAtFirstFailureMs}-${lags.uptimeAtLastFailureMs} ms; failing alone until ${sec(f.cold.coldMs)} after it listened; it advertised ${adv > 0 ? sec(adv) : 'no'} warm-up to consumers)`;
        fix = `advertise a warm-up >= ${withMargin(f.cold.coldMs, o.marginMs)} s (Dubbo \`warmup\`: consumers ramp its weight linearly with uptime): it failed requests the other providers answered until ${sec(f.cold.coldMs)} after it started listening`;
      } else {
        const gap = lags.registeredToReadyMs ?? lags.registeredToListeningMs ?? durMs;
        text = `${lostN} lost over ${durMs} ms: provider ${f.pod} was in the registry ${gap} ms before its app ${f.appReady !== undefined ? 'was ready' : 'listened'}`;
        fix = `register only when the app is ready (registerAfter: ready, or a registration delay >= ${withMargin(Math.max(gap, 0), o.marginMs)} s, Dubbo \`delay\`): consumers called it ${sec(gap)} too early`;
      }
      break;
    }
    case 'registry-stale-after-sigterm': {
      const f = f0 as PodFacts;
      const sig = f.sigterm ?? deadFrom(f);
      if (f.deleting !== undefined && sig !== undefined) lags.deletionToSigtermMs = msOf(sig - f.deleting);
      if (sig !== undefined && f.registryGone !== undefined) lags.sigtermToRegistryRemovalMs = msOf(f.registryGone - sig);
      if (f.registryGone !== undefined && f.consumerDropped !== undefined) lags.registryRemovalToConsumerDropMs = msOf(f.consumerDropped - f.registryGone);
      if (sig !== undefined) lags.sigtermToLastFailureMs = msOf(lastSent - sig);
      const how = f.registryGoneEvent?.kind === 'registry-expire' ? 'its lease expired' : 'it was deregistered';
      const removal = lags.sigtermToRegistryRemovalMs !== undefined ? `${how} ${lags.sigtermToRegistryRemovalMs} ms after SIGTERM` : 'no registry removal seen';
      text = `${lostN} lost over ${durMs} ms: provider ${f.pod} stopped (SIGTERM) while still registered; ${removal}${lags.registryRemovalToConsumerDropMs !== undefined ? `, the consumer dropped it ${lags.registryRemovalToConsumerDropMs} ms after that` : ''}`;
      // the consumer's lag this time, or its poll interval (the worst case) when it polls
      if (f.consumerPollMs !== undefined) lags.consumerPollIntervalMs = f.consumerPollMs;
      const wait = withMargin(Math.max(lags.registryRemovalToConsumerDropMs ?? 0, f.consumerPollMs ?? 0, 0), o.marginMs);
      fix = `deregister before stopping: preStop GET /offline, then wait >= ${wait} s for consumers to refresh (preStop {offline: ${Math.ceil(wait)}}): the registry kept the stopped provider ${lags.sigtermToRegistryRemovalMs !== undefined ? sec(lags.sigtermToRegistryRemovalMs) : 'until the run ended'}`;
      break;
    }
    case 'consumer-cache-stale': {
      const f = f0 as PodFacts;
      const sig = f.sigterm ?? deadFrom(f);
      if (f.registryGone !== undefined && f.consumerDropped !== undefined) lags.registryRemovalToConsumerDropMs = msOf(f.consumerDropped - f.registryGone);
      if (f.registryGone !== undefined && sig !== undefined) lags.registryRemovalToSigtermMs = msOf(sig - f.registryGone);
      if (f.registryGone !== undefined) lags.registryRemovalToLastFailureMs = msOf(lastSent - f.registryGone);
      const refresh = String(f.consumerDroppedEvent?.detail?.reason ?? '');
      if (f.consumerPollMs !== undefined) lags.consumerPollIntervalMs = f.consumerPollMs;
      const lag = Math.max(lags.registryRemovalToConsumerDropMs ?? lags.registryRemovalToLastFailureMs ?? durMs, f.consumerPollMs ?? 0);
      const stop = lags.registryRemovalToSigtermMs;
      const stopTxt = stop === undefined ? 'before that' : stop >= 0 ? `${stop} ms after its removal` : `${-stop} ms before its removal (its lease expired later)`;
      text = `${lostN} lost over ${durMs} ms: the registry had removed provider ${f.pod}, but the consumer's list kept it ${lags.registryRemovalToConsumerDropMs !== undefined ? `${lags.registryRemovalToConsumerDropMs} ms longer (dropped on ${refresh || 'refresh'})` : 'until the run ended'}; the provider stopped ${stopTxt}`;
      const what = f.consumerPollMs !== undefined ? `the consumer's poll interval ${sec(f.consumerPollMs)}` : `the consumer's refresh lag ${sec(lag)}`;
      fix = `deregister first, then wait longer than consumers take to refresh: preStop {offline: ${Math.ceil(withMargin(lag, o.marginMs))}} (>= ${what} + margin), or have consumers watch the registry instead of polling`;
      break;
    }
    case 'broken-release':
    case 'baseline': {
      const rf = w.items[0]?.fit.release;
      const pct = (e: number, n: number) => `${n > 0 ? ((100 * e) / n).toFixed(1) : '0.0'}%`;
      const at = (ns: number) => `${(ns / 1e9).toFixed(1)} s`;
      if (rf) {
        lags.templateAnswered = rf.answered;
        lags.templateErrors = rf.errors;
        lags.otherAnswered = rf.otherAnswered;
        lags.otherErrors = rf.otherErrors;
      }
      const rates = rf ? `pod template ${rf.template}: ${pct(rf.errors, rf.answered)} of its ${rf.answered} answered requests were 5xx against ${pct(rf.otherErrors, rf.otherAnswered)} of the other pods' ${rf.otherAnswered}` : '';
      if (w.cause === 'broken-release' && rf) {
        text = `${lostN} lost over ${durMs} ms: the pods of the release answered 5xx themselves while ready and routed: ${rates} (z = ${rf.z.toFixed(1)})${rf.readySince !== undefined ? `; ready since ${at(rf.readySince)}` : ''}`;
        fix = `roll back the release (kubectl rollout undo) or fix it: its pods fail ${pct(rf.errors, rf.answered)} of requests against ${pct(rf.otherErrors, rf.otherAnswered)} for the previous one; no routing or shutdown setting changes this`;
      } else {
        const before = rf?.rolloutStart !== undefined && w.start < rf.rolloutStart;
        text = before
          ? `${lostN} lost over ${durMs} ms before the rollout started (at ${at(rf?.rolloutStart ?? 0)}): baseline loss, not the rollout's${rates ? `; ${rates}` : ''}`
          : `${lostN} lost over ${durMs} ms: pods answered 5xx at the rate there was before the rollout (${rf?.baselineErrors ?? 0} such errors before it started): baseline loss, not the rollout's${rates ? `; ${rates}` : ''}`;
        fix = `none for the rollout: this loss is there without one; judge the rollout by what it adds above this baseline`;
      }
      break;
    }
    default: {
      const outs = Object.entries(byOutcome).map(([k, v]) => `${v} ${k}`).join(', ');
      text = w.items.length === 0
        ? `${lostN} requests dropped (never sent: the client's in-flight bound was full) with no failure window around them`
        : `${lostN} lost over ${durMs} ms (${outs}) match no mechanism on the timeline${tl.hasPodLogs ? '' : ' (no pod log lines were collected)'}`;
      fix = w.items.length === 0 ? 'raise --max-in-flight or check the client host (CPU) during the run' : 'none derived: inspect the ledger and timeline around this window';
    }
  }
  if (others.length > 0) text += `; also fits ${others.join(', ')}`;
  return {
    target: w.target,
    start: w.start,
    end: w.end,
    lost: lostN,
    byOutcome,
    pods: w.pods,
    cause: w.cause,
    evidence: { text, events: [...events.values()].sort((a, b) => a.at - b.at), lagsMs: lags },
    fix,
    seqs,
  };
}

// Attribution: (ledger, timeline) -> loss windows, each with a cause, its evidence and a fix with numbers.
// Pure and blind to the scenario: it sees the request records and the lifecycle events, nothing else.
//
// Each lost request is judged on its own first: which pod it hit (servedBy, the pod IP it connected to,
// or for a reused socket the pod that socket served before) and which mechanisms on the timeline fit its
// time and outcome. The most specific fitting cause wins (order below); other fits are named in the
// evidence, never silently dropped; a request that fits none is `unexplained`. Then failures on the same
// target, with the same cause and pods, close in time, become one window.
//
// Times: records are run ns; events are run ns with pod-log times moved onto the harness clock first
// (skew.ts). The data plane (kube-proxy, nginx) acts on a change some time after the watch reports it:
// `dataplaneLagMs` is how long after an endpoint change a failure is still tied to it.

import { type Attribution, type Cause, isLost, type LifecycleEvent, type Outcome, type RequestRecord } from '../record.ts';
import { correctSkew, estimateSkew, type NodeSkew, type SkewOptions } from './skew.ts';
import { buildTimeline, endpointsAt, type PodFacts, type Timeline } from './timeline.ts';

export interface AttributeOptions {
  /** Failures further apart than this start a new window (ms). */
  gapMs?: number;
  /** How long after an endpoint change the data plane may still route by the old state (ms). */
  dataplaneLagMs?: number;
  /** Slack after an ingress reload before it routes by the new config (ms). */
  ingressLagMs?: number;
  /** Margin added to measured lags in fixes: max(this, 20%) (ms). */
  marginMs?: number;
  skew?: SkewOptions;
}

const MS = 1e6;
const S = 1e9;

/** Most specific first: the first cause that fits a failure labels it. */
const PRIORITY: Cause[] = [
  'sigkill-in-flight',
  'persistent-connection-cut',
  'no-ready-endpoints',
  'ingress-upstream-stale',
  'lb-no-local-endpoint',
  'routed-after-sigterm',
  'routed-before-ready',
];

const CONN_CUT: ReadonlySet<Outcome> = new Set(['stale-keepalive', 'reset-before-response', 'reset-during-body']);
const NO_ANSWER: ReadonlySet<Outcome> = new Set(['connect-refused', 'connect-timeout', 'reset-before-response', 'stale-keepalive', 'reset-during-body', 'timeout', 'other']);

interface Fit {
  cause: Cause;
  pods: string[];
  /** Events that tie this failure to the cause (used as evidence). */
  anchors: LifecycleEvent[];
}

interface Judged {
  r: RequestRecord;
  fit: Fit;
  others: Cause[];
}

interface ConnHistory {
  at: number;
  pod: string;
}

export interface AttributionResult {
  attributions: Attribution[];
  skew: NodeSkew[];
}

/** The loss windows of a run, sorted by start. */
export function attribute(records: Iterable<RequestRecord>, events: readonly LifecycleEvent[], opts: AttributeOptions = {}): Attribution[] {
  return attributeWithSkew(records, events, opts).attributions;
}

/** attribute(), also returning the clock-skew estimate it applied to pod-log times. */
export function attributeWithSkew(records: Iterable<RequestRecord>, events: readonly LifecycleEvent[], opts: AttributeOptions = {}): AttributionResult {
  const d = new RecordDigest();
  for (const r of records) d.add(r);
  return attributeDigest(d, events, opts);
}

/** The same over a stream (e.g. the ledger read back): memory holds the lost records, not all of them. */
export async function attributeStream(records: AsyncIterable<RequestRecord> | Iterable<RequestRecord>, events: readonly LifecycleEvent[], opts: AttributeOptions = {}): Promise<AttributionResult> {
  const d = new RecordDigest();
  for await (const r of records) d.add(r);
  return attributeDigest(d, events, opts);
}

/**
 * What attribution keeps of the records: the lost ones, and of the successes only which pod each
 * client socket reached and when each pod last took a request.
 */
export class RecordDigest {
  readonly lost: RequestRecord[] = [];
  readonly conns = new Map<string, ConnHistory[]>();
  /** A pod that answered a request sent at t was still taking work at t, whatever its SIGTERM line says (a draining app keeps serving). */
  readonly accepted = new Map<string, number>();

  add(r: RequestRecord): void {
    if (r.servedBy) this.accepted.set(r.servedBy, Math.max(this.accepted.get(r.servedBy) ?? -Infinity, r.sentAt));
    if (r.outcome === 'ok' && r.servedBy && r.remoteAddr && r.localPort !== undefined) {
      const key = `${r.target}|${r.remoteAddr}|${r.localPort}`;
      const h = this.conns.get(key) ?? [];
      if (h.at(-1)?.pod !== r.servedBy) h.push({ at: r.endAt, pod: r.servedBy });
      this.conns.set(key, h);
    } else if (isLost(r.outcome)) this.lost.push(r);
  }
}

export function attributeDigest(d: RecordDigest, events: readonly LifecycleEvent[], opts: AttributeOptions = {}): AttributionResult {
  const o = { gapMs: 1000, dataplaneLagMs: 2000, ingressLagMs: 500, marginMs: 500, ...opts };
  const skew = estimateSkew(events, opts.skew);
  const tl = buildTimeline(correctSkew(events, skew));
  const { conns, accepted, lost } = d;
  for (const h of conns.values()) h.sort((a, b) => a.at - b.at);
  // kube-proxy pins a TCP connection to one pod; a proxy (the ingress) spreads one client connection over
  // many. Only on pinned targets does a socket's earlier pod say where a later request on it went.
  const pinned = new Map<string, { all: number; mixed: number }>();
  for (const [key, h] of conns) {
    const target = key.slice(0, key.indexOf('|'));
    const p = pinned.get(target) ?? { all: 0, mixed: 0 };
    p.all++;
    if (h.length > 2) p.mixed++;
    pinned.set(target, p);
  }
  const isPinned = (target: string) => {
    const p = pinned.get(target);
    return p !== undefined && p.mixed <= p.all * 0.2;
  };
  for (const [pod, at] of accepted) {
    const f = tl.pods.get(pod);
    if (f) f.acceptedUntil = at;
  }
  const connPod = (r: RequestRecord): string | undefined => {
    if (!r.reusedConnection || !r.remoteAddr || r.localPort === undefined || !isPinned(r.target)) return undefined;
    const h = conns.get(`${r.target}|${r.remoteAddr}|${r.localPort}`);
    let pod: string | undefined;
    for (const x of h ?? []) if (x.at <= r.sentAt) pod = x.pod;
    return pod;
  };

  const judged: Judged[] = [];
  const dropped: RequestRecord[] = [];
  for (const r of lost) {
    if (r.outcome === 'dropped') {
      dropped.push(r);
      continue;
    }
    const fits = judge(r, tl, connPod(r), o);
    const best = fits[0] ?? { cause: 'unexplained' as Cause, pods: r.servedBy ? [r.servedBy] : [], anchors: [] };
    judged.push({ r, fit: best, others: [...new Set(fits.slice(1).map((f) => f.cause).filter((c) => c !== best.cause))] });
  }

  const windows = group(judged, dropped, o.gapMs * MS);
  const attributions = windows.map((w) => describe(w, tl, o)).sort((a, b) => a.start - b.start || a.target.localeCompare(b.target));
  return { attributions, skew: [...skew.values()] };
}

// ---- judging one failure ----

function ipOf(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  const m = /^\[?([^\]]+?)\]?:\d+$/.exec(addr);
  return m ? m[1] : addr;
}

/**
 * When the app stopped taking new work: its SIGTERM line (else deletion + the preStop sleep), or later
 * if it still answered requests sent after that.
 */
export function deadFrom(f: PodFacts): number | undefined {
  let from: number;
  if (f.sigterm !== undefined) from = f.sigterm;
  else if (f.deleting !== undefined) {
    const pre = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? Math.min(f.preStopSeconds, f.gracePeriodSeconds ?? Infinity) : 0;
    from = f.deleting + pre * S;
  } else return undefined;
  return f.acceptedUntil !== undefined && f.acceptedUntil > from ? f.acceptedUntil + 1 : from;
}

function firstChangeAfter(tl: Timeline, t: number): LifecycleEvent | undefined {
  return tl.routingChanges.find((e) => e.at >= t);
}

function judge(r: RequestRecord, tl: Timeline, connPodName: string | undefined, o: Required<Omit<AttributeOptions, 'skew'>>): Fit[] {
  const fits: Fit[] = [];
  const t = r.sentAt;
  const lag = o.dataplaneLagMs * MS;
  const proxy5xx = r.outcome === 'http-5xx' && !r.servedBy; // answered by a proxy in front of the pods
  const podErr = r.servedBy !== undefined && !CONN_CUT.has(r.outcome) ? r.servedBy : undefined; // the pod itself answered with an error
  const ipPods = tl.podByIp.get(ipOf(r.remoteAddr) ?? '') ?? [];
  const known = r.servedBy ?? connPodName ?? (ipPods.length === 1 ? ipPods[0] : undefined);
  const candidates = known ? [tl.pods.get(known)].filter((f): f is PodFacts => f !== undefined) : [...tl.pods.values()];
  // A socket reused and then cut was routed long before: no routing decision was made for this request
  // (kube-proxy pins connections), or the cut is between the client and a proxy.
  const routed = !(r.reusedConnection && CONN_CUT.has(r.outcome));
  const add = (cause: Cause, pods: string[], anchors: Array<LifecycleEvent | undefined>) => fits.push({ cause, pods, anchors: anchors.filter((e): e is LifecycleEvent => e !== undefined) });

  // SIGKILL while this request was in flight (finishedAt has whole seconds: the kill is within [apiAt, apiAt+1 s] and before its receive).
  // A refused or timed-out connect was never in flight at the pod.
  if ((NO_ANSWER.has(r.outcome) || proxy5xx) && r.outcome !== 'connect-refused' && r.outcome !== 'connect-timeout') {
    for (const f of candidates) {
      if (f.killed === undefined || !f.killedEvent) continue;
      const lo = f.killed;
      const hi = Math.min(f.killedEvent.at, f.killedEvent.apiAt !== undefined ? f.killedEvent.apiAt + S : Infinity);
      if (r.sentAt <= hi && r.endAt >= lo - 0.05 * S) add('sigkill-in-flight', [f.pod], [f.deletingEvent, f.killedEvent]);
    }
  }
  // A reused connection whose pod went away, or that an ingress reload closed.
  if (r.reusedConnection && CONN_CUT.has(r.outcome)) {
    const f = connPodName ? tl.pods.get(connPodName) : undefined;
    const gone = f ? Math.min(deadFrom(f) ?? Infinity, f.exit ?? Infinity) : Infinity;
    if (f && gone <= r.endAt + 0.5 * S) add('persistent-connection-cut', [f.pod], [f.sigtermEvent ?? f.deletingEvent]);
    else {
      const reload = [...tl.routingChanges].reverse().find((e) => e.at <= r.endAt + 0.5 * S && e.at >= r.sentAt - 5 * S);
      if (reload) add('persistent-connection-cut', [], [reload]);
    }
  }
  // The Service had no endpoint to send to (or had none a moment ago and the data plane lags). A proxy
  // such as the ingress needs a ready one; kube-proxy also uses serving terminating endpoints.
  for (const z of proxy5xx ? tl.noReady : tl.noUsable) {
    if (t >= z.from && t <= z.to + lag) add('no-ready-endpoints', [], [z.startEvent, z.endEvent]);
  }
  // Proxy 5xx after the endpoints dropped the pod but before the ingress acted on it.
  if (proxy5xx) {
    for (const f of candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || dead > t || f.routingGone === undefined || t < f.routingGone) continue;
      const change = firstChangeAfter(tl, f.routingGone);
      if (change && t <= change.at + o.ingressLagMs * MS) add('ingress-upstream-stale', [f.pod], [f.sigtermEvent ?? f.deletingEvent, f.routingGoneEvent, change]);
    }
  }
  // The LB's announcing node had no usable local endpoint while other nodes had.
  if (NO_ANSWER.has(r.outcome) && !r.servedBy && routed) {
    // The Service behind the LB IP connected to, when MetalLB said which IP it assigned; else any.
    const lbSvc = tl.serviceByLbIp.get(ipOf(r.remoteAddr) ?? '');
    const ann = [...tl.announces].reverse().find((e) => e.at <= t && (lbSvc === undefined || e.detail?.service === lbSvc));
    const node = ann?.node;
    const svc = String(ann?.detail?.service ?? '');
    const pt = endpointsAt(tl.endpoints.get(svc), t);
    if (ann && node && pt) {
      const local = pt.usableByNode.get(node)?.size ?? 0;
      let elsewhere = 0;
      for (const [n, set] of pt.usableByNode) if (n !== node) elsewhere += set.size;
      if (local === 0 && elsewhere > 0) {
        const points = tl.endpoints.get(svc) ?? [];
        const lastLocal = [...points].reverse().find((p) => p.at <= t && (p.usableByNode.get(node)?.size ?? 0) > 0);
        add('lb-no-local-endpoint', [...(lastLocal?.usableByNode.get(node) ?? [])], [ann]);
      }
    }
  }
  // The pod had stopped (SIGTERM) while the routing still sent it traffic.
  if ((NO_ANSWER.has(r.outcome) && routed) || proxy5xx || podErr) {
    for (const f of candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || dead > t) continue;
      if (podErr && podErr !== f.pod) continue;
      // Without a routing-off event on the timeline, the pod object's deletion (or 30 s) bounds the blame.
      const routedUntil = f.routingGone ?? f.gone ?? dead + 30 * S;
      if (t > routedUntil + lag && !podErr) continue;
      add('routed-after-sigterm', [f.pod], [f.deletingEvent, f.sigtermEvent, f.routingGoneEvent]);
    }
  }
  // The pod was in endpoints before its app was ready.
  for (const f of candidates) {
    if (f.endpointReady === undefined || t < f.endpointReady - 0.5 * S) continue;
    if (podErr === f.pod) {
      const readyAt = f.appReady ?? f.listening;
      if (readyAt !== undefined && t < readyAt) add('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'ready' || e.kind === 'listening')]);
      continue;
    }
    if (!f.hasLogs || !((NO_ANSWER.has(r.outcome) && routed) || proxy5xx)) continue;
    const acceptsAt = f.listening ?? f.appReady;
    if (acceptsAt === undefined || t < acceptsAt) add('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'listening' || e.kind === 'ready')]);
  }
  fits.sort((a, b) => PRIORITY.indexOf(a.cause) - PRIORITY.indexOf(b.cause));
  return fits;
}

// ---- windows ----

interface Window {
  target: string;
  cause: Cause;
  pods: string[];
  items: Judged[];
  dropped: RequestRecord[];
  start: number;
  end: number;
}

function group(judged: Judged[], dropped: RequestRecord[], gapNs: number): Window[] {
  const windows: Window[] = [];
  const open = new Map<string, Window>();
  judged.sort((a, b) => a.r.sentAt - b.r.sentAt);
  for (const j of judged) {
    const key = `${j.r.target}|${j.fit.cause}|${[...j.fit.pods].sort().join(',')}`;
    const w = open.get(key);
    if (w && j.r.scheduledAt - w.end <= gapNs) {
      w.items.push(j);
      w.end = Math.max(w.end, j.r.endAt);
      continue;
    }
    const nw: Window = { target: j.r.target, cause: j.fit.cause, pods: [...j.fit.pods].sort(), items: [j], dropped: [], start: j.r.scheduledAt, end: j.r.endAt };
    windows.push(nw);
    open.set(key, nw);
  }
  // Dropped requests were never sent (the in-flight bound was full): they belong to the window whose
  // hung requests filled it, else they are a window of their own.
  let orphan: Window | undefined;
  for (const r of dropped.sort((a, b) => a.scheduledAt - b.scheduledAt)) {
    const w = windows.find((x) => x.target === r.target && r.scheduledAt >= x.start - gapNs && r.scheduledAt <= x.end + gapNs);
    if (w) {
      w.dropped.push(r);
      continue;
    }
    if (orphan && orphan.target === r.target && r.scheduledAt - orphan.end <= gapNs) {
      orphan.dropped.push(r);
      orphan.end = Math.max(orphan.end, r.endAt);
      continue;
    }
    orphan = { target: r.target, cause: 'unexplained', pods: [], items: [], dropped: [r], start: r.scheduledAt, end: r.endAt };
    windows.push(orphan);
  }
  return windows;
}

// ---- evidence and fixes ----

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

function describe(w: Window, tl: Timeline, o: Required<Omit<AttributeOptions, 'skew'>>): Attribution {
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

  switch (w.cause) {
    case 'routed-after-sigterm':
    case 'ingress-upstream-stale': {
      const f = f0 as PodFacts;
      const base = f.deleting ?? f.sigterm ?? w.start;
      const sig = f.sigterm ?? deadFrom(f);
      if (f.deleting !== undefined && f.sigterm !== undefined) lags.deletionToSigtermMs = msOf(f.sigterm - f.deleting);
      if (sig !== undefined && f.routingGone !== undefined) lags.sigtermToEndpointRemovedMs = msOf(f.routingGone - sig);
      const change = f.routingGone !== undefined ? firstChangeAfter(tl, f.routingGone) : undefined;
      if (proxy && change && f.routingGone !== undefined) {
        lags.endpointRemovedToIngressReloadMs = msOf(change.at - f.routingGone);
        events.set('reload', change);
      }
      if (sig !== undefined) lags.sigtermToLastFailureMs = msOf(lastSent - sig);
      const reach = Math.max(f.routingGone ?? 0, proxy && change ? change.at : 0, lastSent) - base;
      lags.deletionToRoutingStoppedMs = msOf(reach);
      const need = withMargin(msOf(reach), o.marginMs);
      const removal = lags.sigtermToEndpointRemovedMs !== undefined ? `endpoint removal came ${lags.sigtermToEndpointRemovedMs} ms after SIGTERM` : 'no endpoint removal seen';
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
      text = `${lostN} requests in flight when pod ${f.pod} was SIGKILLed${lags.deletionToKillMs !== undefined ? ` ${lags.deletionToKillMs} ms after its deletion` : ''}${grace !== undefined ? ` (grace period ${grace} s${pre ? `, preStop ${pre} s` : ''})` : ''}`;
      fix = `terminationGracePeriodSeconds >= ${pre + 30} s (preStop ${pre} s + 30 s, the seed's rule): the kill came before the pod finished its in-flight requests`;
      break;
    }
    case 'persistent-connection-cut': {
      const reused = w.items.filter((j) => j.r.reusedConnection).length;
      const f = f0;
      if (f) {
        const gone = Math.min(deadFrom(f) ?? Infinity, f.exit ?? Infinity);
        if (Number.isFinite(gone)) lags.podStopToCutMs = msOf(lastSent - gone);
        text = `${lostN} requests on reused keep-alive connections to pod ${f.pod} failed when it went away (${reused} of ${w.items.length} on reused sockets)`;
      } else {
        const reload = [...events.values()].find((e) => e.source === 'ingress');
        if (reload) lags.reloadToCutMs = msOf(w.start - reload.at);
        text = `${lostN} requests on reused keep-alive connections failed around an ingress reload (${reused} of ${w.items.length} on reused sockets)`;
      }
      fix = `on SIGTERM answer in-flight requests with "Connection: close" and close idle keep-alive sockets before exiting (ON_SIGTERM=drain:<s>, inside a preStop sleep); clients should retry idempotent requests that fail on a reused connection`;
      break;
    }
    case 'no-ready-endpoints': {
      const proxyOnly = w.items.every((j) => j.r.outcome === 'http-5xx' && !j.r.servedBy);
      const z = (proxyOnly ? tl.noReady : tl.noUsable).find((x) => w.start >= x.from - o.gapMs * MS && w.start <= x.to + o.dataplaneLagMs * MS);
      if (z) {
        lags.noReadyEndpointMs = Number.isFinite(z.to) ? msOf(z.to - z.from) : msOf(w.end - z.from);
        events.set('z0', z.startEvent);
        if (z.endEvent) events.set('z1', z.endEvent);
      }
      text = `${lostN} lost over ${durMs} ms while the Service had no ready endpoint${lags.noReadyEndpointMs !== undefined ? ` for ${lags.noReadyEndpointMs} ms` : ''}`;
      fix = `maxUnavailable: 0 with maxSurge: 1 (and replicas >= 2 for disruptions): the old pod left ${lags.noReadyEndpointMs !== undefined ? sec(lags.noReadyEndpointMs) : ''} before a new one was ready`;
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

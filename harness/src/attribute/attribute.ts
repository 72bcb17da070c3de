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
import { describe } from './evidence.ts';
import type { NodeClock } from '../observe/clock.ts';
import { correctSkew, type NodeSkew, skewFromClocks } from './skew.ts';
import { PodAnswers, type ReleaseFacts, ReleaseJudge } from './release.ts';
import { ProviderLoad } from './warmup.ts';
import { buildTimeline, changesOn, deadFrom, endpointsAt, type EndpointPoint, firstChangeAfter, isProvider, type PathHops, type PodFacts, type Timeline, zerosOn } from './timeline.ts';

export type { PathHops } from './timeline.ts';

export interface AttributeOptions {
  /** Failures further apart than this start a new window (ms). */
  gapMs?: number;
  /** How long after an endpoint change the data plane may still route by the old state (ms). */
  dataplaneLagMs?: number;
  /** Slack after an ingress reload before it routes by the new config (ms). */
  ingressLagMs?: number;
  /** Margin added to measured lags in fixes: max(this, 20%) (ms). */
  marginMs?: number;
  /** Each node's clock against the host's, measured at run start (env.json nodeClocks): the only skew applied. */
  clocks?: readonly NodeClock[];
  /** Per target, the hops its requests cross: its Service, its ingress controller. Without it every event is every path's. */
  paths?: Record<string, PathHops>;
}

/** Options with their defaults filled in. */
export type ResolvedOptions = Required<Omit<AttributeOptions, 'clocks'>>;

const MS = 1e6;
const S = 1e9;

/** Most specific first: the first cause that fits a failure labels it. */
const PRIORITY: Cause[] = [
  'registry-provider-initialising',
  'registry-stale-after-sigterm',
  'consumer-cache-stale',
  'sigkill-in-flight',
  'lb-connection-cut',
  'persistent-connection-cut',
  'no-ready-endpoints',
  'ingress-upstream-stale',
  'lb-health-check-lag',
  'lb-no-local-endpoint',
  'routed-after-sigterm',
  'routed-before-ready',
];

const CONN_CUT: ReadonlySet<Outcome> = new Set(['stale-keepalive', 'reset-before-response', 'reset-during-body']);
const NO_ANSWER: ReadonlySet<Outcome> = new Set(['connect-refused', 'connect-timeout', 'reset-before-response', 'stale-keepalive', 'reset-during-body', 'timeout', 'other']);

export interface Fit {
  cause: Cause;
  pods: string[];
  /** When the mechanism started for this pod (its SIGTERM, its endpoint change...): among pods that fit
   * the same cause, the one whose mechanism started last before the failure is the likelier one. */
  since: number;
  /** Events that tie this failure to the cause (used as evidence). */
  anchors: LifecycleEvent[];
  /** The mechanism held at the failure's instant (false: only if the data plane lagged behind a change). */
  sure: boolean;
  /** For `ambiguous`: the best fit of each pod that could have caused it. */
  candidates?: Fit[];
  /** broken-release / baseline: the error rates that decided it. */
  release?: ReleaseFacts;
}

export interface Judged {
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

/** attribute(), also returning the measured clock skew it applied to pod-log times. */
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
  /** Per target, the pods that answered on it: a target whose pods are registry providers is the registry path. */
  readonly podsByTarget = new Map<string, Set<string>>();
  /** What each pod answered itself, for the release and baseline rates. */
  readonly answers = new PodAnswers();
  /** Per provider and second, its answers and failures: its cold period is judged from them. */
  readonly providerLoad = new ProviderLoad();

  add(r: RequestRecord): void {
    this.answers.add(r);
    this.providerLoad.add(r);
    if (r.servedBy) {
      let pods = this.podsByTarget.get(r.target);
      if (!pods) this.podsByTarget.set(r.target, (pods = new Set()));
      pods.add(r.servedBy);
    }
    // A gateway's 502/504 names the pod it failed to reach (the registry consumer does): not an answer.
    if (r.servedBy && r.status !== 502 && r.status !== 504) this.accepted.set(r.servedBy, Math.max(this.accepted.get(r.servedBy) ?? -Infinity, r.sentAt));
    if (r.outcome === 'ok' && r.servedBy && r.remoteAddr && r.localPort !== undefined) {
      const key = `${r.target}|${r.remoteAddr}|${r.localPort}`;
      const h = this.conns.get(key) ?? [];
      if (h.at(-1)?.pod !== r.servedBy) h.push({ at: r.endAt, pod: r.servedBy });
      this.conns.set(key, h);
    } else if (isLost(r.outcome)) this.lost.push(r);
  }
}

export function attributeDigest(d: RecordDigest, events: readonly LifecycleEvent[], opts: AttributeOptions = {}): AttributionResult {
  const { clocks, ...rest } = opts;
  const o: ResolvedOptions = { gapMs: 1000, dataplaneLagMs: 2000, ingressLagMs: 500, marginMs: 500, paths: {}, ...rest };
  const skew = skewFromClocks(events, clocks);
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

  // Targets behind the registry consumer: a failure there that names no provider is the consumer's, and
  // the Kubernetes causes (endpoints, LB nodes) do not describe it.
  const registryTargets = new Set<string>();
  for (const [target, pods] of d.podsByTarget) {
    for (const p of pods) {
      const f = tl.pods.get(p);
      if (f && isProvider(f)) {
        registryTargets.add(target);
        break;
      }
    }
  }
  // A provider's cold period is what its answers showed against the other providers' in the same seconds.
  const providers = [...tl.pods.values()].filter(isProvider).map((f) => f.pod);
  for (const f of tl.pods.values()) {
    if (!isProvider(f) || f.listening === undefined) continue;
    const cold = d.providerLoad.coldSpan(f.pod, f.listening, providers.filter((p) => p !== f.pod));
    if (cold) f.cold = cold;
  }
  const judged: Judged[] = [];
  // Only when no rollout mechanism fits: the release's own errors, or the errors there were before it.
  const release = new ReleaseJudge(d.answers, tl);
  const dropped: RequestRecord[] = [];
  for (const r of lost) {
    if (r.outcome === 'dropped') {
      dropped.push(r);
      continue;
    }
    const fits = registryTargets.has(r.target) ? judgeRegistryPath(r, tl) : judge(r, tl, connPod(r), o);
    const best: Fit = choose(fits, r, tl, connPod(r)) ?? release.judge(r) ?? { cause: 'unexplained', pods: r.servedBy ? [r.servedBy] : [], anchors: [], since: 0, sure: false };
    const named = new Set([best.cause, ...(best.candidates ?? []).map((c) => c.cause)]);
    judged.push({ r, fit: best, others: [...new Set(fits.map((f) => f.cause).filter((c) => !named.has(c)))] });
  }

  const windows = group(judged, dropped, o.gapMs * MS);
  const attributions = windows.map((w) => describe(w, tl, o)).sort((a, b) => a.start - b.start || a.target.localeCompare(b.target));
  return { attributions, skew: [...skew.values()] };
}

// ---- judging one failure ----

/**
 * The fit that labels a failure. When the failure names its pod (servedBy, the pod IP reached, a pinned
 * socket) its mechanisms nest (a kill inside a stop) and the most specific wins. When it names none, the
 * pods that could have failed it at that instant compete: fits that held at that instant beat fits that
 * need the data plane to have lagged behind a change; if pods still compete with different mechanisms the
 * result is `ambiguous`, naming each, never a pick by the order of causes.
 */
function choose(fits: Fit[], r: RequestRecord, tl: Timeline, connPodName: string | undefined): Fit | undefined {
  if (fits.length <= 1) return fits[0];
  const named = r.servedBy ?? connPodName ?? ((tl.podByIp.get(ipOf(r.remoteAddr) ?? '') ?? []).length === 1 ? 'ip' : undefined);
  if (named) return fits[0];
  const pool = fits.some((f) => f.sure) ? fits.filter((f) => f.sure) : fits;
  // per pod (or pod-less mechanism), its most specific fit; fits arrive sorted by PRIORITY then since
  const perPods = new Map<string, Fit>();
  for (const f of pool) {
    const key = [...f.pods].sort().join(',');
    if (!perPods.has(key)) perPods.set(key, f);
  }
  const best = [...perPods.values()];
  const causes = new Set(best.map((f) => f.cause));
  if (causes.size <= 1) return pool[0];
  // one candidate per cause: the most recent mechanism among the pods that share it
  const byCause = new Map<Cause, Fit>();
  for (const f of best) {
    const had = byCause.get(f.cause);
    if (!had || f.since > had.since) byCause.set(f.cause, f);
  }
  const candidates = [...byCause.values()].sort((a, b) => a.cause.localeCompare(b.cause));
  return {
    cause: 'ambiguous',
    pods: [...new Set(candidates.flatMap((f) => f.pods))].sort(),
    since: Math.max(...candidates.map((f) => f.since)),
    anchors: candidates.flatMap((f) => f.anchors),
    sure: candidates.every((f) => f.sure),
    candidates,
  };
}

function ipOf(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  const m = /^\[?([^\]]+?)\]?:\d+$/.exec(addr);
  return m ? m[1] : addr;
}



/**
 * A failure the registry consumer answered for a provider (servedBy = the provider it picked). The consumer
 * routes by its own list, not by endpoints: what matters is when the registry and the consumer's list
 * caught up with the provider, measured on the consumer's side.
 */
function judgeRegistry(r: RequestRecord, f: PodFacts): Fit[] {
  const fits: Fit[] = [];
  const add = (cause: Cause, anchors: Array<LifecycleEvent | undefined>, since: number) =>
    fits.push({ cause, pods: [f.pod], since, sure: true, anchors: anchors.filter((e): e is LifecycleEvent => e !== undefined) });
  // The consumer picked the provider when the request reached it (about sentAt); the failure is reported
  // at endAt (a refusal at once, a timeout after the consumer's upstream timeout).
  const picked = r.sentAt;
  const jitter = 0.05 * S;
  const listenEv = f.events.find((e) => e.kind === 'listening');
  const readyEv = f.events.find((e) => e.kind === 'ready');
  const registeredBefore = f.registered !== undefined && f.registered <= picked + jitter;
  // Registered (or listed) before the app listened or was ready.
  if (registeredBefore || f.consumerAdded !== undefined) {
    const serveAt = f.listening;
    if (serveAt === undefined || picked < serveAt + jitter || (f.appReady !== undefined && picked < f.appReady)) {
      add('registry-provider-initialising', [f.registeredEvent, listenEv ?? readyEv], f.registered ?? f.consumerAdded ?? 0);
    } else if (f.cold !== undefined && r.status !== 502 && picked < serveAt + f.cold.coldMs * MS) {
      // Still cold (as observed: failing or slow alone in its first seconds): a timeout or a queue-full answer, not a refusal.
      add('registry-provider-initialising', [f.registeredEvent, listenEv], f.registered ?? serveAt);
    }
  }
  const dead = deadFrom(f);
  if (dead !== undefined && dead <= Math.max(r.sentAt, r.endAt) + jitter) {
    if (f.registryGone === undefined || picked < f.registryGone) {
      add('registry-stale-after-sigterm', [f.deletingEvent, f.sigtermEvent, f.registryGoneEvent], dead);
    } else if (f.consumerDropped === undefined || picked < f.consumerDropped + jitter) {
      add('consumer-cache-stale', [f.sigtermEvent ?? f.deletingEvent, f.registryGoneEvent, f.consumerDroppedEvent], f.registryGone);
    }
  }
  return fits;
}

/**
 * A failure on the registry path. Naming a provider (the consumer's 502/504): judged by the registry's and
 * the consumer's timeline. Naming none: the consumer had no provider to pick (503), or nothing fits.
 */
function judgeRegistryPath(r: RequestRecord, tl: Timeline): Fit[] {
  const provider = r.servedBy !== undefined ? tl.pods.get(r.servedBy) : undefined;
  if (provider && isProvider(provider)) {
    return judgeRegistry(r, provider).sort((a, b) => PRIORITY.indexOf(a.cause) - PRIORITY.indexOf(b.cause) || b.since - a.since);
  }
  const t = Math.max(r.sentAt, r.endAt);
  const z = tl.consumerEmpty.find((x) => t >= x.from && t <= x.to + 0.05 * S);
  if (!z) return [];
  return [{ cause: 'no-ready-endpoints', pods: [], since: z.from, sure: true, anchors: [z.startEvent, ...(z.endEvent ? [z.endEvent] : [])] }];
}

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

function judge(r: RequestRecord, tl: Timeline, connPodName: string | undefined, o: ResolvedOptions): Fit[] {
  const fits: Fit[] = [];
  // When the failure happened. A refusal, a reset before any response or a proxy's 5xx comes back at
  // once, so its end is when the pod was found gone: sentAt can be earlier than the real connect when
  // the client's event loop stalled (seen on the lab: bursts sharing one sentAt, refused 300 ms later).
  // A timeout's end says nothing; a reset during the body happened to a request the pod had accepted.
  const t = r.outcome === 'connect-timeout' || r.outcome === 'timeout' || r.outcome === 'reset-during-body' ? r.sentAt : Math.max(r.sentAt, r.endAt);
  const lag = o.dataplaneLagMs * MS;
  const proxy5xx = r.outcome === 'http-5xx' && !r.servedBy; // answered by a proxy in front of the pods
  const podErr = r.servedBy !== undefined && !CONN_CUT.has(r.outcome) ? r.servedBy : undefined; // the pod itself answered with an error
  const ipPods = tl.podByIp.get(ipOf(r.remoteAddr) ?? '') ?? [];
  const known = r.servedBy ?? connPodName ?? (ipPods.length === 1 ? ipPods[0] : undefined);
  const candidates = known ? [tl.pods.get(known)].filter((f): f is PodFacts => f !== undefined) : [...tl.pods.values()];
  // A socket reused and then cut was routed long before: no routing decision was made for this request
  // (kube-proxy pins connections), or the cut is between the client and a proxy.
  const routed = !(r.reusedConnection && CONN_CUT.has(r.outcome));
  const add = (cause: Cause, pods: string[], anchors: Array<LifecycleEvent | undefined>, since = 0, sure = true) =>
    fits.push({ cause, pods, since, sure, anchors: anchors.filter((e): e is LifecycleEvent => e !== undefined) });
  // Log lines and request stamps are two clocks read in two processes: a refusal stamped a few ms before
  // the SIGTERM line that caused it is still caused by it.
  const jitter = 0.05 * S;
  const hops = o.paths[r.target];
  /** The pod had stopped taking work by `at`; the jitter applies to log times, not to request stamps. */
  const stoppedBy = (f: PodFacts, dead: number, at: number) => dead <= at + (f.acceptedUntil !== undefined && dead === f.acceptedUntil + 1 ? 0 : jitter);

  // SIGKILL while this request was in flight (finishedAt has whole seconds: the kill is within [apiAt, apiAt+1 s] and before its receive).
  // A refused or timed-out connect was never in flight at the pod.
  if ((NO_ANSWER.has(r.outcome) || proxy5xx) && r.outcome !== 'connect-refused' && r.outcome !== 'connect-timeout') {
    for (const f of candidates) {
      if (f.killed === undefined || !f.killedEvent) continue;
      const lo = f.killed;
      const hi = Math.min(f.killedEvent.at, f.killedEvent.apiAt !== undefined ? f.killedEvent.apiAt + S : Infinity);
      if (r.sentAt <= hi && r.endAt >= lo - 0.05 * S) add('sigkill-in-flight', [f.pod], [f.deletingEvent, f.killedEvent], lo);
    }
  }
  // A reused connection the cloud LB cut: it dropped a backend (marked it down, or reloaded) without draining.
  if (r.reusedConnection && CONN_CUT.has(r.outcome)) {
    const cut = !hops || hops.via === 'lb' ? lbCut(tl, r.sentAt - 0.5 * S, r.endAt + 0.5 * S, hops?.service) : undefined;
    if (cut) add('lb-connection-cut', [], cut, cut[1]!.at);
  }
  // A reused connection whose pod went away, or that an ingress reload closed.
  if (r.reusedConnection && CONN_CUT.has(r.outcome)) {
    const f = connPodName ? tl.pods.get(connPodName) : undefined;
    const gone = f ? Math.min(deadFrom(f) ?? Infinity, f.exit ?? Infinity) : Infinity;
    if (f && gone <= r.endAt + 0.5 * S) add('persistent-connection-cut', [f.pod], [f.sigtermEvent ?? f.deletingEvent], gone);
    else {
      const reload = [...changesOn(tl, hops)].reverse().find((e) => e.at <= r.endAt + 0.5 * S && e.at >= r.sentAt - 5 * S);
      if (reload) add('persistent-connection-cut', [], [reload], reload.at);
    }
  }
  // The Service had no endpoint to send to (or had none a moment ago and the data plane lags). A proxy
  // such as the ingress needs a ready one; kube-proxy also uses serving terminating endpoints.
  for (const z of zerosOn(tl, hops, proxy5xx)) {
    if (t >= z.from && t <= z.to + lag) add('no-ready-endpoints', [], [z.startEvent, z.endEvent], z.from, t <= z.to + jitter);
  }
  // Proxy 5xx after the endpoints dropped the pod but before the ingress acted on it.
  if (proxy5xx) {
    for (const f of candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || !stoppedBy(f, dead, t) || f.routingGone === undefined || t < f.routingGone) continue;
      const change = firstChangeAfter(tl, f.routingGone, hops);
      if (change && t <= change.at + o.ingressLagMs * MS) add('ingress-upstream-stale', [f.pod], [f.sigtermEvent ?? f.deletingEvent, f.routingGoneEvent, change], f.routingGone);
    }
  }
  // The LB's announcing node had no usable local endpoint while other nodes had.
  if (NO_ANSWER.has(r.outcome) && !r.servedBy && routed && (!hops || hops.via === 'lb')) {
    // The Service behind the LB IP connected to (the path's own, or what MetalLB said it assigned); else any.
    const lbSvc = hops?.service ?? tl.serviceByLbIp.get(ipOf(r.remoteAddr) ?? '');
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
        add('lb-no-local-endpoint', [...(lastLocal?.usableByNode.get(node) ?? [])], [ann], ann.at);
      }
    }
  }
  // The cloud LB still sent new connections to a node left without a local endpoint: its health check had
  // not marked the node down yet (interval × unhealthyThreshold). The client only sees the LB's address.
  if (NO_ANSWER.has(r.outcome) && !r.servedBy && routed && (!hops || hops.via === 'lb')) {
    for (const l of lbLagFits(tl, t, Math.max(t, r.endAt), hops?.service)) add('lb-health-check-lag', l.pods, l.anchors, l.since, l.sure);
  }
  // The pod had stopped (SIGTERM) while the routing still sent it traffic.
  if ((NO_ANSWER.has(r.outcome) && routed) || proxy5xx || podErr) {
    for (const f of candidates) {
      const dead = deadFrom(f);
      if (dead === undefined || !stoppedBy(f, dead, t)) continue;
      if (podErr && podErr !== f.pod) continue;
      // Without a routing-off event on the timeline, the pod object's deletion (or 30 s) bounds the blame.
      const routedUntil = f.routingGone ?? f.gone ?? dead + 30 * S;
      if (t > routedUntil + lag && !podErr) continue;
      add('routed-after-sigterm', [f.pod], [f.deletingEvent, f.sigtermEvent, f.routingGoneEvent], dead, podErr !== undefined || t <= routedUntil + jitter);
    }
  }
  // The pod was in endpoints before its app was ready.
  for (const f of candidates) {
    if (f.endpointReady === undefined || t < f.endpointReady - 0.5 * S) continue;
    if (podErr === f.pod) {
      const readyAt = f.appReady ?? f.listening;
      if (readyAt !== undefined && t < readyAt) add('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'ready' || e.kind === 'listening')], f.endpointReady);
      continue;
    }
    if (!f.hasLogs || !((NO_ANSWER.has(r.outcome) && routed) || proxy5xx)) continue;
    const acceptsAt = f.listening ?? f.appReady;
    if (acceptsAt === undefined || t < acceptsAt) add('routed-before-ready', [f.pod], [f.endpointReadyEvent, f.events.find((e) => e.kind === 'listening' || e.kind === 'ready')], f.endpointReady, t >= f.endpointReady - jitter);
  }
  fits.sort((a, b) => PRIORITY.indexOf(a.cause) - PRIORITY.indexOf(b.cause) || b.since - a.since);
  return fits;
}

// ---- windows ----

export interface Window {
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

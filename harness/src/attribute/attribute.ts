// Attribution: (ledger, timeline) -> loss windows, each with a cause, its evidence and a fix with numbers.
// Pure and blind to the scenario: it sees the request records and the lifecycle events, nothing else.
//
// Each lost request is judged on its own first: which pod it hit (servedBy, the pod IP it connected to,
// or for a reused socket the pod that socket served before) and which mechanisms on the timeline fit its
// time and outcome, by one rule per cause (rules.ts, causes/). The most specific fitting cause wins when
// the failure names its pod, evidence decides when it names none (choose()); other fits are named in the
// evidence, never silently dropped; a request that fits none is `unexplained`. Then failures on the same
// target, with the same cause and pods, close in time, become one window.
//
// Times: records are run ns; events are run ns with pod-log times moved onto the harness clock first
// (skew.ts). The data plane (kube-proxy, nginx) acts on a change some time after the watch reports it:
// `dataplaneLagMs` is how long after an endpoint change a failure is still tied to it.

import { type Attribution, type Cause, isLost, type LifecycleEvent, type RequestRecord } from '../record.ts';
import { describe } from './evidence.ts';
import { correctSkew, type NodeSkew, skewFromClocks } from './skew.ts';
import { PodAnswers, type ReleaseFit, ReleaseJudge } from './release.ts';
import { ProviderLoad } from './warmup.ts';
import { type AttributeOptions, CONN_CUT, type Failure, type Fit, ipOf, type Judged, MS, type ResolvedOptions, type Window } from './rule.ts';
import { rankOf, RELEASE_RULES, ROLLOUT_RULES } from './rules.ts';
import { buildTimeline, isProvider, type PodFacts, type Timeline } from './timeline.ts';

export type { PathHops } from './timeline.ts';
export type { AttributeOptions, Fit, Judged, ResolvedOptions, Window } from './rule.ts';

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
    const q = failureOf(r, tl, connPod(r), o, registryTargets.has(r.target), release);
    const fits = ROLLOUT_RULES.flatMap((rule) => rule.fits(q)).sort((a, b) => rankOf(a.cause) - rankOf(b.cause) || b.since - a.since);
    const best: Fit = choose(fits, r, tl, q.connPod) ?? RELEASE_RULES.flatMap((rule) => rule.fits(q))[0] ?? { cause: 'unexplained', pods: r.servedBy ? [r.servedBy] : [], anchors: [], since: 0, sure: false };
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
  // per pod (or pod-less mechanism), its most specific fit; fits arrive sorted by the rule list (rules.ts) then since
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

/** What every rule reads of one failure, computed once. */
function failureOf(r: RequestRecord, tl: Timeline, connPod: string | undefined, o: ResolvedOptions, registry: boolean, release: ReleaseJudge): Failure {
  const t = r.outcome === 'connect-timeout' || r.outcome === 'timeout' || r.outcome === 'reset-during-body' ? r.sentAt : Math.max(r.sentAt, r.endAt);
  const ipPods = tl.podByIp.get(ipOf(r.remoteAddr) ?? '') ?? [];
  const known = r.servedBy ?? connPod ?? (ipPods.length === 1 ? ipPods[0] : undefined);
  const provider = registry && r.servedBy !== undefined ? tl.pods.get(r.servedBy) : undefined;
  let verdict: { v: ReleaseFit | undefined } | undefined;
  return {
    r,
    tl,
    o,
    hops: o.paths[r.target],
    connPod,
    t,
    lag: o.dataplaneLagMs * MS,
    proxy5xx: r.outcome === 'http-5xx' && !r.servedBy,
    podErr: r.servedBy !== undefined && !CONN_CUT.has(r.outcome) ? r.servedBy : undefined,
    candidates: known ? [tl.pods.get(known)].filter((f): f is PodFacts => f !== undefined) : [...tl.pods.values()],
    routed: !(r.reusedConnection && CONN_CUT.has(r.outcome)),
    registry,
    provider: provider && isProvider(provider) ? provider : undefined,
    release: () => (verdict ??= { v: release.judge(r) }).v,
  };
}

// ---- windows ----

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

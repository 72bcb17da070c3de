// The timeline indexed for attribution: per pod, the moments that matter (all in run ns, pod-log times
// already moved onto the harness's clock); routing-layer changes; and the ready-endpoint history per
// Service and node.

import type { LifecycleEvent } from '../record.ts';
import { type PodEntry, podHistories } from './history.ts';
import type { ColdSpan } from './warmup.ts';

export interface PodFacts {
  pod: string;
  ips: Set<string>;
  node?: string;
  hasReadinessProbe?: boolean;
  preStopSeconds?: number;
  gracePeriodSeconds?: number;
  events: LifecycleEvent[];
  endpointReady?: number; // first endpoint-ready, any Service
  endpointReadyEvent?: LifecycleEvent;
  listening?: number; // pod-log
  appReady?: number; // pod-log `ready`
  hasLogs: boolean;
  deleting?: number;
  deletingEvent?: LifecycleEvent;
  sigterm?: number; // pod-log
  sigtermEvent?: LifecycleEvent;
  /** First moment after deletion/SIGTERM that any Service stopped routing to it (not-ready, serving off, removed). */
  routingGone?: number;
  routingGoneEvent?: LifecycleEvent;
  killed?: number;
  killedEvent?: LifecycleEvent;
  exit?: number; // pod-log, or pod-terminated receive when there is no exit line
  exitLogged?: boolean;
  terminatedAt?: number; // pod-terminated receive
  lastRequest?: number;
  gone?: number; // pod object deleted
  /** Its pod template (the `pod-template-hash` label), when the watch said. */
  template?: string;
  /** Latest send time of a request this pod answered (from the records, set by attribute()). */
  acceptedUntil?: number;
  // ---- a registry provider (workloads/registry): set only for pods the registry path reaches ----
  /** First registration the registry showed (the consumer's registry watch), else the provider's own line. */
  registered?: number;
  registeredEvent?: LifecycleEvent;
  /** Its cold period as observed (warmup.ts, set by attribute()), and the warm-up it advertised to consumers. */
  cold?: ColdSpan;
  advertisedWarmupMs?: number;
  /** First removal from the registry after it stopped (deleted by /offline, or its lease expired). */
  registryGone?: number;
  registryGoneEvent?: LifecycleEvent;
  /** First time a consumer's routing list held it, and first time one dropped it again. */
  consumerAdded?: number;
  consumerDropped?: number;
  consumerDroppedEvent?: LifecycleEvent;
  /** The consumer's poll interval when it polls (from its list lines): the worst case of its cache lag. */
  consumerPollMs?: number;
}

/** A pod the registry path reaches: attribution judges it by the registry's timeline, not by endpoints. */
export function isProvider(f: PodFacts): boolean {
  return f.registered !== undefined || f.consumerAdded !== undefined;
}

export interface EndpointPoint {
  at: number;
  /** Pods ready (or serving while terminating: kube-proxy falls back to those) per node. */
  usableByNode: Map<string, Set<string>>;
  /** Ready pods per node (what a Local Service's healthCheckNodePort counts). */
  readyByNode: Map<string, Set<string>>;
  readyPods: Set<string>;
}

export interface ZeroInterval {
  from: number;
  to: number;
  startEvent: LifecycleEvent;
  endEvent?: LifecycleEvent;
}

export interface Timeline {
  pods: Map<string, PodFacts>;
  podByIp: Map<string, string[]>;
  /** The rollouts the runner marked (rollout-start .. rollout-end, open-ended without an end). */
  rollouts: Array<{ from: number; to: number }>;
  /** Routing-layer changes (ingress reloads / upstream swaps), sorted by time. */
  routingChanges: LifecycleEvent[];
  /** lb-announce events, sorted. */
  announces: LifecycleEvent[];
  /** The cloud LB's view: per Service name, per node, its health transitions (lb-backend-up/down), sorted. */
  lbBackends: Map<string, Map<string, LifecycleEvent[]>>;
  /** The cloud LB's configuration writes (lb-config: backends and health-check settings), sorted. */
  lbConfigs: LifecycleEvent[];
  /** LoadBalancer IP -> Service, from MetalLB's IPAllocated events ("Assigned IP [\"172.18.255.200\"]"). */
  serviceByLbIp: Map<string, string>;
  /** Per Service, the endpoint state after each change, sorted by time. */
  endpoints: Map<string, EndpointPoint[]>;
  /** Across every Service: intervals with no ready endpoint at all, [from, to) (what a proxy that ignores terminating endpoints sees). */
  noReady: ZeroInterval[];
  /** Intervals with neither a ready endpoint nor a serving terminating one (kube-proxy falls back to those). */
  noUsable: ZeroInterval[];
  /** The same two per Service: a path is judged by its own Service's endpoints. */
  noReadyBySvc: Map<string, ZeroInterval[]>;
  noUsableBySvc: Map<string, ZeroInterval[]>;
  /** The registry path: intervals the consumer's routing list held no provider (after it once held some). */
  consumerEmpty: ZeroInterval[];
  hasPodLogs: boolean;
  /** The runner's first rollout-start mark: loss before it is baseline. */
  rolloutStart?: LifecycleEvent;
}

const ROUTING_OFF = new Set(['endpoint-not-ready', 'endpoint-removed', 'endpoint-terminating']);

export function buildTimeline(events: readonly LifecycleEvent[]): Timeline {
  const { pods: histories, sorted } = podHistories(events);
  const routingChanges: LifecycleEvent[] = [];
  const announces: LifecycleEvent[] = [];
  const serviceByLbIp = new Map<string, string>();
  let rolloutStart: LifecycleEvent | undefined;
  const lbBackends = new Map<string, Map<string, LifecycleEvent[]>>();
  const lbConfigs: LifecycleEvent[] = [];
  for (const e of sorted) {
    if (e.kind === 'k8s-event' && e.detail?.reason === 'IPAllocated' && e.detail.involvedKind === 'Service') {
      for (const m of String(e.detail.message ?? '').matchAll(/\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:]+/g)) serviceByLbIp.set(m[0], String(e.detail.involvedName));
    }
    if (e.kind === 'ingress-reload' || e.kind === 'ingress-upstreams') routingChanges.push(e);
    if (e.kind === 'lb-announce') announces.push(e);
    if (e.kind === 'rollout-start' && e.source === 'runner') rolloutStart ??= e;
    if (e.kind === 'lb-config') lbConfigs.push(e);
    if ((e.kind === 'lb-backend-up' || e.kind === 'lb-backend-down') && e.node && e.object) {
      const svc = e.object.replace(/^Service\//, '');
      const byNode = lbBackends.get(svc) ?? new Map<string, LifecycleEvent[]>();
      lbBackends.set(svc, byNode);
      byNode.set(e.node, [...(byNode.get(e.node) ?? []), e]);
    }
  }
  // Per pod, from its history: the events naming it (a routing layer's own lines are about the layer, not
  // the controller pod that logged them; an event naming only an IP is the lanes' concern), and the
  // consumer's list changes naming it. Pods in the order their first such event came.
  const order = new Map<LifecycleEvent, number>(sorted.map((e, i) => [e, i]));
  const judged = (x: PodEntry) => (x.via === 'pod' && x.e.source !== 'ingress') || x.via === 'consumer-added' || x.via === 'consumer-removed';
  const pods = new Map<string, PodFacts>();
  const withFacts = [...histories.values()]
    .map((h) => ({ pod: h.pod, entries: h.entries.filter(judged) }))
    .filter((h) => h.entries.length > 0)
    .sort((a, b) => (order.get(a.entries[0]!.e) ?? 0) - (order.get(b.entries[0]!.e) ?? 0));
  for (const h of withFacts) pods.set(h.pod, podFacts(h.pod, h.entries));
  // A SIGKILL the watch did not report (the pod object went away before its terminated status was
  // seen): the app logged SIGTERM but never its exit, and the pod ended at its grace deadline. The kill
  // came between the deadline and the deadline + 2 s (the kubelet's minimum grace after preStop).
  for (const f of pods.values()) {
    if (f.killed !== undefined || f.deleting === undefined || f.sigterm === undefined || f.exitLogged || !f.hasLogs) continue;
    const ended = f.terminatedAt ?? f.gone;
    const deadline = f.deleting + (f.gracePeriodSeconds ?? 30) * 1e9;
    if (ended === undefined || ended < deadline - 0.5e9) continue;
    f.killed = deadline;
    f.killedEvent = { at: Math.min(ended, deadline + 2.5e9), source: 'watch', kind: 'pod-killed', pod: f.pod, detail: { inferred: true, exitCode: 137 } };
    if (f.node) f.killedEvent.node = f.node;
  }
  // Routing gone: the first routing-off change at or after the pod started going away.
  for (const f of pods.values()) {
    const from = Math.min(f.deleting ?? Infinity, f.sigterm ?? Infinity);
    if (!Number.isFinite(from)) continue;
    const off = f.events.find((e) => ROUTING_OFF.has(e.kind) && e.at >= from - 1e9 && (e.kind !== 'endpoint-terminating' || e.detail?.serving === false || e.detail?.ready === false));
    if (off) {
      f.routingGone = off.at;
      f.routingGoneEvent = off;
    }
  }
  const podByIp = new Map<string, string[]>();
  for (const f of pods.values()) for (const ip of f.ips) podByIp.set(ip, [...(podByIp.get(ip) ?? []), f.pod]);

  // Endpoint history per Service, and the intervals with no ready endpoint in any Service.
  const endpoints = new Map<string, EndpointPoint[]>();
  const state = new Map<string, Map<string, { node: string; ready: boolean; serving: boolean; terminating: boolean }>>();
  const zeros = { ready: new ZeroTracker(), usable: new ZeroTracker() };
  const svcZeros = new Map<string, { ready: ZeroTracker; usable: ZeroTracker }>();
  for (const e of sorted) {
    if (!e.kind.startsWith('endpoint-') || !e.pod) continue;
    const svc = String(e.detail?.service ?? '');
    const m = state.get(svc) ?? new Map();
    state.set(svc, m);
    if (e.kind === 'endpoint-removed') m.delete(e.pod);
    else m.set(e.pod, { node: e.node ?? '', ready: e.detail?.ready === true, serving: e.detail?.serving === true, terminating: e.detail?.terminating === true });
    const usableByNode = new Map<string, Set<string>>();
    const readyByNode = new Map<string, Set<string>>();
    const readyPods = new Set<string>();
    for (const [pod, s] of m) {
      if (s.ready) {
        readyPods.add(pod);
        readyByNode.set(s.node, (readyByNode.get(s.node) ?? new Set<string>()).add(pod));
      }
      if (s.ready || (s.serving && s.terminating)) {
        const set = usableByNode.get(s.node) ?? new Set<string>();
        set.add(pod);
        usableByNode.set(s.node, set);
      }
    }
    const points = endpoints.get(svc) ?? [];
    endpoints.set(svc, points);
    points.push({ at: e.at, usableByNode, readyByNode, readyPods });
    let anyReady = false;
    let anyUsable = false;
    for (const sm of state.values()) {
      for (const s of sm.values()) {
        anyReady ||= s.ready;
        anyUsable ||= s.ready || (s.serving && s.terminating);
      }
    }
    zeros.ready.step(anyReady, e);
    zeros.usable.step(anyUsable, e);
    let z = svcZeros.get(svc);
    if (!z) svcZeros.set(svc, (z = { ready: new ZeroTracker(), usable: new ZeroTracker() }));
    z.ready.step(readyPods.size > 0, e);
    z.usable.step(usableByNode.size > 0, e);
  }
  const rollouts: Array<{ from: number; to: number }> = [];
  for (const e of sorted) {
    if (e.kind === 'rollout-start') rollouts.push({ from: e.at, to: Infinity });
    else if (e.kind === 'rollout-end' && rollouts.length > 0 && rollouts.at(-1)!.to === Infinity) rollouts.at(-1)!.to = e.at;
  }
  return {
    pods,
    podByIp,
    rollouts,
    routingChanges,
    announces,
    lbBackends,
    lbConfigs,
    serviceByLbIp,
    endpoints,
    noReady: zeros.ready.finish(),
    noUsable: zeros.usable.finish(),
    noReadyBySvc: new Map([...svcZeros].map(([svc, z]) => [svc, z.ready.finish()])),
    noUsableBySvc: new Map([...svcZeros].map(([svc, z]) => [svc, z.usable.finish()])),
    consumerEmpty: consumerEmptyIntervals(sorted),
    hasPodLogs: [...pods.values()].some((p) => p.hasLogs),
    ...(rolloutStart ? { rolloutStart } : {}),
  };
}

/** A pod's facts from its history's entries (in time order). */
function podFacts(pod: string, entries: readonly PodEntry[]): PodFacts {
  const f: PodFacts = { pod, ips: new Set(), events: [], hasLogs: false };
  for (const { via, e } of entries) {
    if (via === 'consumer-added') {
      f.consumerAdded ??= e.at;
      if (e.detail?.pollIntervalMs !== undefined) f.consumerPollMs = Number(e.detail.pollIntervalMs);
      continue;
    }
    if (via === 'consumer-removed') {
      if (f.consumerDropped === undefined) {
        f.consumerDropped = e.at;
        f.consumerDroppedEvent = e;
      }
      continue;
    }
    f.events.push(e);
    if (e.podIP) f.ips.add(e.podIP);
    if (e.node && e.source !== 'pod-log') f.node = e.node;
    if (e.detail?.hasReadinessProbe !== undefined) f.hasReadinessProbe = e.detail.hasReadinessProbe === true;
    if (e.detail?.preStopSeconds !== undefined && e.kind !== 'prestop-start') f.preStopSeconds = Number(e.detail.preStopSeconds);
    if (e.detail?.gracePeriodSeconds !== undefined) f.gracePeriodSeconds = Number(e.detail.gracePeriodSeconds);
    if (typeof e.detail?.podTemplate === 'string') f.template = e.detail.podTemplate;
    if (e.source === 'pod-log') f.hasLogs = true;
    switch (e.kind) {
      case 'endpoint-ready':
        if (f.endpointReady === undefined) {
          f.endpointReady = e.at;
          f.endpointReadyEvent = e;
        }
        break;
      case 'listening':
        f.listening ??= e.at;
        break;
      case 'ready':
        f.appReady ??= e.at;
        break;
      case 'pod-deleting':
        if (f.deleting === undefined) {
          f.deleting = e.at;
          f.deletingEvent = e;
        }
        break;
      case 'sigterm':
        if (f.sigterm === undefined) {
          f.sigterm = e.at;
          f.sigtermEvent = e;
        }
        break;
      case 'pod-killed':
        if (f.killed === undefined) {
          // finishedAt (whole seconds, floored) is before the receive time: take the earlier one.
          f.killed = e.apiAt !== undefined ? Math.min(e.at, e.apiAt) : e.at;
          f.killedEvent = e;
        }
        break;
      case 'exit':
        f.exit = e.at;
        f.exitLogged = true;
        break;
      case 'pod-terminated':
        f.exit ??= e.apiAt !== undefined ? Math.min(e.at, e.apiAt) : e.at;
        f.terminatedAt ??= e.at;
        break;
      case 'last-request':
        f.lastRequest = e.at;
        break;
      case 'pod-gone':
        f.gone ??= e.at;
        break;
      case 'registry-register':
        // the registry's own view (source registry) is what consumers act on: it wins over the provider's line
        if (f.registered === undefined || (e.source === 'registry' && f.registeredEvent?.source !== 'registry' && f.registryGone === undefined)) {
          f.registered = e.at;
          f.registeredEvent = e;
        }
        if (e.detail?.warmupMs !== undefined) f.advertisedWarmupMs = Number(e.detail.warmupMs);
        break;
      case 'registry-deregister':
      case 'registry-expire':
        if (f.registryGone === undefined || (e.source === 'registry' && f.registryGoneEvent?.source !== 'registry')) {
          f.registryGone = e.at;
          f.registryGoneEvent = e;
        }
        break;
    }
  }
  return f;
}

function consumerEmptyIntervals(sorted: readonly LifecycleEvent[]): ZeroInterval[] {
  const z = new ZeroTracker();
  for (const e of sorted) if (e.kind === 'consumer-list' && typeof e.detail?.providers === 'string') z.step(e.detail.providers !== '', e);
  return z.finish();
}

/** Intervals where a condition that once held stopped holding. */
class ZeroTracker {
  private ever = false;
  private since: LifecycleEvent | undefined;
  private readonly out: ZeroInterval[] = [];
  step(some: boolean, e: LifecycleEvent): void {
    if (some) {
      this.ever = true;
      if (this.since) this.out.push({ from: this.since.at, to: e.at, startEvent: this.since, endEvent: e });
      this.since = undefined;
    } else if (this.ever && !this.since) this.since = e;
  }
  finish(): ZeroInterval[] {
    if (this.since) this.out.push({ from: this.since.at, to: Infinity, startEvent: this.since });
    this.since = undefined;
    return this.out;
  }
}

/** The endpoint state of a Service at time t (the last change at or before t). */
export function endpointsAt(points: EndpointPoint[] | undefined, t: number): EndpointPoint | undefined {
  if (!points) return undefined;
  let found: EndpointPoint | undefined;
  for (const p of points) {
    if (p.at > t) break;
    found = p;
  }
  return found;
}

const S = 1e9;

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

/**
 * The hops one path crosses (from the run's route list: topology, never the scenario's name or
 * expectation). Without it every Service and every controller is taken to be on every path.
 */
export interface PathHops {
  via: 'clusterip' | 'lb' | 'ingress' | 'registry';
  /** The Service the path reaches the pods through (the LB Service on an LB path). */
  service: string;
  /** The ingress controller (`detail.controller` of its reload events) on an ingress path. */
  controller?: string;
}

/** The routing-layer changes a path sees: its own controller's; none on a path through no ingress. */
export function changesOn(tl: Timeline, hops: PathHops | undefined): LifecycleEvent[] {
  if (!hops) return tl.routingChanges;
  if (hops.via !== 'ingress') return [];
  return tl.routingChanges.filter((e) => hops.controller === undefined || e.detail?.controller === hops.controller);
}

/** Intervals the path's Service had no ready (proxy) or no usable (kube-proxy) endpoint. */
export function zerosOn(tl: Timeline, hops: PathHops | undefined, proxy: boolean): ZeroInterval[] {
  if (!hops) return proxy ? tl.noReady : tl.noUsable;
  return (proxy ? tl.noReadyBySvc : tl.noUsableBySvc).get(hops.service) ?? [];
}

/** The first routing-layer change (ingress reload / upstream swap) the path sees at or after t. */
export function firstChangeAfter(tl: Timeline, t: number, hops?: PathHops): LifecycleEvent | undefined {
  return changesOn(tl, hops).find((e) => e.at >= t);
}

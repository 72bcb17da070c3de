// Pod lanes from the timeline: for each pod, the spans it was alive, ready, in a Service's ready
// endpoints, terminating and in preStop, and the instants that matter (created, ready, SIGTERM, exit).
// Times are seconds since the run's origin, clipped to the report's range.
import type { LifecycleEvent } from '../record.ts';
import { type PodEntry, podHistories } from '../attribute/history.ts';

export type SpanKind = 'alive' | 'ready' | 'endpoint' | 'terminating' | 'prestop';
export type PointKind = 'created' | 'ready' | 'endpoint-removed' | 'deleting' | 'sigterm' | 'last-request' | 'exit' | 'killed';

export interface PodLane {
  pod: string;
  node?: string;
  ip?: string;
  spans: Array<[SpanKind, number, number]>;
  points: Array<[PointKind, number, string]>;
}

/** An event drawn across every lane (rollouts, ingress reloads, LB announcements). */
export interface GlobalMark {
  t: number;
  kind: string;
  label: string;
}

const GLOBAL_KINDS = new Set(['rollout-start', 'rollout-end', 'ingress-reload', 'lb-announce', 'load-start', 'load-end']);

const sec = (ns: number) => Math.round(ns / 1e6) / 1000;

export function buildLanes(events: LifecycleEvent[], range: { from: number; to: number }): { lanes: PodLane[]; global: GlobalMark[]; ipToPod: Map<string, string> } {
  // the pods' histories are attribution's too (attribute/history.ts): one reading of which event is whose
  const { pods, ipToPod, others } = podHistories(events);
  const byPod = new Map<string, LifecycleEvent[]>([...pods].map(([pod, h]) => [pod, h.entries.map((x) => laneEvent(pod, x))]));
  const global: GlobalMark[] = [];
  for (const e of others) {
    if (!GLOBAL_KINDS.has(e.kind)) continue;
    const t = sec(e.at);
    if (t >= range.from && t <= range.to) global.push({ t, kind: e.kind, label: globalLabel(e) });
  }

  const clip = (t: number) => Math.min(range.to, Math.max(range.from, t));
  const lanes: PodLane[] = [];
  for (const [pod, evs] of byPod) {
    const lane: PodLane = { pod, spans: [], points: [] };
    const span = (k: SpanKind, a: number, b: number) => {
      const from = clip(a);
      const to = clip(b);
      if (to > from || (to === from && a <= range.to && b >= range.from)) lane.spans.push([k, from, to]);
    };
    const point = (k: PointKind, t: number, label: string) => {
      if (t >= range.from && t <= range.to) lane.points.push([k, t, label]);
    };
    const hasPodReady = evs.some((e) => e.kind === 'pod-ready');
    const hasPrestopLines = evs.some((e) => e.kind === 'prestop-start');
    let born: number | undefined;
    let died: number | undefined;
    let readyFrom: number | undefined;
    let deleting: number | undefined;
    let deletingHasPrestop = false;
    let prestopFrom: number | undefined;
    const readyIn = new Set<string>(); // services whose endpoints hold this pod as ready
    let endpointFrom: number | undefined;
    for (const e of evs) {
      const t = sec(e.at);
      if (e.node) lane.node = e.node;
      if (e.podIP) lane.ip = e.podIP;
      const service = String(e.detail?.service ?? '');
      switch (e.kind) {
        case 'pod-created':
        case 'process-start':
        case 'pod-started':
          if (born === undefined) {
            born = t;
            point('created', t, e.kind);
          }
          break;
        case 'pod-ready':
        case 'ready':
          if (e.kind === 'ready' && hasPodReady) break;
          if (readyFrom === undefined) {
            readyFrom = t;
            point('ready', t, e.kind);
          }
          break;
        case 'pod-unready':
          if (readyFrom !== undefined) span('ready', readyFrom, t);
          readyFrom = undefined;
          break;
        case 'endpoint-added':
        case 'endpoint-ready':
        case 'endpoint-not-ready':
        case 'endpoint-terminating':
        case 'endpoint-removed': {
          const ready = e.kind === 'endpoint-removed' || e.kind === 'endpoint-not-ready' ? false : e.kind === 'endpoint-ready' ? true : e.detail?.ready === true;
          const before = readyIn.size;
          if (ready) readyIn.add(service);
          else readyIn.delete(service);
          if (before === 0 && readyIn.size > 0) endpointFrom = t;
          if (before > 0 && readyIn.size === 0 && endpointFrom !== undefined) {
            span('endpoint', endpointFrom, t);
            endpointFrom = undefined;
          }
          if (e.kind === 'endpoint-removed') point('endpoint-removed', t, service ? `removed from ${service}` : 'endpoint removed');
          break;
        }
        case 'registry-deregister':
        case 'registry-expire':
          // the registry's own view (the consumer's watch); the provider's line says the same a moment earlier
          if (e.source === 'registry') point('endpoint-removed', t, e.kind === 'registry-expire' ? 'registry: lease expired' : 'registry: deregistered');
          break;
        case 'pod-deleting':
          if (deleting === undefined) {
            deleting = t;
            const pre = Number(e.detail?.preStopSeconds ?? 0);
            deletingHasPrestop = pre !== 0;
            point('deleting', t, `deletion requested (grace ${String(e.detail?.gracePeriodSeconds ?? '?')} s${deletingHasPrestop ? `, preStop ${pre} s` : ''})`);
          }
          break;
        case 'prestop-start':
          prestopFrom = t;
          break;
        case 'prestop-end':
          if (prestopFrom !== undefined) span('prestop', prestopFrom, t);
          prestopFrom = undefined;
          break;
        case 'sigterm':
          point('sigterm', t, 'SIGTERM');
          // preStop ends when the workload logs SIGTERM (DESIGN.md)
          if (!hasPrestopLines && deleting !== undefined && deletingHasPrestop) span('prestop', deleting, t);
          break;
        case 'last-request':
          point('last-request', t, 'last request served');
          break;
        case 'exit':
        case 'pod-terminated':
        case 'pod-killed':
          if (died === undefined) {
            died = t;
            const code = e.detail?.exitCode;
            point(e.kind === 'pod-killed' ? 'killed' : 'exit', t, `${e.kind}${code !== undefined ? ` (exit ${String(code)})` : ''}`);
          }
          break;
        case 'pod-gone':
          if (died === undefined) died = t;
          break;
        default:
          break;
      }
    }
    const end = died ?? range.to;
    span('alive', born ?? range.from, end);
    if (readyFrom !== undefined) span('ready', readyFrom, end);
    if (endpointFrom !== undefined) span('endpoint', endpointFrom, end);
    if (deleting !== undefined) span('terminating', deleting, end);
    if (prestopFrom !== undefined) span('prestop', prestopFrom, end);
    lanes.push(lane);
  }
  const firstSeen = (l: PodLane) => Math.min(...l.spans.filter((s) => s[0] === 'alive').map((s) => s[1]), range.to);
  lanes.sort((a, b) => firstSeen(a) - firstSeen(b) || (a.pod < b.pod ? -1 : 1));
  return { lanes, global, ipToPod };
}

/**
 * The registry path has no endpoints: a provider is routed while it is in the consumer's list. Each
 * consumer-list change that added or removed it is drawn as the endpoint event of a "Service" named after
 * the consumer's list, so the lane's endpoint span shows when the consumer could pick it.
 */
function laneEvent(pod: string, { via, e }: PodEntry): LifecycleEvent {
  if (via !== 'consumer-added' && via !== 'consumer-removed') return e;
  const service = `${e.pod ?? 'consumer'}'s list`;
  return { at: e.at, source: 'consumer', kind: via === 'consumer-added' ? 'endpoint-ready' : 'endpoint-removed', pod, detail: { service } };
}

function globalLabel(e: LifecycleEvent): string {
  const d = e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
  return `${e.kind}${e.object ? ` ${e.object}` : ''}${d ? ` ${d}` : ''}`.slice(0, 200);
}

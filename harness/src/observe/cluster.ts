// Watches the objects of one scenario namespace (Pods, EndpointSlices, ReplicaSets, Events) and the
// cluster's Nodes, and turns every state change into LifecycleEvents stamped with the receive time on
// the run's clock (and the API's own time where the object carries one).

import type { KubeConfig } from '@kubernetes/client-node';
import { epochMsToRunNs, type LifecycleEvent, lifecycleEvent, type RunClock } from '../record.ts';
import { type ChangeCause, Reflector, type ReflectorStatus } from './reflector.ts';
import {
  type EndpointSliceWire,
  endpointTransitions,
  type EventWire,
  eventTransitions,
  type NodeWire,
  nodeTransitions,
  type PodWire,
  podTransitions,
  type ReplicaSetWire,
  replicaSetTransitions,
  SERVICE_NAME_LABEL,
  serviceEndpoints,
  type Transition,
  TRIGGER_TIME_ANNOTATION,
} from './transitions.ts';

export interface ClusterWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  clock: RunClock;
  /** ns since the run's origin, now (RunTimer.now). */
  now: () => number;
  onEvent: (e: LifecycleEvent) => void;
  onStatus?: (s: ReflectorStatus) => void;
  /** Selects the workload's pods and replica sets, e.g. app.kubernetes.io/name=echo. */
  labelSelector?: string;
  /** Watch Nodes too (cluster-scoped; default true). */
  nodes?: boolean;
  watchTimeoutSeconds?: number;
  inactivityTimeoutMs?: number;
  backoffMs?: { min: number; max: number };
}

export interface ClusterWatch {
  /** Counters of every reflector, by resource. */
  stats(): Record<string, Reflector<never>['stats']>;
  stop(): Promise<void>;
}

/** Starts every watch; resolves once each has listed its initial state. */
export async function watchCluster(o: ClusterWatchOptions): Promise<ClusterWatch> {
  const ns = encodeURIComponent(o.namespace);
  const emit = (object: string, cause: ChangeCause, t: Transition) => {
    const detail = { ...(t.detail ?? {}) };
    if (cause !== 'watch') detail[cause] = true;
    o.onEvent(
      lifecycleEvent({
        at: o.now(),
        source: t.source ?? 'watch',
        kind: t.kind,
        object,
        ...(t.pod ? { pod: t.pod } : {}),
        ...(t.podIP ? { podIP: t.podIP } : {}),
        ...(t.node ? { node: t.node } : {}),
        ...(t.apiAtMs !== undefined ? { apiAt: epochMsToRunNs(o.clock, t.apiAtMs) } : {}),
        ...(Object.keys(detail).length > 0 ? { detail } : {}),
      }),
    );
  };
  const common = {
    kubeConfig: o.kubeConfig,
    ...(o.onStatus ? { onStatus: o.onStatus } : {}),
    ...(o.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}),
    ...(o.inactivityTimeoutMs !== undefined ? { inactivityTimeoutMs: o.inactivityTimeoutMs } : {}),
    ...(o.backoffMs ? { backoffMs: o.backoffMs } : {}),
  };
  const selector = o.labelSelector ? { labelSelector: o.labelSelector } : {};

  const pods = new Reflector<PodWire>({
    ...common,
    ...selector,
    path: `/api/v1/namespaces/${ns}/pods`,
    onChange: (prev, next, cause) => {
      const name = (next ?? prev)?.metadata.name ?? '';
      for (const t of podTransitions(prev, next)) emit(`Pod/${name}`, cause, t);
    },
  });

  // Endpoints are judged per Service across all its slices, so an endpoint moving between slices is
  // not reported as removed and re-added.
  const slicesBySvc = new Map<string, Map<string, EndpointSliceWire>>();
  const slices = new Reflector<EndpointSliceWire>({
    ...common,
    path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    onChange: (prev, next, cause) => {
      const cur = (next ?? prev) as EndpointSliceWire;
      const svc = cur.metadata.labels?.[SERVICE_NAME_LABEL] ?? '';
      const mine = slicesBySvc.get(svc) ?? new Map<string, EndpointSliceWire>();
      slicesBySvc.set(svc, mine);
      const before = serviceEndpoints(mine.values());
      if (next) mine.set(cur.metadata.name, next);
      else mine.delete(cur.metadata.name);
      const after = serviceEndpoints(mine.values());
      const trig = Date.parse(cur.metadata.annotations?.[TRIGGER_TIME_ANNOTATION] ?? '');
      for (const t of endpointTransitions(svc, before, after, Number.isNaN(trig) ? undefined : trig)) emit(`EndpointSlice/${cur.metadata.name}`, cause, t);
    },
  });

  const replicaSets = new Reflector<ReplicaSetWire>({
    ...common,
    ...selector,
    path: `/apis/apps/v1/namespaces/${ns}/replicasets`,
    onChange: (prev, next, cause) => {
      for (const t of replicaSetTransitions(prev, next)) emit(`ReplicaSet/${(next ?? prev)?.metadata.name}`, cause, t);
    },
  });

  // Events older than the watch are history: of them only the latest LB announcement per Service
  // matters (which node the LB IP points at when the run starts).
  const initialAnnounce = new Map<string, { object: string; t: Transition }>();
  const events = new Reflector<EventWire>({
    ...common,
    path: `/api/v1/namespaces/${ns}/events`,
    onChange: (prev, next, cause) => {
      const object = `Event/${(next ?? prev)?.metadata.name}`;
      for (const t of eventTransitions(prev, next, cause === 'initial')) {
        if (cause !== 'initial') {
          emit(object, cause, t);
          continue;
        }
        const svc = String(t.detail?.service ?? '');
        const had = initialAnnounce.get(svc);
        if (!had || (t.apiAtMs ?? 0) >= (had.t.apiAtMs ?? 0)) initialAnnounce.set(svc, { object, t });
      }
    },
  });

  const nodes = o.nodes === false
    ? undefined
    : new Reflector<NodeWire>({
        ...common,
        path: '/api/v1/nodes',
        onChange: (prev, next, cause) => {
          for (const t of nodeTransitions(prev, next)) emit(`Node/${(next ?? prev)?.metadata.name}`, cause, t);
        },
      });

  const all = { pods, endpointslices: slices, replicasets: replicaSets, events, ...(nodes ? { nodes } : {}) };
  const started: Reflector<never>[] = [];
  try {
    for (const r of Object.values(all)) {
      await r.start();
      started.push(r as unknown as Reflector<never>);
    }
  } catch (err) {
    await Promise.all(started.map((r) => r.stop()));
    throw err;
  }
  for (const { object, t } of initialAnnounce.values()) emit(object, 'initial', t);

  return {
    stats: () => Object.fromEntries(Object.entries(all).map(([k, r]) => [k, { ...r.stats }])),
    stop: async () => {
      await Promise.all(Object.values(all).map((r) => r.stop()));
    },
  };
}

// Object state -> lifecycle transitions, as pure diffs of (previous, next) object states.
//
// Transitions come from comparing states, never from watch event types, so the same function serves a
// watch event, the initial list and a relist after 410 Gone: a relist diffs what the API holds now
// against what we knew, and whatever changed in the gap comes out as the transitions we missed
// (collapsed to their net effect: a pod created and deleted inside the gap leaves no trace).
//
// The objects are the API's JSON as it comes off the wire (timestamps are RFC 3339 strings), typed
// here with only the fields we read.

import type { LifecycleKind } from '../record.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface ContainerState {
  running?: { startedAt?: string };
  terminated?: { exitCode: number; signal?: number; reason?: string; startedAt?: string; finishedAt?: string };
  waiting?: { reason?: string };
}

export interface PodWire {
  metadata: ObjectMeta;
  spec?: {
    nodeName?: string;
    terminationGracePeriodSeconds?: number;
    containers?: Array<{
      name: string;
      readinessProbe?: object;
      lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command?: string[] }; httpGet?: object } };
    }>;
  };
  status?: {
    podIP?: string;
    conditions?: Condition[];
    containerStatuses?: Array<{ name: string; restartCount?: number; state?: ContainerState }>;
  };
}

export interface EndpointWire {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSliceWire {
  metadata: ObjectMeta;
  endpoints?: EndpointWire[] | null;
}

export interface ReplicaSetWire {
  metadata: ObjectMeta;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number };
}

export interface NodeWire {
  metadata: ObjectMeta;
  status?: { conditions?: Condition[]; addresses?: Array<{ type: string; address: string }> };
}

export interface EventWire {
  metadata: ObjectMeta;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  reportingComponent?: string;
  source?: { component?: string };
}

/** One transition before it is stamped: the watcher adds receive time, source and object. */
export interface Transition {
  kind: LifecycleKind;
  pod?: string;
  podIP?: string;
  node?: string;
  /** The API's own time for it, epoch ms (whole seconds for most fields). */
  apiAtMs?: number;
  detail?: Record<string, string | number | boolean>;
  source?: 'watch' | 'lb';
}

function ms(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

function cond(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

function withApi(t: Transition, at: number | undefined): Transition {
  if (at !== undefined) t.apiAtMs = at;
  return t;
}

// ---- pods ----

/** preStop duration in seconds when the hook is a sleep (native or exec `sleep N`); -1 for other hooks. */
export function preStopSeconds(pod: PodWire): number | undefined {
  const hook = pod.spec?.containers?.[0]?.lifecycle?.preStop;
  if (!hook) return undefined;
  if (hook.sleep) return hook.sleep.seconds;
  const cmd = hook.exec?.command ?? [];
  const joined = cmd.join(' ');
  const m = /(?:^|\s|;|&)sleep\s+(\d+(?:\.\d+)?)/.exec(joined);
  return m ? Number(m[1]) : -1;
}

/** Facts about a pod's spec the attribution needs to judge its timeline (not the scenario). */
export function podSpecDetail(pod: PodWire): Record<string, string | number | boolean> {
  const d: Record<string, string | number | boolean> = {
    hasReadinessProbe: (pod.spec?.containers ?? []).some((c) => c.readinessProbe !== undefined),
    gracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
  };
  const pre = preStopSeconds(pod);
  if (pre !== undefined) d.preStopSeconds = pre;
  // which release it runs: attribution compares the templates' error rates (attribute/release.ts)
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (hash) {
    // the ReplicaSet's name: <deployment>-<hash>, the pod's name up to its hash
    const i = pod.metadata.name.lastIndexOf(`-${hash}`);
    d.podTemplate = i >= 0 ? pod.metadata.name.slice(0, i + hash.length + 1) : hash;
  }
  return d;
}

export function podTransitions(prev: PodWire | undefined, next: PodWire | undefined): Transition[] {
  const out: Transition[] = [];
  const cur = next ?? prev;
  if (!cur) return out;
  const base = (): Transition => {
    const t: Transition = { kind: 'pod-created', pod: cur.metadata.name };
    const ip = next?.status?.podIP ?? prev?.status?.podIP;
    const node = next?.spec?.nodeName ?? prev?.spec?.nodeName;
    if (ip) t.podIP = ip;
    if (node) t.node = node;
    return t;
  };
  if (!next) {
    out.push({ ...base(), kind: 'pod-gone' });
    return out;
  }
  if (!prev) out.push(withApi({ ...base(), kind: 'pod-created', detail: podSpecDetail(next) }, ms(next.metadata.creationTimestamp)));
  if (!prev?.spec?.nodeName && next.spec?.nodeName) {
    out.push(withApi({ ...base(), kind: 'pod-scheduled' }, ms(cond(next.status?.conditions, 'PodScheduled')?.lastTransitionTime)));
  }
  const before = new Map((prev?.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  for (const c of next.status?.containerStatuses ?? []) {
    const b = before.get(c.name);
    const restarted = (c.restartCount ?? 0) > (b?.restartCount ?? 0);
    if (c.state?.running && (!b?.state?.running || restarted)) {
      out.push(withApi({ ...base(), kind: 'pod-started', detail: { container: c.name, restartCount: c.restartCount ?? 0 } }, ms(c.state.running.startedAt)));
    }
    const term = c.state?.terminated;
    if (term && (!b?.state?.terminated || b.state.terminated.finishedAt !== term.finishedAt)) {
      const killed = term.exitCode === 137 || term.signal === 9 || term.reason === 'OOMKilled';
      const detail: Record<string, string | number | boolean> = { container: c.name, exitCode: term.exitCode };
      if (term.reason) detail.reason = term.reason;
      out.push(withApi({ ...base(), kind: killed ? 'pod-killed' : 'pod-terminated', detail }, ms(term.finishedAt)));
    }
  }
  const wasReady = cond(prev?.status?.conditions, 'Ready')?.status === 'True';
  const ready = cond(next.status?.conditions, 'Ready');
  if (ready?.status === 'True' && !wasReady) out.push(withApi({ ...base(), kind: 'pod-ready' }, ms(ready.lastTransitionTime)));
  if (ready?.status !== 'True' && wasReady) out.push(withApi({ ...base(), kind: 'pod-unready' }, ms(ready?.lastTransitionTime)));
  if (next.metadata.deletionTimestamp && !prev?.metadata.deletionTimestamp) {
    // deletionTimestamp is the deadline (request time + grace period): the request came grace seconds earlier.
    const deadline = ms(next.metadata.deletionTimestamp);
    const grace = next.metadata.deletionGracePeriodSeconds ?? next.spec?.terminationGracePeriodSeconds ?? 30;
    out.push(withApi({ ...base(), kind: 'pod-deleting', detail: { ...podSpecDetail(next), gracePeriodSeconds: grace } }, deadline === undefined ? undefined : deadline - grace * 1000));
  }
  return out;
}

// ---- endpoint slices, per Service ----

export interface EndpointState {
  key: string; // pod name, or the first address when there is no targetRef
  pod?: string;
  podIP: string;
  node?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  slice: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** The Service's endpoints from all its slices; an endpoint in two slices at once counts as ready if either says so. */
export function serviceEndpoints(slices: Iterable<EndpointSliceWire>): Map<string, EndpointState> {
  const out = new Map<string, EndpointState>();
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses[0];
      if (ip === undefined) continue;
      const pod = e.targetRef?.kind === 'Pod' || e.targetRef?.kind === undefined ? e.targetRef?.name : undefined;
      const key = pod ?? ip;
      // API semantics: nil ready means ready; nil serving follows ready; nil terminating means false.
      const ready = e.conditions?.ready ?? true;
      const st: EndpointState = {
        key,
        podIP: ip,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
        slice: s.metadata.name,
      };
      if (pod) st.pod = pod;
      if (e.nodeName) st.node = e.nodeName;
      const had = out.get(key);
      if (had) {
        had.ready ||= st.ready;
        had.serving ||= st.serving;
        had.terminating &&= st.terminating;
      } else out.set(key, st);
    }
  }
  return out;
}

export function endpointTransitions(service: string, prev: Map<string, EndpointState>, next: Map<string, EndpointState>, apiAtMs?: number): Transition[] {
  const out: Transition[] = [];
  const mk = (kind: LifecycleKind, e: EndpointState, extra: Record<string, string | number | boolean> = {}): Transition => {
    const t: Transition = { kind, podIP: e.podIP, detail: { service, slice: e.slice, ready: e.ready, serving: e.serving, terminating: e.terminating, ...extra } };
    if (e.pod) t.pod = e.pod;
    if (e.node) t.node = e.node;
    return withApi(t, apiAtMs);
  };
  for (const [key, e] of next) {
    const p = prev.get(key);
    if (!p) {
      out.push(mk('endpoint-added', e));
      if (e.ready) out.push(mk('endpoint-ready', e));
      continue;
    }
    // Only a terminating endpoint's changes: serving turning on for a starting pod is its readiness.
    if ((p.serving !== e.serving || p.terminating !== e.terminating) && (p.terminating || e.terminating)) out.push(mk('endpoint-terminating', e));
    if (p.ready && !e.ready) out.push(mk('endpoint-not-ready', e));
    if (!p.ready && e.ready) out.push(mk('endpoint-ready', e));
  }
  for (const [key, p] of prev) if (!next.has(key)) out.push(mk('endpoint-removed', p));
  return out;
}

// ---- replica sets, nodes, events ----

export function replicaSetTransitions(prev: ReplicaSetWire | undefined, next: ReplicaSetWire | undefined): Transition[] {
  if (!next) return [];
  const from = prev?.spec?.replicas ?? 0;
  const to = next.spec?.replicas ?? 0;
  if (prev && from === to) return [];
  if (!prev && to === 0) return [];
  const detail: Record<string, string | number | boolean> = { replicaSet: next.metadata.name, from, to };
  const rev = next.metadata.annotations?.['deployment.kubernetes.io/revision'];
  if (rev) detail.revision = rev;
  return [{ kind: 'replicaset-scaled', detail }];
}

export function nodeTransitions(prev: NodeWire | undefined, next: NodeWire | undefined): Transition[] {
  if (!next) return [];
  const was = cond(prev?.status?.conditions, 'Ready')?.status === 'True';
  const c = cond(next.status?.conditions, 'Ready');
  const is = c?.status === 'True';
  if (is === was && prev) return [];
  if (!prev && !is) return [withApi({ kind: 'node-not-ready', node: next.metadata.name }, ms(c?.lastTransitionTime))];
  if (is === was) return [];
  return [withApi({ kind: is ? 'node-ready' : 'node-not-ready', node: next.metadata.name }, ms(c?.lastTransitionTime))];
}

const ANNOUNCE_RE = /announcing from node "([^"]+)"/;

function eventCount(e: EventWire | undefined): number {
  return e?.series?.count ?? e?.count ?? 1;
}

/**
 * A Kubernetes Event, each time it is created or its count grows. MetalLB's `nodeAssigned` event on a
 * Service ("announcing from node X") also becomes an `lb-announce`: which node the LB IP now points at.
 * `initial` (events that predate the watch) yields only the announcement: the rest is history.
 */
export function eventTransitions(prev: EventWire | undefined, next: EventWire | undefined, initial = false): Transition[] {
  if (!next) return [];
  if (prev && eventCount(prev) === eventCount(next)) return [];
  const at = ms(next.series?.lastObservedTime) ?? ms(next.eventTime) ?? ms(next.lastTimestamp) ?? ms(next.firstTimestamp);
  const io = next.involvedObject ?? {};
  const out: Transition[] = [];
  if (!initial) {
    const detail: Record<string, string | number | boolean> = {
      reason: next.reason ?? '',
      type: next.type ?? '',
      message: (next.message ?? '').slice(0, 240),
      involvedKind: io.kind ?? '',
      involvedName: io.name ?? '',
      count: eventCount(next),
    };
    const t = withApi({ kind: 'k8s-event', detail }, at);
    if (io.kind === 'Pod' && io.name) t.pod = io.name;
    out.push(t);
  }
  const m = next.reason === 'nodeAssigned' && io.kind === 'Service' ? ANNOUNCE_RE.exec(next.message ?? '') : null;
  if (m?.[1]) {
    const detail: Record<string, string | number | boolean> = { service: io.name ?? '' };
    if (initial) detail.initial = true;
    out.push(withApi({ kind: 'lb-announce', node: m[1], source: 'lb', detail }, at));
  }
  return out;
}

// The shared vocabulary of every stage: one request record type, one lifecycle event type, one
// attribution type. Stages exchange these and nothing else.
//
// Time: every timestamp in a run is nanoseconds since the run's clock origin (RunClock.t0EpochNs),
// taken once from the wall clock at start and advanced by the monotonic clock after that. A plain
// number holds 104 days of nanoseconds exactly, so the hot path never touches bigint.

export const OUTCOMES = [
  'ok',
  'http-5xx',
  'http-4xx',
  'connect-refused',
  'connect-timeout',
  'reset-before-response',
  'stale-keepalive',
  'reset-during-body',
  'timeout',
  'dns',
  'dropped',
  'cancelled',
  'other',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Where a failed attempt stopped; `none` for successes and for requests never sent. */
export const PHASES = ['none', 'connect', 'write', 'headers', 'body'] as const;
export type Phase = (typeof PHASES)[number];

/** Lost = scheduled and neither ok nor cancelled (DESIGN.md). */
export function isLost(outcome: Outcome): boolean {
  return outcome !== 'ok' && outcome !== 'cancelled';
}

export interface RequestRecord {
  seq: number; // unique across the run, all targets
  target: string; // the URL (or path name) this request was sent to
  scheduledAt: number; // intended send time, ns since run origin
  sentAt: number; // actual send time, ns since origin; equals scheduledAt for `dropped`
  endAt: number; // completion (last body byte or error), ns since origin
  outcome: Outcome;
  status?: number; // HTTP status when headers arrived
  errorCode?: string; // err.code / cause.code, e.g. ECONNREFUSED, UND_ERR_SOCKET
  phase: Phase;
  remoteAddr?: string; // ip:port actually connected to
  localPort?: number;
  reusedConnection: boolean; // the socket had served an earlier request
  servedBy?: string; // x-lossless-pod response header
  bytesSent: number;
  bytesReceived: number;
  /**
   * Which send of this seq: absent (or 1) for the first, 2, 3, ... for a client policy's re-sends
   * (send/policy.ts). Every attempt keeps the first attempt's scheduledAt, so endAt − scheduledAt is the
   * latency the client saw.
   */
  attempt?: number;
  /** The client policy re-sent this seq after this attempt: the client did not see this outcome. */
  retried?: boolean;
}

/** The attempt a client sees as its request's result: the last one (none was re-sent after it). */
export function isFinalAttempt(r: RequestRecord): boolean {
  return r.retried !== true;
}

export interface RunClock {
  t0EpochNs: bigint; // wall clock at origin, epoch ns
}

/** Converts epoch milliseconds (pod logs, API stamps) to ns since the run's origin. */
export function epochMsToRunNs(clock: RunClock, epochMs: number): number {
  return epochMs * 1e6 - Number(clock.t0EpochNs);
}

/** Converts ns since the run's origin to epoch milliseconds (fractional). */
export function runNsToEpochMs(clock: RunClock, ns: number): number {
  return (Number(clock.t0EpochNs) + ns) / 1e6;
}

// ---- timeline ----

export const EVENT_SOURCES = ['watch', 'pod-log', 'ingress', 'lb', 'registry', 'consumer', 'runner'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const LIFECYCLE_KINDS = [
  // from watches
  'pod-created',
  'pod-scheduled',
  'pod-started', // container running
  'pod-ready',
  'pod-unready',
  'pod-deleting', // deletionTimestamp set: preStop starts now
  'pod-terminated', // container terminated (exit code in detail)
  'pod-killed', // terminated by SIGKILL (exit 137) or reason OOMKilled
  'pod-gone', // object deleted
  'endpoint-added',
  'endpoint-ready',
  'endpoint-not-ready',
  'endpoint-terminating', // serving and/or terminating conditions changed
  'endpoint-removed',
  'replicaset-scaled',
  'node-ready',
  'node-not-ready',
  'k8s-event',
  // from the workload's own log lines
  'process-start',
  'listening',
  'ready',
  'sigterm',
  'prestop-start',
  'prestop-end',
  'last-request',
  'exit',
  // from routing layers
  'ingress-reload',
  'ingress-upstreams',
  'lb-announce',
  'lb-backend-up', // the cloud LB's health check marked a node backend up (node, detail: service, reason)
  'lb-backend-down', // ... marked it down: it stops sending new connections there
  'lb-config', // the cloud LB's configuration was written (backends, health-check settings)
  'registry-register',
  'registry-deregister',
  'registry-expire',
  'consumer-list',
  'registry-disconnected', // the consumer lost its registry watch
  'registry-resubscribed', // ... and listed and watched again
  // from the runner
  'rollout-start',
  'rollout-end',
  'load-start',
  'load-end',
] as const;
export type LifecycleKind = (typeof LIFECYCLE_KINDS)[number];

export type Scalar = string | number | boolean;
type ScalarName = 'string' | 'number' | 'boolean';

/**
 * The detail fields each kind is known to carry, with their types: what attribution and the report read.
 * One table for the types below, the run folder's check of timeline.ndjson (folder/artifacts.ts) and
 * lifecycleEvent()'s check of events built from a log line or a watch.
 */
const POD_SPEC = { hasReadinessProbe: 'boolean', gracePeriodSeconds: 'number', preStopSeconds: 'number', podTemplate: 'string' } as const;
const EXIT = { container: 'string', exitCode: 'number', reason: 'string' } as const;
const ENDPOINT = { service: 'string', slice: 'string', ready: 'boolean', serving: 'boolean', terminating: 'boolean' } as const;
const LB_BACKEND = { listener: 'string', reason: 'string', worker: 'number' } as const; // worker: HAProxy's worker pid
const REGISTRY = { consumer: 'string', reason: 'string', op: 'string', warmupMs: 'number' } as const;
export const EVENT_DETAIL_FIELDS = {
  'pod-created': POD_SPEC,
  'pod-deleting': POD_SPEC,
  'pod-started': { container: 'string', restartCount: 'number' },
  'pod-terminated': EXIT,
  'pod-killed': { ...EXIT, inferred: 'boolean' },
  'endpoint-added': ENDPOINT,
  'endpoint-ready': ENDPOINT,
  'endpoint-not-ready': ENDPOINT,
  'endpoint-terminating': ENDPOINT,
  'endpoint-removed': ENDPOINT,
  'replicaset-scaled': { replicaSet: 'string', from: 'number', to: 'number' },
  'k8s-event': { reason: 'string', type: 'string', message: 'string', involvedKind: 'string', involvedName: 'string', count: 'number' },
  'prestop-start': { preStopSeconds: 'number' },
  'prestop-end': { ms: 'number' },
  'ingress-reload': { controller: 'string' },
  'ingress-upstreams': { controller: 'string' },
  'lb-announce': { service: 'string', initial: 'boolean' },
  'lb-backend-up': LB_BACKEND,
  'lb-backend-down': LB_BACKEND,
  'lb-config': { backends: 'string', healthPort: 'number', intervalMs: 'number', unhealthyThreshold: 'number', healthyThreshold: 'number', drainMs: 'number', change: 'string' },
  'registry-register': REGISTRY,
  'registry-deregister': REGISTRY,
  'registry-expire': REGISTRY,
  'consumer-list': { providers: 'string', added: 'string', removed: 'string', reason: 'string', pollIntervalMs: 'number' },
} as const satisfies Partial<Record<LifecycleKind, Record<string, ScalarName>>>;

type Fields = typeof EVENT_DETAIL_FIELDS;
type TypeOfName<T> = T extends 'string' ? string : T extends 'number' ? number : boolean;
/** Fields a source adds beyond the known ones (a log line's extras, the watch's `initial`): scalars, unread. */
export type Extras = { [field: string]: Scalar | undefined };
export type DetailOf<K extends LifecycleKind> = (K extends keyof Fields ? { [F in keyof Fields[K]]?: TypeOfName<Fields[K][F]> } : unknown) & Extras;

interface EventBase {
  at: number;
  source: EventSource;
  pod?: string;
  podIP?: string;
  node?: string;
  /** The API object this came from, e.g. `EndpointSlice/echo-abc12` or `Ingress/echo`. */
  object?: string;
  /** The API's own timestamp when it has one (whole seconds), ns since origin. */
  apiAt?: number;
}

/** An event of one kind, its detail typed by it. */
export type EventOf<K extends LifecycleKind> = EventBase & { kind: K; detail?: DetailOf<K> };

/**
 * One thing that happened to a pod, an endpoint or a routing layer: a union typed by `kind` (narrow on it
 * to read the detail's known fields). `at` is the receive time (watches) or the logged time (pod logs) in
 * run ns.
 */
export type LifecycleEvent = { [K in LifecycleKind]: EventOf<K> }[LifecycleKind];

/** The known detail fields of `kind` that `detail` has with another type, as "field: got type, want type". */
export function detailMismatches(kind: LifecycleKind, detail: Readonly<Record<string, unknown>> | undefined): string[] {
  const known: Readonly<Record<string, ScalarName>> | undefined = (EVENT_DETAIL_FIELDS as Partial<Record<LifecycleKind, Record<string, ScalarName>>>)[kind];
  if (!known || !detail) return [];
  const out: string[] = [];
  for (const [field, want] of Object.entries(known)) {
    const v = detail[field];
    if (v !== undefined && typeof v !== want) out.push(`${field}: ${typeof v}, want ${want}`);
  }
  return out;
}

/** A timeline line as an event, or what is wrong with it (naming the field, its value and what is allowed). */
export function checkLifecycleEvent(v: unknown): LifecycleEvent | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  if (typeof o.at !== 'number' || !Number.isFinite(o.at)) return `at: ${JSON.stringify(o.at)}, want a number (run ns)`;
  if (!(EVENT_SOURCES as readonly unknown[]).includes(o.source)) return `source: ${JSON.stringify(o.source)}, want one of ${EVENT_SOURCES.join(', ')}`;
  if (!(LIFECYCLE_KINDS as readonly unknown[]).includes(o.kind)) return `kind: ${JSON.stringify(o.kind)}, want one of LIFECYCLE_KINDS (record.ts)`;
  if (o.detail !== undefined && (o.detail === null || typeof o.detail !== 'object' || Array.isArray(o.detail))) return `detail: ${JSON.stringify(o.detail)}, want an object of scalars`;
  const bad = detailMismatches(o.kind as LifecycleKind, o.detail as Record<string, unknown> | undefined);
  if (bad.length > 0) return `detail.${bad[0]} (${String(o.kind)})`;
  // checked: a known kind whose known detail fields have their types
  return v as LifecycleEvent;
}

/**
 * An event whose kind is known only at run time (a watch transition, a log line): its detail's known
 * fields are checked against the table, and one of another type is left out (a log line saying
 * `"warmupMs":"5s"` must not reach attribution as a number).
 */
export function lifecycleEvent(base: EventBase & { kind: LifecycleKind; detail?: Readonly<Record<string, Scalar>> }): LifecycleEvent {
  const { detail, ...rest } = base;
  if (!detail) return rest as LifecycleEvent;
  const bad = new Set(detailMismatches(base.kind, detail).map((m) => m.slice(0, m.indexOf(':'))));
  const kept: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(detail)) if (!bad.has(k)) kept[k] = v;
  // checked above against the kind's known fields: the one place a run-time kind meets its type
  return { ...rest, detail: kept } as LifecycleEvent;
}

// ---- attribution ----

export const CAUSES = [
  'routed-before-ready',
  'routed-after-sigterm',
  'lb-no-local-endpoint',
  'lb-health-check-lag', // the cloud LB still sent to a node with no local endpoint: not marked down yet
  'ingress-upstream-stale',
  'sigkill-in-flight',
  'persistent-connection-cut',
  'lb-connection-cut', // the cloud LB cut a reused connection: it dropped the backend (down or reload) with no drain
  'no-ready-endpoints',
  'registry-provider-initialising',
  'registry-stale-after-sigterm',
  'consumer-cache-stale',
  'ambiguous', // the evidence fits mechanisms on different pods and cannot separate them: each is named
  'broken-release',
  'baseline',
  'unexplained',
] as const;
export type Cause = (typeof CAUSES)[number];

export interface Evidence {
  /** What the evidence says, in one line with its figures in ms. */
  text: string;
  events: LifecycleEvent[];
  /** Named lags in ms, e.g. { sigtermToEndpointRemovedMs: 2710 }. */
  lagsMs: Record<string, number>;
}

/** A loss window: failures close in time on one target, with one cause. */
export interface Attribution {
  target: string;
  start: number; // ns since origin, first failure's scheduledAt
  end: number; // last failure's endAt
  lost: number;
  byOutcome: Partial<Record<Outcome, number>>;
  pods: string[]; // pods the failures hit or are tied to
  cause: Cause;
  evidence: Evidence;
  fix: string; // with numbers
  seqs: number[]; // the lost requests (first 1000)
}

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

/**
 * One thing that happened to a pod, an endpoint or a routing layer. `kind` is a short verb from
 * LIFECYCLE_KINDS; `at` is the receive time (watches) or the logged time (pod logs) in run ns.
 */
export interface LifecycleEvent {
  at: number;
  source: EventSource;
  kind: LifecycleKind;
  pod?: string;
  podIP?: string;
  node?: string;
  /** The API object this came from, e.g. `EndpointSlice/echo-abc12` or `Ingress/echo`. */
  object?: string;
  /** The API's own timestamp when it has one (whole seconds), ns since origin. */
  apiAt?: number;
  detail?: Record<string, string | number | boolean>;
}

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

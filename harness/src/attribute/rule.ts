// One rule per cause: when the cause fits one failure (`fits`), and what a window of it says and what fixes
// it (`explain`), side by side in causes/<cause>.ts. rules.ts lists them; attribute.ts judges each failure
// by the list and evidence.ts describes each window by its cause's rule. Adding a cause is adding a rule.

import type { Cause, LifecycleEvent, Outcome, RequestRecord } from '../record.ts';
import type { NodeClock } from '../observe/clock.ts';
import type { ReleaseFacts, ReleaseFit } from './release.ts';
import type { PathHops, PodFacts, Timeline } from './timeline.ts';

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

export const MS = 1e6;
export const S = 1e9;
/** Log lines and request stamps are two clocks read in two processes: a refusal stamped a few ms before
 * the SIGTERM line that caused it is still caused by it. */
export const JITTER = 0.05 * S;

export const CONN_CUT: ReadonlySet<Outcome> = new Set(['stale-keepalive', 'reset-before-response', 'reset-during-body']);
export const NO_ANSWER: ReadonlySet<Outcome> = new Set(['connect-refused', 'connect-timeout', 'reset-before-response', 'stale-keepalive', 'reset-during-body', 'timeout', 'other']);

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

export interface Window {
  target: string;
  cause: Cause;
  pods: string[];
  items: Judged[];
  dropped: RequestRecord[];
  start: number;
  end: number;
}

/** One lost request and what is known about it before any rule looks: computed once, read by every rule. */
export interface Failure {
  r: RequestRecord;
  tl: Timeline;
  o: ResolvedOptions;
  /** The hops its path crosses (undefined: every event is every path's). */
  hops: PathHops | undefined;
  /** On a pinned target, the pod its reused socket reached before. */
  connPod: string | undefined;
  /** When it failed. A refusal, a reset before any response or a proxy's 5xx comes back at once, so its end
   * is when the pod was found gone (sentAt can be earlier than the real connect when the client's event loop
   * stalled: bursts sharing one sentAt, refused 300 ms later). A timeout's end says nothing; a reset during
   * the body happened to a request the pod had accepted. */
  t: number;
  /** dataplaneLagMs in ns. */
  lag: number;
  /** A 5xx answered by a proxy in front of the pods. */
  proxy5xx: boolean;
  /** The pod that answered with an error itself. */
  podErr: string | undefined;
  /** The pods that could have failed it: the one it names (servedBy, the IP reached, its socket), else all. */
  candidates: PodFacts[];
  /** A routing decision was made for it: not a reused socket that was cut (kube-proxy pins connections). */
  routed: boolean;
  /** On the registry path (behind the consumer): the provider it names, if any. */
  registry: boolean;
  provider: PodFacts | undefined;
  /** The release's and the baseline's verdict on it (consulted only when no rollout rule fits). */
  release(): ReleaseFit | undefined;
}

/** What a rule reads and fills to describe one window. */
export interface Explanation {
  w: Window;
  tl: Timeline;
  o: ResolvedOptions;
  hops: PathHops | undefined;
  lostN: number;
  durMs: number;
  /** The window's first pod's facts. */
  pod: PodFacts | undefined;
  /** The latest send time among its failures. */
  lastSent: number;
  /** Some failure was a proxy's 5xx, and the layer that routed: the ingress or kube-proxy. */
  proxy: boolean;
  layer: string;
  byOutcome: Partial<Record<Outcome, number>>;
  /** Named lags in ms (evidence.lagsMs), filled by the rule. */
  lags: Record<string, number>;
  /** Events cited as evidence, filled by the rule (keyed to avoid duplicates). */
  events: Map<string, LifecycleEvent>;
  /** This window described as if its cause were `fit`'s (for `ambiguous`'s candidates). */
  as(fit: Fit): { text: string; fix: string; lagsMs: Record<string, number>; events: LifecycleEvent[] };
}

export interface Rule {
  cause: Cause;
  /**
   * 'rollout': a mechanism of the rollout, judged for every failure; among its fits the earlier rule in
   * the list is the more specific. 'release': consulted only when no rollout rule fits. 'verdict': never
   * fits by itself (ambiguous, unexplained): attribute() gives it.
   */
  stage: 'rollout' | 'release' | 'verdict';
  fits(q: Failure): Fit[];
  explain(x: Explanation): { text: string; fix: string };
}

export function msOf(ns: number): number {
  return Math.round(ns / MS);
}

export function sec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Measured lag plus margin, rounded up to 0.1 s, in seconds. */
export function withMargin(ms: number, marginMs: number): number {
  return Math.ceil((ms + Math.max(marginMs, ms * 0.2)) / 100) / 10;
}

export function ipOf(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  const m = /^\[?([^\]]+?)\]?:\d+$/.exec(addr);
  return m ? m[1] : addr;
}

/** A fit with its anchors, undefined ones left out. */
export function fit(cause: Cause, pods: string[], anchors: Array<LifecycleEvent | undefined>, since = 0, sure = true): Fit {
  return { cause, pods, since, sure, anchors: anchors.filter((e): e is LifecycleEvent => e !== undefined) };
}

/** The pod had stopped taking work by `at`; the jitter applies to log times, not to request stamps. */
export function stoppedBy(f: PodFacts, dead: number, at: number): boolean {
  return dead <= at + (f.acceptedUntil !== undefined && dead === f.acceptedUntil + 1 ? 0 : JITTER);
}

/** The window's pod, for a rule whose fits always name one. */
export function podOf(x: Explanation): PodFacts {
  return x.pod as PodFacts;
}

// Loss that is not the rollout's: a release whose own pods answer errors while ready and routed
// (`broken-release`), and errors that were there before the rollout started (`baseline`). Judged from the
// answers themselves: each pod template's (ReplicaSet's) share of 5xx among the requests its pods
// answered, against the other templates' share; and the run's own `rollout-start` mark.

import type { LifecycleEvent, RequestRecord } from '../record.ts';
import type { PodFacts, Timeline } from './timeline.ts';

/** Per pod, what it answered itself (a gateway's 502/504 naming it is not its answer). */
export class PodAnswers {
  readonly answered = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** Own 5xx sent before the rollout started: known only afterwards, so kept by send time. */
  readonly errorTimes: number[] = [];

  add(r: RequestRecord): void {
    if (!r.servedBy || r.status === undefined || r.status === 502 || r.status === 504) return;
    this.answered.set(r.servedBy, (this.answered.get(r.servedBy) ?? 0) + 1);
    if (r.status >= 500) {
      this.errors.set(r.servedBy, (this.errors.get(r.servedBy) ?? 0) + 1);
      this.errorTimes.push(r.sentAt);
    }
  }
}

export interface ReleaseFacts {
  template: string;
  answered: number;
  errors: number;
  otherAnswered: number;
  otherErrors: number;
  /** Two-proportion z of this template's 5xx share against the others'. */
  z: number;
  /** When its first pod became ready in endpoints (run ns). */
  readySince?: number;
  rolloutStart?: number;
  /** Own 5xx answered before the rollout started (any pod). */
  baselineErrors: number;
}

export interface ReleaseFit {
  cause: 'broken-release' | 'baseline';
  pods: string[];
  since: number;
  anchors: LifecycleEvent[];
  sure: true;
  release: ReleaseFacts;
}

/** A Deployment's pods are `<deployment>-<template hash>-<5 chars>`: the template is all but the suffix. */
export function templateOf(pod: string, f?: PodFacts): string {
  if (f?.template) return f.template;
  const m = /^(.+-[a-z0-9]{6,10})-[a-z0-9]{5}$/.exec(pod);
  return m ? (m[1] as string) : pod;
}

/** z at or above this, with at least MIN_ERRORS errors, marks a template as worse than the others. */
const Z_BROKEN = 3;
const MIN_ERRORS = 3;

export class ReleaseJudge {
  private readonly byTemplate = new Map<string, { answered: number; errors: number; readySince?: number; pods: string[] }>();
  private readonly rolloutStartEvent: LifecycleEvent | undefined;
  private readonly baselineErrors: number;

  constructor(
    answers: PodAnswers,
    private readonly tl: Timeline,
  ) {
    for (const [pod, n] of answers.answered) {
      const f = tl.pods.get(pod);
      const t = templateOf(pod, f);
      const s = this.byTemplate.get(t) ?? { answered: 0, errors: 0, pods: [] };
      s.answered += n;
      s.errors += answers.errors.get(pod) ?? 0;
      s.pods.push(pod);
      if (f?.endpointReady !== undefined) s.readySince = Math.min(s.readySince ?? Infinity, f.endpointReady);
      this.byTemplate.set(t, s);
    }
    this.rolloutStartEvent = tl.rolloutStart;
    const start = this.rolloutStartEvent?.at;
    this.baselineErrors = start === undefined ? 0 : answers.errorTimes.filter((t) => t < start).length;
  }

  /** Release facts for a pod: its template's 5xx share against the rest's. */
  facts(pod: string): ReleaseFacts {
    const t = templateOf(pod, this.tl.pods.get(pod));
    const s = this.byTemplate.get(t) ?? { answered: 0, errors: 0, pods: [] };
    let otherAnswered = 0;
    let otherErrors = 0;
    for (const [name, o] of this.byTemplate) {
      if (name === t) continue;
      otherAnswered += o.answered;
      otherErrors += o.errors;
    }
    const out: ReleaseFacts = { template: t, answered: s.answered, errors: s.errors, otherAnswered, otherErrors, z: zOf(s.errors, s.answered, otherErrors, otherAnswered), baselineErrors: this.baselineErrors };
    if (s.readySince !== undefined) out.readySince = s.readySince;
    if (this.rolloutStartEvent) out.rolloutStart = this.rolloutStartEvent.at;
    return out;
  }

  /**
   * For a failure no rollout mechanism explains: the release's, when the pod answered the error itself
   * and its template errs significantly more than the others; baseline, when it came before the rollout
   * started, or is a pod's own error at the rate there was before the rollout.
   */
  judge(r: RequestRecord): ReleaseFit | undefined {
    const start = this.rolloutStartEvent;
    const own = r.outcome === 'http-5xx' && r.servedBy !== undefined && r.status !== 502 && r.status !== 504;
    if (own) {
      const pod = r.servedBy as string;
      const facts = this.facts(pod);
      const f = this.tl.pods.get(pod);
      if (facts.errors >= MIN_ERRORS && facts.otherAnswered > 0 && facts.z >= Z_BROKEN) {
        return { cause: 'broken-release', pods: [pod], since: facts.readySince ?? 0, anchors: f?.endpointReadyEvent ? [f.endpointReadyEvent] : [], sure: true, release: facts };
      }
      if (start && (r.sentAt < start.at || facts.baselineErrors > 0)) return { cause: 'baseline', pods: [pod], since: start.at, anchors: [start], sure: true, release: facts };
      return undefined;
    }
    if (start && r.sentAt < start.at) {
      return { cause: 'baseline', pods: r.servedBy ? [r.servedBy] : [], since: start.at, anchors: [start], sure: true, release: this.facts(r.servedBy ?? '') };
    }
    return undefined;
  }
}

function zOf(e1: number, n1: number, e2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 0;
  const p = (e1 + e2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se === 0 ? 0 : (e1 / n1 - e2 / n2) / se;
}

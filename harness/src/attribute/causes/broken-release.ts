// broken-release: the release's own pods answered errors while ready and routed, more often than the
// other pods (release.ts). Not a rollout mechanism: consulted only when none fits.

import { type Explanation, type Failure, type Fit, type Rule } from '../rule.ts';

export const brokenRelease: Rule = {
  cause: 'broken-release',
  stage: 'release',
  fits(q: Failure): Fit[] {
    const f = q.release();
    return f?.cause === 'broken-release' ? [f] : [];
  },
  explain: (x) => explainRelease(x),
};

/** broken-release and baseline: the template's error rate against the other pods'. */
export function explainRelease({ w, lags, lostN, durMs }: Explanation): { text: string; fix: string } {
  const rf = w.items[0]?.fit.release;
  if (rf) {
    lags.templateAnswered = rf.answered;
    lags.templateErrors = rf.errors;
    lags.otherAnswered = rf.otherAnswered;
    lags.otherErrors = rf.otherErrors;
  }
  const pct = (e: number, n: number) => `${n > 0 ? ((100 * e) / n).toFixed(1) : '0.0'}%`;
  const at = (ns: number) => `${(ns / 1e9).toFixed(1)} s`;
  const rates = rf ? `pod template ${rf.template}: ${pct(rf.errors, rf.answered)} of its ${rf.answered} answered requests were 5xx against ${pct(rf.otherErrors, rf.otherAnswered)} of the other pods' ${rf.otherAnswered}` : '';
  if (w.cause === 'broken-release' && rf) {
    return {
      text: `${lostN} lost over ${durMs} ms: the pods of the release answered 5xx themselves while ready and routed: ${rates} (z = ${rf.z.toFixed(1)})${rf.readySince !== undefined ? `; ready since ${at(rf.readySince)}` : ''}`,
      fix: `roll back the release (kubectl rollout undo) or fix it: its pods fail ${pct(rf.errors, rf.answered)} of requests against ${pct(rf.otherErrors, rf.otherAnswered)} for the previous one; no routing or shutdown setting changes this`,
    };
  }
  const before = rf?.rolloutStart !== undefined && w.start < rf.rolloutStart;
  return {
    text: before
      ? `${lostN} lost over ${durMs} ms before the rollout started (at ${at(rf?.rolloutStart ?? 0)}): baseline loss, not the rollout's${rates ? `; ${rates}` : ''}`
      : `${lostN} lost over ${durMs} ms: pods answered 5xx at the rate there was before the rollout (${rf?.baselineErrors ?? 0} such errors before it started): baseline loss, not the rollout's${rates ? `; ${rates}` : ''}`,
    fix: `none for the rollout: this loss is there without one; judge the rollout by what it adds above this baseline`,
  };
}

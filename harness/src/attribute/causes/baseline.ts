// baseline: loss that was there before the rollout started, or a pod's own errors at the rate there was
// before it (release.ts). Not a rollout mechanism: consulted only when none fits.

import { type Failure, type Fit, type Rule } from '../rule.ts';
import { explainRelease } from './broken-release.ts';

export const baseline: Rule = {
  cause: 'baseline',
  stage: 'release',
  fits(q: Failure): Fit[] {
    const f = q.release();
    return f?.cause === 'baseline' ? [f] : [];
  },
  explain: (x) => explainRelease(x),
};

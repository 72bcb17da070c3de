// unexplained: no mechanism on the timeline fits (or only dropped requests, never sent, with no window
// around them).

import type { Rule } from '../rule.ts';

export const unexplained: Rule = {
  cause: 'unexplained',
  stage: 'verdict',
  fits: () => [],
  explain({ w, tl, lostN, durMs, byOutcome }) {
    const outs = Object.entries(byOutcome).map(([k, v]) => `${v} ${k}`).join(', ');
    return {
      text:
        w.items.length === 0
          ? `${lostN} requests dropped (never sent: the client's in-flight bound was full) with no failure window around them`
          : `${lostN} lost over ${durMs} ms (${outs}) match no mechanism on the timeline${tl.hasPodLogs ? '' : ' (no pod log lines were collected)'}`,
      fix: w.items.length === 0 ? 'raise --max-in-flight or check the client host (CPU) during the run' : 'none derived: inspect the ledger and timeline around this window',
    };
  },
};

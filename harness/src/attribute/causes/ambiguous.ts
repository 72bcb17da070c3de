// ambiguous: a failure that names no pod, which mechanisms on different pods could each have caused
// (attribute.ts's choose()). Each candidate is described as if it were the cause, side by side: the reader
// sees what each one needs.

import type { Rule } from '../rule.ts';

export const ambiguous: Rule = {
  cause: 'ambiguous',
  stage: 'verdict',
  fits: () => [],
  explain({ w, lags, events, lostN, durMs, as }) {
    const cands = w.items[0]?.fit.candidates ?? [];
    const parts = cands.map((c) => {
      const d = as(c);
      for (const [k, v] of Object.entries(d.lagsMs)) lags[`${c.cause}.${k}`] = v;
      for (const e of d.events) events.set(`${e.kind}|${e.at}|${e.pod ?? ''}`, e);
      return { cause: c.cause, pods: c.pods, sure: c.sure, text: d.text.replace(/^\d+ (lost|requests)[^:]*: /, ''), fix: d.fix };
    });
    const sureTxt = (p: { sure: boolean }) => (p.sure ? '' : ' [only if the data plane lagged behind the change]');
    return {
      text: `${lostN} lost over ${durMs} ms: ambiguous: ${parts.map((p) => p.cause).join(' or ')}; the failures name no pod and each of these could have failed them: ${parts.map((p) => `${p.cause} (${p.pods.join(', ') || 'no pod'}): ${p.text}${sureTxt(p)}`).join(' | ')}`,
      fix: parts.map((p) => `if ${p.cause}: ${p.fix}`).join('; '),
    };
  },
};

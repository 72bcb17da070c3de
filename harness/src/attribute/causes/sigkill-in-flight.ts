// sigkill-in-flight: the pod was SIGKILLed (its grace period ran out) while this request was in flight.

import { type Failure, type Fit, fit, msOf, NO_ANSWER, podOf, type Rule, S } from '../rule.ts';

export const sigkillInFlight: Rule = {
  cause: 'sigkill-in-flight',
  stage: 'rollout',
  fits(q: Failure): Fit[] {
    const { r } = q;
    // A refused or timed-out connect was never in flight at the pod.
    if (q.registry || !(NO_ANSWER.has(r.outcome) || q.proxy5xx) || r.outcome === 'connect-refused' || r.outcome === 'connect-timeout') return [];
    const out: Fit[] = [];
    for (const f of q.candidates) {
      if (f.killed === undefined || !f.killedEvent) continue;
      // finishedAt has whole seconds: the kill is within [apiAt, apiAt+1 s] and before its receive
      const lo = f.killed;
      const hi = Math.min(f.killedEvent.at, f.killedEvent.apiAt !== undefined ? f.killedEvent.apiAt + S : Infinity);
      if (r.sentAt <= hi && r.endAt >= lo - 0.05 * S) out.push(fit('sigkill-in-flight', [f.pod], [f.deletingEvent, f.killedEvent], lo));
    }
    return out;
  },
  explain(x) {
    const { w, lags, events, lostN } = x;
    const f = podOf(x);
    const kill = f.killed ?? w.end;
    if (f.deleting !== undefined) lags.deletionToKillMs = msOf(kill - f.deleting);
    if (f.sigterm !== undefined) lags.sigtermToKillMs = msOf(kill - f.sigterm);
    const grace = f.gracePeriodSeconds;
    const pre = f.preStopSeconds !== undefined && f.preStopSeconds > 0 ? f.preStopSeconds : 0;
    const inferred = f.killedEvent?.detail?.inferred === true ? ' (inferred: SIGTERM logged, no exit line, the pod ended at its grace deadline)' : '';
    if (f.killedEvent) events.set('kill', f.killedEvent);
    return {
      text: `${lostN} requests in flight when pod ${f.pod} was SIGKILLed${inferred}${lags.deletionToKillMs !== undefined ? ` ${lags.deletionToKillMs} ms after its deletion` : ''}${grace !== undefined ? ` (grace period ${grace} s${pre ? `, preStop ${pre} s` : ''})` : ''}`,
      fix: `terminationGracePeriodSeconds >= ${pre + 30} s (preStop ${pre} s + 30 s, the seed's rule): the kill came before the pod finished its in-flight requests`,
    };
  },
};

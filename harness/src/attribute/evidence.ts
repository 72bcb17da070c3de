// Evidence and fix for one loss window: what every window says (its count, outcomes, the events that tie
// its failures to the cause, the causes that also fit), with the cause's own text, lags and fix from its
// rule (causes/<cause>.ts). The lags are in ms; a fix's numbers come from them plus a margin.

import type { Attribution, LifecycleEvent, Outcome } from '../record.ts';
import { type Explanation, msOf, type ResolvedOptions, type Window } from './rule.ts';
import { ruleOf } from './rules.ts';
import type { Timeline } from './timeline.ts';

export function describe(w: Window, tl: Timeline, o: ResolvedOptions): Attribution {
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const j of w.items) byOutcome[j.r.outcome] = (byOutcome[j.r.outcome] ?? 0) + 1;
  if (w.dropped.length > 0) byOutcome.dropped = w.dropped.length;
  const lostN = w.items.length + w.dropped.length;
  const seqs = [...w.items.map((j) => j.r.seq), ...w.dropped.map((r) => r.seq)].sort((a, b) => a - b).slice(0, 1000);
  const events = new Map<string, LifecycleEvent>();
  for (const j of w.items) for (const e of j.fit.anchors) events.set(`${e.kind}|${e.at}|${e.pod ?? ''}`, e);
  const others = [...new Set(w.items.flatMap((j) => j.others))];
  // routed by a proxy: some failure was a proxy's 5xx, or the path crosses an ingress (a timeout through
  // it is its routing too: traefik held requests to a stopped pod, no 5xx came back)
  const hops = o.paths[w.target];
  const proxy = hops?.via === 'ingress' || w.items.some((j) => j.r.outcome === 'http-5xx' && !j.r.servedBy);
  const x: Explanation = {
    w,
    tl,
    o,
    hops,
    lostN,
    durMs: msOf(w.end - w.start),
    pod: w.pods.length > 0 ? tl.pods.get(w.pods[0] as string) : undefined,
    lastSent: w.items.reduce((m, j) => Math.max(m, j.r.sentAt), w.start), // no spread: windows can hold 100k items
    proxy,
    layer: proxy ? 'the ingress' : 'the data plane (kube-proxy)',
    byOutcome,
    lags: {},
    events,
    as(fit) {
      const d = describe({ ...w, cause: fit.cause, pods: [...fit.pods].sort(), items: w.items.map((j) => ({ ...j, fit, others: [] })) }, tl, o);
      return { text: d.evidence.text, fix: d.fix, lagsMs: d.evidence.lagsMs, events: d.evidence.events };
    },
  };
  const v = ruleOf(w.cause).explain(x);
  const text = others.length > 0 ? `${v.text}; also fits ${others.join(', ')}` : v.text;
  return {
    target: w.target,
    start: w.start,
    end: w.end,
    lost: lostN,
    byOutcome,
    pods: w.pods,
    cause: w.cause,
    evidence: { text, events: [...events.values()].sort((a, b) => a.at - b.at), lagsMs: x.lags },
    fix: v.fix,
    seqs,
  };
}

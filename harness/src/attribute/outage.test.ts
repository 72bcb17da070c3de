// Item 1 of issue 10: a path's outage is the span of its consecutive failures whatever pods and causes
// they involve; the per-cause windows explain it from inside. Budgets, summaries and compare use it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../load/summary.ts';
import { evaluateGate } from '../report/gate.ts';
import { windowsFromAttributions } from '../report/windows.ts';
import { attribute } from './attribute.ts';
import { burst, endpoint, ev, GONE, MS, readyPod } from '../../test/attribution.ts';
import { longestOutage, outagesOf } from './outage.ts';
import { summarizeAttributions } from './summary.ts';

/** Two pods stopping 0.8 s apart, each refusing on its own IP until it leaves the endpoints: back-to-back. */
function twoPodStops() {
  const events = [
    ...readyPod('a', '10.244.1.5', 'w1', 0),
    ...readyPod('b', '10.244.2.5', 'w2', 0),
    ...readyPod('c', '10.244.3.5', 'w3', 0),
    ev(10_000, 'pod-deleting', 'a', { node: 'w1' }),
    ev(10_010, 'sigterm', 'a'),
    endpoint(10_750, 'endpoint-not-ready', 'a', '10.244.1.5', 'w1', GONE),
    ev(10_800, 'pod-deleting', 'b', { node: 'w2' }),
    ev(10_810, 'sigterm', 'b'),
    endpoint(11_670, 'endpoint-not-ready', 'b', '10.244.2.5', 'w2', GONE),
  ];
  const records = [
    ...burst('clusterip', 9_000, 9_990, 'ok', { servedBy: 'c' }),
    ...burst('clusterip', 10_020, 10_740, 'connect-refused', { remoteAddr: '10.244.1.5:8080' }),
    ...burst('clusterip', 10_820, 11_660, 'connect-refused', { remoteAddr: '10.244.2.5:8080' }),
    ...burst('clusterip', 11_700, 12_500, 'ok', { servedBy: 'c' }),
  ];
  return { events, records };
}

test('two pods stopping 0.8 s apart: two windows explain one outage of 1643 ms', () => {
  const { events, records } = twoPodStops();
  const attrs = attribute(records, events);
  assert.deepEqual(attrs.map((a) => [a.cause, a.pods.join(), Math.round((a.end - a.start) / MS)]), [
    ['routed-after-sigterm', 'a', 723],
    ['routed-after-sigterm', 'b', 843],
  ]);
  const outs = outagesOf(attrs);
  assert.equal(outs.length, 1);
  assert.equal(outs[0]?.durationMs, 1643);
  assert.equal(outs[0]?.lost, attrs[0]!.lost + attrs[1]!.lost);
  assert.equal(outs[0]?.windows.length, 2);

  const s = summarizeAttributions(attrs);
  assert.equal(s.longestOutageMs, 1643);
  assert.equal(s.outages, 1);
  assert.equal(s.byTarget.clusterip?.longestOutageMs, 1643);
  // the per-cause figure stays the explanation's: its longest piece
  assert.equal(s.byCause['routed-after-sigterm']?.longestWindowMs, 843);
});

test('--max-window 1s fails on the outage, naming the windows inside it', () => {
  const { events, records } = twoPodStops();
  const windows = windowsFromAttributions(attribute(records, events));
  const lost = windows.reduce((n, w) => n + w.lost, 0);
  const summary = { targets: [{ target: 'clusterip', lost, lossPct: 10, scheduled: records.length, cancelled: 0 }], totals: { lost, lossPct: 10 } } as unknown as Summary;
  const gate = evaluateGate(summary, windows, { maxWindowMs: 1000 });
  const check = gate.checks.find((c) => c.kind === 'maxWindowMs');
  assert.equal(check?.pass, false);
  assert.equal(check?.actual, 1643);
  assert.match(check?.message ?? '', /outage 1643 ms > budget 1000 ms/);
  assert.match(check?.message ?? '', /routed-after-sigterm on a.*routed-after-sigterm on b/);
  assert.equal(evaluateGate(summary, windows, { maxWindowMs: 2000 }).pass, true);
});

test('outages: per path, a gap over 1 s splits, windows of other paths never join', () => {
  const w = (target: string, s: number, e: number) => ({ target, start: s * MS, end: e * MS, lost: 1 });
  const outs = outagesOf([w('p', 0, 500), w('q', 600, 700), w('p', 1_400, 1_600), w('p', 2_700, 2_800), w('p', 100, 200)]);
  assert.deepEqual(outs.map((o) => [o.target, o.durationMs, o.lost]), [['p', 1600, 3], ['q', 100, 1], ['p', 100, 1]]);
  assert.equal(longestOutage([])?.durationMs, undefined);
  assert.equal(longestOutage([w('p', 0, 10), w('q', 0, 20)])?.target, 'q');
});

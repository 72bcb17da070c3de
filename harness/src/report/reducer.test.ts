// The report's reducer on records made here (the ledger round trip is pinned by the engine's tests):
// per-pod counts, failure times per path, and the marks' sample past the cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Outcome, RequestRecord } from '../record.ts';
import { MAX_MARKS, ReportReducer } from './reducer.ts';
import { groupFailures } from './windows.ts';

function rec(seq: number, tS: number, outcome: Outcome, servedBy?: string): RequestRecord {
  const r: RequestRecord = { seq, target: 'http://t/', scheduledAt: tS * 1e9, sentAt: tS * 1e9, endAt: tS * 1e9 + 2e6, outcome, phase: 'none', reusedConnection: false, bytesSent: 1, bytesReceived: 1 };
  if (servedBy) r.servedBy = servedBy;
  return r;
}

test('requests served per pod per second, failures kept per path in time order', () => {
  const red = new ReportReducer();
  red.add(rec(0, 0.1, 'ok', 'a'));
  red.add(rec(1, 0.2, 'ok', 'a'));
  red.add(rec(2, 1.5, 'ok', 'b'));
  red.add(rec(4, 3.2, 'connect-refused'));
  red.add(rec(3, 3.1, 'http-5xx', 'b'));
  red.add(rec(5, 9.0, 'cancelled'));
  assert.deepEqual([...red.servedByPod.get('a')!], [[0, 2]]);
  assert.deepEqual([...red.servedByPod.get('b')!], [[1, 1], [3, 1]]);
  assert.equal(red.lost, 2, 'cancelled is not lost');
  assert.deepEqual(red.failures('http://t/').map((f) => [f[0] / 1e9, f[2]]), [[3.1, 'http-5xx'], [3.2, 'connect-refused']]);
  const ws = groupFailures('http://t/', red.failures('http://t/'));
  assert.equal(ws.length, 1);
  assert.deepEqual(ws[0]!.byOutcome, { 'http-5xx': 1, 'connect-refused': 1 });
  assert.equal(ws[0]!.durationMs, 102);
});

test('windows split where failures are more than 1 s apart', () => {
  const red = new ReportReducer();
  for (const t of [1, 1.5, 2.4, 3.5, 3.6]) red.add(rec(t * 10, t, 'timeout'));
  assert.deepEqual(groupFailures('http://t/', red.failures('http://t/')).map((w) => w.lost), [3, 2]);
});

test('past the cap, marks are a uniform sample over the whole run, not its beginning', () => {
  const red = new ReportReducer();
  const n = MAX_MARKS * 3;
  for (let i = 0; i < n; i++) red.add(rec(i, i / 1000, 'connect-refused'));
  assert.equal(red.marks.length, MAX_MARKS);
  assert.equal(red.lost, n);
  const late = red.marks.filter((m) => m.seq >= (2 * n) / 3).length;
  // a third of the failures are in the last third: about a third of the sample must be too
  assert.ok(late > MAX_MARKS * 0.28 && late < MAX_MARKS * 0.39, String(late));
  assert.equal(new Set(red.marks.map((m) => m.seq)).size, MAX_MARKS, 'no mark twice');
});

test('targets are labelled with the scenario path names env.json maps to their URLs', async () => {
  const { targetLabels } = await import('./html.ts');
  const summary = { targets: [{ target: 'http://127.0.0.1:18080/' }, { target: 'http://10.96.0.7/' }, { target: 'http://x/' }] } as never;
  const labels = targetLabels({ summary, events: [], env: { paths: { ingress: 'http://127.0.0.1:18080/', clusterip: 'http://10.96.0.7/ (in cluster)', gone: 'http://y/' } } });
  assert.deepEqual([...labels], [['http://127.0.0.1:18080/', 'ingress — http://127.0.0.1:18080/'], ['http://10.96.0.7/', 'clusterip — http://10.96.0.7/']]);
  assert.equal(targetLabels({ summary, events: [] }).size, 0);
});

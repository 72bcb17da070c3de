// LifecycleEvent is a union typed by `kind` (issue 10, "Shape"): each kind's known detail fields have one
// type, from one table (record.ts EVENT_DETAIL_FIELDS) that the types, the timeline reader and the run
// folder's check share. A field of another type never reaches attribution as if it were right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLifecycleEvent, detailMismatches, type EventOf, type LifecycleEvent, lifecycleEvent } from './record.ts';
import { readTimeline } from './ledger/timeline.ts';
import { attributionSchema } from './folder/artifacts.ts';
import { parseStateChange } from './lab/cloudlb/haproxy.ts';
import { toLifecycleEvent } from './scenario/cloudlb.ts';

test('narrowed by kind, an event reads its detail with the field\'s type', () => {
  const e: LifecycleEvent = { at: 1, source: 'watch', kind: 'pod-deleting', pod: 'a', detail: { preStopSeconds: 5, gracePeriodSeconds: 30 } };
  if (e.kind !== 'pod-deleting') assert.fail('kind');
  const pre: number | undefined = e.detail?.preStopSeconds; // a number, not string | number | boolean
  assert.equal(pre, 5);
  const ep: EventOf<'endpoint-ready'> = { at: 2, source: 'watch', kind: 'endpoint-ready', pod: 'a', detail: { service: 'echo', ready: true } };
  const svc: string | undefined = ep.detail?.service;
  assert.equal(svc, 'echo');
});

test('a known field of another type is named; extras and other kinds pass', () => {
  assert.deepEqual(detailMismatches('pod-deleting', { preStopSeconds: '5', gracePeriodSeconds: 30 }), ['preStopSeconds: string, want number']);
  assert.deepEqual(detailMismatches('sigterm', { inFlight: 3, mode: 'graceful' }), []);
  assert.deepEqual(detailMismatches('endpoint-ready', { service: 'echo', ready: true, initial: true }), []);
});

test('the cloud LB\'s backend changes match the table (HAProxy\'s worker is a pid, a number: a real run\'s timeline had it)', () => {
  const down = parseStateChange('[WARNING]  (8) : Server p80/lossless-worker is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 1ms. 1 active and 0 backup servers left.');
  assert.ok(down);
  const e = toLifecycleEvent({ atMs: 1000, kind: 'lb-backend-down', service: 'ns/echo-lb', node: down.node, detail: { listener: down.listener, reason: down.reason, worker: down.worker } }, { t0EpochNs: 0n });
  assert.deepEqual(checkLifecycleEvent(JSON.parse(JSON.stringify(e))), e);
  assert.equal(e.kind === 'lb-backend-down' ? e.detail?.worker : undefined, 8);
});

test('an event built from a log line leaves out a known field of the wrong type, keeps the rest', () => {
  const e = lifecycleEvent({ at: 1, source: 'registry', kind: 'registry-register', pod: 'p', detail: { warmupMs: '5s', consumer: 'c-0', extra: 1 } });
  assert.deepEqual(e, { at: 1, source: 'registry', kind: 'registry-register', pod: 'p', detail: { consumer: 'c-0', extra: 1 } });
});

test('checkLifecycleEvent names what is wrong: kind, source, at, a known detail field', () => {
  assert.equal(checkLifecycleEvent({ at: 1, source: 'watch', kind: 'pod-exploded' }), 'kind: "pod-exploded", want one of LIFECYCLE_KINDS (record.ts)');
  assert.match(String(checkLifecycleEvent({ at: 1, source: 'mars', kind: 'sigterm' })), /^source: "mars", want one of watch, pod-log/);
  assert.equal(checkLifecycleEvent({ at: '1', source: 'watch', kind: 'sigterm' }), 'at: "1", want a number (run ns)');
  assert.equal(checkLifecycleEvent({ at: 1, source: 'watch', kind: 'endpoint-ready', detail: { ready: 'yes' } }), 'detail.ready: string, want boolean (endpoint-ready)');
  const ok = { at: 1, source: 'watch', kind: 'endpoint-ready', pod: 'a', detail: { service: 'echo', ready: true } };
  assert.deepEqual(checkLifecycleEvent(ok), ok);
});

test('the timeline reader and the run folder\'s attribution check refuse a known field of the wrong type, naming line and field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-event-'));
  try {
    const path = join(dir, 'timeline.ndjson');
    writeFileSync(path, [JSON.stringify({ lossless: 'timeline', version: 1, t0EpochNs: '0', runId: 'r' }), JSON.stringify({ at: 1, source: 'watch', kind: 'sigterm' }), JSON.stringify({ at: 2, source: 'watch', kind: 'pod-deleting', detail: { gracePeriodSeconds: '30' } })].join('\n') + '\n');
    const { events } = await readTimeline(path);
    const seen: LifecycleEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of events) seen.push(e);
      })(),
      { message: `${path}:3: detail.gracePeriodSeconds: string, want number (pod-deleting)` },
    );
    assert.equal(seen.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const attribution = [{ target: 'a', start: 0, end: 1, lost: 1, byOutcome: {}, pods: [], cause: 'unexplained', evidence: { text: '', events: [{ at: 1, source: 'lb', kind: 'lb-config', detail: { drainMs: 'none' } }], lagsMs: {} }, fix: '', seqs: [1] }];
  const r = attributionSchema.safeParse(attribution);
  assert.equal(r.success, false);
  assert.match(JSON.stringify(r.error?.issues), /drainMs: string, want number/);
});

// The watchers against a FAKE API server (harness/test/apiserver.ts: a real HTTP server speaking the watch
// protocol on port 0). The real API server is exercised by the lab tests. What is pinned here: every
// transition reaches the timeline exactly once across a watch timeout, a dropped connection, and 410 Gone
// both as an ERROR event and as the HTTP status, with changes made while the watcher was disconnected.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LifecycleEvent } from '../record.ts';
import { FakeApiServer } from '../../test/apiserver.ts';
import { watchCluster } from './cluster.ts';

const NS = 'demo';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;
const NODES = '/api/v1/nodes';
const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(name: string, o: { ip?: string; node?: string; running?: boolean; ready?: boolean; deleting?: boolean; exit?: number }) {
  const status: Record<string, unknown> = { conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:05Z' }] };
  if (o.ip) status.podIP = o.ip;
  if (o.running) status.containerStatuses = [{ name: 'echo', restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:02Z' } } }];
  if (o.exit !== undefined) status.containerStatuses = [{ name: 'echo', restartCount: 0, state: { terminated: { exitCode: o.exit, finishedAt: '2026-01-01T00:00:09Z' } } }];
  const metadata: Record<string, unknown> = { name, namespace: NS, creationTimestamp: '2026-01-01T00:00:01Z' };
  if (o.deleting) Object.assign(metadata, { deletionTimestamp: '2026-01-01T00:00:38Z', deletionGracePeriodSeconds: 30 });
  const spec: Record<string, unknown> = { terminationGracePeriodSeconds: 30, containers: [{ name: 'echo', lifecycle: { preStop: { sleep: { seconds: 5 } } } }] };
  if (o.node) spec.nodeName = o.node;
  return { metadata: metadata as { name: string }, spec, status };
}

function slice(name: string, eps: Array<{ pod: string; ip: string; ready: boolean; terminating?: boolean }>) {
  return {
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': 'echo' } },
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready || !!e.terminating, terminating: !!e.terminating },
      nodeName: 'w1',
      targetRef: { kind: 'Pod', name: e.pod, namespace: NS },
    })),
  };
}

async function until(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('no transition is lost across watch timeouts, dropped connections and 410 Gone', async (t) => {
  const api = new FakeApiServer();
  await api.start();
  t.after(() => api.stop());
  api.put(PODS, pod('p1', { ip: '10.0.0.1', node: 'w1', running: true, ready: true }));
  api.put(SLICES, slice('echo-a', [{ pod: 'p1', ip: '10.0.0.1', ready: true }]));
  api.put(NODES, { metadata: { name: 'w1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });

  const events: LifecycleEvent[] = [];
  let now = 0;
  const w = await watchCluster({
    kubeConfig: api.kubeConfig(),
    namespace: NS,
    clock: { t0EpochNs: BigInt(T0) * 1_000_000n },
    now: () => ++now,
    onEvent: (e) => events.push(e),
    backoffMs: { min: 20, max: 200 },
  });
  t.after(() => w.stop());
  const seen = () => events.map((e) => `${e.kind} ${e.pod ?? e.node ?? ''}${e.detail?.relist ? ' (relist)' : ''}`);

  // Initial state, from the lists.
  assert.deepEqual(seen(), ['pod-created p1', 'pod-scheduled p1', 'pod-started p1', 'pod-ready p1', 'endpoint-added p1', 'endpoint-ready p1', 'node-ready w1']);
  assert.ok(events.every((e) => e.detail?.initial === true));
  const started = events.find((e) => e.kind === 'pod-started');
  assert.equal(started?.apiAt, 2_000 * 1e6, 'apiAt is the container startedAt on the run clock');
  assert.equal(started?.podIP, '10.0.0.1');
  assert.equal(started?.node, 'w1');
  await until('all watches open', () => api.openWatches() === 5);

  // 1. The server ends every watch (its timeout); a change right after must arrive through the resumed watch.
  const listsBefore = api.requests.list;
  api.endWatches();
  api.put(PODS, pod('p2', { ip: '10.0.0.2', node: 'w1', running: true, ready: false }));
  await until('p2 created', () => seen().includes('pod-started p2'));
  assert.equal(api.requests.list, listsBefore, 'a watch timeout resumes from the resourceVersion, no relist');

  // 2. The connection drops mid-stream; the change made while reconnecting is still delivered.
  await until('watches reopened', () => api.openWatches() === 5);
  api.dropWatches();
  api.put(PODS, pod('p2', { ip: '10.0.0.2', node: 'w1', running: true, ready: true }));
  api.put(SLICES, slice('echo-a', [{ pod: 'p1', ip: '10.0.0.1', ready: true }, { pod: 'p2', ip: '10.0.0.2', ready: true }]));
  await until('p2 ready', () => seen().includes('pod-ready p2') && seen().includes('endpoint-ready p2'));
  assert.equal(api.requests.list, listsBefore, 'a dropped connection resumes from the resourceVersion, no relist');

  // 3. Disconnected while p1 starts terminating, and the history is compacted: the reconnect gets an
  //    ERROR event with code 410; the relist must bring back exactly what changed in the gap.
  await until('watches reopened', () => api.openWatches() === 5);
  api.dropWatches();
  api.put(PODS, pod('p1', { ip: '10.0.0.1', node: 'w1', running: true, ready: false, deleting: true }));
  api.put(SLICES, slice('echo-a', [{ pod: 'p1', ip: '10.0.0.1', ready: false, terminating: true }, { pod: 'p2', ip: '10.0.0.2', ready: true }]));
  api.compact();
  await until('relisted after 410 event', () => seen().includes('endpoint-not-ready p1 (relist)') && seen().includes('pod-deleting p1 (relist)'));
  const deleting = events.find((e) => e.kind === 'pod-deleting');
  assert.equal(deleting?.detail?.relist, true);
  assert.equal(deleting?.apiAt, 8_000 * 1e6, 'deletion requested = deletionTimestamp - grace period');
  assert.equal(deleting?.detail?.preStopSeconds, 5);

  // 4. Same, but the API answers the watch request itself with HTTP 410.
  await until('watches reopened', () => api.openWatches() === 5);
  api.dropWatches();
  api.answerNextWatchWith410 = true;
  api.put(PODS, pod('p1', { ip: '10.0.0.1', node: 'w1', exit: 0, deleting: true }));
  api.delete(PODS, 'p1');
  api.put(SLICES, slice('echo-a', [{ pod: 'p2', ip: '10.0.0.2', ready: true }]));
  api.compact();
  await until('relisted after HTTP 410', () => seen().includes('pod-gone p1 (relist)') && seen().includes('endpoint-removed p1 (relist)'));

  // 5. And the watches still work after all that.
  await until('watches reopened', () => api.openWatches() === 5);
  api.put(PODS, pod('p3', { ip: '10.0.0.3', node: 'w1' }));
  await until('p3 created', () => seen().includes('pod-created p3'));

  // Pods and slices are separate watches: between them the order may vary, within each it may not.
  const expected = [
    'pod-created p2',
    'pod-scheduled p2',
    'pod-started p2',
    'pod-ready p2',
    'endpoint-added p2',
    'endpoint-ready p2',
    'pod-unready p1 (relist)',
    'pod-deleting p1 (relist)',
    'endpoint-terminating p1 (relist)',
    'endpoint-not-ready p1 (relist)',
    'pod-gone p1 (relist)',
    'endpoint-removed p1 (relist)',
    'pod-created p3',
    'pod-scheduled p3',
  ];
  const got = seen().slice(7);
  assert.deepEqual([...got].sort(), [...expected].sort());
  for (const prefix of ['pod-', 'endpoint-']) {
    assert.deepEqual(got.filter((x) => x.startsWith(prefix)), expected.filter((x) => x.startsWith(prefix)));
  }
  assert.ok(api.requests.gone >= 2, `410 answered ${api.requests.gone} times`);
  const stats = w.stats();
  assert.ok((stats.pods?.gone ?? 0) >= 2, 'the pod watch saw both kinds of 410');
  // Receive stamps come from the run clock, in arrival order.
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.at > events[i - 1]!.at);
});

// Lab test of the watchers and the pod-log parser against the real API server (needs the kind cluster
// `lossless` and the lossless/echo:dev image in it). Not part of `npm test`; run with
//   scripts/node24 --import tsx --test harness/test-lab/watch.lab.ts
// Image: $LOSSLESS_ECHO_IMAGE, else the one the lab's own echo (namespace lossless-lab) runs.
// It deploys two echo replicas with a 2 s preStop sleep in a throw-away namespace, deletes one pod, and
// checks that the timeline holds, in order, every transition of both the deleted pod and its replacement,
// with API timestamps and the SIGTERM line from the pod's own log.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { createRunTimer } from '../src/load/clock.ts';
import type { LifecycleEvent } from '../src/record.ts';
import { apply, connect, deleteNamespace, ensureNamespace, waitRollout } from '../src/scenario/kube.ts';
import { buildManifests, LABEL_APP } from '../src/scenario/manifest.ts';
import { parseScenario } from '../src/scenario/schema.ts';
import { watchCluster } from '../src/observe/cluster.ts';
import { derivePreStop, followPodLog, parseEchoLine } from '../src/observe/podlog.ts';

const SCENARIO = `
name: watchlab
description: watcher lab test
seed: { file: slb-rolling-update-downtime.txt, quote: "preStop" }
cluster: lab
namespace: lossless-watchlab
workload:
  replicas: 2
  readinessProbe: { path: /readyz, periodSeconds: 1 }
  preStop: { sleep: 2 }
  terminationGracePeriodSeconds: 10
  strategy: { maxSurge: 1, maxUnavailable: 0 }
  echo: { onSigterm: graceful }
paths: { clusterip: { type: clusterip } }
load: { qps: 1 }
rollout: { trigger: restart }
variants: { default: only, only: {} }
`;

async function until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('watchers on the real API server: a pod deletion and its replacement, end to end', { timeout: 300_000 }, async (t) => {
  const s = parseScenario(SCENARIO, 'watchlab.yaml');
  const k = connect(process.env.LOSSLESS_CONTEXT ?? s.cluster);
  // The lab loads the echo image under its content tag; take it from the lab's own echo Deployment.
  const labEcho = await k.apps.readNamespacedDeployment({ name: 'echo', namespace: 'lossless-lab' }).catch(() => undefined);
  s.workload.image = process.env.LOSSLESS_ECHO_IMAGE ?? labEcho?.spec?.template.spec?.containers[0]?.image ?? s.workload.image;
  const clock = createRunTimer();
  const events: LifecycleEvent[] = [];
  await ensureNamespace(k, s.namespace, { 'app.kubernetes.io/managed-by': 'lossless' });
  t.after(() => deleteNamespace(k, s.namespace));
  const m = buildManifests(s, 0);
  for (const o of [...m.services, m.deployment]) await apply(k, o as KubernetesObject);

  const w = await watchCluster({ kubeConfig: k.kc, namespace: s.namespace, clock, now: clock.now, onEvent: (e) => events.push(e), labelSelector: `${LABEL_APP}=${s.workload.name}` });
  t.after(() => w.stop());
  await waitRollout(k, s.namespace, s.workload.name, 120_000);
  await until('two endpoints ready', () => new Set(events.filter((e) => e.kind === 'endpoint-ready').map((e) => e.pod)).size >= 2, 60_000);

  const victim = events.find((e) => e.kind === 'endpoint-ready')?.pod as string;
  const logs = await followPodLog(k.kc, s.namespace, victim, s.workload.name, (line) => {
    const e = parseEchoLine(line, clock, victim);
    if (e) events.push(e);
  });
  t.after(() => logs.stop());
  await until('the victim logged its start', () => events.some((e) => e.source === 'pod-log' && e.kind === 'listening'), 30_000);

  await k.core.deleteNamespacedPod({ name: victim, namespace: s.namespace });
  await until('victim gone and endpoint removed', () => events.some((e) => e.kind === 'pod-gone' && e.pod === victim) && events.some((e) => e.kind === 'endpoint-removed' && e.pod === victim), 60_000);
  await until('replacement ready in endpoints', () => events.filter((e) => e.kind === 'endpoint-ready').length >= 3, 60_000);

  const of = (pod: string) => events.filter((e) => e.pod === pod).sort((a, b) => a.at - b.at);
  const v = of(victim);
  const at = (kind: string) => v.find((e) => e.kind === kind)?.at ?? NaN;
  assert.ok(at('pod-deleting') < at('endpoint-removed'), 'deletion seen before the endpoint removal');
  assert.ok(at('pod-deleting') <= at('sigterm') + 1e9, 'the SIGTERM line comes after the deletion (within 1 s of skew)');
  assert.ok(at('sigterm') - at('pod-deleting') >= 1.5e9, `the 2 s preStop sleep delays SIGTERM (${Math.round((at('sigterm') - at('pod-deleting')) / 1e6)} ms)`);
  assert.ok(v.some((e) => e.kind === 'endpoint-not-ready' || e.kind === 'endpoint-terminating'), 'the endpoint turned not-ready / terminating before removal');
  const del = v.find((e) => e.kind === 'pod-deleting');
  assert.equal(del?.detail?.preStopSeconds, 2);
  assert.ok(del?.apiAt !== undefined && Math.abs(del.apiAt - del.at) < 5e9, 'the deletion has an API timestamp near its receive time');
  const pre = derivePreStop(events).filter((e) => e.pod === victim);
  assert.deepEqual(pre.map((e) => e.kind), ['prestop-start', 'prestop-end']);

  const replacement = events.find((e) => e.kind === 'pod-created' && e.pod !== victim && !e.detail?.initial)?.pod as string;
  assert.ok(replacement, 'a replacement pod was created');
  assert.deepEqual(
    of(replacement).filter((e) => ['pod-created', 'pod-scheduled', 'pod-started', 'pod-ready', 'endpoint-ready'].includes(e.kind)).map((e) => e.kind),
    ['pod-created', 'pod-scheduled', 'pod-started', 'pod-ready', 'endpoint-ready'],
  );
  const stats = w.stats();
  console.log(`watch stats: ${JSON.stringify(stats)}; victim timeline: ${v.map((e) => `${e.kind}@${Math.round(e.at / 1e6)}`).join(' ')}`);
});

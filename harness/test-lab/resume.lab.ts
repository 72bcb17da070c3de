// Lab proof that the in-cluster loader's records survive a broken log follow (issue #14): the loader pod
// sends to the lab's echo Service (ClusterIP, in cluster) while the runner follows its log; 4 s in, the
// follow is cut as a lost API server connection would cut it; the runner follows again from the start and
// the stream's end count must equal the records received, each once. Run under the lab lock:
//   flock /work/lab.lock scripts/node24 --import tsx harness/test-lab/resume.lab.ts
import assert from 'node:assert/strict';
import { createRunTimer } from '../src/load/clock.ts';
import { ECHO_NAMESPACE, IMAGES_CONFIGMAP } from '../src/lab/up.ts';
import type { RequestRecord } from '../src/record.ts';
import { InClusterLoader } from '../src/scenario/incluster.ts';
import { connect, deleteNamespace, ensureNamespace } from '../src/scenario/kube.ts';

const NS = 'lossless-resume-lab';
const k = connect('lab');
const images = (await k.core.readNamespacedConfigMap({ name: IMAGES_CONFIGMAP, namespace: ECHO_NAMESPACE })).data ?? {};
await ensureNamespace(k, NS, { 'app.kubernetes.io/managed-by': 'lossless' });
const clock = createRunTimer();
const seqs = new Map<number, number>();
const records: RequestRecord[] = [];
const loader = new InClusterLoader(k, k.kc, {
  namespace: NS, image: images.harness ?? 'lossless/harness:dev', url: `http://echo.${ECHO_NAMESPACE}.svc.cluster.local/`, runId: 'resume-lab',
  qps: 200, connections: 16, keepalive: true, timeoutMs: 2000, arrivals: 'uniform', maxDurationMs: 60_000,
}, clock, (r) => {
  records.push(r);
  seqs.set(r.seq, (seqs.get(r.seq) ?? 0) + 1);
}, (l) => console.error(l));
try {
  await loader.start(120_000);
  await new Promise((r) => setTimeout(r, 4000));
  const before = records.length;
  loader.breakFollow();
  console.error(`follow cut after ${before} records`);
  await new Promise((r) => setTimeout(r, 6000));
  const res = await loader.stop();
  console.log(JSON.stringify({ cutAfter: before, ...res, distinctSeqs: seqs.size, ok: records.filter((r) => r.outcome === 'ok').length }));
  assert.ok(res.resumed !== undefined && res.resumed >= 1, 'the follow was resumed');
  assert.equal(res.complete, true, 'the end line counts exactly the records received');
  assert.equal(res.received, res.reported);
  assert.ok([...seqs.values()].every((n) => n === 1), 'no record counted twice');
  assert.ok(res.received > before + 500, 'records after the cut arrived too');
} finally {
  await deleteNamespace(k, NS).catch(() => false);
}

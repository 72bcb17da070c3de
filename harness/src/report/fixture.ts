// Run folders for the report tests, made by the real load engine against real echo servers on
// loopback (known failures from FAIL_SEQS): a real ledger and summary. The rollout's timeline is
// hand-written (no cluster here) and attribution.json comes from the real attribute() over both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEcho } from '../../../workloads/echo/echo.ts';
import { parseFailSeqs } from '../../../workloads/echo/knobs.ts';
import { runLoad, type LoadConfig } from '../load/run.ts';
import { TimelineWriter } from '../ledger/timeline.ts';
import { readLedger } from '../ledger/reader.ts';
import { attribute } from '../attribute/attribute.ts';
import type { LifecycleEvent, RequestRecord } from '../record.ts';

export const OLD_POD = 'echo-5f7d8c9b4-old01';
export const NEW_POD = 'echo-5f7d8c9b4-new01';

const loadConfig = (targets: string[], qps: number, requests: number, runId: string): LoadConfig => ({
  targets, qps, requests, connections: 8, keepalive: true, timeoutMs: 3000, method: 'GET', headers: [], maxInFlight: 1000, arrivals: 'uniform', runId,
});

/**
 * A rolling update in miniature: path 0 goes to the old pod's echo, path 1 to the new pod's. The old
 * pod answers 503 for seqs `failSeqs` (its SIGTERM window). 100 QPS per path for `ticks` ticks.
 */
export async function makeRolloutRun(dir: string, opts: { failSeqs?: string; ticks?: number } = {}): Promise<{ dir: string; knownFailures: number; targets: string[] }> {
  const failSeqs = parseFailSeqs(opts.failSeqs ?? '503:200-260');
  const quiet = () => {};
  const oldEcho = await startEcho({ pod: OLD_POD, host: '127.0.0.1', port: 0, failSeqs, log: quiet });
  const newEcho = await startEcho({ pod: NEW_POD, host: '127.0.0.1', port: 0, log: quiet });
  mkdirSync(dir, { recursive: true });
  const targets = [`http://127.0.0.1:${oldEcho.port}/old`, `http://127.0.0.1:${newEcho.port}/new`];
  const runId = dir.split('/').filter(Boolean).pop() ?? 'fixture';
  let known = 0;
  try {
    const res = await runLoad(loadConfig(targets, 100, opts.ticks ?? 300, runId), {
      outDir: dir,
      // the old pod sees even seqs only (seq = tick * 2 + path)
      onRecord: (r) => {
        if (r.target === targets[0] && failSeqs.some((f) => r.seq >= f.from && r.seq <= f.to)) known++;
      },
    });
    const S = 1e9;
    const events: LifecycleEvent[] = [];
    const at = (s: number) => Math.round(s * S);
    const ep = (svc: string, ready: boolean) => ({ service: svc, ready, serving: ready, terminating: !ready });
    const o = { pod: OLD_POD, podIP: '10.244.1.7', node: 'lossless-worker' };
    const n = { pod: NEW_POD, podIP: '10.244.2.9', node: 'lossless-worker2' };
    events.push(
      { at: at(0), source: 'watch', kind: 'pod-created', ...o, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(0.01), source: 'watch', kind: 'pod-ready', ...o },
      { at: at(0.02), source: 'watch', kind: 'endpoint-ready', ...o, detail: ep('echo', true) },
      { at: at(0.5), source: 'runner', kind: 'rollout-start', object: 'Deployment/echo' },
      { at: at(0.5), source: 'watch', kind: 'pod-created', ...n, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(0.7), source: 'pod-log', kind: 'listening', ...n },
      { at: at(0.8), source: 'watch', kind: 'pod-ready', ...n },
      { at: at(0.9), source: 'watch', kind: 'endpoint-ready', ...n, detail: ep('echo', true) },
      { at: at(0.95), source: 'watch', kind: 'pod-deleting', ...o, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(0.98), source: 'pod-log', kind: 'sigterm', ...o },
      { at: at(1.7), source: 'watch', kind: 'endpoint-removed', ...o, detail: ep('echo', false) },
      { at: at(2.0), source: 'pod-log', kind: 'exit', ...o },
      { at: at(2.2), source: 'watch', kind: 'pod-terminated', ...o, detail: { exitCode: 0 } },
      { at: at(2.3), source: 'runner', kind: 'rollout-end', object: 'Deployment/echo' },
    );
    const tl = new TimelineWriter(join(dir, 'timeline.ndjson'), { t0EpochNs: res.clock.t0EpochNs, runId });
    for (const e of events) tl.write(e);
    tl.close();
    const records: RequestRecord[] = [];
    for await (const r of readLedger(join(dir, 'ledger.bin'))) records.push(r);
    writeFileSync(join(dir, 'attribution.json'), JSON.stringify(attribute(records, events), null, 2));
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify({
      name: 'report-fixture', variant: 'naive', description: 'A rolling update in miniature on loopback', variantDescription: 'no preStop',
      budgets: { maxLost: 0, maxWindowMs: 5000 },
    }, null, 2));
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ machine: 'test', node: process.version, cpus: 2 }, null, 2));
  } finally {
    await oldEcho.stop();
    await newEcho.stop();
  }
  return { dir, knownFailures: known, targets };
}

/** A plain `lossless load`-style run folder: one path to one echo, 503 for seqs `failSeqs`. */
export async function makeLoadRun(dir: string, failSeqs: string, ticks = 200, qps = 200): Promise<string> {
  const echo = await startEcho({ pod: 'echo-solo', host: '127.0.0.1', port: 0, failSeqs: parseFailSeqs(failSeqs), log: () => {} });
  mkdirSync(dir, { recursive: true });
  try {
    await runLoad(loadConfig([`http://127.0.0.1:${echo.port}/`], qps, ticks, dir.split('/').filter(Boolean).pop() ?? 'run'), { outDir: dir });
  } finally {
    await echo.stop();
  }
  return dir;
}

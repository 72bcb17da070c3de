// Run folders for the report tests, made by the real load engine against real echo servers on
// loopback (known failures from FAIL_SEQS, a real SIGTERM): a real ledger and summary. The watch half
// of the rollout's timeline is hand-written (no cluster here), the pod-log half is the echo's own
// lines, and attribution.json comes from the real attribute() over both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEcho, type EchoEvent } from '../../workloads/echo/echo.ts';
import { parseFailSeqs } from '../../workloads/echo/knobs.ts';
import { runLoad, type LoadConfig } from '../src/load/run.ts';
import { TimelineWriter } from '../src/ledger/timeline.ts';
import { readLedger } from '../src/ledger/reader.ts';
import { attribute } from '../src/attribute/attribute.ts';
import { createRunTimer } from '../src/load/clock.ts';
import { parseEchoLine } from '../src/observe/podlog.ts';
import type { LifecycleEvent, RequestRecord } from '../src/record.ts';
import { RunFolder } from '../src/folder/folder.ts';

export const OLD_POD = 'echo-5f7d8c9b4-old01';
export const NEW_POD = 'echo-5f7d8c9b4-new01';

const loadConfig = (targets: string[], qps: number, requests: number, runId: string): LoadConfig => ({
  targets, qps, requests, connections: 8, keepalive: true, timeoutMs: 3000, method: 'GET', headers: [], maxInFlight: 1000, arrivals: 'uniform', runId,
});

/**
 * A rolling update in miniature, two paths at 100 QPS each for `ticks` ticks (seq = tick * 2 + path):
 * - path 0 goes to the old pod's echo (ON_SIGTERM=exit). At 0.98 s it gets a real SIGTERM and is gone
 *   at once, while the timeline keeps it in the endpoints until 1.7 s: refused connections, routed after
 *   SIGTERM (how many depends on timing: counted from the ledger).
 * - path 1 goes to the new pod's echo (READY_DELAY 900 ms), in the endpoints from 0.35 s (no readiness
 *   probe): it answers 503 to seqs `newFailSeqs` (0.35-0.55 s) before its app is ready, routed before
 *   ready: exactly 21 known failures.
 * The echo servers' own log lines (start, listening, ready, sigterm, exit) become the pod-log events;
 * the watch events (pods, endpoints, rollout) are hand-written.
 */
export async function makeRolloutRun(dir: string, opts: { newFailSeqs?: string; ticks?: number; scenario?: Record<string, unknown> } = {}): Promise<{ dir: string; lostOld: number; lostNew: number; targets: string[] }> {
  const clock = createRunTimer();
  const podEvents: LifecycleEvent[] = [];
  const logTo = (pod: string) => (ev: EchoEvent) => {
    const e = parseEchoLine(JSON.stringify(ev), clock, pod);
    if (e) podEvents.push(e);
  };
  const failSeqs = parseFailSeqs(opts.newFailSeqs ?? '503:71-111');
  const oldEcho = await startEcho({ pod: OLD_POD, host: '127.0.0.1', port: 0, onSigterm: { kind: 'exit' }, log: logTo(OLD_POD) });
  const newEcho = await startEcho({ pod: NEW_POD, host: '127.0.0.1', port: 0, readyDelayMs: 900, failSeqs, log: logTo(NEW_POD) });
  mkdirSync(dir, { recursive: true });
  const targets = [`http://127.0.0.1:${oldEcho.port}/old`, `http://127.0.0.1:${newEcho.port}/new`];
  const runId = dir.split('/').filter(Boolean).pop() ?? 'fixture';
  let lostOld = 0;
  let lostNew = 0;
  const S = 1e9;
  let deletingAt = 0;
  const kill = setTimeout(() => {
    deletingAt = clock.now();
    void oldEcho.sigterm();
  }, 980);
  try {
    await runLoad(loadConfig(targets, 100, opts.ticks ?? 200, runId), {
      folder: RunFolder.create(dir),
      clock,
      onRecord: (r) => {
        if (r.outcome === 'ok' || r.outcome === 'cancelled') return;
        if (r.target === targets[0]) lostOld++;
        else lostNew++;
      },
    });
    const at = (s: number) => Math.round(s * S);
    const ep = (svc: string, ready: boolean) => ({ service: svc, ready, serving: ready, terminating: !ready });
    const o = { pod: OLD_POD, podIP: '10.244.1.7', node: 'lossless-worker' };
    const n = { pod: NEW_POD, podIP: '10.244.2.9', node: 'lossless-worker2' };
    const events: LifecycleEvent[] = [
      { at: at(0), source: 'watch', kind: 'pod-created', ...o, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(0.01), source: 'watch', kind: 'pod-ready', ...o },
      { at: at(0.02), source: 'watch', kind: 'endpoint-ready', ...o, detail: ep('echo', true) },
      { at: at(0.04), source: 'runner', kind: 'rollout-start', object: 'Deployment/echo' },
      { at: at(0.05), source: 'watch', kind: 'pod-created', ...n, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(0.3), source: 'watch', kind: 'pod-ready', ...n },
      { at: at(0.35), source: 'watch', kind: 'endpoint-ready', ...n, detail: ep('echo', true) },
      { at: deletingAt - 0.03 * S, source: 'watch', kind: 'pod-deleting', ...o, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } },
      { at: at(1.7), source: 'watch', kind: 'endpoint-removed', ...o, detail: ep('echo', false) },
      { at: at(1.9), source: 'watch', kind: 'pod-terminated', ...o, detail: { exitCode: 143 } },
      { at: at(1.95), source: 'runner', kind: 'rollout-end', object: 'Deployment/echo' },
      ...podEvents,
    ];
    const tl = new TimelineWriter(join(dir, 'timeline.ndjson'), { t0EpochNs: clock.t0EpochNs, runId });
    for (const e of events) tl.write(e);
    tl.close();
    const records: RequestRecord[] = [];
    for await (const r of readLedger(join(dir, 'ledger.bin'))) records.push(r);
    writeFileSync(join(dir, 'attribution.json'), JSON.stringify(attribute(records, events), null, 2));
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify({
      name: 'report-fixture', variant: 'naive', description: 'A rolling update in miniature on loopback', variantDescription: 'no readiness probe, no preStop',
      budgets: { maxLost: 0, maxWindowMs: 5000 }, ...opts.scenario,
    }, null, 2));
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ machine: 'test', node: process.version, cpus: 2 }, null, 2));
  } finally {
    clearTimeout(kill);
    await oldEcho.stop();
    await newEcho.stop();
  }
  return { dir, lostOld, lostNew, targets };
}

/** A plain `lossless load`-style run folder: one path to one echo, 503 for seqs `failSeqs`. */
export async function makeLoadRun(dir: string, failSeqs: string, ticks = 200, qps = 200): Promise<string> {
  const echo = await startEcho({ pod: 'echo-solo', host: '127.0.0.1', port: 0, failSeqs: parseFailSeqs(failSeqs), log: () => {} });
  mkdirSync(dir, { recursive: true });
  try {
    await runLoad(loadConfig([`http://127.0.0.1:${echo.port}/`], qps, ticks, dir.split('/').filter(Boolean).pop() ?? 'run'), { folder: RunFolder.create(dir) });
  } finally {
    await echo.stop();
  }
  return dir;
}

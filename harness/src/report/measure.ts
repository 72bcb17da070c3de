// The report's size and speed measurement: a synthetic 10-minute run at 1k QPS on each of 4 paths
// (2.4M records written with the real ledger writer, summarized by the real reducer, a timeline of
// five rolling updates of 3 pods with failures around each SIGTERM), then report.html rendered and
// opened in headless chromium several times. Prints file size, generation time and render times.
//
//   scripts/node24 --import tsx harness/src/report/measure.ts [--out DIR] [--minutes 10] [--qps 1000] [--opens 3]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LedgerWriter } from '../ledger/writer.ts';
import { readLedger } from '../ledger/reader.ts';
import { TimelineWriter } from '../ledger/timeline.ts';
import { summarize } from '../load/summary.ts';
import { attribute } from '../attribute/attribute.ts';
import type { LifecycleEvent, Outcome, RequestRecord } from '../record.ts';
import { writeRunOutputs } from './folder.ts';
import { launchChromium } from './browser.ts';

const { values: v } = parseArgs({ options: { out: { type: 'string' }, minutes: { type: 'string' }, qps: { type: 'string' }, opens: { type: 'string' } } });
const dir = v.out ?? '/tmp/lossless-report-measure';
const seconds = Number(v.minutes ?? 10) * 60;
const qps = Number(v.qps ?? 1000);
const opens = Number(v.opens ?? 3);
const TARGETS = ['http://lb.lab.test/', 'http://nginx.lab.test/', 'http://traefik.lab.test/', 'http://echo.lossless.svc/'];
const S = 1e9;

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const t0EpochNs = BigInt(Date.now()) * 1_000_000n;
const runId = 'measure-10min-1k';

// ---- pods: 3 replicas, a rolling update (maxSurge 1) every 2 minutes from 60 s ----
interface Pod { name: string; ip: string; node: string; created: number; ready: number; deleting: number; sigterm: number; exit: number }
const pods: Pod[] = [];
let podN = 0;
const mkPod = (created: number): Pod => {
  podN++;
  return { name: `echo-6b7c9d-${podN.toString(36).padStart(5, 'x')}`, ip: `10.244.${podN % 3}.${10 + podN}`, node: `lossless-worker${podN % 2 ? '' : '2'}`, created, ready: created + 2 * S, deleting: Infinity, sigterm: Infinity, exit: Infinity };
};
let current = [mkPod(-5 * S), mkPod(-5 * S), mkPod(-5 * S)];
pods.push(...current);
for (let r = 60; r < seconds - 20; r += 120) {
  const next: Pod[] = [];
  current.forEach((old, i) => {
    const at = (r + i * 4) * S;
    const fresh = mkPod(at);
    old.deleting = at + 2.2 * S;
    old.sigterm = old.deleting + 0.05 * S; // no preStop: SIGTERM at once
    old.exit = old.sigterm + 0.4 * S;
    next.push(fresh);
  });
  pods.push(...next);
  current = next;
}
// endpoints lag deletion by 700 ms: requests keep going to a pod that stopped listening
const inEndpoints = (p: Pod, t: number) => t >= p.ready + 0.3 * S && t < p.deleting + 0.7 * S;

// ---- ledger ----
let rng = 42;
const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648);
const ledger = new LedgerWriter(join(dir, 'ledger.bin'), { t0EpochNs, runId });
const failures: RequestRecord[] = [];
const genStart = performance.now();
const period = S / qps;
let seq = 0;
for (let tick = 0; tick < seconds * qps; tick++) {
  const at = tick * period;
  const live = pods.filter((p) => inEndpoints(p, at));
  for (let t = 0; t < TARGETS.length; t++) {
    const pod = live[(tick + t) % live.length]!;
    const lat = (0.8 + rand() * 1.5 + (rand() < 0.01 ? rand() * 40 : 0)) * 1e6;
    const dead = at >= pod.exit - 0.4 * S; // stopped listening at SIGTERM (exit mode)
    const outcome: Outcome = dead ? (t === 3 ? 'connect-refused' : 'http-5xx') : rand() < 0.00002 ? 'http-5xx' : 'ok';
    const r: RequestRecord = {
      seq: seq++, target: TARGETS[t]!, scheduledAt: at, sentAt: at + 20_000, endAt: at + lat, outcome, phase: outcome === 'ok' ? 'none' : outcome === 'connect-refused' ? 'connect' : 'headers',
      reusedConnection: true, bytesSent: 120, bytesReceived: outcome === 'connect-refused' ? 0 : 180, remoteAddr: t === 3 ? `${pod.ip}:8080` : '172.18.0.2:80', localPort: 30000 + (tick % 50),
    };
    if (outcome === 'http-5xx') r.status = 502;
    if (outcome === 'connect-refused') r.errorCode = 'ECONNREFUSED';
    else if (!dead) r.servedBy = pod.name;
    ledger.write(r);
    if (outcome !== 'ok') failures.push(r);
  }
}
ledger.close();
const genMs = performance.now() - genStart;

// ---- timeline ----
const tl = new TimelineWriter(join(dir, 'timeline.ndjson'), { t0EpochNs, runId });
const events: LifecycleEvent[] = [];
const ev = (e: LifecycleEvent) => {
  events.push(e);
  tl.write(e);
};
for (const p of pods) {
  const base = { pod: p.name, podIP: p.ip, node: p.node };
  ev({ at: Math.max(0, p.created), source: 'watch', kind: 'pod-created', ...base, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } });
  ev({ at: Math.max(0, p.ready), source: 'watch', kind: 'pod-ready', ...base });
  for (const svc of ['echo-lb', 'echo-clusterip']) {
    ev({ at: Math.max(0, p.ready + 0.3 * S), source: 'watch', kind: 'endpoint-ready', ...base, detail: { service: svc, ready: true, serving: true, terminating: false } });
    if (Number.isFinite(p.deleting)) ev({ at: p.deleting + 0.7 * S, source: 'watch', kind: 'endpoint-removed', ...base, detail: { service: svc, ready: false, serving: false, terminating: true } });
  }
  if (Number.isFinite(p.deleting)) {
    ev({ at: p.deleting, source: 'watch', kind: 'pod-deleting', ...base, detail: { hasReadinessProbe: false, gracePeriodSeconds: 30 } });
    ev({ at: p.sigterm, source: 'pod-log', kind: 'sigterm', ...base });
    ev({ at: p.exit, source: 'pod-log', kind: 'exit', ...base });
    ev({ at: p.exit + 0.5 * S, source: 'watch', kind: 'pod-terminated', ...base, detail: { exitCode: 0 } });
  }
}
for (let r = 60; r < seconds - 20; r += 120) ev({ at: r * S, source: 'runner', kind: 'rollout-start' });
tl.close();

// Attribution sees the failures and the events (all ok records would not fit this script's memory budget).
const atts = attribute(failures, events);
writeFileSync(join(dir, 'attribution.json'), JSON.stringify(atts));
const summary = await summarize(readLedger(join(dir, 'ledger.bin')), { runId, t0EpochNs, config: { targets: TARGETS, qps, durationMs: seconds * 1000, synthetic: true } });
writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
writeFileSync(join(dir, 'env.json'), JSON.stringify({ note: 'synthetic run for the report measurement', node: process.version }));

const repStart = performance.now();
const out = await writeRunOutputs(dir);
const repMs = performance.now() - repStart;

const b = await launchChromium({ width: 1300, height: 900 });
const times: Array<{ drawn: number; painted: number; load: number }> = [];
try {
  for (let i = 0; i < opens; i++) {
    const page = await b.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`file://${out.htmlPath}`);
    await page.waitForSelector('html[data-report-ready="1"]', { timeout: 60_000 });
    const html = page.locator('html');
    const t = {
      drawn: Number(await html.getAttribute('data-drawn-ms')),
      painted: Number(await html.getAttribute('data-painted-ms')),
      // a string, so this Node-side file needs no DOM types
      load: Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd')),
    };
    if (errors.length) throw new Error(`console errors: ${errors.join('; ')}`);
    times.push(t);
    if (i === 0) await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    await page.close();
  }
} finally {
  await b.close();
}
console.log(JSON.stringify({
  records: summary.totals.scheduled, lost: summary.totals.lost, windows: out.windows.length, targets: TARGETS.length, seconds, qpsPerTarget: qps,
  ledgerWriteMs: Math.round(genMs), reportGenerateMs: Math.round(repMs), htmlBytes: out.htmlBytes, htmlMiB: Math.round((out.htmlBytes / 1048576) * 100) / 100,
  chromium: times, file: out.htmlPath,
}, null, 2));

// A real run folder (a rolling update in miniature on loopback) remote-written to a real Prometheus (Debian's
// package, started here on loopback), its series queried back and matched against summary.json,
// attribution.json and the timeline. Skips off CI when Prometheus is not installed; under CI=true it never
// skips (.ci/run installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { PROMETHEUS, raw, startPrometheus, sum } from '../../test/prometheus.ts';
import { makeLoadRun, makeRolloutRun } from '../../test/runs.ts';
import { main } from '../cli/main.ts';
import type { Summary } from '../load/summary.ts';
import type { Attribution } from '../record.ts';
import { remoteWrite, snappyBlock } from './remotewrite.ts';
import { pathName, runSeries } from './series.ts';

const missing = !existsSync(PROMETHEUS);
if (missing && process.env.CI === 'true') throw new Error(`${PROMETHEUS} missing under CI: .ci/run installs Debian's prometheus package`);

test('snappy block of literals: length varint, then literal tags of each size class', () => {
  assert.deepEqual([...snappyBlock(Buffer.from('abc'))], [3, 2 << 2, 97, 98, 99]);
  const b = snappyBlock(Buffer.alloc(100, 1));
  assert.deepEqual([...b.subarray(0, 3)], [100, 60 << 2, 99]);
  const c = snappyBlock(Buffer.alloc(300, 1));
  assert.deepEqual([...c.subarray(0, 5)], [0xac, 0x02, 61 << 2, 299 & 0xff, 299 >> 8]);
});

test('a run remote-written to a real Prometheus reads back as summary.json says', { skip: missing && `${PROMETHEUS} not installed (apt-get install prometheus)` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-prom-'));
  let prom: ChildProcess | undefined;
  try {
    const run = await makeRolloutRun(join(dir, 'run'));
    const p = await startPrometheus(dir);
    prom = p.proc;
    const series = await runSeries(run.dir, { job: 'test' });
    const wrote = await remoteWrite(`${p.url}/api/v1/write`, series, { batch: 7 });
    assert.ok(wrote.requests > 1, 'several batches');

    const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as Summary;
    const attributions = JSON.parse(readFileSync(join(run.dir, 'attribution.json'), 'utf8')) as Attribution[];
    const end = Date.parse(summary.endedAt) + 5000;
    const sel = (name: string, target: string) => `${name}{run="${summary.runId}",path="${pathName(target)}"}`;
    assert.ok(summary.totals.lost > 0, 'the fixture loses requests');
    for (const t of summary.targets) {
      assert.equal(sum(await raw(p.url, sel('lossless_scheduled', t.target), end)), t.scheduled, `${t.target} scheduled`);
      assert.equal(sum(await raw(p.url, sel('lossless_sent', t.target), end)), t.sent, `${t.target} sent`);
      assert.equal(sum(await raw(p.url, sel('lossless_ok', t.target), end)), t.ok, `${t.target} ok`);
      assert.equal(sum(await raw(p.url, sel('lossless_lost', t.target), end)), t.lost, `${t.target} lost`);
      const byClass = await raw(p.url, sel('lossless_lost_by_class', t.target), end);
      const want = Object.fromEntries(Object.entries(t.byOutcome).filter(([k]) => k !== 'ok' && k !== 'cancelled'));
      const got = Object.fromEntries(byClass.map((r) => [r.metric.class, sum([r])]));
      assert.deepEqual(got, want, `${t.target} lost by class`);
      const lossPct = await raw(p.url, sel('lossless_run_loss_percent', t.target), end);
      assert.equal(Number(lossPct[0]!.values[0]![1]), t.lossPct);
      // p99 per second, at the second's end
      const p99 = await raw(p.url, `${sel('lossless_latency_ms', t.target).slice(0, -1)},quantile="0.99"}`, end);
      const t0Ms = Number(BigInt(summary.t0EpochNs) / 1_000_000n);
      const wantP99 = summary.series.filter((x) => x.target === t.target).map((x) => [(t0Ms + (x.t + 1) * 1000) / 1000, x.p99Ms]);
      assert.deepEqual(p99[0]!.values.map(([ts, v]) => [ts, Number(v)]), wantP99);
    }
    const windows = await raw(p.url, `lossless_loss_window_lost{run="${summary.runId}"}`, end);
    assert.equal(windows.length, attributions.length);
    assert.deepEqual(windows.map((w) => w.metric.cause).sort(), attributions.map((a) => a.cause).sort());
    const marks = await raw(p.url, `lossless_rollout{run="${summary.runId}"}`, end);
    assert.deepEqual(marks.map((m) => m.metric.mark).sort(), ['end', 'start']);
    assert.ok(marks.every((m) => m.metric.job === 'test' && m.metric.scenario === 'report-fixture' && m.metric.variant === 'naive'));

    // every query of the Grafana dashboard answers with data from this run
    const dash = JSON.parse(readFileSync(new URL('./grafana-dashboard.json', import.meta.url), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      annotations: { list: Array<{ name: string; expr: string }> };
    };
    const exprs = [...dash.panels.flatMap((pl) => pl.targets.map((t) => [pl.title, t.expr])), ...dash.annotations.list.map((a) => [a.name, a.expr])];
    assert.ok(exprs.length >= 8);
    for (const [title, expr] of exprs) {
      const q = expr!.replaceAll('$run', summary.runId).replaceAll('$path', '.*').replaceAll('$__range', '1h');
      const r = await request(`${p.url}/api/v1/query?${new URLSearchParams({ query: `${q}`, time: String(end / 1000) })}`);
      const body = (await r.body.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      assert.equal(body.status, 'success', `${title}: ${body.error}`);
      if (/last_over_time/.test(q)) assert.ok(body.data!.result.length > 0, `${title}: no data`);
      const rr = await request(`${p.url}/api/v1/query?${new URLSearchParams({ query: `count_over_time((${q})[1h:1s])`, time: String(end / 1000) })}`);
      const rb = (await rr.body.json()) as { status: string; data?: { result: unknown[] } };
      assert.ok(rb.data!.result.length > 0, `${title}: no data over the run`);
    }
  } finally {
    prom?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a receiver that refuses is the environment, with its own words', { skip: missing && 'prometheus not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-prom-'));
  let prom: ChildProcess | undefined;
  try {
    const p = await startPrometheus(dir);
    prom = p.proc;
    // a sample older than one the series already has (sent in an earlier request)
    const now = Date.now();
    await remoteWrite(`${p.url}/api/v1/write`, [{ labels: { __name__: 'lossless_sent' }, samples: [{ t: now, v: 1 }] }]);
    const bad = [{ labels: { __name__: 'lossless_sent' }, samples: [{ t: now - 60_000, v: 2 }] }];
    await assert.rejects(remoteWrite(`${p.url}/api/v1/write`, bad), (e: Error & { exitCode?: number }) => e.exitCode === 3 && /HTTP 400/.test(e.message));
    await assert.rejects(remoteWrite('http://127.0.0.1:1/api/v1/write', bad), /ECONNREFUSED.*remote-write-receiver/);
  } finally {
    prom?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lossless export: --json, --label on every series; bad input exits 2 naming the option', { skip: missing && 'prometheus not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-prom-'));
  let prom: ChildProcess | undefined;
  const cli = async (argv: string[]) => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (t: string) => { out += t; return true; } }, stderr: { write: (t: string) => { err += t; return true; } } } as never;
    return { code: await main(argv, io), out, err };
  };
  try {
    const run = await makeLoadRun(join(dir, 'run'), '503:10-14', 100, 100);
    const p = await startPrometheus(dir);
    prom = p.proc;
    const r = await cli(['export', run, '--remote-write', `${p.url}/api/v1/write`, '--label', 'job=nightly', '--json']);
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { runs: Array<{ dir: string; series: number; samples: number }> };
    assert.equal(json.runs[0]!.dir, run);
    assert.ok(json.runs[0]!.series > 0 && json.runs[0]!.samples >= json.runs[0]!.series);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as Summary;
    const lost = await raw(p.url, `lossless_lost{job="nightly",run="${summary.runId}"}`, Date.parse(summary.endedAt) + 5000);
    assert.equal(sum(lost), 5);
    const bad = await cli(['export', run, '--remote-write', 'ftp://x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--remote-write: 'ftp:\/\/x' is not an http\(s\) URL/);
    assert.equal((await cli(['export', run, '--label', '__name__=x', '--remote-write', p.url])).code, 2);
    assert.equal((await cli(['export', run])).code, 2);
  } finally {
    prom?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

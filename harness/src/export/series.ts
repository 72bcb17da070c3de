// A run folder as metric series with real timestamps, the form Prometheus (and Grafana over it) takes: the
// per-second figures per path (scheduled, sent, ok, lost by class, latency p50/p99 from the intended send
// time), each loss window as a series over its span, the rollout marks, and the run's totals at its end.
// Names and labels are documented in export/README.md; the dashboard (export/grafana-dashboard.json) reads them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { readTimeline } from '../ledger/timeline.ts';
import type { Summary } from '../load/summary.ts';
import type { Attribution } from '../record.ts';

export interface Sample {
  /** epoch ms */
  t: number;
  v: number;
}

export interface Series {
  /** `__name__` first, then the rest (Prometheus wants them sorted by name; the encoder sorts). */
  labels: Record<string, string>;
  samples: Sample[];
}

/** A target URL's path name: the scenario's paths are the URL's last segment (`/ingress`). */
export function pathName(target: string): string {
  try {
    const seg = new URL(target).pathname.split('/').filter(Boolean).pop();
    return seg ?? target;
  } catch {
    return target;
  }
}

function json<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UsageError(`${what} '${path}': not readable JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Every series of a run folder; `extra` labels go on each (e.g. {job: 'nightly'}). */
export async function runSeries(dir: string, extra: Record<string, string> = {}): Promise<Series[]> {
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(summaryPath)) throw new UsageError(`<run dir> '${dir}': no summary.json; expected a run folder`);
  const s = json<Summary>(summaryPath, 'summary.json');
  if (!Array.isArray(s.series) || typeof s.t0EpochNs !== 'string') throw new UsageError(`summary.json in '${dir}': no series or t0EpochNs; not a lossless summary`);
  const scenario = existsSync(join(dir, 'scenario.json')) ? json<{ name?: string; variant?: string }>(join(dir, 'scenario.json'), 'scenario.json') : {};
  const base: Record<string, string> = { run: s.runId, scenario: scenario.name ?? 'load', variant: scenario.variant ?? '', ...extra };
  const t0Ms = Number(BigInt(s.t0EpochNs) / 1_000_000n);
  const at = (ns: number) => t0Ms + Math.round(ns / 1e6);
  const out = new Map<string, Series>();
  const put = (name: string, labels: Record<string, string>, t: number, v: number) => {
    const all = { __name__: name, ...base, ...labels };
    const key = JSON.stringify(all);
    let series = out.get(key);
    if (!series) out.set(key, (series = { labels: all, samples: [] }));
    series.samples.push({ t, v });
  };

  // per second, stamped at the second's end (the figures are complete then)
  for (const sec of s.series) {
    const l = { target: sec.target, path: pathName(sec.target) };
    const t = t0Ms + (sec.t + 1) * 1000;
    const by = sec.byOutcome;
    const dropped = by.dropped ?? 0;
    const cancelled = by.cancelled ?? 0;
    const ok = by.ok ?? 0;
    put('lossless_scheduled', l, t, sec.scheduled);
    put('lossless_sent', l, t, sec.scheduled - dropped);
    put('lossless_ok', l, t, ok);
    put('lossless_lost', l, t, sec.scheduled - ok - cancelled);
    for (const [cls, n] of Object.entries(by)) {
      if (cls === 'ok' || cls === 'cancelled' || !n) continue;
      put('lossless_lost_by_class', { ...l, class: cls }, t, n);
    }
    put('lossless_latency_ms', { ...l, quantile: '0.5' }, t, sec.p50Ms);
    put('lossless_latency_ms', { ...l, quantile: '0.99' }, t, sec.p99Ms);
  }

  // loss windows: the lost count at each second the window spans (a window shorter than a second: one sample)
  const attributions = existsSync(join(dir, 'attribution.json')) ? json<Attribution[]>(join(dir, 'attribution.json'), 'attribution.json') : [];
  attributions.forEach((w, i) => {
    const l = { target: w.target, path: pathName(w.target), cause: w.cause, window: String(i + 1) };
    const start = at(w.start);
    const end = Math.max(start, at(w.end));
    for (let t = start; t < end; t += 1000) put('lossless_loss_window_lost', l, t, w.lost);
    put('lossless_loss_window_lost', l, end, w.lost);
  });

  // rollout marks from the runner: 1 at each start and end
  const timeline = join(dir, 'timeline.ndjson');
  if (existsSync(timeline)) {
    const tl = await readTimeline(timeline);
    let n = 0;
    for await (const e of tl.events) {
      if (e.source !== 'runner' || (e.kind !== 'rollout-start' && e.kind !== 'rollout-end')) continue;
      if (e.kind === 'rollout-start') n++;
      put('lossless_rollout', { mark: e.kind === 'rollout-start' ? 'start' : 'end', rollout: String(Math.max(n, 1)) }, at(e.at), 1);
    }
  }

  // the totals, once at the run's end, per target
  const endMs = Date.parse(s.endedAt);
  for (const tg of s.targets) {
    const l = { target: tg.target, path: pathName(tg.target) };
    put('lossless_run_scheduled', l, endMs, tg.scheduled);
    put('lossless_run_lost', l, endMs, tg.lost);
    put('lossless_run_loss_percent', l, endMs, tg.lossPct);
  }
  for (const series of out.values()) series.samples.sort((a, b) => a.t - b.t);
  return [...out.values()];
}

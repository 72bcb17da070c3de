// compare.html: the side-by-side table, the tests per metric and the per-second views of every run
// overlaid (coloured by variant). Self-contained like report.html.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Comparison } from './compare.ts';
import { REPORT_VERSION, scriptJson } from './html.ts';
import { PALETTE } from './view.ts';

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
let compiled: HandlebarsTemplateDelegate | undefined;

const fmt = (x: number) => String(Number(x.toPrecision(4)));

export function compareHtml(c: Comparison): string {
  compiled ??= Handlebars.create().compile(asset('./compare.hbs'));
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const rows = c.variants.flatMap((v, vi) => [
    ...v.runs.map((r) => ({
      variant: v.name, color: color(vi), run: r.runId, lossPct: fmt(r.lossPct), lost: r.lost, windows: r.windows, longest: fmt(r.longestWindowMs),
      p50: fmt(r.p50Ms), p99: fmt(r.p99Ms), cls: 'run',
      classes: Object.entries(r.byOutcome).filter(([o]) => o !== 'ok').map(([o, n]) => `${o} ${n}`).join(', ') || '—',
      causes: Object.entries(r.causes).map(([k, n]) => `${k} ${n}`).join(', ') || '—',
    })),
    {
      variant: v.name, color: color(vi), run: `median of ${v.runs.length}`, lossPct: fmt(v.median.lossPct), lost: '', windows: '', longest: fmt(v.median.longestWindowMs),
      p50: fmt(v.median.p50Ms), p99: fmt(v.median.p99Ms), cls: 'median', classes: '', causes: Object.entries(v.causes).map(([k, n]) => `${k} ${n}`).join(', ') || '—',
    },
  ]);
  const data = {
    palette: PALETTE,
    runs: c.variants.flatMap((v, vi) => v.runs.map((r) => ({ runId: r.runId, variantIndex: vi, series: r.series }))),
  };
  return compiled({
    reportVersion: REPORT_VERSION,
    title: c.variants.map((v) => v.name).join(' vs '),
    alpha: c.alpha,
    pairs: c.pairs.map((p) => ({ ...p, cls: p.verdict === 'better' ? 'pass' : p.verdict === 'worse' ? 'fail' : 'neutral' })),
    rows,
    tests: c.pairs.flatMap((p) => p.tests.map((t) => ({
      pair: `${p.other} vs ${p.base}`, metric: t.metric, other: fmt(t.medianOther), base: fmt(t.medianBase), u: fmt(t.test.uA), p: fmt(t.test.p), verdict: t.verdict,
    }))),
    variants: c.variants.map((v, vi) => ({ name: v.name, runs: v.runs.length, color: color(vi) })),
    css: asset('./report.css'),
    js: asset('./compare.js'),
    dataJson: scriptJson(data),
  });
}

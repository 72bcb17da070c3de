// The plain-text summary printed on stdout after a run.
import type { Counts, Summary } from './summary.ts';
import type { Percentiles } from '../ledger/histogram.ts';

function pct(p: Percentiles): string {
  return `p50 ${p.p50}  p90 ${p.p90}  p99 ${p.p99}  p99.9 ${p.p999}  max ${p.max} ms`;
}

function block(c: Counts, indent: string): string[] {
  const outcomes = Object.entries(c.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ');
  const statuses = Object.entries(c.byStatus).map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    `${indent}scheduled ${c.scheduled}  sent ${c.sent}  completed ${c.completed}  ok ${c.ok}  failed ${c.failed}  dropped ${c.dropped}  cancelled ${c.cancelled}`,
    `${indent}lost ${c.lost} (${c.lossPct}%)  actual rate ${c.actualQps}/s`,
    `${indent}outcomes: ${outcomes || '-'}`,
    `${indent}status: ${statuses || '-'}`,
    `${indent}latency from intended send: ${pct(c.latencyFromIntendedMs)}`,
    `${indent}latency from actual send:   ${pct(c.latencyFromSentMs)}`,
    `${indent}send lag:                   ${pct(c.sendLagMs)}`,
  ];
}

export function formatSummary(s: Summary, outDir?: string): string {
  const lines = [`lossless load ${s.runId}${s.partial ? '  (PARTIAL: interrupted)' : ''}  ${s.startedAt} .. ${s.endedAt}`];
  lines.push(...block(s.totals, '  '));
  if (s.targets.length > 1) {
    for (const t of s.targets) {
      lines.push(`  ${t.target}`);
      lines.push(...block(t, '    '));
    }
  }
  if (s.ledger) lines.push(`  ledger: ${s.ledger.records} records, ${s.ledger.bytesPerRecord} bytes/record${s.ledger.complete ? '' : ' (incomplete)'}`);
  if (outDir) lines.push(`  output: ${outDir}`);
  return lines.join('\n') + '\n';
}

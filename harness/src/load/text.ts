// The plain-text summary printed on stdout after a run.
import type { Counts, Summary } from './summary.ts';
import type { Percentiles } from '../ledger/histogram.ts';
import { clientNoun, parseClientPolicy, type ClientPolicy } from '../send/policy.ts';

/** The client policy a summary was run with (config.client); none for runs before issue 12. */
export function clientPolicyOf(s: Summary): ClientPolicy {
  const v = s.config.client;
  try {
    return typeof v === 'string' ? parseClientPolicy('config.client', v) : { kind: 'none' };
  } catch {
    return { kind: 'none' };
  }
}

/**
 * Both loss figures side by side: "26 lost on the wire; 0 would reach a Go net/http client (26 re-sent)".
 * Wire = every failed attempt; client = requests whose last attempt failed.
 */
export function wireAndClient(c: Counts, policy: ClientPolicy): string {
  const wire = `${c.lost} lost on the wire`;
  const client = clientSeenText(c, policy);
  return client === '' ? wire : `${wire}; ${client}`;
}

/** "0 would reach a Go net/http client (26 re-sent, 26 re-sends)"; empty with no client policy. */
export function clientSeenText(c: Counts, policy: ClientPolicy): string {
  if (policy.kind === 'none' || c.client === undefined) return '';
  return `${c.client.lost} would reach ${clientNoun(policy)} (${c.client.retried} re-sent, ${c.retries ?? 0} re-sends)`;
}

function pct(p: Percentiles): string {
  return `p50 ${p.p50}  p90 ${p.p90}  p99 ${p.p99}  p99.9 ${p.p999}  max ${p.max} ms`;
}

function block(c: Counts, indent: string, policy: ClientPolicy): string[] {
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
    ...(policy.kind !== 'none' && c.client
      ? [
          `${indent}client-seen (--client ${policy.kind === 'retries' ? `retries:${policy.retries}` : policy.kind}): lost ${c.client.lost} of ${c.client.requests} (${c.client.lossPct}%); ${wireAndClient(c, policy)}`,
          `${indent}client latency from intended send: ${pct(c.client.latencyFromIntendedMs)}`,
        ]
      : []),
  ];
}

export function formatSummary(s: Summary, outDir?: string): string {
  const lines = [`lossless load ${s.runId}${s.partial ? '  (PARTIAL: interrupted)' : ''}  ${s.startedAt} .. ${s.endedAt}`];
  const policy = clientPolicyOf(s);
  lines.push(...block(s.totals, '  ', policy));
  if (s.targets.length > 1) {
    for (const t of s.targets) {
      lines.push(`  ${t.target}`);
      lines.push(...block(t, '    ', policy));
    }
  }
  if (s.ledger) lines.push(`  ledger: ${s.ledger.records} records, ${s.ledger.bytesPerRecord} bytes/record${s.ledger.complete ? '' : ' (incomplete)'}`);
  if (outDir) lines.push(`  output: ${outDir}`);
  return lines.join('\n') + '\n';
}

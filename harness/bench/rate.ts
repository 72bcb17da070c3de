// Section 1, rate fidelity: each tool asked for the same fixed rate against a fresh echo; achieved rate
// as a % of target, and for lossless the send lag (actual minus intended send time) from its ledger.
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { ledgerStats, runLossless, type LedgerStats } from './lossless.ts';
import { PEERS, TIMEOUT_S, type PeerName } from './peers.ts';
import { ms, pct, table, type Cell } from './table.ts';

export interface RateRow {
  target: number;
  tool: 'lossless' | PeerName;
  /** lossless's --timing for this row */
  timing?: string;
  /** lossless's --http for this row */
  http?: string;
  achieved: number;
  pctOfTarget: number;
  sendLagP50Ms?: number;
  sendLagP99Ms?: number;
  total: number;
  notOk: number;
  /** CPU seconds the tool's process used (approx.: last sample before exit). */
  cpuSeconds?: number;
  command: string;
  error?: string;
  ledger?: Omit<LedgerStats, 'failedSeqs5xx'>;
  /** The engine's own figures from summary.json, to check against the ledger. */
  summaryQps?: number;
  summaryLagP99Ms?: number;
}

export interface RateSection {
  seconds: number;
  connections: number;
  rows: RateRow[];
  goals: { rate: number; withinHalfPercent: boolean; lagP99Under1ms?: boolean }[];
}

const HOW: Record<RateRow['tool'], string> = {
  lossless: 'open loop; achieved = sends / span of actual send times in the ledger. --timing: precise, a thread wakes the loop per batch of ticks due within 0.5 ms; timer, setTimeout, per-millisecond batches; spin, setImmediate busy-wait (the engine before issue 11); no suffix = the default (timer up to 1000/s, precise above). --http: wire, its own HTTP/1.1 client (the default); undici, the client before it',
  fortio: 'closed loop per thread (-c threads each pace qps/c; a slow reply delays its thread); ActualQPS (its -c warm-up requests uncounted)',
  vegeta: 'open loop; rate from its own timestamps (taken when a worker picks a tick up: late sends hidden)',
  autocannon: '--overallRate: per-connection limit reset every second (bursts at second boundaries); responses / duration',
};

export async function rateSection(ctx: BenchContext): Promise<RateSection> {
  const seconds = ctx.opts.rateSeconds;
  const rows: RateRow[] = [];
  for (const rate of ctx.opts.rates) {
    for (const http of ctx.opts.https) for (const timing of ctx.opts.timings) {
    await withEcho(ctx, `rate ${rate}/s lossless --timing ${timing} --http ${http} ${seconds}s`, {}, async (echo) => {
      const out = join(await runDir(ctx, `rate-${rate}`), `lossless-${timing}${http === 'default' ? '' : `-${http}`}`);
      try {
        const r = await runLossless(ctx.root, ctx.node, {
          url: echo.url,
          qps: rate,
          durationS: seconds,
          connections: ctx.opts.connections,
          keepalive: true,
          out,
          ...(timing === 'default' ? {} : { timing }),
          ...(http === 'default' ? {} : { http }),
        });
        const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
        const { failedSeqs5xx: _, ...ledger } = s;
        const row: RateRow = {
          target: rate,
          tool: 'lossless',
          timing,
          http,
          achieved: s.sendRate,
          pctOfTarget: (s.sendRate / rate) * 100,
          sendLagP50Ms: s.lagP50Ms,
          sendLagP99Ms: s.lagP99Ms,
          total: s.records,
          notOk: s.records - (s.byOutcome.ok ?? 0),
          command: r.command,
          ledger,
        };
        if (r.cpuSeconds !== undefined) row.cpuSeconds = r.cpuSeconds;
        row.summaryQps = r.summary.totals.actualQps;
        row.summaryLagP99Ms = r.summary.totals.sendLagMs.p99;
        rows.push(row);
      } catch (e) {
        rows.push({ ...failed(rate, 'lossless', e), timing, http });
      }
    });
    }
    for (const tool of ['fortio', 'vegeta', 'autocannon'] as const) {
      await withEcho(ctx, `rate ${rate}/s ${tool} ${seconds}s`, {}, async (echo) => {
        try {
          const p = await PEERS[tool](ctx.bins, {
            url: echo.url,
            qps: rate,
            durationS: seconds,
            connections: ctx.opts.connections,
            keepalive: true,
            dir: await runDir(ctx, `rate-${rate}`),
          });
          const ok = Object.entries(p.byStatus).reduce((a, [code, n]) => a + (code.startsWith('2') ? n : 0), 0);
          const row: RateRow = {
            target: rate,
            tool,
            achieved: p.rate,
            pctOfTarget: (p.rate / rate) * 100,
            total: p.total,
            notOk: p.total - ok,
            command: p.command,
          };
          if (p.cpuSeconds !== undefined) row.cpuSeconds = p.cpuSeconds;
          rows.push(row);
        } catch (e) {
          rows.push(failed(rate, tool, e));
        }
      });
    }
  }
  const goals = ctx.opts.rates.map((rate) => {
    // the goals are the engine's default timing and client (the first asked for)
    const l = rows.find((r) => r.tool === 'lossless' && r.timing === ctx.opts.timings[0] && r.http === ctx.opts.https[0] && r.target === rate && !r.error);
    const g: RateSection['goals'][number] = { rate, withinHalfPercent: !!l && Math.abs(l.pctOfTarget - 100) <= 0.5 };
    if (rate === 5000) g.lagP99Under1ms = !!l && (l.sendLagP99Ms ?? Infinity) < 1;
    return g;
  });
  return { seconds, connections: ctx.opts.connections, rows, goals };
}

function failed(rate: number, tool: RateRow['tool'], e: unknown): RateRow {
  return { target: rate, tool, achieved: NaN, pctOfTarget: NaN, total: 0, notOk: 0, command: '', error: (e as Error).message.slice(0, 300) };
}

export function formatRate(s: RateSection): string {
  const name = (r: RateRow) => {
    const how = [r.timing, r.http].filter((x) => x !== undefined && x !== 'default');
    return how.length > 0 ? `${r.tool} (${how.join(', ')})` : r.tool;
  };
  const rows: Cell[][] = s.rows.map((r) => [
    r.target,
    name(r),
    r.error ? 'FAILED' : Math.round(r.achieved),
    r.error ? '-' : pct(r.pctOfTarget),
    r.tool === 'lossless' && !r.error ? ms(r.sendLagP99Ms, 3) : 'n/a',
    r.total,
    r.notOk,
    r.cpuSeconds !== undefined && r.total > 0 ? ((r.cpuSeconds * 1e6) / r.total).toFixed(0) : '-',
  ]);
  const lines = [
    `1. Rate fidelity (${s.seconds} s per run; every tool: keep-alive, at most ${s.connections} connections, ${TIMEOUT_S} s request timeout)`,
    table(['target/s', 'tool', 'achieved/s', '% target', 'send-lag p99', 'requests', 'not ok', 'CPU µs/req'], rows),
    ...s.rows.filter((r) => r.error).map((r) => `   ${name(r)} at ${r.target}/s failed: ${r.error}`),
    ...s.rows
      .filter((r) => r.tool === 'lossless' && r.ledger && r.notOk > 0)
      .map(
        (r) =>
          `   ${name(r)} at ${r.target}/s, not ok by class: ${Object.entries(r.ledger!.byOutcome)
            .filter(([o]) => o !== 'ok')
            .map(([o, n]) => `${o} ${n}`)
            .join(', ')} (send lag p50 ${ms(r.sendLagP50Ms, 3)})`,
      ),
    '   CPU µs/req: the tool process\'s user+system CPU / requests (lossless: within its run, start-up and post-run report left out)',
    '   how each tool computes its rate:',
    ...Object.entries(HOW).map(([t, h]) => `     ${t}: ${h}`),
    `   goals (${s.rows.find((r) => r.tool === 'lossless') ? name(s.rows.find((r) => r.tool === 'lossless')!) : 'lossless'}): ${s.goals
      .map((g) => `${g.rate}/s within 0.5% ${g.withinHalfPercent ? 'MET' : 'MISSED'}${g.lagP99Under1ms === undefined ? '' : `, send-lag p99 < 1 ms ${g.lagP99Under1ms ? 'MET' : 'MISSED'}`}`)
      .join('; ')}`,
  ];
  return lines.join('\n');
}

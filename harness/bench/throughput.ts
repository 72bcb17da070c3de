// Section 2, maximum throughput with the ledger on. The peers run flat out (autocannon -c N, fortio
// -qps 0, vegeta -rate 0 with N workers); lossless runs open loop above their rate with an in-flight
// bound, so what it cannot send becomes `dropped` records and the completed rate is its ceiling.
// When lossless falls below autocannon, the same run is repeated under `node --cpu-prof`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { ledgerStats, runLossless } from './lossless.ts';
import { PEERS } from './peers.ts';
import { byArea, hotFunctions, readProfileDir, type HotFunction } from './profile.ts';
import { table, pct, type Cell } from './table.ts';

export interface ThroughputRow {
  tool: string;
  rps: number; // completed requests per second
  total: number;
  notOk: number;
  dropped?: number;
  command: string;
  error?: string;
}

export interface ThroughputSection {
  seconds: number;
  connections: number;
  rows: ThroughputRow[];
  losslessTargetQps?: number;
  goalMet?: boolean;
  profile?: { hot: HotFunction[]; areas: Record<string, number>; file: string; rps: number };
}

export async function throughputSection(ctx: BenchContext): Promise<ThroughputSection> {
  const seconds = ctx.opts.throughputSeconds;
  const c = ctx.opts.connections;
  const rows: ThroughputRow[] = [];
  const peerRuns = [
    ['autocannon', 0],
    ['fortio', 0],
    ['vegeta', 0],
  ] as const;
  for (const [tool, qps] of peerRuns) {
    await withEcho(ctx, `throughput ${tool} ${seconds}s`, {}, async (echo) => {
      try {
        const p = await PEERS[tool](ctx.bins, {
          url: echo.url,
          qps,
          durationS: seconds,
          connections: c,
          keepalive: true,
          dir: await runDir(ctx, 'throughput'),
        });
        const ok = Object.entries(p.byStatus).reduce((a, [code, n]) => a + (code.startsWith('2') ? n : 0), 0);
        rows.push({ tool, rps: p.total / p.durationS, total: p.total, notOk: p.total - ok, command: p.command });
      } catch (e) {
        rows.push({ tool, rps: NaN, total: 0, notOk: 0, command: '', error: (e as Error).message.slice(0, 300) });
      }
    });
  }
  const ac = rows.find((r) => r.tool === 'autocannon')?.rps;
  // above saturation: a quarter over the fastest peer, at least 20k/s
  const best = Math.max(20_000, ...rows.map((r) => (Number.isFinite(r.rps) ? r.rps : 0)));
  const target = Math.ceil((best * 1.25) / 1000) * 1000;
  const section: ThroughputSection = { seconds, connections: c, rows, losslessTargetQps: target };

  const runEngine = async (cpuProfDir?: string) =>
    withEcho(ctx, `throughput lossless ${target}/s ${seconds}s${cpuProfDir ? ' (--cpu-prof)' : ''}`, {}, async (echo) => {
      const out = join(await runDir(ctx, 'throughput'), cpuProfDir ? 'lossless-profiled' : 'lossless');
      const r = await runLossless(ctx.root, ctx.node, {
        url: echo.url,
        qps: target,
        durationS: seconds,
        connections: c,
        keepalive: true,
        // two requests queued per socket keeps every socket busy without an unbounded queue
        maxInFlight: c * 2,
        out,
        ...(cpuProfDir ? { cpuProfDir } : {}),
      });
      const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
      const completed = s.sent;
      const row: ThroughputRow = {
        tool: cpuProfDir ? 'lossless (profiled)' : 'lossless',
        rps: s.completionRate,
        total: completed,
        notOk: completed - (s.byOutcome.ok ?? 0),
        dropped: s.byOutcome.dropped ?? 0,
        command: r.command,
      };
      return row;
    });

  let lossless: ThroughputRow;
  try {
    lossless = await runEngine();
  } catch (e) {
    lossless = { tool: 'lossless', rps: NaN, total: 0, notOk: 0, command: '', error: (e as Error).message.slice(0, 300) };
  }
  rows.push(lossless);
  if (ac !== undefined && Number.isFinite(lossless.rps)) {
    section.goalMet = lossless.rps >= ac;
    if (!section.goalMet) {
      const profDir = join(ctx.dir, 'throughput', 'cpu-prof');
      await mkdir(profDir, { recursive: true });
      try {
        const prow = await runEngine(profDir);
        rows.push(prow);
        const prof = await readProfileDir(profDir);
        section.profile = { hot: hotFunctions(prof, ctx.root, 15), areas: byArea(prof, ctx.root), file: profDir, rps: prow.rps };
      } catch (e) {
        ctx.log(`cpu profile failed: ${(e as Error).message}`);
      }
    }
  }
  return section;
}

export function formatThroughput(s: ThroughputSection): string {
  const ac = s.rows.find((r) => r.tool === 'autocannon')?.rps;
  const rows: Cell[][] = s.rows.map((r) => [
    r.tool,
    r.error ? 'FAILED' : Math.round(r.rps),
    ac && !r.error ? pct((r.rps / ac) * 100, 0) : '-',
    r.total,
    r.notOk,
    r.dropped ?? 'n/a',
  ]);
  const lines = [
    `2. Maximum throughput, ledger on (${s.seconds} s, ${s.connections} connections, keep-alive; lossless open loop at ${s.losslessTargetQps}/s with --max-in-flight ${s.connections * 2})`,
    table(['tool', 'req/s', 'vs autocannon', 'completed', 'not ok', 'dropped'], rows),
    ...s.rows.filter((r) => r.error).map((r) => `   ${r.tool} failed: ${r.error}`),
    '   lossless req/s = sent records / (first send .. last response) from its ledger; dropped = ticks it could not send (recorded, not skipped)',
  ];
  if (s.goalMet !== undefined) lines.push(`   goal (lossless >= autocannon): ${s.goalMet ? 'MET' : 'MISSED'}`);
  if (s.profile) {
    lines.push(`   CPU profile of lossless (node --cpu-prof, ${Math.round(s.profile.rps)} req/s under the profiler; ${s.profile.file}):`);
    lines.push(`   self time by area: ${Object.entries(s.profile.areas).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}%`).join(', ')}`);
    lines.push(
      table(
        ['  self %', 'self ms', 'function', 'where'],
        s.profile.hot.map((h) => [`  ${h.selfPct.toFixed(1)}%`, h.selfMs, h.name, h.where]),
      ),
    );
  }
  return lines.join('\n');
}

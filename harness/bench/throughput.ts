// Section 2, maximum throughput with the ledger on. The peers run flat out (autocannon -c N, fortio
// -qps 0, vegeta -rate 0 with N workers). lossless has no "flat out": it runs open loop at a ladder of
// rates around the fastest peer's, with an in-flight bound, so what it cannot send becomes `dropped`
// records; its ceiling is the best completed rate. Far above saturation it does worse (every dropped
// tick is still a record to write), hence the ladder rather than one very high rate.
// Its best rung is repeated under `node --cpu-prof`: the engine's profile, every run.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { ledgerStats, runLossless } from './lossless.ts';
import { PEERS } from './peers.ts';
import { byArea, hotFunctions, readProfileDir, type HotFunction } from './profile.ts';
import { table, pct, type Cell } from './table.ts';

/** lossless's rates, as multiples of the fastest peer's req/s. */
const LADDER = [0.6, 0.9, 1.25];

export interface ThroughputRow {
  tool: string;
  target?: number;
  rps: number; // completed requests per second
  total: number;
  notOk: number;
  dropped?: number;
  /** CPU seconds the tool's process used (approx.: last sample before exit). */
  cpuSeconds?: number;
  command: string;
  error?: string;
}

export interface ThroughputSection {
  seconds: number;
  connections: number;
  rows: ThroughputRow[];
  losslessTargetQps: number[];
  losslessBest?: { rps: number; target: number };
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
        const row: ThroughputRow = { tool, rps: p.total / p.durationS, total: p.total, notOk: p.total - ok, command: p.command };
        if (p.cpuSeconds !== undefined) row.cpuSeconds = p.cpuSeconds;
        rows.push(row);
      } catch (e) {
        rows.push({ tool, rps: NaN, total: 0, notOk: 0, command: '', error: (e as Error).message.slice(0, 300) });
      }
    });
  }
  const ac = rows.find((r) => r.tool === 'autocannon')?.rps;
  const best = Math.max(5_000, ...rows.map((r) => (Number.isFinite(r.rps) ? r.rps : 0)));
  const rungs = LADDER.map((f) => Math.ceil((best * f) / 500) * 500);
  const section: ThroughputSection = { seconds, connections: c, rows, losslessTargetQps: rungs };

  const runEngine = async (target: number, http: string, cpuProfDir?: string) =>
    withEcho(ctx, `throughput lossless ${target}/s --http ${http} ${seconds}s${cpuProfDir ? ' (--cpu-prof)' : ''}`, {}, async (echo) => {
      const suffix = http === 'default' ? '' : ` --http ${http}`;
      const out = join(await runDir(ctx, 'throughput'), `lossless-${target}${http === 'default' ? '' : `-${http}`}${cpuProfDir ? '-profiled' : ''}`);
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
        ...(http === 'default' ? {} : { http }),
      });
      const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
      const completed = s.sent;
      const row: ThroughputRow = {
        tool: `lossless${suffix} @${target}/s${cpuProfDir ? ' (profiled)' : ''}`,
        target,
        rps: s.completionRate,
        total: completed,
        notOk: completed - (s.byOutcome.ok ?? 0),
        dropped: s.byOutcome.dropped ?? 0,
        command: r.command,
      };
      if (r.cpuSeconds !== undefined) row.cpuSeconds = r.cpuSeconds;
      return row;
    });

  // the goal and the profile are the first --http asked for (the engine's default unless told)
  let lossless: ThroughputRow | undefined;
  for (const [i, http] of ctx.opts.https.entries()) {
    for (const target of rungs) {
      let row: ThroughputRow;
      try {
        row = await runEngine(target, http);
      } catch (e) {
        row = { tool: `lossless${http === 'default' ? '' : ` --http ${http}`} @${target}/s`, target, rps: NaN, total: 0, notOk: 0, command: '', error: (e as Error).message.slice(0, 300) };
      }
      rows.push(row);
      if (i === 0 && Number.isFinite(row.rps) && (!lossless || row.rps > lossless.rps)) lossless = row;
    }
  }
  if (lossless) section.losslessBest = { rps: lossless.rps, target: lossless.target ?? 0 };
  if (ac !== undefined && lossless) section.goalMet = lossless.rps >= ac;
  if (lossless) {
    // the engine's profile at its best rung, every run (issue 11 asks for the final engine's)
    const profDir = join(ctx.dir, 'throughput', 'cpu-prof');
    await mkdir(profDir, { recursive: true });
    try {
      const prow = await runEngine(lossless.target ?? rungs[0]!, ctx.opts.https[0]!, profDir);
      rows.push(prow);
      const prof = await readProfileDir(profDir);
      // from the first sample inside the sender: start-up (module loading, tsx) is left out
      // ... until the first sample in the report built after the run
      const window = { from: 'harness/src/send/sender.ts#send', until: 'harness/src/report/' };
      section.profile = { hot: hotFunctions(prof, ctx.root, 15, window), areas: byArea(prof, ctx.root, window), file: profDir, rps: prow.rps };
    } catch (e) {
      ctx.log(`cpu profile failed: ${(e as Error).message}`);
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
    r.cpuSeconds !== undefined && r.total > 0 ? ((r.cpuSeconds * 1e6) / r.total).toFixed(0) : '-',
  ]);
  const lines = [
    `2. Maximum throughput, ledger on (${s.seconds} s per run, ${s.connections} connections, keep-alive; lossless open loop at ${s.losslessTargetQps.join(', ')}/s, --max-in-flight ${s.connections * 2})`,
    table(['tool', 'req/s', 'vs autocannon', 'completed', 'not ok', 'dropped', 'CPU µs/req'], rows),
    ...s.rows.filter((r) => r.error).map((r) => `   ${r.tool} failed: ${r.error}`),
    '   lossless req/s = sent records / (first send .. last response) from its ledger; dropped = ticks it could not send (recorded, not skipped)',
    '   CPU µs/req = the tool process\'s user+system CPU (sampled from /proc/<pid>/stat every 200 ms) / completed: steadier than req/s on a busy machine;',
    '     lossless: CPU within its run only (start-up and the post-run report left out), and it includes writing the dropped records',
  ];
  if (s.losslessBest) lines.push(`   lossless best: ${Math.round(s.losslessBest.rps)} req/s (asked ${s.losslessBest.target}/s)`);
  if (s.goalMet !== undefined) lines.push(`   goal (lossless >= autocannon): ${s.goalMet ? 'MET' : 'MISSED'}`);
  if (s.profile) {
    lines.push(`   CPU profile of lossless (node --cpu-prof, ${Math.round(s.profile.rps)} req/s under the profiler, from its first send to its post-run report; ${s.profile.file}):`);
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

// Section 3, ledger bytes per request and peak memory of a long 5k QPS run. By default the run lasts
// 60 s and the 10-minute figures are extrapolated (said so in the output); --long runs the 10 minutes.
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { ledgerStats, runLossless } from './lossless.ts';
import { mb, table } from './table.ts';

const TEN_MINUTES_S = 600;

export interface LedgerSection {
  qps: number;
  seconds: number;
  extrapolated: boolean;
  ledgerBytes: number;
  records: number;
  bytesPerRecord: number;
  peakHwmKb?: number;
  /** VmRSS slope over the second half of the run, kB per minute (flat memory means about 0). */
  rssSlopeKbPerMin?: number;
  /** VmRSS (kB) at a quarter, half, three quarters and the end of the run: a plateau or a climb. */
  rssQuartersKb?: number[];
  tenMinutes: { records: number; ledgerBytes: number; peakKb?: number };
  goalBytesMet: boolean;
  command: string;
  error?: string;
}

/** Least-squares slope of y over x; NaN with fewer than 2 points. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  return d === 0 ? NaN : (n * sxy - sx * sy) / d;
}

export async function ledgerSection(ctx: BenchContext): Promise<LedgerSection> {
  const qps = ctx.opts.ledgerQps;
  const seconds = ctx.opts.ledgerSeconds;
  return withEcho(ctx, `ledger ${qps}/s for ${seconds}s`, {}, async (echo) => {
    const out = join(await runDir(ctx, 'ledger'), 'lossless');
    const r = await runLossless(ctx.root, ctx.node, {
      url: echo.url,
      qps,
      durationS: seconds,
      connections: ctx.opts.connections,
      keepalive: true,
      out,
    });
    const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
    const bytesPerRecord = r.ledgerBytes / s.records;
    const series = r.rssSeries ?? [];
    const secondHalf = series.filter(([t]) => t >= (series.at(-1)?.[0] ?? 0) / 2);
    const slopeKbPerMs = slope(secondHalf);
    const extrapolated = seconds < TEN_MINUTES_S;
    const tenRecords = qps * TEN_MINUTES_S;
    const section: LedgerSection = {
      qps,
      seconds,
      extrapolated,
      ledgerBytes: r.ledgerBytes,
      records: s.records,
      bytesPerRecord,
      tenMinutes: { records: tenRecords, ledgerBytes: Math.round(bytesPerRecord * tenRecords) },
      // the records are the goal; the file's fixed part (header, dictionary, trailer) is allowed 0.01 B/request
      goalBytesMet: bytesPerRecord <= 40.01,
      command: r.command,
    };
    if (r.peakRssKb !== undefined) {
      section.peakHwmKb = r.peakRssKb;
      // growth after the warm-up half, carried on to 10 minutes; never extrapolate a shrinking RSS downwards
      const grow = Number.isFinite(slopeKbPerMs) ? Math.max(0, slopeKbPerMs) : 0;
      section.tenMinutes.peakKb = extrapolated ? Math.round(r.peakRssKb + grow * (TEN_MINUTES_S - seconds) * 1000) : r.peakRssKb;
    }
    if (series.length >= 4) {
      const end = series.at(-1)![0];
      section.rssQuartersKb = [0.25, 0.5, 0.75, 1].map((q) => (series.find(([t]) => t >= q * end) ?? series.at(-1)!)[1]);
    }
    if (Number.isFinite(slopeKbPerMs)) section.rssSlopeKbPerMin = Math.round(slopeKbPerMs * 60_000);
    return section;
  });
}

export function formatLedger(s: LedgerSection): string {
  const lines = [
    `3. Ledger size and memory (lossless at ${s.qps}/s for ${s.seconds} s${s.extrapolated ? '; 10-minute figures EXTRAPOLATED from this run, --long measures them' : ', the full 10 minutes'})`,
    table(
      ['measure', 'value'],
      [
        ['records in ledger', s.records],
        ['ledger.bin bytes', s.ledgerBytes],
        ['bytes per request (file size / records)', s.bytesPerRecord.toFixed(4)],
        ['goal <= 40 B/request (+0.01 for the file header and dictionary)', s.goalBytesMet ? 'MET' : 'MISSED'],
        ['peak RSS (VmHWM) of the engine process', mb(s.peakHwmKb)],
        ['RSS at 1/4, 1/2, 3/4 and end of the run', s.rssQuartersKb ? s.rssQuartersKb.map((k) => (k / 1024).toFixed(0)).join(' / ') + ' MB' : '-'],
        ['RSS slope, second half of the run', s.rssSlopeKbPerMin === undefined ? '-' : `${(s.rssSlopeKbPerMin / 1024).toFixed(2)} MB/min`],
        [`10 min at ${s.qps}/s: records`, s.tenMinutes.records],
        [`10 min at ${s.qps}/s: ledger size${s.extrapolated ? ' (extrapolated)' : ''}`, mb(s.tenMinutes.ledgerBytes / 1024)],
        [`10 min at ${s.qps}/s: peak RSS${s.extrapolated ? ' (extrapolated: peak + slope x remaining time)' : ''}`, mb(s.tenMinutes.peakKb)],
      ],
    ),
  ];
  return lines.join('\n');
}

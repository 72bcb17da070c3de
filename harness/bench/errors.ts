// Section 4, error counting against ground truth.
//  A. exact: the echo fails a known set of seqs (FAIL_SEQS, keyed on x-lossless-seq); the failed seqs in
//     lossless's ledger must be exactly that set, and its summary must agree with its ledger.
//  B. fraction: the echo fails a known share (FAIL=503:p) for every tool, since the peers send no seq;
//     each tool's 503 count is compared with the count expected for the requests it made.
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { ledgerStats, runLossless } from './lossless.ts';
import { PEERS, type PeerName } from './peers.ts';
import { table, type Cell } from './table.ts';

export interface SeqRange {
  from: number;
  to: number; // inclusive
}

/** The failing seqs of part A: runs of different lengths spread over the run, and lone seqs. */
export function failingRanges(requests: number): SeqRange[] {
  const r = (from: number, to: number): SeqRange => ({ from, to: Math.min(to, requests - 1) });
  const ranges = [r(10, 19), r(42, 42), r(Math.floor(requests / 3), Math.floor(requests / 3) + 99), r(requests - 50, requests - 26)];
  return ranges.filter((x) => x.from < requests && x.from <= x.to);
}

export function failSeqsEnv(status: number, ranges: SeqRange[]): string {
  return `${status}:${ranges.map((x) => (x.from === x.to ? `${x.from}` : `${x.from}-${x.to}`)).join(',')}`;
}

/** Expected failing seqs among the seqs actually in the ledger (so 0- or 1-based numbering both work). */
export function expectedSeqs(ranges: SeqRange[], inLedger: Iterable<number>): number[] {
  const out: number[] = [];
  for (const s of inLedger) if (ranges.some((x) => s >= x.from && s <= x.to)) out.push(s);
  return out.sort((a, b) => a - b);
}

export interface ExactCheck {
  requests: number;
  failSeqs: string;
  recordsInLedger: number;
  expected: number;
  ledger5xx: number;
  missing: number[]; // expected to fail, not failed in the ledger (first 20)
  extra: number[]; // failed in the ledger, not expected (first 20)
  summary5xx: number;
  duplicateSeqs: number;
  exact: boolean;
  command: string;
  error?: string;
}

export interface FractionRow {
  tool: 'lossless' | PeerName;
  requests: number; // what the tool says it completed
  reported503: number;
  reportedErrors: number;
  expected503: number;
  band: number; // 3 sigma of the binomial
  within: boolean;
  note: string;
  command: string;
  error?: string;
}

export interface ErrorsSection {
  exact: ExactCheck;
  fraction: { percent: number; requests: number; qps: number; rows: FractionRow[] };
}

const FAIL_STATUS = 503;
const FRACTION_PERCENT = 5;

async function exactCheck(ctx: BenchContext, requests: number, qps: number): Promise<ExactCheck> {
  const ranges = failingRanges(requests);
  const failSeqs = failSeqsEnv(FAIL_STATUS, ranges);
  return withEcho(ctx, `errors exact: lossless ${requests} requests, FAIL_SEQS=${failSeqs}`, { FAIL_SEQS: failSeqs }, async (echo) => {
    const out = join(await runDir(ctx, 'errors'), 'lossless-exact');
    try {
      const r = await runLossless(ctx.root, ctx.node, { url: echo.url, qps, requests, connections: ctx.opts.connections, keepalive: true, out });
      const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'), true);
      // the ledger's own seqs are what was scheduled; whatever the numbering starts at, the set is compared
      const seqs = s.seqs ?? [];
      const distinct = new Set(seqs).size;
      const expected = expectedSeqs(ranges, seqs);
      const got = new Set(s.failedSeqs5xx);
      const want = new Set(expected);
      const missing = expected.filter((x) => !got.has(x));
      const extra = s.failedSeqs5xx.filter((x) => !want.has(x));
      const summary5xx = r.summary.totals.byStatus[String(FAIL_STATUS)] ?? 0;
      const check: ExactCheck = {
        requests,
        failSeqs,
        recordsInLedger: s.records,
        expected: expected.length,
        ledger5xx: s.failedSeqs5xx.length,
        summary5xx,
        missing: missing.slice(0, 20),
        extra: extra.slice(0, 20),
        duplicateSeqs: seqs.length - distinct,
        exact:
          missing.length === 0 &&
          extra.length === 0 &&
          s.records === requests &&
          distinct === requests &&
          summary5xx === expected.length,
        command: r.command,
      };
      return check;
    } catch (e) {
      return { requests, failSeqs, recordsInLedger: 0, expected: 0, ledger5xx: 0, summary5xx: 0, missing: [], extra: [], duplicateSeqs: 0, exact: false, command: '', error: (e as Error).message.slice(0, 300) };
    }
  });
}

/** 3 sigma of a binomial count: how far an honest 503 count may sit from n·p by chance. */
export function binomialBand(n: number, p: number): number {
  return 3 * Math.sqrt(n * p * (1 - p));
}

const PEER_NOTES: Record<PeerName, string> = {
  fortio: 'counts transport errors as code -1; a dead keep-alive socket is retried once and counted OK; with -t (not -n, used here) one warm-up request per connection is sent but not counted',
  vegeta: 'transport errors as status 0 with the error string; no per-request seq',
  autocannon: 'counters only (2xx/non2xx/errors/timeouts); no per-request record',
};

async function fractionRow(ctx: BenchContext, tool: 'lossless' | PeerName, requests: number, qps: number): Promise<FractionRow> {
  const p = FRACTION_PERCENT / 100;
  const env = { FAIL: `${FAIL_STATUS}:${FRACTION_PERCENT}` };
  return withEcho(ctx, `errors fraction: ${tool} ${requests} requests, FAIL=${env.FAIL}`, env, async (echo) => {
    try {
      if (tool === 'lossless') {
        const out = join(await runDir(ctx, 'errors'), 'lossless-fraction');
        const r = await runLossless(ctx.root, ctx.node, { url: echo.url, qps, requests, connections: ctx.opts.connections, keepalive: true, out });
        const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
        const reported = r.summary.totals.byStatus[String(FAIL_STATUS)] ?? 0;
        const ledger = s.byStatus[FAIL_STATUS] ?? 0;
        const n = r.summary.totals.completed;
        return {
          tool,
          requests: n,
          reported503: reported,
          reportedErrors: n - r.summary.totals.ok - reported,
          expected503: n * p,
          band: binomialBand(n, p),
          within: Math.abs(reported - n * p) <= binomialBand(n, p),
          note: `summary ${reported} = ledger ${ledger}${reported === ledger ? '' : ' (MISMATCH)'}; every 503 is a record with its seq`,
          command: r.command,
        };
      }
      const res = await PEERS[tool](ctx.bins, { url: echo.url, qps, requests, connections: ctx.opts.connections, keepalive: true, dir: await runDir(ctx, 'errors') });
      const reported = res.byStatus[String(FAIL_STATUS)] ?? 0;
      return {
        tool,
        requests: res.total,
        reported503: reported,
        reportedErrors: res.errors,
        expected503: res.total * p,
        band: binomialBand(res.total, p),
        within: Math.abs(reported - res.total * p) <= binomialBand(res.total, p),
        note: PEER_NOTES[tool],
        command: res.command,
      };
    } catch (e) {
      return { tool, requests: 0, reported503: 0, reportedErrors: 0, expected503: 0, band: 0, within: false, note: '', command: '', error: (e as Error).message.slice(0, 300) };
    }
  });
}

export async function errorsSection(ctx: BenchContext): Promise<ErrorsSection> {
  const requests = ctx.opts.errorRequests;
  const qps = 1000;
  const exact = await exactCheck(ctx, requests, qps);
  const rows: FractionRow[] = [];
  for (const tool of ['lossless', 'fortio', 'vegeta', 'autocannon'] as const) rows.push(await fractionRow(ctx, tool, requests, qps));
  return { exact, fraction: { percent: FRACTION_PERCENT, requests, qps, rows } };
}

export function formatErrors(s: ErrorsSection): string {
  const e = s.exact;
  const lines = [
    `4. Error counting against ground truth`,
    `   A. exact, lossless: echo FAIL_SEQS=${e.failSeqs}, ${e.requests} requests at 1000/s`,
  ];
  if (e.error) lines.push(`      FAILED: ${e.error}`);
  else {
    lines.push(
      table(
        ['   check', 'value'],
        [
          ['   records in ledger (= requests scheduled)', `${e.recordsInLedger} of ${e.requests}${e.duplicateSeqs ? `, ${e.duplicateSeqs} duplicate seqs` : ''}`],
          ['   seqs the echo fails (ground truth)', e.expected],
          ['   503 records in the ledger', e.ledger5xx],
          ['   503 in summary.json', e.summary5xx],
          ['   expected seqs missing from the ledger\'s 503s', e.missing.length ? e.missing.join(',') : 'none'],
          ['   503 seqs not in the ground truth', e.extra.length ? e.extra.join(',') : 'none'],
          ['   exact', e.exact ? 'YES' : 'NO'],
        ],
      ),
    );
  }
  const f = s.fraction;
  lines.push(`   B. fraction, every tool: echo FAIL=${FAIL_STATUS}:${f.percent} (random ${f.percent}% of requests), ${f.requests} requests at ${f.qps}/s; expected = ${f.percent}% of what the tool completed, ±3σ`);
  lines.push(
    table(
      ['   tool', 'completed', '503 reported', 'expected', '±3σ', 'in band', 'other errors'],
      f.rows.map((r): Cell[] => [
        `   ${r.tool}`,
        r.error ? 'FAILED' : r.requests,
        r.reported503,
        Math.round(r.expected503),
        Math.round(r.band),
        r.error ? '-' : r.within ? 'yes' : 'NO',
        r.reportedErrors,
      ]),
    ),
  );
  for (const r of f.rows) lines.push(`      ${r.tool}: ${r.error ? `FAILED: ${r.error}` : r.note}`);
  return lines.join('\n');
}

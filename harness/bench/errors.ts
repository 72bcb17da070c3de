// Section 4, error counting against ground truth. Every echo here is stopped with SIGTERM so its
// last-request event gives `served`: every request that reached the server (the exact ground truth).
//  A. exact: the echo fails a known set of seqs (FAIL_SEQS, keyed on x-lossless-seq); the failed seqs in
//     lossless's ledger must be exactly that set, and summary.json must agree with the ledger.
//  B. fraction: the echo fails a random 5% (FAIL=503:5) for every tool, since the peers send no seq;
//     each tool's completed count against `served`, its 503 count against 5% of served, ±3σ.
//  C. shutdown mid-run: the echo gets SIGTERM halfway (graceful: in-flight requests finish with
//     `connection: close`, idle keep-alive sockets are closed, then connections are refused). Every
//     request after that is lost; a tool's ok count must equal what the echo served, and its failures
//     must account for the rest of what it attempted.
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { runDir, withEcho, type BenchContext } from './context.ts';
import { firstClient, type Echo } from './echo.ts';
import { ledgerStats, runLossless } from './lossless.ts';
import { PEERS, type PeerName, type PeerResult } from './peers.ts';
import { table, type Cell } from './table.ts';

export interface SeqRange {
  from: number;
  to: number; // inclusive
}

/** The failing seqs of part A: runs of different lengths spread over the run, and a lone seq. */
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

/** 3 sigma of a binomial count: how far an honest 503 count may sit from n·p by chance. */
export function binomialBand(n: number, p: number): number {
  return 3 * Math.sqrt(n * p * (1 - p));
}

export interface ExactCheck {
  requests: number;
  failSeqs: string;
  recordsInLedger: number;
  served?: number;
  expected: number;
  ledger5xx: number;
  summary5xx: number;
  missing: number[]; // expected to fail, not failed in the ledger (first 20)
  extra: number[]; // failed in the ledger, not expected (first 20)
  duplicateSeqs: number;
  exact: boolean;
  command: string;
  error?: string;
}

/** One tool's counts in part B or C, beside the echo's `served`. */
export interface CountRow {
  tool: 'lossless' | PeerName;
  served?: number; // ground truth: requests that reached the echo
  completed: number; // what the tool says it completed (responses + errors)
  ok: number;
  reported503: number;
  errors: number; // transport errors (no HTTP status) as the tool counts them
  note: string;
  command: string;
  error?: string;
  /** Part B: 5% of served and its 3σ band. */
  expected503?: number;
  band?: number;
}

export interface ErrorsSection {
  exact: ExactCheck;
  fraction: { percent: number; requests: number; qps: number; rows: CountRow[] };
  shutdown: { qps: number; seconds: number; afterS: number; rows: CountRow[] };
}

const FAIL_STATUS = 503;
const FRACTION_PERCENT = 5;
const QPS = 1000;

const PEER_NOTES: Record<PeerName, string> = {
  fortio: 'transport errors are code -1; a dead reused keep-alive socket is retried once and counted OK; with -t one warm-up request per connection is sent uncounted (-n here)',
  vegeta: 'transport errors are status 0 with the error string; no per-request seq',
  autocannon: 'counters only (2xx / non2xx / errors / timeouts), no per-request record; its errors count connection attempts, which it repeats as fast as it can when refused, so they are not requests',
};

function failed(tool: CountRow['tool'], e: unknown): CountRow {
  return { tool, completed: 0, ok: 0, reported503: 0, errors: 0, note: '', command: '', error: (e as Error).message.slice(0, 300) };
}

async function exactCheck(ctx: BenchContext, requests: number): Promise<ExactCheck> {
  const ranges = failingRanges(requests);
  const failSeqs = failSeqsEnv(FAIL_STATUS, ranges);
  return withEcho(ctx, `errors A: lossless ${requests} requests, FAIL_SEQS=${failSeqs}`, { FAIL_SEQS: failSeqs }, async (echo) => {
    const out = join(await runDir(ctx, 'errors'), 'lossless-exact');
    try {
      const r = await runLossless(ctx.root, ctx.node, { url: echo.url, qps: QPS, requests, connections: ctx.opts.connections, keepalive: true, out });
      const { served } = await echo.terminate();
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
          summary5xx === expected.length &&
          (served === undefined || served === requests),
        command: r.command,
      };
      if (served !== undefined) check.served = served;
      return check;
    } catch (e) {
      return { requests, failSeqs, recordsInLedger: 0, expected: 0, ledger5xx: 0, summary5xx: 0, missing: [], extra: [], duplicateSeqs: 0, exact: false, command: '', error: (e as Error).message.slice(0, 300) };
    }
  });
}

/** Runs one tool against the echo; `during` runs alongside (part C's SIGTERM). */
async function countRun(
  ctx: BenchContext,
  echo: Echo,
  tool: CountRow['tool'],
  run: { requests?: number; durationS?: number; name: string },
): Promise<CountRow> {
  if (tool === 'lossless') {
    const out = join(await runDir(ctx, 'errors'), `lossless-${run.name}`);
    const bound = run.requests !== undefined ? { requests: run.requests } : { durationS: run.durationS ?? 10 };
    const r = await runLossless(ctx.root, ctx.node, { url: echo.url, qps: QPS, ...bound, connections: ctx.opts.connections, keepalive: true, out });
    const s = await ledgerStats(ctx.root, ctx.node, join(out, 'ledger.bin'));
    const t = r.summary.totals;
    const reported503 = t.byStatus[String(FAIL_STATUS)] ?? 0;
    const withStatus = Object.values(t.byStatus).reduce((a, b) => a + b, 0);
    const agree = s.records === t.scheduled && (s.byStatus[FAIL_STATUS] ?? 0) === reported503 && (s.byOutcome.ok ?? 0) === t.ok;
    const classes = Object.entries(t.byOutcome)
      .filter(([o]) => o !== 'ok' && o !== 'http-5xx')
      .map(([o, n]) => `${o} ${n}`)
      .join(', ');
    return {
      tool,
      completed: t.completed,
      ok: t.ok,
      reported503,
      errors: t.completed - withStatus,
      note: `summary ${agree ? '=' : 'DISAGREES WITH'} ledger (${s.records} records)${classes ? `; failures by class: ${classes}` : ''}`,
      command: r.command,
    };
  }
  const p: PeerResult = await PEERS[tool](ctx.bins, {
    url: echo.url,
    qps: QPS,
    ...(run.requests !== undefined ? { requests: run.requests } : { durationS: run.durationS ?? 10 }),
    connections: ctx.opts.connections,
    keepalive: true,
    dir: await runDir(ctx, 'errors'),
  });
  const ok = Object.entries(p.byStatus).reduce((a, [code, n]) => a + (code.startsWith('2') ? n : 0), 0);
  const extra = Object.entries(p.extra)
    .filter(([k]) => ['sent', 'timeouts', 'resets', 'socketsOpened', 'firstErrors'].includes(k))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    tool,
    // autocannon's requests.total counts responses only; its errors (failed connection attempts too) are apart
    completed: tool === 'autocannon' ? p.total + p.errors : p.total,
    ok,
    reported503: p.byStatus[String(FAIL_STATUS)] ?? 0,
    errors: p.errors,
    note: `${PEER_NOTES[tool]}${extra ? `; it also says: ${extra}` : ''}`,
    command: p.command,
  };
}

const TOOLS = ['lossless', 'fortio', 'vegeta', 'autocannon'] as const;

export async function errorsSection(ctx: BenchContext): Promise<ErrorsSection> {
  const requests = ctx.opts.errorRequests;
  const exact = await exactCheck(ctx, requests);

  const p = FRACTION_PERCENT / 100;
  const fail = `${FAIL_STATUS}:${FRACTION_PERCENT}`;
  const fraction: CountRow[] = [];
  for (const tool of TOOLS) {
    fraction.push(
      await withEcho(ctx, `errors B: ${tool} ${requests} requests, FAIL=${fail}`, { FAIL: fail }, async (echo) => {
        try {
          const row = await countRun(ctx, echo, tool, { requests, name: 'fraction' });
          const { served } = await echo.terminate();
          if (served !== undefined) {
            row.served = served;
            row.expected503 = served * p;
            row.band = binomialBand(served, p);
          }
          return row;
        } catch (e) {
          return failed(tool, e);
        }
      }),
    );
  }

  const seconds = ctx.opts.quick ? 4 : 10;
  const afterS = seconds / 2;
  const shutdown: CountRow[] = [];
  for (const tool of TOOLS) {
    shutdown.push(
      await withEcho(ctx, `errors C: ${tool} ${seconds}s, echo SIGTERM (graceful) at ${afterS}s`, { ON_SIGTERM: 'graceful' }, async (echo) => {
        try {
          const [row, term] = await Promise.all([
            countRun(ctx, echo, tool, { durationS: seconds, name: 'shutdown' }),
            firstClient(echo)
              .then(() => sleep(afterS * 1000))
              .then(() => echo.terminate()),
          ]);
          if (term.served !== undefined) row.served = term.served;
          return row;
        } catch (e) {
          return failed(tool, e);
        }
      }),
    );
  }
  return { exact, fraction: { percent: FRACTION_PERCENT, requests, qps: QPS, rows: fraction }, shutdown: { qps: QPS, seconds, afterS, rows: shutdown } };
}

export function formatErrors(s: ErrorsSection): string {
  const e = s.exact;
  const lines = [`4. Error counting against ground truth (every echo stopped with SIGTERM: its last-request event says how many requests it served)`];
  lines.push(`   A. exact, lossless: echo FAIL_SEQS=${e.failSeqs}, ${e.requests} requests at ${QPS}/s`);
  if (e.error) lines.push(`      FAILED: ${e.error}`);
  else {
    lines.push(
      table(
        ['   check', 'value'],
        [
          ['   records in ledger (= requests scheduled)', `${e.recordsInLedger} of ${e.requests}${e.duplicateSeqs ? `, ${e.duplicateSeqs} duplicate seqs` : ''}`],
          ['   requests the echo served', e.served ?? 'not reported'],
          ['   seqs the echo fails (ground truth)', e.expected],
          ['   503 records in the ledger', e.ledger5xx],
          ['   503 in summary.json', e.summary5xx],
          ["   expected seqs missing from the ledger's 503s", e.missing.length ? e.missing.join(',') : 'none'],
          ['   503 seqs not in the ground truth', e.extra.length ? e.extra.join(',') : 'none'],
          ['   exact', e.exact ? 'YES' : 'NO'],
        ],
      ),
    );
  }
  const f = s.fraction;
  lines.push('');
  lines.push(`   B. fraction, every tool: echo FAIL=${FAIL_STATUS}:${f.percent} (a random ${f.percent}%), ${f.requests} requests at ${f.qps}/s; expected 503 = ${f.percent}% of served, ±3σ`);
  lines.push(
    table(
      ['   tool', 'echo served', 'completed', '503 reported', 'expected', '±3σ', 'in band', 'transport errors'],
      f.rows.map((r): Cell[] => [
        `   ${r.tool}`,
        r.served ?? '-',
        r.error ? 'FAILED' : r.completed,
        r.reported503,
        r.expected503 === undefined ? '-' : Math.round(r.expected503),
        r.band === undefined ? '-' : Math.round(r.band),
        r.error || r.expected503 === undefined || r.band === undefined ? '-' : Math.abs(r.reported503 - r.expected503) <= r.band ? 'yes' : 'NO',
        r.errors,
      ]),
    ),
  );
  for (const r of f.rows) lines.push(`      ${r.tool}: ${r.error ? `FAILED: ${r.error}` : r.note}`);
  const c = s.shutdown;
  lines.push('');
  lines.push(
    `   C. shutdown mid-run: ${c.qps}/s for ${c.seconds} s, echo SIGTERM at ${c.afterS} s (ON_SIGTERM=graceful: in-flight finish with connection: close, idle keep-alive sockets closed, then refused).`,
  );
  lines.push(`      ground truth: ok = what the echo served; everything attempted after it is a failure`);
  lines.push(
    table(
      ['   tool', 'echo served', 'ok reported', 'ok = served', 'completed', 'transport errors', 'non-2xx'],
      c.rows.map((r): Cell[] => [
        `   ${r.tool}`,
        r.served ?? '-',
        r.error ? 'FAILED' : r.ok,
        r.error || r.served === undefined ? '-' : r.ok === r.served ? 'yes' : `NO (${r.ok - r.served > 0 ? '+' : ''}${r.ok - r.served})`,
        r.completed,
        r.errors,
        r.completed - r.ok - r.errors,
      ]),
    ),
  );
  for (const r of c.rows) lines.push(`      ${r.tool}: ${r.error ? `FAILED: ${r.error}` : r.note}`);
  return lines.join('\n');
}

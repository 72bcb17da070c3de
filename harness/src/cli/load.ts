// `lossless load <url>...`: argv -> validated LoadConfig -> runLoad -> files + summary on stdout.
// Everything is validated before the output folder is created, so bad input leaves nothing behind.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARRIVALS } from '../schedule/pacer.ts';
import { TIMINGS } from '../schedule/alarm.ts';
import { HTTP_CLIENTS } from '../send/sender.ts';
import { defaultMaxInFlight, runLoad, type LoadConfig } from '../load/run.ts';
import { formatProgress } from '../load/progress.ts';
import { formatSummary } from '../load/text.ts';
import { createRunTimer } from '../load/clock.ts';
import { RecordStream } from '../load/stream.ts';
import type { RequestRecord } from '../record.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { RunFolder } from '../folder/folder.ts';
import type { Command, Io } from './command.ts';
import { parseChoice, parseCount, parseDuration, parsePositive, utcStamp } from './units.ts';
import { parseOptions } from './options.ts';
import { budgetFlags, type BudgetFlagValues, type Budgets } from '../budgets.ts';
import { parseClientPolicy } from '../send/policy.ts';
import { onInterrupt } from './signals.ts';
import { writeRunOutputs, type RunOutputs } from '../report/folder.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAX_TIMEOUT_MS = 300_000; // the ledger stores durations up to 429 s

const usage = `usage: lossless load <url>... [options]
  --qps N                 requests per second per target (default 50)
  --duration D            500ms, 30s, 5m, 1h (default 10s) | --requests N (ticks; one request per target each)
  --connections N         max sockets per target (default 64)
  --keepalive | --no-keepalive   reuse connections (default) or open one per request
  --timeout D             per request, whole exchange (default 5s, max 300s)
  --method M              (default GET)
  -H, --header 'name: value'     repeatable
  --body S | --body-file F
  --max-in-flight N       per target; more become 'dropped' records (default qps x (timeout + 1s))
  --arrivals uniform|poisson     (default uniform); --seed N for poisson
  --timing precise|timer|spin    how the sender waits between ticks: precise, a thread wakes the loop within
                          tens of µs; timer, setTimeout, ticks batched per millisecond; spin, setImmediate
                          busy-wait, a whole core (default timer up to --qps 1000, precise above)
  --send-slack D          one wake-up sends every tick due within D of the first (default 0.5ms, max 10ms):
                          fewer wake-ups at high rates for up to D of send lag (recorded)
  --http wire|undici      the HTTP client for http: targets: wire, lossless's own (default: a third of
                          undici's CPU per request), or undici (https: targets always use undici)
  --client P              which failed requests are sent again, as a real client would (default none: the raw
                          wire truth, nothing re-sent); go: Go net/http's rule (a reused connection closed before
                          any response byte; a POST only if nothing was written or it has an Idempotency-Key);
                          browser: Chromium's (the same closes, any method); retries:N: a proxy or sidecar like
                          Envoy with retry_on 5xx and num_retries N (refused/timed-out connects, resets, 5xx;
                          jittered back-off from 25 ms). Every attempt is a ledger record; the summary shows
                          the wire loss and the client-seen loss side by side
  --out DIR               (default results/<UTC yyyymmdd-hhmmss>-load/)
  --run-id ID             (default the output folder's name)
  --seq-base N            first seq number (default 0); seqs stay unique when two engines share a run
  --stream                print every record as an NDJSON line on stdout as it completes, between a
                          header line (clock origin) and an end line (record count): how the in-cluster
                          loader hands its ledger to the scenario runner through the pod log
  --quiet                 no progress line and no text summary
  --json                  print summary.json on stdout instead of the text summary
  --max-loss P%|N         loss budget per target: a percentage (0.1%) or a count of lost requests; exit 1 beyond it
  --max-client-loss P%|N  the same budget on the client-seen loss (requests whose last attempt failed under --client /
                          load.client); --max-loss judges every failed attempt on the wire
  --max-window D          longest outage allowed per target (consecutive failures, any cause; 500ms, 2s); exit 1 beyond it
  --max-rollout-p99 D     p99 latency from the intended send time allowed per target (a load run has no rollout: over
                          all of it); exit 1 beyond it
  report.html and junit.xml are written beside summary.json (lossless report regenerates them)`;

const OPTIONS = {
  qps: { type: 'string' },
  duration: { type: 'string' },
  requests: { type: 'string' },
  connections: { type: 'string' },
  keepalive: { type: 'boolean' },
  timeout: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string' },
  'body-file': { type: 'string' },
  'max-in-flight': { type: 'string' },
  arrivals: { type: 'string' },
  timing: { type: 'string' },
  'send-slack': { type: 'string' },
  http: { type: 'string' },
  client: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'run-id': { type: 'string' },
  'seq-base': { type: 'string' },
  stream: { type: 'boolean' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  'max-loss': { type: 'string' },
  'max-client-loss': { type: 'string' },
  'max-window': { type: 'string' },
  'max-rollout-p99': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LoadPlan {
  config: LoadConfig;
  outDir: string;
  quiet: boolean;
  json: boolean;
  stream: boolean;
  help: boolean;
  /** --max-loss / --max-window, validated before anything is written */
  budgets?: Budgets;
}

export function planLoad(argv: string[], now = new Date()): LoadPlan {
  const { values: v, positionals } = parseOptions(argv, OPTIONS, true);
  if (v.help) return { help: true } as LoadPlan;
  if (positionals.length === 0) throw new UsageError('missing <url>: give at least one target URL, e.g. http://127.0.0.1:8080/');
  const targets = positionals.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`<url> '${u}': not a valid URL; expected http://host[:port]/path`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`<url> '${u}': protocol ${url.protocol} not allowed; use http: or https:`);
    // WHATWG URL parsing forgives `http:///x` (host x) and `http:x`: a target must spell its host out
    if (!url.hostname || !/^https?:\/\/[^/?#]/i.test(u.trim())) throw new UsageError(`<url> '${u}': no host after '${url.protocol}//'; expected http://host[:port]/path`);
    return url.href;
  });
  if (new Set(targets).size !== targets.length) throw new UsageError(`<url>: the same URL is given twice; each target must be distinct`);
  const qps = v.qps === undefined ? 50 : parsePositive('--qps', v.qps, 1_000_000);
  if (v.duration !== undefined && v.requests !== undefined) throw new UsageError(`--duration '${v.duration}' and --requests '${v.requests}': give one of them, not both`);
  const requests = v.requests === undefined ? undefined : parseCount('--requests', v.requests);
  const durationMs = requests !== undefined ? undefined : v.duration === undefined ? 10_000 : parseDuration('--duration', v.duration);
  const connections = v.connections === undefined ? 64 : parseCount('--connections', v.connections, 100_000);
  const timeoutMs = v.timeout === undefined ? 5000 : parseDuration('--timeout', v.timeout, MAX_TIMEOUT_MS);
  const method = (v.method ?? 'GET').toUpperCase();
  if (!/^[A-Z][A-Z0-9_-]*$/.test(method)) throw new UsageError(`--method '${v.method}': expected an HTTP method token such as GET, POST, PUT`);
  const headers: Array<[string, string]> = (v.header ?? []).map((h) => {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`-H '${h}': expected 'name: value' with a header name of letters, digits or -`);
    // a CR, LF or NUL in a value is refused by the HTTP client on every request (each would fail as `other`)
    if (/[\r\n\0]/.test(h)) throw new UsageError(`-H ${JSON.stringify(h)}: a header value cannot hold CR, LF or NUL characters`);
    if (/^x-lossless-(seq|run)$/i.test(name)) throw new UsageError(`-H '${h}': ${name} is set by lossless on every request`);
    return [name, h.slice(i + 1).trim()];
  });
  if (v.body !== undefined && v['body-file'] !== undefined) throw new UsageError(`--body and --body-file: give one of them, not both`);
  let body: Buffer | undefined;
  if (v.body !== undefined) body = Buffer.from(v.body);
  if (v['body-file'] !== undefined) {
    try {
      body = readFileSync(v['body-file']);
    } catch (err) {
      throw new UsageError(`--body-file '${v['body-file']}': cannot read it (${(err as { code?: string }).code ?? 'error'}); expected a readable file`);
    }
  }
  const maxInFlight = v['max-in-flight'] === undefined ? defaultMaxInFlight(qps, timeoutMs) : parseCount('--max-in-flight', v['max-in-flight']);
  const arrivals = v.arrivals === undefined ? 'uniform' : parseChoice('--arrivals', v.arrivals, ARRIVALS);
  const seed = v.seed === undefined ? undefined : parseCount('--seed', v.seed, 0xffffffff);
  const timing = v.timing === undefined ? undefined : parseChoice('--timing', v.timing, TIMINGS);
  const sendSlackUs = v['send-slack'] === undefined ? undefined : Math.round(parseDuration('--send-slack', v['send-slack'], 10) * 1000);
  const http = v.http === undefined ? undefined : parseChoice('--http', v.http, HTTP_CLIENTS);
  const stamp = `${utcStamp(now)}-load`;
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError(`--out '': empty; give a folder path (default results/<UTC stamp>-load/)`);
  const outDir = v.out === undefined ? join(REPO_ROOT, 'results', stamp) : isAbsolute(v.out) ? v.out : resolve(v.out);
  const runId = v['run-id'] ?? (v.out === undefined ? stamp : outDir.split('/').filter(Boolean).pop() ?? stamp);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(runId)) throw new UsageError(`--run-id '${runId}': expected 1-128 characters of letters, digits, '.', '_' or '-'`);
  const seqBase = v['seq-base'] === undefined ? undefined : parseCount('--seq-base', v['seq-base'], 2 ** 31);
  const client = v.client === undefined ? undefined : parseClientPolicy('--client', v.client);
  if (v.stream && v.json) throw new UsageError('--stream and --json: both print on stdout; give one of them');
  return {
    config: {
      targets, qps, connections, keepalive: v.keepalive ?? true, timeoutMs, method, headers, maxInFlight, arrivals, runId,
      ...(durationMs !== undefined ? { durationMs } : {}), ...(requests !== undefined ? { requests } : {}),
      ...(body ? { body } : {}), ...(seed !== undefined ? { seed } : {}), ...(seqBase !== undefined ? { seqBase } : {}),
      ...(timing !== undefined ? { timing } : {}), ...(sendSlackUs !== undefined ? { sendSlackUs } : {}),
      ...(http !== undefined ? { http } : {}),
      ...(client !== undefined ? { client } : {}),
    },
    outDir, quiet: v.quiet ?? false, json: v.json ?? false, stream: v.stream ?? false, help: false,
    ...budgetPart(v),
  };
}

function budgetPart(v: BudgetFlagValues): { budgets?: Budgets } {
  const budgets = budgetFlags(v);
  return budgets ? { budgets } : {};
}

/**
 * The exit code of a finished run: report.html, junit.xml and the summary's report section are
 * written, and the budgets (--max-loss, --max-window) decide: 0 within, 1 breached (report/gate.ts).
 */
export async function exitCodeFor(folder: RunFolder, budgets: Budgets | undefined): Promise<{ code: number; outputs: RunOutputs }> {
  const outputs = await writeRunOutputs(folder, budgets ? { budgets } : {});
  return { code: outputs.gate.exitCode, outputs };
}

export const loadCommand: Command = {
  name: 'load',
  summary: 'send open-loop fixed-rate HTTP load and record every request',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const plan = planLoad(argv);
    if (plan.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    const folder = RunFolder.create(plan.outDir);
    const stop = new AbortController();
    const cancel = new AbortController();
    const onSignal = () => {
      if (!stop.signal.aborted) {
        stop.abort();
        if (!plan.quiet) io.stderr.write(`\nlossless: interrupted; waiting up to ${plan.config.timeoutMs} ms for in-flight requests (again to cancel them)\n`);
      } else cancel.abort();
    };
    const offInterrupt = onInterrupt(onSignal);
    const live = !plan.quiet && io.stderr.isTTY === true;
    const stream = plan.stream
      ? new RecordStream(io.stdout, (n) => io.stderr.write(`lossless load: stdout was closed after ${n} streamed records; the run goes on and every record still goes to ${folder.path('ledger')}\n`))
      : undefined;
    try {
      const clock = createRunTimer();
      stream?.header(plan.config.runId, clock.t0EpochNs);
      const { summary } = await runLoad(plan.config, {
        signal: stop.signal,
        cancelSignal: cancel.signal,
        folder,
        clock,
        ...(stream ? { onRecord: (r: RequestRecord) => stream.record(r) } : {}),
        ...(live ? { onSecond: (s) => io.stderr.write(`\r\x1b[2K${formatProgress(s)}`) } : {}),
      });
      if (live) io.stderr.write('\n');
      await stream?.end(summary.totals.scheduled, summary.partial);
      const { code, outputs } = await exitCodeFor(folder, plan.budgets);
      // --json prints summary.json as written, with the report stage's section (report.json) under `report`
      if (plan.json) io.stdout.write(JSON.stringify({ ...summary, report: outputs.section }, null, 2) + '\n');
      else if (!plan.quiet && !plan.stream) io.stdout.write(formatSummary(summary, plan.outDir));
      if (!plan.quiet && !plan.json && !plan.stream) {
        io.stdout.write(`report: ${outputs.htmlPath}\n`);
        for (const c of outputs.gate.checks.filter((x) => !x.pass)) io.stdout.write(`budget breached: ${c.target ?? 'run'}: ${c.message}\n`);
      }
      return code;
    } finally {
      offInterrupt();
    }
  },
};

// `lossless scenario <name>` (scenarios/<name>.yaml) and `lossless run <file>`: one scenario variant on
// the cluster, or every variant (`--variants`) repeated (`--repeat N`) and compared.

import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RESULTS, runScenario, type ScenarioRun } from '../scenario/run.ts';
import { finishRun } from '../scenario/outputs.ts';
import { loadScenario } from '../scenario/schema.ts';
import { compareRuns, formatComparison } from '../report/compare.ts';
import { compareHtml } from '../report/comparepage.ts';
import { budgetFlags } from '../budgets.ts';
import { clientPolicyOf, wireAndClient } from '../load/text.ts';
import { parseClientPolicy } from '../send/policy.ts';
import { writeOutputFile } from '../folder/folder.ts';
import { EXIT_BUDGET, EXIT_ENV, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.ts';
import type { Command, Io } from './command.ts';
import { onInterrupt } from './signals.ts';
import { parseOptions } from './options.ts';
import { parseChoice } from './units.ts';
import { TIMINGS } from '../schedule/alarm.ts';
import { HTTP_CLIENTS } from '../send/sender.ts';

const SCENARIO_DIR = fileURLToPath(new URL('../../../scenarios', import.meta.url));

const optionsHelp = `  --variant NAME          the variant to run (default: the file's default variant)
  --variants              run every variant of the file, then compare them
  --repeat N              runs per variant (default 1; with --variants default 3)
  --max-loss X            budget: 0.1% of requests or a count such as 25 (overrides the file's budgets)
  --client P              overrides the file's load.client: none (the wire truth), go, browser or retries:N; failed
                          requests the client modelled would re-send are sent again (send/policy.ts), each attempt
                          a ledger record, and the verdict shows wire and client-seen loss side by side
  --max-client-loss P%|N  the same budget on the client-seen loss (requests whose last attempt failed under --client /
                          load.client); --max-loss judges every failed attempt on the wire
  --max-window D          budget: the longest outage (consecutive failures, any cause) on any path, e.g. 500ms or 2s
  --max-rollout-p99 D     budget: p99 latency from the intended send time over the rollout window, per path (800ms)
  --results DIR           parent of the run folders (default results/)
  --keep                  keep the scenario's namespace after the run (for debugging)
  --no-lab-up             use the running lab as it is (no lab:up first; e.g. from docker-compose.yml)
  --timing precise|timer|spin, --http wire|undici
                          the host load's engine (as lossless load's; default: its defaults): spin with undici is
                          the engine before issue 11, to compare the host CPU it takes
  --json                  print {exitCode, runs: [{dir, scenario, variant, exitCode, error, summary, gate}], comparison}
                          on stdout instead of the verdict text (the log stays on stderr)
  --quiet                 no progress or log lines on stderr (errors only)
  --verbose               the live per-path counter every second also when stderr is not a terminal
exit: 0 within budget (or as the variant expects), 1 budget breached, 2 bad input, 3 cluster or environment failed`;

const OPTIONS = {
  variant: { type: 'string' },
  variants: { type: 'boolean' },
  repeat: { type: 'string' },
  'max-loss': { type: 'string' },
  'max-client-loss': { type: 'string' },
  client: { type: 'string' },
  'max-window': { type: 'string' },
  'max-rollout-p99': { type: 'string' },
  results: { type: 'string' },
  keep: { type: 'boolean' },
  'no-lab-up': { type: 'boolean' },
  timing: { type: 'string' },
  http: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function scenarioFile(name: string, dir = SCENARIO_DIR): string {
  if (/[/\\]/.test(name) || name.endsWith('.yaml')) return name;
  const file = join(dir, `${name}.yaml`);
  if (!existsSync(file)) {
    const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)) : [];
    throw new UsageError(`<name> '${name}': no ${relative(process.cwd(), file)}; known scenarios: ${known.join(', ') || 'none'}`);
  }
  return file;
}

function parseRepeat(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 50) throw new UsageError(`--repeat '${v}': expected a whole number of runs from 1 to 50`);
  return Number(v);
}

async function execute(file: string, argv: string[], io: Io): Promise<number> {
  const { values: v } = parseOptions(argv, OPTIONS);
  if (v.variants && v.variant !== undefined) throw new UsageError('--variant and --variants: give one of them');
  const repeat = parseRepeat(v.repeat, v.variants ? 3 : 1);
  const timing = v.timing === undefined ? undefined : parseChoice('--timing', v.timing, TIMINGS);
  const http = v.http === undefined ? undefined : parseChoice('--http', v.http, HTTP_CLIENTS);
  const budgets = budgetFlags(v);
  const client = v.client === undefined ? undefined : parseClientPolicy('--client', v.client);
  const first = await loadScenario(file, v.variant); // validates the file (exit 2) before touching the cluster
  const variants = v.variants ? first.variants : [first.variant];

  const log = v.quiet ? () => {} : (l: string) => io.stderr.write(`${l}\n`);
  const runs: unknown[] = [];
  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) io.stderr.write('\nlossless: stopping: draining in-flight requests, writing what was measured, cleaning up (Ctrl-C again to exit at once)\n');
    else process.exit(EXIT_INTERRUPTED);
    ac.abort();
  };
  const offInterrupt = onInterrupt(onSignal);
  let worst = EXIT_OK;
  const folders: Array<{ variant: string; dir: string }> = [];
  try {
    for (const variant of variants) {
      for (let i = 1; i <= repeat && !ac.signal.aborted; i++) {
        if (variants.length > 1 || repeat > 1) log(`== ${first.name} variant ${variant}, run ${i}/${repeat}`);
        const run: ScenarioRun = await runScenario({
          file, variant, signal: ac.signal, keep: v.keep === true, skipLabUp: v['no-lab-up'] === true, log,
          live: v.quiet ? false : v.verbose ? { everyMs: 1000 } : {},
          ...(timing !== undefined ? { timing } : {}), ...(http !== undefined ? { http } : {}),
          ...(v.results !== undefined ? { resultsDir: v.results } : {}), ...(client ? { client } : {}),
        });
        const done = await finishRun(run, budgets);
        folders.push({ variant, dir: run.dir });
        const code = run.error ? EXIT_ENV : done.outputs.gate.exitCode;
        if (v.json) {
          const g = done.outputs.gate;
          runs.push({
            dir: run.dir, scenario: run.scenario.name, variant: run.scenario.variant, exitCode: code, error: run.error?.message ?? null,
            interrupted: run.interrupted, summary: run.summary, hostCpu: run.hostCpu,
            gate: { pass: g.pass, budgets: g.budgets, expect: g.expect, checks: g.checks.map(({ window: _w, ...c }) => c) },
          });
        } else io.stdout.write(verdictText(run, done.outputs.gate.checks, done.outputs.htmlPath));
        if (run.error) io.stderr.write(`lossless: the run stopped early: ${run.error.message}\n`);
        worst = Math.max(worst, code);
      }
    }
  } finally {
    offInterrupt();
  }
  let comparison: unknown = null;
  if (v.variants && folders.length > 0) {
    const c = await compareRuns(folders.map((f) => ({ variant: f.variant, dir: f.dir })));
    const out = resolve(v.results ?? DEFAULT_RESULTS, `${folders[0]!.dir.split('/').pop()}-compare.html`);
    writeOutputFile(out, compareHtml(c), '--results');
    if (v.json) comparison = c;
    else io.stdout.write(formatComparison(c) + `\n${out}\n`);
  }
  const exitCode = ac.signal.aborted ? Math.max(worst, EXIT_BUDGET) : worst;
  if (v.json) io.stdout.write(`${JSON.stringify({ exitCode, runs, comparison })}\n`);
  return exitCode;
}

function verdictText(run: ScenarioRun, checks: Array<{ pass: boolean; message: string }>, html: string): string {
  const t = run.summary.totals;
  const policy = clientPolicyOf(run.summary);
  // with a client policy, both figures: every failed attempt on the wire, and the requests the client saw fail
  const client = (c: typeof t) => (policy.kind !== 'none' && c.client ? `; client-seen ${c.client.lost} of ${c.client.requests} (${c.client.lossPct}%)` : '');
  const lines = [
    `${run.scenario.name} / ${run.scenario.variant}: ${t.lost} of ${t.scheduled - t.cancelled} requests lost (${t.lossPct}%)${run.interrupted ? ' [interrupted]' : ''}`,
    ...(policy.kind !== 'none' ? [`  ${wireAndClient(t, policy)}`] : []),
    ...run.summary.targets.map((x) => `  ${x.target}: ${x.lost} lost of ${x.scheduled - x.cancelled} (${x.lossPct}%)${client(x)}, p99 ${x.latencyFromIntendedMs.p99} ms`),
    `  host CPU: mean ${run.hostCpu.meanPct}%, max ${run.hostCpu.maxPct}%, ${run.hostCpu.saturatedSeconds} s at >= 90%`,
    ...checks.map((c) => `  ${c.pass ? 'ok  ' : 'FAIL'} ${c.message}`),
    `  ${html}`,
    '',
  ];
  return lines.join('\n');
}

/** `scenario` and `run` differ only in how the positional names the file. */
function scenarioLike(name: string, what: string, summary: string, toFile: (arg: string) => string): Command {
  const usage = `usage: lossless ${name} <${what}> [options]\n${optionsHelp}`;
  return {
    name,
    summary,
    usage,
    async run(argv: string[], io: Io): Promise<number> {
      const { values, positionals } = parseOptions(argv, OPTIONS);
      if (values.help) {
        io.stdout.write(usage + '\n');
        return EXIT_OK;
      }
      if (positionals.length !== 1) throw new UsageError(`<${what}>: expected one, got ${positionals.length}`);
      const arg = positionals[0]!;
      const file = toFile(arg);
      return execute(file, argv.filter((a) => a !== arg), io);
    },
  };
}

export const scenarioCommand = scenarioLike('scenario', 'name', 'run a catalogue scenario (scenarios/<name>.yaml) on the cluster under load', (n) => scenarioFile(n));

export const runCommand = scenarioLike('run', 'scenario.yaml', 'run a scenario file on the cluster under load', (f) => {
  if (!existsSync(f)) throw new UsageError(`<scenario.yaml> '${f}': no such file`);
  return f;
});

// `lossless report <run dir>...`: (re)writes report.html, junit.xml and report.json from a run folder;
// exits by the budgets (kept from the run's last verdict, the scenario file, or --max-loss / --max-window). A folder whose ledger does not
// belong to its summary (truncated, copied from another run) is refused (exit 2), never judged.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunOutputs } from '../report/folder.ts';
import { longestOutageMs } from '../report/windows.ts';
import { budgetFlags, budgetsSchema, type Budgets } from '../budgets.ts';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../errors.ts';
import type { Command, Io } from './command.ts';
import { parseOptions } from './options.ts';

const usage = `usage: lossless report <run dir>... [options]
  writes report.html, junit.xml and report.json into each run folder; a killed run (no summary.json)
  is reported from its ledger and marked partial
  --max-loss P%|N         loss budget per path: a percentage (0.1%) or a count of lost requests
  --max-client-loss P%|N  the same budget on the client-seen loss (requests whose last attempt failed under --client /
                          load.client); --max-loss judges every failed attempt on the wire
  --max-window D          longest outage allowed per path (consecutive failures < 1 s apart, any cause; 500ms, 2s)
  --max-rollout-p99 D     p99 latency from the intended send time over the rollout window allowed per path (800ms)
  --json                  print {runs: [{dir, html, junit, windows, longestOutageMs, gate}]} on stdout
  --quiet                 print nothing but errors
  --verbose               every check, also those that passed
  without budget flags a run keeps the budgets it was last judged by (given to load or scenario, or to an
  earlier report), else its scenario file's
exit: 0 within budget, 1 a budget breached (or a naive variant's expectation not met), 2 bad input, 3 unwritable folder`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'write report.html, junit.xml and the budget verdict for run folders',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v, positionals } = parseOptions(argv, {
      'max-loss': { type: 'string' },
      'max-client-loss': { type: 'string' },
      'max-window': { type: 'string' },
      'max-rollout-p99': { type: 'string' },
      quiet: { type: 'boolean' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (v.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('<run dir>: give at least one run folder, e.g. results/20260101-120000-load');
    const flags = budgetFlags(v);
    let code = EXIT_OK;
    const runs: unknown[] = [];
    for (const dir of positionals) {
      const budgets = flags ?? recordedBudgets(dir);
      const out = await writeRunOutputs(dir, budgets ? { budgets } : {});
      if (!out.gate.pass) code = EXIT_BUDGET;
      if (v.json) {
        const { gate } = out;
        runs.push({
          dir, html: out.htmlPath, junit: out.junitPath, windows: out.windows.length, longestOutageMs: longestOutageMs(out.windows),
          gate: { pass: gate.pass, exitCode: gate.exitCode, budgets: gate.budgets, expect: gate.expect, checks: gate.checks.map(({ window: _w, ...c }) => c) },
        });
        continue;
      }
      if (v.quiet) continue;
      io.stdout.write(`${out.htmlPath} (${Math.round(out.htmlBytes / 1024)} KiB), ${out.junitPath}, ${out.reportPath}\n`);
      if (out.summary.partial) io.stdout.write(`  partial run: ${out.summary.totals.scheduled} requests recorded before it stopped\n`);
      for (const n of out.notes) io.stdout.write(`  note: ${n}\n`);
      const windows = out.windows.length;
      const longest = longestOutageMs(out.windows);
      io.stdout.write(`  ${windows} loss window${windows === 1 ? '' : 's'}${windows ? `, longest outage ${longest} ms` : ''}; ${out.gate.checks.length === 0 ? 'no budget set' : out.gate.expect?.loses ? (out.gate.pass ? 'expectation met (expected to lose)' : 'EXPECTATION NOT MET') : out.gate.pass ? 'within budget' : 'BUDGET BREACHED'}\n`);
      for (const c of out.gate.checks.filter((x) => !x.pass)) io.stdout.write(`  breach: ${c.target ?? 'run'}: ${c.message}\n`);
      if (v.verbose) for (const c of out.gate.checks.filter((x) => x.pass)) io.stdout.write(`  ok: ${c.target ?? 'run'}: ${c.message}\n`);
    }
    if (v.json) io.stdout.write(`${JSON.stringify({ runs })}\n`);
    return code;
  },
};

/** The budgets a run was last judged by, written with its verdict (report.json, or summary.json's report
 * section) by load --max-loss, a scenario run or an earlier report; undefined when none were set. */
export function recordedBudgets(dir: string): Budgets | undefined {
  const sources: Array<[string, (j: Record<string, unknown>) => unknown]> = [
    ['report.json', (j) => j.gate],
    ['summary.json', (j) => (j.report as Record<string, unknown> | undefined)?.gate],
  ];
  for (const [file, gateOf] of sources) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    try {
      const gate = gateOf(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) as { budgets?: unknown } | undefined;
      const b = budgetsSchema.safeParse(gate?.budgets);
      if (b.success && Object.keys(b.data).length > 0) return b.data;
    } catch {
      // unreadable: the report stage, which reads the folder next, says what is wrong with it
    }
  }
  return undefined;
}

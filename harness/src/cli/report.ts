// `lossless report <run dir>...`: (re)writes report.html, junit.xml and report.json from a run folder;
// exits by the budgets (scenario file, or --max-loss / --max-window). A folder whose ledger does not
// belong to its summary (truncated, copied from another run) is refused (exit 2), never judged.
import { writeRunOutputs } from '../report/folder.ts';
import { longestOutageMs } from '../report/windows.ts';
import { budgetFlags } from '../budgets.ts';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../errors.ts';
import type { Command, Io } from './command.ts';
import { parseOptions } from './options.ts';

const usage = `usage: lossless report <run dir>... [options]
  writes report.html, junit.xml and report.json into each run folder; a killed run (no summary.json)
  is reported from its ledger and marked partial
  --max-loss P%|N         loss budget per path: a percentage (0.1%) or a count of lost requests
  --max-window D          longest outage allowed per path (consecutive failures < 1 s apart, any cause; 500ms, 2s)
  --quiet                 print nothing but errors
exit: 0 within budget, 1 a budget breached (or a naive variant's expectation not met), 2 bad input, 3 unwritable folder`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'write report.html, junit.xml and the budget verdict for run folders',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v, positionals } = parseOptions(argv, {
      'max-loss': { type: 'string' },
      'max-window': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (v.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('<run dir>: give at least one run folder, e.g. results/20260101-120000-load');
    const budgets = budgetFlags(v);
    let code = EXIT_OK;
    for (const dir of positionals) {
      const out = await writeRunOutputs(dir, budgets ? { budgets } : {});
      if (!out.gate.pass) code = EXIT_BUDGET;
      if (v.quiet) continue;
      io.stdout.write(`${out.htmlPath} (${Math.round(out.htmlBytes / 1024)} KiB), ${out.junitPath}, ${out.reportPath}\n`);
      if (out.summary.partial) io.stdout.write(`  partial run: ${out.summary.totals.scheduled} requests recorded before it stopped\n`);
      for (const n of out.notes) io.stdout.write(`  note: ${n}\n`);
      const windows = out.windows.length;
      const longest = longestOutageMs(out.windows);
      io.stdout.write(`  ${windows} loss window${windows === 1 ? '' : 's'}${windows ? `, longest outage ${longest} ms` : ''}; ${out.gate.checks.length === 0 ? 'no budget set' : out.gate.expect?.loses ? (out.gate.pass ? 'expectation met (expected to lose)' : 'EXPECTATION NOT MET') : out.gate.pass ? 'within budget' : 'BUDGET BREACHED'}\n`);
      for (const c of out.gate.checks.filter((x) => !x.pass)) io.stdout.write(`  breach: ${c.target ?? 'run'}: ${c.message}\n`);
    }
    return code;
  },
};

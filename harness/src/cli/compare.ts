// `lossless compare [name=]<run dir>...`: run-level figures side by side, a verdict per pair of
// variants, and compare.html with the views overlaid.
import { dirname, resolve } from 'node:path';
import { DEFAULT_ALPHA, compareRuns, formatComparison, parseRunSpec } from '../report/compare.ts';
import { compareHtml } from '../report/comparepage.ts';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../errors.ts';
import { writeOutputFile } from '../folder/folder.ts';
import type { Command, Io } from './command.ts';
import { parseOptions } from './options.ts';

const usage = `usage: lossless compare [<variant>=]<run dir>... [options]
  groups runs by variant (the name before '=', else scenario.json's scenario/variant, else the folder
  name); each variant should have several runs (scenario --repeat, default 3); a verdict for each
  pair of variants, the one given first as the base ("fixed vs naive: better")
  --out FILE              compare.html (default: compare.html in the first run folder's parent)
  --alpha P               significance level of the two-sided exact Mann-Whitney U test (default ${DEFAULT_ALPHA})
  --json                  print the comparison as JSON instead of text
  --no-fail               exit 0 even when a variant is significantly worse (report only)
exit: 0 no variant significantly worse than the base, 1 one is (a regression gate: base first, e.g.
  last=... tonight=...), 2 bad input, 3 unwritable output`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare runs of variants side by side with a verdict (better / worse / no significant difference)',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v, positionals } = parseOptions(argv, {
      out: { type: 'string' },
      alpha: { type: 'string' },
      json: { type: 'boolean' },
      'no-fail': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (v.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('<run dir>: give the run folders to compare, e.g. naive=results/a naive=results/b fixed=results/c ...');
    let alpha = DEFAULT_ALPHA;
    if (v.alpha !== undefined) {
      alpha = Number(v.alpha);
      if (!/^0?\.\d+$/.test(v.alpha.trim()) || !(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha '${v.alpha}': expected a level between 0 and 1 such as 0.1 or 0.05`);
    }
    const specs = positionals.map(parseRunSpec);
    const c = await compareRuns(specs, alpha);
    const out = v.out !== undefined ? resolve(v.out) : resolve(dirname(resolve(specs[0]!.dir)), 'compare.html');
    writeOutputFile(out, compareHtml(c), '--out');
    if (v.json) io.stdout.write(JSON.stringify(c, null, 2) + '\n');
    else io.stdout.write(formatComparison(c) + `\n${out}\n`);
    // on the loss verdict, the figure a change to the manifests is meant to move
    const worse = c.pairs.filter((p) => p.verdict === 'worse');
    if (worse.length === 0 || v['no-fail']) return EXIT_OK;
    io.stderr.write(`lossless compare: significantly worse: ${worse.map((p) => `${p.other} vs ${p.base}`).join(', ')}\n`);
    return EXIT_BUDGET;
  },
};

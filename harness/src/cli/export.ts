// `lossless export <run dir>... --remote-write URL`: a run's per-second series, loss windows and rollout marks
// into Prometheus (or anything that takes remote write). Series names: harness/src/export/README.md.
import { EXIT_OK, UsageError } from '../errors.ts';
import { remoteWrite } from '../export/remotewrite.ts';
import { runSeries } from '../export/series.ts';
import type { Command, Io } from './command.ts';
import { parseOptions } from './options.ts';

const usage = `usage: lossless export <run dir>... --remote-write URL [options]
  writes each run's series to a Prometheus remote-write endpoint (Prometheus: --web.enable-remote-write-receiver,
  URL http://host:9090/api/v1/write); the samples keep the run's own times, so export a run soon after it
  (Prometheus refuses samples older than its head block, about an hour)
  --remote-write URL      the receiver
  --label k=v             a label on every series (repeatable), e.g. --label job=nightly
  --json                  print {runs: [{dir, series, samples}]} on stdout
  --quiet                 print nothing but errors
exit: 0 written, 2 bad input, 3 the receiver refused or did not answer`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write runs\' per-second series, loss windows and rollout marks to Prometheus (remote write)',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v, positionals } = parseOptions(argv, {
      'remote-write': { type: 'string' },
      label: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (v.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('<run dir>: give at least one run folder, e.g. results/20260101-120000-load');
    const url = v['remote-write'];
    if (!url) throw new UsageError('--remote-write: required; allowed: a URL such as http://127.0.0.1:9090/api/v1/write');
    if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--remote-write: '${url}' is not an http(s) URL; allowed: http://host:port/path`);
    const labels: Record<string, string> = {};
    for (const l of v.label ?? []) {
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(l);
      if (!m || m[1]!.startsWith('__')) throw new UsageError(`--label: '${l}' is not name=value with a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`);
      labels[m[1]!] = m[2]!;
    }
    const runs: Array<{ dir: string; series: number; samples: number }> = [];
    for (const dir of positionals) {
      const r = await remoteWrite(url, await runSeries(dir, labels));
      runs.push({ dir, series: r.series, samples: r.samples });
      if (!v.quiet && !v.json) io.stdout.write(`${dir}: ${r.series} series, ${r.samples} samples -> ${url}\n`);
    }
    if (v.json) io.stdout.write(`${JSON.stringify({ runs })}\n`);
    return EXIT_OK;
  },
};

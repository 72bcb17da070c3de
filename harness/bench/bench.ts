// `npm run bench`: the load engine side by side with autocannon, fortio and vegeta on loopback against
// the echo workload. Table on stdout, progress on stderr, everything as JSON in
// results/<UTC yyyymmdd-hhmmss>-bench/bench.json. Exit 2 bad option, 3 environment (peer missing, no echo).
import { access, mkdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchContext } from './context.ts';
import { EnvironmentError, echoEntry } from './echo.ts';
import { errorsSection, formatErrors } from './errors.ts';
import { formatLedger, ledgerSection } from './ledger-size.ts';
import { describeLoad, isBusy, machineLoad } from './machine.ts';
import { parseOptions, UsageError, type BenchOptions } from './options.ts';
import { formatRate, rateSection } from './rate.ts';
import { formatThroughput, throughputSection } from './throughput.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function executable(path: string, what: string): Promise<string> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new EnvironmentError(`${what} not found at ${path}: run scripts/bench/peers.sh (npm run bench does) to build it`);
  }
  return path;
}

async function context(opts: BenchOptions, started: Date): Promise<BenchContext> {
  const cache = process.env.LOSSLESS_CACHE ?? join(process.env.HOME ?? '/root', '.cache/lossless/lab');
  const binDir = join(cache, 'bench', 'bin');
  const bins = {
    node: process.execPath, // the Node 24 that scripts/node24 started us with
    autocannon: join(root, 'node_modules', 'autocannon', 'autocannon.js'),
    fortio: await executable(join(binDir, 'fortio'), 'fortio'),
    vegeta: await executable(join(binDir, 'vegeta'), 'vegeta'),
  };
  try {
    await access(bins.autocannon);
  } catch {
    throw new EnvironmentError(`autocannon not found at ${bins.autocannon}: run npm ci (it is a devDependency)`);
  }
  await echoEntry(root); // fail early, before any measurement, when the echo is not in the tree
  const dir = opts.out ?? join(root, 'results', `${stamp(started)}-bench`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new EnvironmentError(`cannot create the output folder ${dir} (${(e as Error).message}): pass a writable --out`);
  }
  return {
    root,
    node: process.execPath,
    bins,
    opts,
    dir,
    log: (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
    loadChecks: [],
  };
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const started = new Date();
  let ctx: BenchContext;
  try {
    ctx = await context(opts, started);
  } catch (e) {
    if (e instanceof EnvironmentError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  const before = await machineLoad();
  const header = [
    `lossless bench — ${started.toISOString()} — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`,
    `mode: ${opts.quick ? 'QUICK (short runs: a smoke run, not the figures)' : opts.long ? 'long (10-minute ledger run)' : 'default'}; all traffic to 127.0.0.1; echo restarted for every measurement`,
    `machine before: ${describeLoad(before)}`,
  ];
  process.stdout.write(`${header.join('\n')}\n\n`);

  const result: Record<string, unknown> = { started: started.toISOString(), options: opts, machineBefore: before, dir: ctx.dir };
  const blocks: string[] = [];
  const emit = (text: string) => {
    blocks.push(text);
    process.stdout.write(`${text}\n\n`);
  };
  if (opts.sections.includes('rate')) {
    const s = await rateSection(ctx);
    result.rate = s;
    emit(formatRate(s));
  }
  if (opts.sections.includes('throughput')) {
    const s = await throughputSection(ctx);
    result.throughput = s;
    emit(formatThroughput(s));
  }
  if (opts.sections.includes('ledger')) {
    try {
      const s = await ledgerSection(ctx);
      result.ledger = s;
      emit(formatLedger(s));
    } catch (e) {
      result.ledger = { error: (e as Error).message };
      emit(`3. Ledger size and memory: FAILED: ${(e as Error).message}`);
    }
  }
  if (opts.sections.includes('errors')) {
    const s = await errorsSection(ctx);
    result.errors = s;
    emit(formatErrors(s));
  }

  const busy = ctx.loadChecks.filter((c) => isBusy(c.load));
  const footer =
    busy.length === 0
      ? `machine: no build running and load under ${cpus().length} at every one of ${ctx.loadChecks.length} measurements`
      : `machine: BUSY at ${busy.length} of ${ctx.loadChecks.length} measurements (a build running or load above the cores): ` +
        `figures taken then are not comparable. e.g. ${busy[0]?.what}: ${describeLoad(busy[0]!.load)}`;
  process.stdout.write(`${footer}\n`);
  result.loadChecks = ctx.loadChecks;
  result.finished = new Date().toISOString();
  result.text = [...header, '', ...blocks, footer].join('\n');
  const file = join(ctx.dir, 'bench.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written: ${file}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(e instanceof EnvironmentError ? 3 : 1);
  },
);

// argv -> one subcommand -> exit code. Subcommands live in cli/, one module each.
import { EXIT_ENV, EXIT_USAGE, EnvError, UsageError, type Command, type Io } from './cli/command.ts';

/**
 * Subcommands load on demand: `lossless load` must not pay for the report, compare or cluster
 * modules at start (seconds of tsx compile on a busy 2-core box). Adding one = one line here.
 */
export const COMMANDS: Array<{ name: string; load: () => Promise<Command> }> = [
  { name: 'load', load: async () => (await import('./cli/load.ts')).loadCommand },
  { name: 'decode', load: async () => (await import('./cli/decode.ts')).decodeCommand },
  { name: 'scenario', load: async () => (await import('./cli/scenario.ts')).scenarioCommand },
  { name: 'run', load: async () => (await import('./cli/scenario.ts')).runCommand },
  { name: 'report', load: async () => (await import('./cli/report.ts')).reportCommand },
  { name: 'compare', load: async () => (await import('./cli/compare.ts')).compareCommand },
];

async function help(): Promise<string> {
  const cmds = await Promise.all(COMMANDS.map((c) => c.load()));
  return ['usage: lossless <command> [options]', '', ...cmds.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`), '', "run 'lossless <command> --help' for its options"].join('\n') + '\n';
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(await help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`lossless: unknown command '${name}'; expected one of ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return EXIT_USAGE;
  }
  const cmd = await entry.load();
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`lossless ${cmd.name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof EnvError) {
      io.stderr.write(`lossless ${cmd.name}: ${err.message}\n`);
      return EXIT_ENV;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/harness/src/cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lossless: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

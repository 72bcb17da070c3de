// argv -> one subcommand -> exit code. Subcommands live in cli/, one module each; every error a stage
// throws is turned into its exit code here (errors.ts), so no subcommand prints a stack trace for bad
// input or a failing machine.
import { EXIT_INTERNAL, EXIT_USAGE, describeError, exitCodeOf } from '../errors.ts';
import type { Command, Io } from './command.ts';

/**
 * Subcommands load on demand: `lossless load` must not pay for the report, compare or cluster
 * modules at start (seconds of tsx compile on a busy 2-core box). Adding one = one line here.
 */
export const COMMANDS: Array<{ name: string; load: () => Promise<Command> }> = [
  { name: 'load', load: async () => (await import('./load.ts')).loadCommand },
  { name: 'decode', load: async () => (await import('./decode.ts')).decodeCommand },
  { name: 'scenario', load: async () => (await import('./scenario.ts')).scenarioCommand },
  { name: 'run', load: async () => (await import('./scenario.ts')).runCommand },
  { name: 'report', load: async () => (await import('./report.ts')).reportCommand },
  { name: 'compare', load: async () => (await import('./compare.ts')).compareCommand },
  { name: 'export', load: async () => (await import('./export.ts')).exportCommand },
];

async function help(): Promise<string> {
  const cmds = await Promise.all(COMMANDS.map((c) => c.load()));
  return ['usage: lossless <command> [options]', '', ...cmds.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`), '', "run 'lossless <command> --help' for its options"].join('\n') + '\n';
}

/** Runs one command line; never throws: every failure becomes an exit code and one message on stderr. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  let prefix = 'lossless';
  try {
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
    prefix = `lossless ${cmd.name}`;
    return await cmd.run(rest, io);
  } catch (err) {
    const code = exitCodeOf(err);
    io.stderr.write(`${prefix}: ${code === EXIT_INTERNAL ? 'internal error: ' : ''}${describeError(err)}\n`);
    return code;
  }
}

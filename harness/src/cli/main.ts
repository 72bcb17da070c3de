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

/** The same on every command (errors.ts). */
export const EXIT_CODES = `exit codes (every command):
  0   done; within budget (a naive variant: lost as its file expects)
  1   a budget breached, an expectation not met, or (compare) a variant significantly worse than the base
  2   bad input: the message names the option or field, the value and what is allowed
  3   the environment failed (cluster, Docker, network, disk, a receiver): the message says what to do
  70  a bug of lossless (please report it)
  130 stopped by a second Ctrl-C`;

async function help(): Promise<string> {
  const cmds = await Promise.all(COMMANDS.map((c) => c.load()));
  return ['usage: lossless <command> [options]', '', ...cmds.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`), '', "run 'lossless <command> --help' for its options; 'lossless --version' for the version", '', EXIT_CODES].join('\n') + '\n';
}

/** `lossless 0.1.0 (git 1a2b3c4, node v24.x)`: the package version, the commit when run from a checkout. */
export async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const root = new URL('../../../', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  let commit = '';
  try {
    commit = execFileSync('git', ['-C', root.pathname, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    // not a checkout (the harness image): the version alone
  }
  return `lossless ${pkg.version} (${commit ? `git ${commit}, ` : ''}node ${process.version})\n`;
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
    if (name === '--version' || name === '-V' || name === 'version') {
      io.stdout.write(await version());
      return 0;
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

// argv -> one subcommand -> exit code. Subcommands live in cli/, one module each.
import { EXIT_ENV, EXIT_USAGE, EnvError, UsageError, type Command, type Io } from './cli/command.ts';
import { loadCommand } from './cli/load.ts';
import { decodeCommand } from './cli/decode.ts';
import { reportCommand } from './cli/report.ts';
import { compareCommand } from './cli/compare.ts';
import { runCommand, scenarioCommand } from './cli/scenario.ts';

export const COMMANDS: Command[] = [loadCommand, decodeCommand, scenarioCommand, runCommand, reportCommand, compareCommand];

function help(): string {
  return ['usage: lossless <command> [options]', '', ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`), '', "run 'lossless <command> --help' for its options"].join('\n') + '\n';
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`lossless: unknown command '${name}'; expected one of ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return EXIT_USAGE;
  }
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

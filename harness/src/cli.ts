// The `lossless` entry point. Only node built-ins are imported statically: the guards below are in place
// before any of lossless's own modules load, so a crash while loading or running them ends with a
// classified exit code (errors.ts: 2, 3 or 70), never with Node's 1, which the contract keeps for a
// breached budget.
import process from 'node:process';

const INTERNAL = 70; // errors.ts EXIT_INTERNAL, repeated here because errors.ts is not loaded yet

function fatal(err: unknown): void {
  // errors.ts may itself be what failed to load: classify with it when it can be loaded, else 70.
  import('./errors.ts').then(
    (e) => {
      const code = e.exitCodeOf(err);
      process.stderr.write(`lossless: ${code === e.EXIT_INTERNAL ? 'internal error: ' : ''}${e.describeError(err)}\n`);
      process.exit(code);
    },
    () => {
      process.stderr.write(`lossless: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(INTERNAL);
    },
  );
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// A closed stdout (`lossless decode run | head -1`) surfaces as an EPIPE 'error' event; the command that
// writes sees it through its own listener (decode stops, load --stream keeps recording to disk). This one
// only keeps the event from becoming an uncaught exception.
process.stdout.on('error', () => {});

import('./cli/main.ts').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv.slice(2));
  },
  fatal,
);

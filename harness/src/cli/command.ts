// What every subcommand is: a name, a usage text, and run(argv) -> exit code. Adding `run`,
// `scenario` or `compare` is one module exporting a Command plus one line in cli.ts.

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_BUDGET = 1;
export const EXIT_USAGE = 2;
export const EXIT_ENV = 3;

/** Bad input: the message names the option, the value and what is allowed. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The environment failed (unwritable folder, ...): the message says what to do. Exit 3. */
export class EnvError extends Error {
  override name = 'EnvError';
}

// What every subcommand is: a name, a usage text, and run(argv) -> exit code. Adding one is a module
// exporting a Command plus one line in cli/main.ts. Errors and exit codes live in ../errors.ts.

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

// The ground floor of every layer: the two kinds of failure a user can act on, and every exit code in
// one place. A stage throws UsageError (the input was wrong: name the field or path, the value and what is
// allowed) or EnvError (the machine or cluster failed: say what to do); the CLI maps them to 2 and 3.
// Anything else is a bug of lossless: exit 70, never 1 (1 means a loss budget was breached).

export const EXIT_OK = 0;
export const EXIT_BUDGET = 1;
export const EXIT_USAGE = 2;
export const EXIT_ENV = 3;
/** EX_SOFTWARE (sysexits.h): an internal error, distinct from every contract code. */
export const EXIT_INTERNAL = 70;
/** The shell's code for a process stopped by a second Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** Bad input: the message names the option, field or path, the value and what is allowed. Exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
  override name = 'UsageError';
}

/** The environment failed (unwritable or full disk, no cluster, closed stdout): the message says what to do. Exit 3. */
export class EnvError extends Error {
  readonly exitCode = EXIT_ENV;
  override name = 'EnvError';
}

/**
 * Error codes (errno) that mean the machine, not the input and not lossless: a full or read-only disk, a
 * closed pipe, no more file descriptors. Classified by code, never by message text.
 */
const ENV_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EPIPE', 'EMFILE', 'ENFILE', 'ENOMEM', 'ECONNRESET']);

export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isEnvErrno(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && ENV_ERRNO.has(code);
}

/** The exit code an error ends the process with. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof EnvError || isEnvErrno(err)) return EXIT_ENV;
  return EXIT_INTERNAL;
}

/** One line for the user: the message, with the errno code and path of a system error. */
export function describeError(err: unknown): string {
  if (err instanceof UsageError || err instanceof EnvError) return err.message;
  if (isEnvErrno(err)) {
    const e = err as NodeJS.ErrnoException;
    const what = e.code === 'EPIPE' ? 'the reader of the output went away' : e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'the disk is full' : 'the system refused';
    return `${what} (${e.code}${e.path ? ` on '${e.path}'` : ''}${e.syscall ? `, ${e.syscall}` : ''}); free space, fix permissions or keep the reader open`;
  }
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Wraps a file-system error of `path` as the right kind: bad path given by the user vs a failing machine. */
export function fileError(err: unknown, what: string, path: string, hint: string): UsageError | EnvError {
  const code = errnoOf(err) ?? 'error';
  const text = `${what} '${path}': ${code}; ${hint}`;
  return isEnvErrno(err) ? new EnvError(text) : new UsageError(text);
}

// One JSON line per event on stdout, `at` in epoch milliseconds (the DESIGN.md wire contract). Values are
// scalars so the timeline can carry them as details; lists are comma-joined strings.
export interface LogLine {
  event: string;
  at: number;
  pod: string;
  [k: string]: string | number | boolean | null;
}

export type Log = (line: LogLine) => void;

export function stdoutLine(line: LogLine): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

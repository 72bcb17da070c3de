// SIGTERM/SIGINT for the workloads' processes (echo, registry provider, consumer): installed before the
// server starts, so a signal during a startup delay is logged too (sigterm + exit lines, exit 0); once the
// server runs, its own shutdown decides the exit code.

export interface Stoppable {
  sigterm(): Promise<number>;
}

/** The two lines written here; both the echo's and the registry's loggers accept them. */
interface Line {
  event: 'sigterm' | 'exit';
  at: number;
  pod: string;
  [k: string]: string | number | boolean | null;
}

export function handleSignals(pod: string, log: (line: Line) => void, current: () => Stoppable | undefined): void {
  const onSignal = (signal: string) => {
    const server = current();
    if (server) {
      void server.sigterm().then((code) => process.exit(code));
      return;
    }
    const at = Date.now();
    log({ event: 'sigterm', at, pod, mode: 'before-listening', inFlight: 0, signal });
    log({ event: 'exit', at, pod, code: 0 });
    process.exit(0);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

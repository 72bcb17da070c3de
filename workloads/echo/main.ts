// The echo workload as a process: `npm run echo` (or `node workloads/echo/main.ts` on Node >= 23.6,
// which strips the types itself, as the container image does). Knobs from env: see README.md.
import { hostname } from 'node:os';
import { KnobError, knobsFromEnv } from './knobs.ts';
import type { EchoKnobs } from './knobs.ts';
import { startEcho, stdoutLog } from './echo.ts';
import type { Echo } from './echo.ts';

let knobs: EchoKnobs;
try {
  knobs = knobsFromEnv(process.env, hostname());
} catch (err) {
  if (err instanceof KnobError) {
    process.stderr.write(`echo: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const pod = knobs.pod;
let echo: Echo | undefined;
// Handlers go in before the server starts: a SIGTERM during STARTUP_DELAY must be logged too.
const onSignal = (signal: string) => {
  if (echo) {
    void echo.sigterm().then((code) => process.exit(code));
    return;
  }
  const at = Date.now();
  stdoutLog({ event: 'sigterm', at, pod, mode: 'before-listening', inFlight: 0, signal });
  stdoutLog({ event: 'exit', at, pod, code: 0 });
  process.exit(0);
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
stdoutLog({ event: 'start', at: Date.now(), pod, pid: process.pid });
echo = await startEcho({ ...knobs, log: stdoutLog });

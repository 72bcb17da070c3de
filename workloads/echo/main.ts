// The echo workload as a process: `npm run echo` (or `node workloads/echo/main.ts` on Node >= 23.6,
// which strips the types itself, as the container image does). Knobs from env: see README.md.
import { hostname } from 'node:os';
import { KnobError, knobsFromEnv } from './knobs.ts';
import type { EchoKnobs } from './knobs.ts';
import { startEcho, stdoutLog } from './echo.ts';
import type { Echo } from './echo.ts';
import { handleSignals } from './signals.ts';

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
handleSignals(pod, stdoutLog, () => echo);
stdoutLog({ event: 'start', at: Date.now(), pod, pid: process.pid });
echo = await startEcho({ ...knobs, log: stdoutLog });

// The echo workload as a process: `npm run echo` (or `node workloads/echo/main.ts` on Node >= 23.6,
// which strips the types itself, as the container image does). Knobs from env: see README.md.
import { hostname } from 'node:os';
import { KnobError, knobsFromEnv } from './knobs.ts';
import { startEcho, stdoutLog } from './echo.ts';

let knobs;
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
stdoutLog({ event: 'start', at: Date.now(), pod, pid: process.pid });
const echo = await startEcho({ ...knobs, log: stdoutLog });
const onSigterm = () => {
  void echo.sigterm().then((code) => process.exit(code));
};
process.on('SIGTERM', onSigterm);
process.on('SIGINT', onSigterm);

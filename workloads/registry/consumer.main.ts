// The registry consumer as a process: `node workloads/registry/consumer.main.ts` (Node >= 23.6 strips the
// types; the echo image runs it). Knobs from env: see README.md.
import { hostname } from 'node:os';
import { consumerKnobsFromEnv, KnobError } from './knobs.ts';
import type { ConsumerKnobs } from './knobs.ts';
import { startConsumer } from './consumer.ts';
import type { Consumer } from './consumer.ts';
import { stdoutLine } from './log.ts';
import { handleSignals } from '../echo/signals.ts';

let knobs: ConsumerKnobs;
try {
  knobs = consumerKnobsFromEnv(process.env, hostname());
} catch (err) {
  if (err instanceof KnobError) {
    process.stderr.write(`consumer: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const pod = knobs.pod;
let consumer: Consumer | undefined;
handleSignals(pod, stdoutLine, () => consumer);
stdoutLine({ event: 'start', at: Date.now(), pod, pid: process.pid });
try {
  consumer = await startConsumer({ ...knobs, host: process.env.HOST || undefined, log: stdoutLine });
} catch (err) {
  const code = (err as { code?: string }).code;
  process.stderr.write(`consumer: cannot listen on port ${knobs.port}: ${code ?? (err as Error).message}; free the port or set PORT\n`);
  process.exit(3);
}

// The registry provider as a process: `node workloads/registry/provider.main.ts` (Node >= 23.6 strips the
// types; the echo image runs it). Echo's knobs plus the registry's: see README.md.
import { hostname } from 'node:os';
import { KnobError, knobsFromEnv } from '../echo/knobs.ts';
import type { EchoKnobs } from '../echo/knobs.ts';
import { providerKnobsFromEnv } from './knobs.ts';
import type { ProviderKnobs } from './knobs.ts';
import { stdoutLine } from './log.ts';
import { startProvider } from './provider.ts';
import type { RegistryProvider } from './provider.ts';
import { handleSignals } from '../echo/signals.ts';

const startAt = Date.now();
let echoKnobs: EchoKnobs;
let registry: ProviderKnobs;
try {
  echoKnobs = knobsFromEnv(process.env, hostname());
  registry = providerKnobsFromEnv(process.env);
} catch (err) {
  if (err instanceof KnobError) {
    process.stderr.write(`provider: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const pod = echoKnobs.pod;
let provider: RegistryProvider | undefined;
handleSignals(pod, stdoutLine, () => provider);
stdoutLine({ event: 'start', at: startAt, pod, pid: process.pid });
try {
  provider = await startProvider({ ...echoKnobs, registry, startAt, log: stdoutLine });
} catch (err) {
  if (err instanceof KnobError) {
    process.stderr.write(`provider: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

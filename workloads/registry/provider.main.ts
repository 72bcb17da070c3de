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
const onSignal = (signal: string) => {
  if (provider) {
    void provider.sigterm().then((code) => process.exit(code));
    return;
  }
  const at = Date.now();
  stdoutLine({ event: 'sigterm', at, pod, mode: 'before-listening', inFlight: 0, signal });
  stdoutLine({ event: 'exit', at, pod, code: 0 });
  process.exit(0);
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
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

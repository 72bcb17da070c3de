// The alarm's thread (see alarm.ts). It runs its own copy of the run's pacer, so the main thread never
// has to tell it when to wake: it reads only the first unsent tick, sleeps on a futex until that
// tick's wake time (Atomics.wait takes fractional milliseconds: tens of µs, where the event loop's
// timers have whole milliseconds), and posts one message to wake the event loop. Erasable TypeScript
// only: it runs on Node's own type stripping, without the tsx loader.
import { parentPort, workerData } from 'node:worker_threads';
import { createPacer, type PacerConfig } from './pacer.ts';
import { BASE_OFFSET, GO, NEXT, PENDING, STOP, type AlarmData } from './alarmslots.ts';

const data = workerData as AlarmData;
const ctl = new Int32Array(data.shared);
const pacer = createPacer(data.pacer as PacerConfig);
parentPort?.postMessage('ready');
// the run's base is taken once this thread is up, so its start-up never delays the first ticks
Atomics.wait(ctl, GO, 0);
// process.hrtime is CLOCK_MONOTONIC, one clock for every thread of the process (performance.now too)
const base = new BigInt64Array(data.shared, BASE_OFFSET, 1)[0] as bigint;
const elapsed = () => Number(process.hrtime.bigint() - base);

let n = 0;
while (Atomics.load(ctl, STOP) === 0) {
  const next = Atomics.load(ctl, NEXT);
  if (next > n) n = next;
  if (pacer.pace(0, n).stop) {
    // past the last tick: nothing to wake for; stay until told to stop (an exit reads as a failure)
    Atomics.wait(ctl, STOP, 0);
    continue;
  }
  const wake = pacer.wakeAt(n, data.slackNs);
  const rem = wake - elapsed();
  if (rem > 0) {
    // wakes early only when told to stop; a timeout re-reads NEXT (the main thread may have sent on)
    Atomics.wait(ctl, STOP, 0, rem / 1e6);
    continue;
  }
  if (Atomics.load(ctl, NEXT) <= n && Atomics.compareExchange(ctl, PENDING, 0, 1) === 0) parentPort?.postMessage(0);
  // every tick due by `wake` is sent on that message: the main thread's clock is past it when it reads
  while (pacer.dueAt(n) <= wake && !pacer.pace(0, n).stop) n++;
}

// How the send loop waits for its next tick. Three timings:
// - precise (default): a worker thread sleeps on a futex until the tick's wake time and posts one
//   message (alarmthread.ts). The event loop sleeps in epoll meanwhile: no CPU between ticks, and
//   wake-ups within tens of µs, where a timer has whole milliseconds.
// - timer: setTimeout only. Cheapest, but a timer cannot wake sooner than 1 ms, so at rates above
//   1000/s ticks go out in per-millisecond batches (send lag up to about 1 ms, recorded).
// - spin: setImmediate while a tick is due within 1.5 ms (the engine before issue 11): precise, but it
//   takes a whole core at any rate; kept to compare.
// Whatever the timing, a tick is never sent before it is due, and its lag is recorded.
import { Worker } from 'node:worker_threads';
import type { PacerConfig, Pacer } from './pacer.ts';
import { BASE_OFFSET, GO, NEXT, PENDING, SHARED_BYTES, STOP, type AlarmData } from './alarmslots.ts';

/** How long a precise alarm's thread may take to start (a busy box) before timers take over. */
const START_LIMIT_MS = 10_000;
/** How long close() waits for the thread to end by itself before it is terminated. */
const STOP_LIMIT_MS = 2_000;

export const TIMINGS = ['precise', 'timer', 'spin'] as const;
export type Timing = (typeof TIMINGS)[number];

export interface Alarm {
  readonly timing: Timing;
  /** Set when the precise alarm could not run and timers took over: why. */
  readonly fallback: string | undefined;
  /** The loop has sent every tick before `tick` and waits for it; `elapsedNs` is now, since base. */
  arm(tick: number, elapsedNs: number): void;
  /** Starts the clock: ticks are ns since this instant (monotonic). Call once, right after creation. */
  start(): void;
  close(): Promise<void>;
}

export interface AlarmOptions {
  timing: Timing;
  pacer: Pacer;
  pacerConfig: PacerConfig;
  /** A wake-up may send every tick due within this many ns of the first (Pacer.wakeAt). */
  slackNs: number;
  /** What to run when woken. */
  wake: () => void;
  /** The precise alarm's thread module; only tests change it (to see a failing thread handed to timers). */
  threadUrl?: URL;
}

/** Resolves once the alarm can take its first arm() (the precise one waits for its thread to be up). */
export async function createAlarm(o: AlarmOptions): Promise<Alarm> {
  if (o.timing === 'precise') {
    try {
      return await preciseAlarm(o);
    } catch (e) {
      return timerAlarm(o, 'timer', `precise alarm thread failed to start: ${(e as Error).message}`);
    }
  }
  return timerAlarm(o, o.timing, undefined);
}

function timerAlarm(o: AlarmOptions, timing: 'timer' | 'spin' | 'precise', fallback: string | undefined): Alarm & { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const fire = () => {
    timer = undefined;
    immediate = undefined;
    o.wake();
  };
  return {
    timing,
    fallback,
    start() {},
    arm(tick, elapsedNs) {
      this.stop(); // the loop ran before this fired (a record woke it): one pending wake-up at a time
      if (timing === 'spin') {
        const waitNs = o.pacer.dueAt(tick) - elapsedNs;
        if (waitNs < 1.5e6) immediate = setImmediate(fire);
        else timer = setTimeout(fire, Math.floor(waitNs / 1e6 - 0.5));
        return;
      }
      // Rounded up: a timer fires on a whole millisecond of the loop's clock, so rounding down would
      // wake before the tick is due and cost a second wake-up a millisecond later. Everything due by
      // then goes out together.
      timer = setTimeout(fire, Math.ceil((o.pacer.wakeAt(tick, o.slackNs) - elapsedNs) / 1e6));
    },
    stop() {
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
    },
    async close() {
      this.stop();
    },
  };
}

async function preciseAlarm(o: AlarmOptions): Promise<Alarm> {
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const ctl = new Int32Array(shared);
  const c = o.pacerConfig;
  const data: AlarmData = {
    shared,
    pacer: { rate: c.rate, durationNs: c.durationNs, maxTicks: c.maxTicks, arrivals: c.arrivals, ...(c.seed !== undefined ? { seed: c.seed } : {}) },
    slackNs: o.slackNs,
  };
  // execArgv []: the thread is erasable TypeScript that Node strips itself; loading tsx there costs
  // start-up time and memory for nothing
  const worker = new Worker(o.threadUrl ?? new URL('./alarmthread.ts', import.meta.url), { workerData: data, execArgv: [] });
  // Every listener is attached here, at once: a thread that posts 'ready' and dies before the loop has
  // read the message emits both events in one go (Node drains the port, then emits 'exit'), and a
  // listener attached after an await would miss the exit and leave the loop waiting for ever.
  let ready = false;
  let closed = false;
  let exitedNow = false;
  // If the thread dies mid-run, timers take over: the run must never wait for a wake-up that cannot come.
  let backup: (Alarm & { stop(): void }) | undefined;
  let lastTick = 0;
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const readyOrNot = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const exited = new Promise<void>((r) => worker.once('exit', () => {
    exitedNow = true;
    r();
  }));
  const takeOver = (why: string) => {
    if (closed || backup) return;
    backup = timerAlarm(o, 'timer', `precise alarm thread ${why}; timers took over`);
    // now, on the run's clock: the tick the loop waits for may be due already
    backup.arm(lastTick, Number(process.hrtime.bigint() - new BigInt64Array(shared, BASE_OFFSET, 1)[0]!));
  };
  worker.on('error', (e) => (ready ? takeOver(`failed: ${e.message}`) : settle?.reject(e)));
  worker.on('exit', (code) => (ready ? takeOver(`exited ${code}`) : settle?.reject(new Error(`exited ${code} before it was ready`))));
  worker.on('message', () => {
    if (!ready) {
      ready = true;
      return settle?.resolve();
    }
    Atomics.store(ctl, PENDING, 0);
    if (!closed) o.wake();
  });
  // a thread that never comes up must not hold the run: timers take over (createAlarm)
  const late = setTimeout(() => settle?.reject(new Error(`not ready within ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
  try {
    await readyOrNot;
  } catch (e) {
    closed = true;
    await worker.terminate();
    throw e;
  } finally {
    clearTimeout(late);
  }
  const alarm: Alarm = {
    timing: 'precise',
    get fallback() {
      return backup?.fallback;
    },
    start() {
      new BigInt64Array(shared, BASE_OFFSET, 1)[0] = process.hrtime.bigint();
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, GO);
    },
    arm(tick, elapsedNs) {
      lastTick = tick;
      if (backup) return backup.arm(tick, elapsedNs);
      Atomics.store(ctl, NEXT, tick);
    },
    async close() {
      closed = true;
      backup?.stop();
      Atomics.store(ctl, STOP, 1);
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, STOP);
      Atomics.notify(ctl, GO);
      if (exitedNow) return;
      // the thread ends within a futex wake-up; should it not (a starved box), it is ended, never waited on forever
      let limit: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (limit = setTimeout(() => r('late'), STOP_LIMIT_MS)));
      if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
      clearTimeout(limit);
    },
  };
  return alarm;
}

// The words the main thread and the alarm thread share (alarm.ts, alarmthread.ts), in one place.
/** Int32 slot: the first tick not yet sent, written by the main thread after each batch. */
export const NEXT = 0;
/** Int32 slot: 1 = stop; the alarm thread sleeps on it, so a notify ends its sleep at once. */
export const STOP = 1;
/** Int32 slot: 1 once BASE holds the run's base time; the thread waits for it before its first tick. */
export const GO = 2;
/** Int32 slot: 1 while a wake-up message is posted and not yet taken: one is enough, as the loop sends everything due when it runs. */
export const PENDING = 3;
/** Byte offset of a BigInt64 slot: process.hrtime.bigint() at the run's base (tick times are ns since it). */
export const BASE_OFFSET = 16;
export const SHARED_BYTES = 24;

export interface AlarmData {
  shared: SharedArrayBuffer;
  /** The pacer's config (plain data: the thread builds its own pacer from it). */
  pacer: { rate: number; durationNs: number; maxTicks: number; arrivals: string; seed?: number };
  slackNs: number;
}

// The timeline file (timeline.ndjson): lifecycle events as JSON lines, on the ledger's time base.
// Line 1 is a header {"lossless":"timeline","version":1,"t0EpochNs":"<decimal>","runId":...};
// every other line is one LifecycleEvent with `at` in ns since the run's origin. Lines are appended
// in arrival order (not sorted: watches deliver late), buffered, and flushed at least once a second.
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkLifecycleEvent, type LifecycleEvent } from '../record.ts';

export const TIMELINE_VERSION = 1;

export interface TimelineHeader {
  lossless: 'timeline';
  version: number;
  t0EpochNs: bigint;
  runId: string;
}

export class TimelineWriter {
  private fd: number;
  private lines: string[] = [];
  private timer: NodeJS.Timeout;
  private closed = false;

  constructor(readonly path: string, header: { t0EpochNs: bigint; runId: string }) {
    this.fd = openSync(path, 'w');
    const h = { lossless: 'timeline', version: TIMELINE_VERSION, t0EpochNs: header.t0EpochNs.toString(), runId: header.runId };
    writeSync(this.fd, JSON.stringify(h) + '\n');
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  write(ev: LifecycleEvent): void {
    if (this.closed) throw new Error('timeline is closed');
    this.lines.push(JSON.stringify(ev));
    if (this.lines.length >= 256) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0 || this.closed) return;
    writeSync(this.fd, this.lines.join('\n') + '\n');
    this.lines = [];
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.timer);
    closeSync(this.fd);
    this.closed = true;
  }
}

/** Reads a timeline back; the header comes first, then the events in file order. */
export async function readTimeline(path: string): Promise<{ header: TimelineHeader; events: AsyncIterable<LifecycleEvent> }> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new Error(`${path}: empty timeline (no header line)`);
  const raw = JSON.parse(first.value) as { lossless?: unknown; version?: unknown; t0EpochNs?: unknown; runId?: unknown };
  if (raw.lossless !== 'timeline' || typeof raw.t0EpochNs !== 'string') throw new Error(`${path}: line 1 is not a timeline header`);
  if (raw.version !== TIMELINE_VERSION) throw new Error(`${path}: timeline version ${String(raw.version)}, this reader knows ${TIMELINE_VERSION}`);
  const header: TimelineHeader = { lossless: 'timeline', version: TIMELINE_VERSION, t0EpochNs: BigInt(raw.t0EpochNs), runId: String(raw.runId ?? '') };
  async function* events(): AsyncGenerator<LifecycleEvent> {
    let line = 1;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      line++;
      if (n.value.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(n.value);
      } catch {
        throw new Error(`${path}:${line}: not a JSON line`);
      }
      const e = checkLifecycleEvent(v);
      if (typeof e === 'string') throw new Error(`${path}:${line}: ${e}`);
      yield e;
    }
  }
  return { header, events: events() };
}

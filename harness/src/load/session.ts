// One load session: every record of a run goes through add() to its sinks (the ledger file, the summary
// reducer, whatever the caller adds: the progress meter, the --stream printer), and close() ends them
// (vegeta's Add/Close shape). `lossless load` and the scenario runner (host load + in-cluster loader into
// one ledger) share it, so the ledger, its durability and summary.json are wired in one place.
//
// Durability: the ledger's header is on disk at once and its records at least every second (FLUSH_MS),
// so kill -9 or a lost terminal loses at most the last second. A ledger that cannot be written (full
// disk, file size limit) stops the run through onFailure; close() still writes what it can and the
// caller ends with the EnvError (exit 3) that says how many records were kept.
import { statSync } from 'node:fs';
import { EnvError, errnoOf } from '../errors.ts';
import type { LedgerWriter } from '../ledger/writer.ts';
import type { RunFolder } from '../folder/folder.ts';
import type { HostCpu } from '../folder/artifacts.ts';
import type { RequestRecord } from '../record.ts';
import type { RunTimer } from './clock.ts';
import { SummaryReducer, type Summary } from './summary.ts';

/** What a session hands each record to. */
export interface RecordSink {
  add(r: RequestRecord): void;
}

export const FLUSH_MS = 1000;

export interface SessionOptions {
  /** Where ledger.bin and summary.json go; none: the summary is only returned. */
  folder?: RunFolder;
  runId: string;
  clock: RunTimer;
  /** The request timeout: the summary's per-second series closes a second this long after it. */
  timeoutMs: number;
  sinks?: RecordSink[];
  /** Called once when the ledger cannot be written: the caller stops sending. */
  onFailure?: (err: EnvError) => void;
}

export class LoadSession {
  private readonly reducer: SummaryReducer;
  private ledger: LedgerWriter | undefined;
  private readonly flushTimer: NodeJS.Timeout | undefined;
  private readonly sinks: RecordSink[];
  private firstAt = Infinity;
  private lastAt = 0;
  /** Records on disk when the ledger failed. */
  private keptAtFailure = 0;
  private closed: Summary | undefined;
  /** Set when the ledger failed; close() leaves it for the caller to throw. */
  failure: EnvError | undefined;

  constructor(private readonly o: SessionOptions) {
    this.reducer = new SummaryReducer({ closeAfterNs: o.timeoutMs * 1e6 + 2e9 });
    this.sinks = o.sinks ?? [];
    if (o.folder) {
      this.ledger = o.folder.createLedger({ t0EpochNs: o.clock.t0EpochNs, runId: o.runId });
      this.flushTimer = setInterval(() => this.guard(() => this.ledger?.flush()), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  get scheduled(): number {
    return this.reducer.scheduled;
  }

  add(r: RequestRecord): void {
    if (this.ledger) this.guard(() => this.ledger!.write(r));
    this.reducer.add(r);
    if (r.scheduledAt < this.firstAt) this.firstAt = r.scheduledAt;
    if (r.endAt > this.lastAt) this.lastAt = r.endAt;
    for (const s of this.sinks) s.add(r);
  }

  /** Runs a ledger operation; a failing disk ends the ledger (not the run's bookkeeping) and tells the caller. */
  private guard(op: () => void): void {
    try {
      op();
    } catch (err) {
      const ledger = this.ledger;
      this.ledger = undefined;
      if (this.flushTimer) clearInterval(this.flushTimer);
      // what reached the disk stays readable: the reader stops at the last whole record
      try {
        ledger?.abandon();
      } catch {
        /* the file is already as good as it gets */
      }
      const code = errnoOf(err) ?? String(err);
      this.keptAtFailure = ledger?.flushedRecords ?? 0;
      this.failure = new EnvError(
        `cannot write ${ledger?.path ?? 'ledger.bin'} (${code}): the run stopped; the ledger keeps ${this.keptAtFailure} of ${this.reducer.scheduled + 1} records; free disk space (or raise the file size limit) and run again`,
      );
      this.o.onFailure?.(this.failure);
    }
  }

  /**
   * Ends the session: the ledger gets its trailer and summary.json is written (once). `partial` marks a run
   * that was interrupted or stopped early; a ledger failure makes it partial too.
   */
  close(meta: { partial: boolean; config: Record<string, unknown>; startNs?: number; endNs?: number; hostCpu?: HostCpu }): Summary {
    if (this.closed) return this.closed;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const records = this.ledger?.recordCount ?? 0;
    if (this.ledger) this.guard(() => this.ledger!.close());
    const summary = this.reducer.result({
      runId: this.o.runId, t0EpochNs: this.o.clock.t0EpochNs, partial: meta.partial || this.failure !== undefined, config: meta.config,
      startNs: meta.startNs ?? (Number.isFinite(this.firstAt) ? this.firstAt : 0), endNs: meta.endNs ?? this.lastAt,
    });
    if (meta.hostCpu) summary.hostCpu = meta.hostCpu;
    if (this.o.folder) {
      const path = this.o.folder.path('ledger');
      const kept = this.failure ? this.keptAtFailure : records;
      let bytes = 0;
      try {
        bytes = statSync(path).size;
      } catch {
        // the ledger could not even be created: no bytes
      }
      summary.ledger = { file: 'ledger.bin', records: kept, bytes, complete: this.failure === undefined, bytesPerRecord: kept ? Math.round((bytes / kept) * 100) / 100 : 0 };
      this.o.folder.write('summary', summary);
    }
    this.closed = summary;
    return summary;
  }
}

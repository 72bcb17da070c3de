// `lossless load --stream`: every record as one NDJSON line on stdout while the run goes, between a
// header (run id, clock origin) and an end line (record count, partial). The scenario runner reads it
// from the in-cluster loader's pod log (scenario/incluster.ts) and checks the count, so a record lost
// on the way is noticed, not silently missing.
//
// The stream is a copy: the ledger on disk is the record. When the reader goes away (`| head -2`, a
// closed pod log), writing stops with one notice and the run goes on writing its ledger.
import type { RequestRecord } from '../record.ts';

export class RecordStream {
  private lines: string[] = [];
  private timer: NodeJS.Timeout;
  private streamed = 0;
  private broken = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    /** Called once when the reader went away, with the records written before. */
    private readonly onClosed: (streamed: number) => void = () => {},
  ) {
    // batch writes: one write per 100 ms instead of one per record
    this.timer = setInterval(() => this.flush(), 100);
    this.timer.unref();
    out.on('error', () => this.close());
  }

  private close(): void {
    if (this.broken) return;
    this.broken = true;
    this.lines = [];
    clearInterval(this.timer);
    this.onClosed(this.streamed);
  }

  private write(text: string, done?: () => void): void {
    if (this.broken) return done?.();
    const out = this.out as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
    if (out.destroyed || out.writableEnded) {
      this.close();
      return done?.();
    }
    out.write(text, (err) => {
      if (err) this.close();
      done?.();
    });
  }

  header(runId: string, t0EpochNs: bigint): void {
    this.write(JSON.stringify({ stream: 'header', runId, t0EpochNs: t0EpochNs.toString() }) + '\n');
  }

  record(r: RequestRecord): void {
    if (this.broken) return;
    this.lines.push(JSON.stringify(r));
    if (this.lines.length >= 500) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0 || this.broken) return;
    const n = this.lines.length;
    this.write(this.lines.join('\n') + '\n');
    this.streamed += n;
    this.lines = [];
  }

  /** Writes the rest and the end line; resolves once stdout has taken it (or is gone). */
  async end(records: number, partial: boolean): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    await new Promise<void>((resolve) => this.write(JSON.stringify({ stream: 'end', records, partial }) + '\n', resolve));
  }
}

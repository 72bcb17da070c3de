// `lossless load --stream`: every record as one NDJSON line on stdout while the run goes, between a
// header (run id, clock origin) and an end line (record count, partial). The scenario runner reads it
// from the in-cluster loader's pod log (scenario/incluster.ts) and checks the count, so a record lost
// on the way is noticed, not silently missing.
import type { RequestRecord } from '../record.ts';

export class RecordStream {
  private lines: string[] = [];
  private timer: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WritableStream) {
    // batch writes: one write per 100 ms instead of one per record
    this.timer = setInterval(() => this.flush(), 100);
    this.timer.unref();
  }

  header(runId: string, t0EpochNs: bigint): void {
    this.out.write(JSON.stringify({ stream: 'header', runId, t0EpochNs: t0EpochNs.toString() }) + '\n');
  }

  record(r: RequestRecord): void {
    this.lines.push(JSON.stringify(r));
    if (this.lines.length >= 500) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.out.write(this.lines.join('\n') + '\n');
    this.lines = [];
  }

  /** Writes the rest and the end line; resolves once stdout has taken it. */
  async end(records: number, partial: boolean): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    await new Promise<void>((resolve) => this.out.write(JSON.stringify({ stream: 'end', records, partial }) + '\n', () => resolve()));
  }
}

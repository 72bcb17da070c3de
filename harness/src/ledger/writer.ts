// Streams records to the binary ledger while the run goes: one fixed 40-byte frame per request,
// a string frame the first time a string is seen. Frames collect in one reused buffer that is
// written synchronously when full, so memory stays flat however long the run. The header is written at
// once; the owner calls flush() on a timer (load/session.ts: every second), so kill -9 loses at most that
// much. Synchronous writes of 256 KiB to the page cache cost well under a millisecond.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { RequestRecord } from '../record.ts';
import {
  END_BYTES, FLAG_LOCAL_PORT, FLAG_RETRIED, FLAG_REUSED, FLAG_STATUS, FRAME_END, FRAME_RECORD, FRAME_STRING, HEADER_FIXED,
  LEDGER_MAGIC, LEDGER_VERSION, MAX_ATTEMPT, MAX_SCHEDULED_NS, OUTCOME_INDEX, PHASE_INDEX, R, RECORD_BYTES, STRING_HEAD,
  U16_MAX, U32_MAX, toDelta,
} from './codec.ts';

const BUFFER_BYTES = 256 * 1024;

export class LedgerWriter {
  readonly path: string;
  private fd: number;
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private ids = new Map<string, number>();
  private records = 0;
  private flushed = 0;
  private bytes = 0;
  private closed = false;

  /** Creates (truncates) the file and writes the header at once. */
  constructor(path: string, header: { t0EpochNs: bigint; runId: string }) {
    this.path = path;
    this.fd = openSync(path, 'w');
    const runId = Buffer.from(header.runId, 'utf8');
    if (runId.length > U16_MAX) throw new RangeError('runId longer than 65535 bytes');
    const h = Buffer.alloc(HEADER_FIXED + runId.length);
    h.write(LEDGER_MAGIC, 0, 'ascii');
    h.writeUInt16LE(LEDGER_VERSION, 8);
    h.writeUInt16LE(0, 10);
    h.writeBigUInt64LE(header.t0EpochNs, 12);
    h.writeUInt16LE(runId.length, 20);
    runId.copy(h, HEADER_FIXED);
    this.put(h);
    this.flush(); // a killed run still leaves a ledger that says whose it is and when it started
  }

  get recordCount(): number {
    return this.records;
  }

  /** Records that reached the file (the rest are in the buffer). */
  get flushedRecords(): number {
    return this.flushed;
  }

  /** Bytes written so far, buffered ones included. */
  get size(): number {
    return this.bytes + this.used;
  }

  write(r: RequestRecord): void {
    if (this.closed) throw new Error('ledger is closed');
    const target = this.id(r.target);
    const remote = r.remoteAddr === undefined ? 0 : this.id(r.remoteAddr);
    const servedBy = r.servedBy === undefined ? 0 : this.id(r.servedBy);
    const code = r.errorCode === undefined ? 0 : this.id(r.errorCode);
    if (this.used + RECORD_BYTES > BUFFER_BYTES) this.flush();
    const b = this.buf;
    const o = this.used;
    let flags = PHASE_INDEX[r.phase];
    if (r.reusedConnection) flags |= FLAG_REUSED;
    if (r.status !== undefined) flags |= FLAG_STATUS;
    if (r.localPort !== undefined) flags |= FLAG_LOCAL_PORT;
    if (r.retried === true) flags |= FLAG_RETRIED;
    const sched = Math.min(Math.max(0, Math.round(r.scheduledAt)), MAX_SCHEDULED_NS);
    b[o + R.tag] = FRAME_RECORD;
    b[o + R.outcome] = OUTCOME_INDEX[r.outcome];
    b[o + R.flags] = flags;
    b[o + R.attempt] = Math.min(Math.max(1, r.attempt ?? 1), MAX_ATTEMPT);
    b.writeUInt32LE(r.seq >>> 0, o + R.seq);
    b.writeUInt32LE(sched % 4294967296, o + R.schedLo);
    b.writeUInt16LE(Math.floor(sched / 4294967296), o + R.schedHi);
    b.writeUInt16LE(r.status ?? 0, o + R.status);
    b.writeUInt32LE(toDelta(r.sentAt - r.scheduledAt), o + R.sentDelta);
    b.writeUInt32LE(toDelta(r.endAt - r.sentAt), o + R.endDelta);
    b.writeUInt16LE(r.localPort ?? 0, o + R.localPort);
    b.writeUInt16LE(target, o + R.target);
    b.writeUInt16LE(remote, o + R.remoteAddr);
    b.writeUInt16LE(servedBy, o + R.servedBy);
    b.writeUInt16LE(code, o + R.errorCode);
    b.writeUInt16LE(Math.min(r.bytesSent, U16_MAX), o + R.bytesSent);
    b.writeUInt32LE(Math.min(r.bytesReceived, U32_MAX), o + R.bytesReceived);
    this.used += RECORD_BYTES;
    this.records++;
  }

  /** Writes out what is buffered (the file is then readable up to the last record). */
  flush(): void {
    if (this.used === 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.bytes += this.used;
    this.used = 0;
    this.flushed = this.records;
  }

  /**
   * Gives up on a file that can no longer be written (full disk): no trailer, the buffer is dropped, and a
   * half-written flush is cut back so the file holds exactly flushedRecords whole records.
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.used = 0;
    try {
      ftruncateSync(this.fd, this.bytes);
    } finally {
      closeSync(this.fd);
    }
  }

  /** Ends the file with a trailer holding the record count, so readers can tell a complete file. */
  close(): void {
    if (this.closed) return;
    const end = Buffer.alloc(END_BYTES);
    end[0] = FRAME_END;
    end.writeUInt32LE(this.records >>> 0, 1);
    this.put(end);
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  private id(s: string): number {
    let id = this.ids.get(s);
    if (id !== undefined) return id;
    id = this.ids.size + 1;
    if (id > U16_MAX) throw new RangeError(`ledger string dictionary is full (65535 strings); last: ${s}`);
    this.ids.set(s, id);
    const bytes = Buffer.from(s, 'utf8');
    const len = Math.min(bytes.length, U16_MAX);
    const f = Buffer.allocUnsafe(STRING_HEAD + len);
    f[0] = FRAME_STRING;
    f.writeUInt16LE(id, 1);
    f.writeUInt16LE(len, 3);
    bytes.copy(f, STRING_HEAD, 0, len);
    this.put(f);
    return id;
  }

  private put(chunk: Buffer): void {
    if (this.used + chunk.length > BUFFER_BYTES) this.flush();
    if (chunk.length > BUFFER_BYTES) {
      writeSync(this.fd, chunk);
      this.bytes += chunk.length;
      return;
    }
    chunk.copy(this.buf, this.used);
    this.used += chunk.length;
  }
}

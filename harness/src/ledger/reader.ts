// Streams a binary ledger back as RequestRecords, one chunk of the file at a time (memory flat).
import { createReadStream } from 'node:fs';
import { OUTCOMES, PHASES, type RequestRecord } from '../record.ts';
import {
  DELTA_UNIT_NS, END_BYTES, FLAG_LOCAL_PORT, FLAG_RETRIED, FLAG_REUSED, FLAG_STATUS, FRAME_END, FRAME_RECORD, FRAME_STRING,
  HEADER_FIXED, LEDGER_MAGIC, LEDGER_VERSION, LEDGER_VERSIONS_READ, R, RECORD_BYTES, STRING_HEAD, type LedgerHeader,
} from './codec.ts';

export class LedgerFormatError extends Error {
  override name = 'LedgerFormatError';
}

/**
 * `for await (const r of readLedger(path))`. After the loop, `header` is set and `complete` tells
 * whether the file ended with its trailer (false: the writer was killed; the records read are still
 * valid up to the last whole frame).
 */
export class LedgerReader implements AsyncIterable<RequestRecord> {
  header: LedgerHeader | undefined;
  complete = false;
  /** Record count stated by the trailer, when present. */
  trailerCount: number | undefined;
  constructor(readonly path: string) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<RequestRecord> {
    const strings: string[] = [''];
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(this.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      const b = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let o = 0;
      if (!this.header) {
        if (b.length < HEADER_FIXED) {
          pending = b;
          continue;
        }
        if (b.toString('ascii', 0, 8) !== LEDGER_MAGIC) throw new LedgerFormatError(`${this.path}: not a lossless ledger (bad magic)`);
        const version = b.readUInt16LE(8);
        if (!LEDGER_VERSIONS_READ.includes(version)) throw new LedgerFormatError(`${this.path}: ledger version ${version}, this reader knows ${LEDGER_VERSIONS_READ.join(' and ')} (writes ${LEDGER_VERSION})`);
        const idLen = b.readUInt16LE(20);
        if (b.length < HEADER_FIXED + idLen) {
          pending = b;
          continue;
        }
        this.header = { version, t0EpochNs: b.readBigUInt64LE(12), runId: b.toString('utf8', HEADER_FIXED, HEADER_FIXED + idLen) };
        o = HEADER_FIXED + idLen;
      }
      while (o < b.length) {
        const tag = b[o];
        if (tag === FRAME_RECORD) {
          if (o + RECORD_BYTES > b.length) break;
          yield decodeRecord(b, o, strings);
          o += RECORD_BYTES;
        } else if (tag === FRAME_STRING) {
          if (o + STRING_HEAD > b.length) break;
          const len = b.readUInt16LE(o + 3);
          if (o + STRING_HEAD + len > b.length) break;
          strings[b.readUInt16LE(o + 1)] = b.toString('utf8', o + STRING_HEAD, o + STRING_HEAD + len);
          o += STRING_HEAD + len;
        } else if (tag === FRAME_END) {
          if (o + END_BYTES > b.length) break;
          this.trailerCount = b.readUInt32LE(o + 1);
          this.complete = true;
          o += END_BYTES;
        } else {
          throw new LedgerFormatError(`${this.path}: unknown frame tag ${tag} at a frame boundary`);
        }
      }
      pending = o < b.length ? Buffer.from(b.subarray(o)) : Buffer.alloc(0);
    }
    if (!this.header) throw new LedgerFormatError(`${this.path}: too short for a ledger header`);
  }
}

export function readLedger(path: string): LedgerReader {
  return new LedgerReader(path);
}

function decodeRecord(b: Buffer, o: number, strings: string[]): RequestRecord {
  const flags = b[o + R.flags]!;
  const scheduledAt = b.readUInt16LE(o + R.schedHi) * 4294967296 + b.readUInt32LE(o + R.schedLo);
  const sentAt = scheduledAt + b.readUInt32LE(o + R.sentDelta) * DELTA_UNIT_NS;
  const r: RequestRecord = {
    seq: b.readUInt32LE(o + R.seq),
    target: strings[b.readUInt16LE(o + R.target)] ?? '',
    scheduledAt,
    sentAt,
    endAt: sentAt + b.readUInt32LE(o + R.endDelta) * DELTA_UNIT_NS,
    outcome: OUTCOMES[b[o + R.outcome]!] ?? 'other',
    phase: PHASES[flags & 7] ?? 'none',
    reusedConnection: (flags & FLAG_REUSED) !== 0,
    bytesSent: b.readUInt16LE(o + R.bytesSent),
    bytesReceived: b.readUInt32LE(o + R.bytesReceived),
  };
  if (flags & FLAG_STATUS) r.status = b.readUInt16LE(o + R.status);
  if (flags & FLAG_LOCAL_PORT) r.localPort = b.readUInt16LE(o + R.localPort);
  // version 1 has 0 here and no bit 6: a first attempt, the only kind it had. Left out for a first attempt
  // (like every optional field), so a record reads back as it was written.
  const attempt = b[o + R.attempt]!;
  if (attempt > 1) r.attempt = attempt;
  if (flags & FLAG_RETRIED) r.retried = true;
  const remote = b.readUInt16LE(o + R.remoteAddr);
  if (remote) r.remoteAddr = strings[remote];
  const served = b.readUInt16LE(o + R.servedBy);
  if (served) r.servedBy = strings[served];
  const code = b.readUInt16LE(o + R.errorCode);
  if (code) r.errorCode = strings[code];
  return r;
}

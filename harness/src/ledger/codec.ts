// The binary ledger's layout, in one place (documented in FORMAT.md next to this file). The writer
// and the reader both use these offsets; change one, bump LEDGER_VERSION.
import { OUTCOMES, PHASES, type Outcome, type Phase } from '../record.ts';

export const LEDGER_MAGIC = 'LOSSLESS'; // 8 ASCII bytes
export const LEDGER_VERSION = 2;
/** Versions the reader still reads: 1 had no attempts (byte 3 reserved, 0; flag bit 6 unused): every record a first attempt. */
export const LEDGER_VERSIONS_READ: readonly number[] = [1, 2];
/** magic 8 + version u16 + flags u16 + t0EpochNs u64 + runId length u16 (runId bytes follow). */
export const HEADER_FIXED = 22;

export const FRAME_RECORD = 0x01;
export const FRAME_STRING = 0x02;
export const FRAME_END = 0x03;

export const RECORD_BYTES = 40;
/** tag u8 + id u16 + length u16; the UTF-8 bytes follow. */
export const STRING_HEAD = 5;
/** tag u8 + records u32 + reserved 3 bytes. */
export const END_BYTES = 8;

/** sentAt and endAt are stored as deltas in units of this many ns (u32: up to 429 s). */
export const DELTA_UNIT_NS = 100;
export const U32_MAX = 0xffffffff;
export const U16_MAX = 0xffff;
/** 48-bit ns holds 78 hours of run time. */
export const MAX_SCHEDULED_NS = 2 ** 48 - 1;

// record field offsets
export const R = {
  tag: 0,
  outcome: 1,
  flags: 2, // bits 0-2 phase index, bit 3 reusedConnection, bit 4 has status, bit 5 has localPort, bit 6 retried
  attempt: 3, // u8, 1 for the first send of a seq (version 1: reserved, 0)
  seq: 4, // u32
  schedLo: 8, // u32, scheduledAt ns low 32 bits
  schedHi: 12, // u16, scheduledAt ns bits 32-47
  status: 14, // u16
  sentDelta: 16, // u32, (sentAt - scheduledAt) / DELTA_UNIT_NS
  endDelta: 20, // u32, (endAt - sentAt) / DELTA_UNIT_NS
  localPort: 24, // u16
  target: 26, // u16 string id (0 = none)
  remoteAddr: 28, // u16 string id
  servedBy: 30, // u16 string id
  errorCode: 32, // u16 string id
  bytesSent: 34, // u16, saturating
  bytesReceived: 36, // u32, saturating
} as const;

export const OUTCOME_INDEX: Record<Outcome, number> = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;
export const PHASE_INDEX: Record<Phase, number> = Object.fromEntries(PHASES.map((p, i) => [p, i])) as Record<Phase, number>;

export const FLAG_REUSED = 1 << 3;
export const FLAG_STATUS = 1 << 4;
export const FLAG_LOCAL_PORT = 1 << 5;
/** The client policy sent this seq again after this attempt (send/policy.ts). */
export const FLAG_RETRIED = 1 << 6;
/** Attempts per seq the u8 holds; the policies stop far below it (send/policy.ts MAX_ATTEMPTS). */
export const MAX_ATTEMPT = 255;

export interface LedgerHeader {
  version: number;
  t0EpochNs: bigint;
  runId: string;
}

/** Rounds a non-negative ns delta to the stored unit, saturating at u32. */
export function toDelta(ns: number): number {
  const d = Math.round(ns / DELTA_UNIT_NS);
  return d <= 0 ? 0 : d >= U32_MAX ? U32_MAX : d;
}

// Maps a failed attempt to its outcome class from error codes and the phase it reached — never from
// message text, which changes between undici and Node versions.
import type { Outcome, Phase } from '../record.ts';

/** Our own codes for what we abort ourselves. */
export const TIMEOUT_CODE = 'LOSSLESS_TIMEOUT';
export const CANCEL_CODE = 'LOSSLESS_CANCELLED';

export class AttemptAbort extends Error {
  constructor(readonly code: typeof TIMEOUT_CODE | typeof CANCEL_CODE) {
    super(code === TIMEOUT_CODE ? 'request timed out' : 'run interrupted');
  }
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'EAI_ADDRFAMILY', 'ENODATA']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);
const CONNECT_TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const TIMEOUT = new Set([TIMEOUT_CODE, 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const REFUSED = new Set(['ECONNREFUSED']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);

interface Coded {
  code?: unknown;
  cause?: unknown;
}

/**
 * The most specific code on an error: a system code in `cause` (ECONNRESET under UND_ERR_SOCKET)
 * beats undici's generic wrapper code, because it says what the peer did.
 */
export function errorCodeOf(err: unknown): string {
  const outer = err as Coded | null | undefined;
  const outerCode = typeof outer?.code === 'string' ? outer.code : undefined;
  const cause = outer?.cause as Coded | null | undefined;
  const causeCode = typeof cause?.code === 'string' ? cause.code : undefined;
  if (causeCode && (outerCode === undefined || outerCode === 'UND_ERR_SOCKET' || outerCode === 'UND_ERR_CONNECT')) return causeCode;
  return outerCode ?? causeCode ?? (err instanceof Error ? err.name : 'unknown');
}

/**
 * The boundary between the idle-socket race and an in-flight cut on a reused socket (ms between the
 * request's last byte written and the close). In the race the server had closed the idle socket as the
 * request went out: its FIN or RST is back within a round trip (well under 1 ms on loopback or a kind
 * network) plus the client's event-loop delay. A close later than this came from a server that had the
 * request and closed without answering. 25 ms: above a busy client's loop delay, below any hold a
 * server-side cut is seen with (a cut within 25 ms of the request is counted as the race).
 */
export const IDLE_RACE_MS = 25;

/**
 * @param phase how far the attempt got: connect (no socket yet), write (request being written),
 *   headers (written, awaiting the response head), body (head received)
 * @param reused the socket had served an earlier request
 * @param heldMs ms from the request's last byte written to the error; undefined when it was not all written
 */
export function classifyError(code: string, phase: Phase, reused: boolean, heldMs?: number): Outcome {
  if (code === CANCEL_CODE) return 'cancelled';
  if (DNS.has(code)) return 'dns';
  if (REFUSED.has(code)) return 'connect-refused';
  if (CONNECT_TIMEOUT.has(code)) return phase === 'connect' ? 'connect-timeout' : 'timeout';
  if (TIMEOUT.has(code)) return 'timeout';
  if (RESET.has(code)) {
    if (phase === 'body') return 'reset-during-body';
    // A reused socket the peer closed as the request went out (not all written, or closed within a
    // round trip of it): the keep-alive race. Closed later, the peer had the request and cut it: the
    // same class as on a fresh socket (DESIGN.md, FORMAT.md).
    return reused && (heldMs === undefined || heldMs < IDLE_RACE_MS) ? 'stale-keepalive' : 'reset-before-response';
  }
  if (UNREACHABLE.has(code)) return 'connect-refused';
  return 'other';
}

export function classifyStatus(status: number): Outcome {
  if (status >= 500) return 'http-5xx';
  if (status >= 400) return 'http-4xx';
  // 1xx/3xx are answered responses, but not the 2xx the workloads give when healthy: count them as
  // other so they are never silently ok.
  if (status >= 200 && status < 300) return 'ok';
  return 'other';
}

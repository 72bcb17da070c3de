// Client policies: which failed attempts a real client would have sent again. The engine's default,
// `none`, is the raw wire truth (undici, no retry). The others model a client or a proxy in front of the
// service, so a run can say both "26 lost on the wire" and "0 would reach a Go or browser client".
// The sender asks `retryDelayMs` about every failed attempt (send/sender.ts `retry` hook); a number means
// "send this seq again after that many ms" with the next attempt number, the same intended time and the
// first attempt's deadline. Each attempt is its own ledger record (ledger/FORMAT.md, "Attempts").
//
// Outcome classes are the ones send/classify.ts gives: a close on a reused socket before any response
// byte is `stale-keepalive` (within IDLE_RACE_MS of the request) or `reset-before-response` (later: the
// server had the request); `reset-during-body` had the response head.
import { UsageError } from '../errors.ts';
import type { Outcome, RequestRecord } from '../record.ts';

export const CLIENT_KINDS = ['none', 'go', 'browser', 'retries'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export type ClientPolicy = { kind: 'none' } | { kind: 'go' } | { kind: 'browser' } | { kind: 'retries'; retries: number };

/**
 * Attempts per request at most for `go` and `browser`. Neither client counts: Go's Transport.roundTrip
 * loops while shouldRetryRequest says yes and Chromium's ShouldResendRequest relies on "we'll run out of
 * the cached keep-alive connections eventually", since each re-send needs another reused connection to
 * fail the same way. 10 is our bound on that loop, far above what a pool runs through in practice.
 */
export const MAX_ATTEMPTS = 10;
/** `retries:N` at most (Envoy's num_retries has no cap; more than this is a retry storm, not a policy). */
export const MAX_RETRIES = 9;

export const CLIENT_HELP = 'none, go, browser or retries:N (N 1-9)';

/** Parses `--client` / `load.client`; a bad value is a UsageError naming `field`, the value and what is allowed. */
export function parseClientPolicy(field: string, value: string): ClientPolicy {
  const v = value.trim();
  if (v === 'none' || v === 'go' || v === 'browser') return { kind: v };
  const m = /^retries:(\d+)$/.exec(v);
  if (m) {
    const n = Number(m[1]);
    if (n >= 1 && n <= MAX_RETRIES) return { kind: 'retries', retries: n };
    throw new UsageError(`${field} '${value}': retries:N takes N from 1 to ${MAX_RETRIES}`);
  }
  throw new UsageError(`${field} '${value}': expected ${CLIENT_HELP}`);
}

export function formatClientPolicy(p: ClientPolicy): string {
  return p.kind === 'retries' ? `retries:${p.retries}` : p.kind;
}

/** Who a policy stands for, for the verdict line: "0 would reach <this>". */
export function clientNoun(p: ClientPolicy): string {
  switch (p.kind) {
    case 'none':
      return 'a client that does not retry';
    case 'go':
      return "a Go net/http client";
    case 'browser':
      return 'a browser';
    case 'retries':
      return `a client behind a proxy retrying ${p.retries}x`;
  }
}

/** What the policies need to know of the request itself (the same for every attempt of a run). */
export interface RequestShape {
  method: string;
  headers: ReadonlyArray<readonly [string, string]>;
}

/** The closes on a reused socket before any response byte (classify.ts RESET codes, phase write or headers). */
const CLOSED_BEFORE_RESPONSE: ReadonlySet<Outcome> = new Set(['stale-keepalive', 'reset-before-response']);

/**
 * Go net/http, HTTP/1.1 (src/net/http/transport.go and request.go, golang/go at a925402b62c0):
 * `(*persistConn).shouldRetryRequest` returns false on a fresh connection ("There's no reason the server
 * should've hung up on us"); on a reused one it returns true for `nothingWrittenError` when the request
 * has no body (or GetBody), otherwise only when `req.isReplayable()` (no body or GetBody, and GET, HEAD,
 * OPTIONS, TRACE, or an `Idempotency-Key` / `X-Idempotency-Key` header) and the error is
 * `transportReadFromServerError` (readLoop's peek for the first response byte failed: EOF or a reset,
 * whether the server closed the idle socket as the request went out or read the request and closed) or
 * `errServerClosedIdle`. A dial error (refused, connect timeout) returns from roundTrip before that check,
 * a response (5xx included) is not an error, a read failure after the first byte is not retried, and the
 * client's own deadline cancels the context. Transport.roundTrip then loops: getConn may hand the re-send
 * another idle connection, so it can fail and be re-sent again.
 *
 * Mapped onto what the engine sees: a reused socket closed before any response byte, with either phase
 * `write` (not all of the request written: the nearest we see to Go's "nothing written", which counts
 * bytes the kernel took; the engine's body is a buffer, like http.NewRequest's bytes.Reader, so GetBody is
 * set and any method qualifies) or phase `headers` for a replayable request. So for a GET, Go hides both
 * the idle race (`stale-keepalive`) and an in-flight cut on a reused socket (`reset-before-response`: the
 * server may then run it twice); a POST without an idempotency key that was all written fails either way.
 */
export function goWouldRetry(r: RequestRecord, req: RequestShape): boolean {
  if (!r.reusedConnection || !CLOSED_BEFORE_RESPONSE.has(r.outcome)) return false;
  if (r.phase === 'write') return true; // nothingWrittenError
  return r.phase === 'headers' && isReplayable(req);
}

/** Go's `(*Request).isReplayable` for a request whose body, if any, can be sent again (ours always can). */
export function isReplayable(req: RequestShape): boolean {
  if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method.toUpperCase())) return true;
  return req.headers.some(([k]) => /^(x-)?idempotency-key$/i.test(k));
}

/**
 * Chromium's network stack (net/http/http_network_transaction.cc, `HandleIOError` and
 * `ShouldResendRequest`; read in klzgrad/naiveproxy at 018e07db8938): on ERR_CONNECTION_RESET, _CLOSED,
 * _ABORTED, ERR_SOCKET_NOT_CONNECTED or ERR_EMPTY_RESPONSE it resends when "connection_is_proven"
 * (the stream reused a keep-alive connection) and no response headers were received — whatever the
 * method: unlike Go, a browser re-sends a POST cut on a reused connection. Connect errors and timeouts are
 * not resent there. Bounded only by running out of reused connections (see MAX_ATTEMPTS).
 */
export function browserWouldRetry(r: RequestRecord): boolean {
  return r.reusedConnection && CLOSED_BEFORE_RESPONSE.has(r.outcome) && (r.phase === 'write' || r.phase === 'headers');
}

/**
 * A retrying proxy or sidecar, modelled on Envoy's router with `retry_on: 5xx` (which the Envoy docs,
 * configuration/http/http_filters/router_filter, x-envoy-retry-on, define as any 5xx response or no
 * response at all — disconnect, reset — and say includes `connect-failure` and `refused-stream`) and
 * `num_retries: N`: refused and timed-out connects, resets and idle-socket races before the response
 * head, and 5xx answers are retried, on fresh or reused connections and for any method (Envoy does not
 * look at the method). Not retried: a reset after the response head was received (the proxy has started
 * the response downstream), the request's own timeout (Envoy's route timeout spans every retry), DNS
 * failures and 4xx. Between tries Envoy waits a fully jittered exponential back-off: uniform in
 * [0, (2^k − 1) × 25 ms] before retry k, at most 250 ms (base_interval 25 ms, max_interval 10 × base).
 */
const PROXY_RETRIED: ReadonlySet<Outcome> = new Set(['connect-refused', 'connect-timeout', 'reset-before-response', 'stale-keepalive', 'http-5xx']);

export function proxyWouldRetry(r: RequestRecord): boolean {
  return PROXY_RETRIED.has(r.outcome);
}

export const ENVOY_BASE_MS = 25;
export const ENVOY_MAX_MS = 250;

/** Envoy's back-off before retry k (1-based), drawn with `random` in [0, 1). */
export function envoyBackoffMs(k: number, random: () => number): number {
  return Math.min(ENVOY_MAX_MS, random() * (2 ** k - 1) * ENVOY_BASE_MS);
}

/**
 * The sender's hook for a policy: given a failed attempt, the delay (ms) before the same seq goes out
 * again, or undefined when the client would give up and show this failure. Undefined for `none`.
 */
export function retryHook(p: ClientPolicy, req: RequestShape, random: () => number = Math.random): ((r: RequestRecord) => number | undefined) | undefined {
  switch (p.kind) {
    case 'none':
      return undefined;
    case 'go':
      // Go re-sends at once, on the next connection getConn hands out.
      return (r) => ((r.attempt ?? 1) < MAX_ATTEMPTS && goWouldRetry(r, req) ? 0 : undefined);
    case 'browser':
      return (r) => ((r.attempt ?? 1) < MAX_ATTEMPTS && browserWouldRetry(r) ? 0 : undefined);
    case 'retries':
      return (r) => {
        const k = r.attempt ?? 1; // this attempt; the next one is retry number k
        return k <= p.retries && proxyWouldRetry(r) ? envoyBackoffMs(k, random) : undefined;
      };
  }
}

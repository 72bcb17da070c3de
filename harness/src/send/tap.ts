// Learns, per request, which socket carried it (remote address actually connected to, local port,
// whether the socket had served an earlier request) from undici's diagnostics channels, without
// wrapping the client. undici calls the handler's onRequestStart and then publishes
// `undici:client:sendHeaders` synchronously in the same call (client-h1 writeH1), so the handler
// parks itself in `armed` and the subscriber hands it the socket: no lookup table on the hot path.
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export interface Tapped {
  readonly origin: string;
  readonly path: string;
  onSocket(remoteAddr: string | undefined, localPort: number | undefined, reused: boolean, headerBytes: number): void;
}

interface SendHeadersMessage {
  request: { origin?: unknown; path?: unknown };
  headers: string;
  socket: Socket;
}

const USES = Symbol('lossless.uses');
type CountedSocket = Socket & { [USES]?: number };

let armed: Tapped | null = null;
let subscribed = false;

/** Called by the handler in onRequestStart, right before undici publishes sendHeaders. */
export function arm(t: Tapped): void {
  armed = t;
}

function onSendHeaders(message: unknown): void {
  const t = armed;
  if (t === null) return; // another undici user in this process
  const m = message as SendHeadersMessage;
  // Guard against a foreign request published while one of ours was armed but aborted before
  // its headers went out.
  if (m.request.origin !== t.origin || m.request.path !== t.path) return;
  armed = null;
  const s = m.socket as CountedSocket;
  const uses = s[USES] ?? 0;
  s[USES] = uses + 1;
  const addr = s.remoteAddress;
  const remote = addr === undefined ? undefined : addr.includes(':') ? `[${addr}]:${s.remotePort}` : `${addr}:${s.remotePort}`;
  t.onSocket(remote, s.localPort, uses > 0, m.headers.length);
}

export function ensureTap(): void {
  if (subscribed) return;
  subscribe('undici:client:sendHeaders', onSendHeaders);
  subscribed = true;
}

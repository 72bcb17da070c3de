// A minimal HTTP/1.1 client for the hot path (issue 11): plain http targets, one request per socket at a
// time, keep-alive or a fresh socket per request. undici's request path cost 22-24 µs of user CPU per
// request closed-loop on this box (a raw socket with a small parser: 8-12), and undici yields one event
// loop turn before each request on a reused socket; at 5k/s and at full speed that is most of the gap to
// the peers. Nothing of the measurement changes: one attempt per dispatch, never re-sent; a socket that
// ends without a whole response fails its request (the same codes as undici: UND_ERR_SOCKET for a close,
// the socket's own code for a reset, UND_ERR_CONNECT_TIMEOUT), and the sender classifies as before.
//
// The handler calls follow undici's order (onRequestStart when the request is about to be written, then
// onSocket with the socket that carries it, onRequestSent, onResponseStart, body bytes, onResponseEnd or
// onResponseError), so the Attempt in sender.ts serves both clients.
import { connect, type Socket } from 'node:net';

export interface WireController {
  abort(reason: Error): void;
}

export interface WireHandler {
  readonly done: boolean;
  /** x-lossless-seq */
  readonly seq: number;
  onRequestStart(c: WireController): void;
  onSocket(remoteAddr: string | undefined, localPort: number | undefined, reused: boolean, headerBytes: number): void;
  onRequestSent(): void;
  onResponseStart(c: WireController, statusCode: number, headers: Record<string, string | string[] | undefined>): void;
  onBodyBytes(n: number): void;
  onResponseEnd(): void;
  onResponseError(c: WireController | undefined, err: Error): void;
}

/**
 * Headers undici gives a meaning of its own (framing, connection handling) or refuses: a target asked to
 * send one of them goes through undici, so it behaves exactly as before.
 */
export const UNDICI_ONLY_HEADERS = new Set(['content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'connection']);

export function wireCanSend(url: URL, headers: readonly string[]): boolean {
  if (url.protocol !== 'http:') return false;
  for (let i = 0; i < headers.length; i += 2) if (UNDICI_ONLY_HEADERS.has(headers[i]!.toLowerCase())) return false;
  return true;
}

export interface WireOptions {
  /** http://host:port (no path) */
  origin: string;
  connections: number;
  keepalive: boolean;
  connectTimeoutMs: number;
  method: string;
  path: string;
  /** header name/value pairs after x-lossless-seq, flattened */
  headers: string[];
  body: Buffer | null;
}

/** An error with a code, as undici's and Node's are (classify.ts reads only the code). */
export class WireError extends Error {
  constructor(readonly code: string, message: string, readonly address?: string, readonly port?: number) {
    super(message);
  }
}

const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, string | string[] | undefined>;
const POD = 'x-lossless-pod';

// One read buffer for every socket: onread hands each read to its callback before the next read starts.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

// parser states
const HEAD = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const BODY_TO_CLOSE = 6;
const IDLE = 7;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Largest response head kept while waiting for its end (undici's default max header size is 16 KiB). */
const MAX_HEAD = 16 * 1024;

class Conn implements WireController {
  socket: Socket | undefined;
  connected = false;
  /** requests this socket has carried (the next one is reused when > 0) */
  uses = 0;
  remote: string | undefined;
  localPort: number | undefined;
  cur: WireHandler | undefined;
  /** the current request's head is on the wire (before that, a socket that ends is replaced, not a failure) */
  written = false;
  connectTimer: NodeJS.Timeout | undefined;
  // response parsing
  state = IDLE;
  head = '';
  remaining = 0;
  keepAlive = true;
  status = 0;

  constructor(private readonly pool: WirePool) {}

  abort(_reason: Error): void {
    // the handler has already ended its attempt (its record is final): drop the socket, as undici does
    const h = this.cur;
    if (!h) return;
    this.cur = undefined;
    this.kill();
    this.pool.release(this);
  }

  start(h: WireHandler): void {
    this.cur = h;
    this.written = false;
    // A socket that has served a request is written to after the loop has read what is pending on it
    // (its FIN or RST, if the server closed it while idle): the request then goes on a new socket
    // instead of being lost to a race the client could see. undici waits the same way (a loop turn,
    // GHSA-35p6-xmwp-9g52); here a FIN that came with the last answer is read on the next poll (libuv
    // stops after a short read), so the write waits for one poll phase to pass (pool.afterPending).
    if (this.socket && this.connected) return this.uses > 0 ? this.pool.afterPending(this) : this.write();
    if (!this.socket) this.open();
  }

  /** The turn's pending reads are done: write, or reconnect when the idle socket turned out closed. */
  validated(): void {
    if (!this.cur || this.written) return;
    if (this.socket && this.connected) this.write();
    else if (!this.socket) this.open();
  }

  private open(): void {
    const p = this.pool;
    this.uses = 0;
    this.connected = false;
    const s = connect({ host: p.host, port: p.port, noDelay: true, onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.read(n, buf as Buffer) } });
    this.socket = s;
    this.connectTimer = setTimeout(() => {
      if (this.socket !== s || this.connected) return;
      this.fail(new WireError('UND_ERR_CONNECT_TIMEOUT', `connect timeout (${p.o.connectTimeoutMs} ms)`));
    }, p.o.connectTimeoutMs);
    s.on('connect', () => {
      if (this.socket !== s) return;
      clearTimeout(this.connectTimer);
      this.connected = true;
      s.setKeepAlive(true, 60_000);
      const a = s.remoteAddress;
      this.remote = a === undefined ? undefined : a.includes(':') ? `[${a}]:${s.remotePort}` : `${a}:${s.remotePort}`;
      this.localPort = s.localPort;
      if (this.cur) this.write();
    });
    s.on('end', () => this.closed(s, undefined));
    s.on('error', (e: Error) => this.closed(s, e));
    s.on('close', () => this.closed(s, undefined));
  }

  private write(): void {
    const h = this.cur!;
    const s = this.socket!;
    const p = this.pool;
    if (h.done) {
      // ended (timed out) while it waited for the socket: nothing to send, and the socket stays good
      this.cur = undefined;
      return p.release(this);
    }
    h.onRequestStart(this);
    if (this.cur !== h) return; // ended while waiting (abort released the connection)
    const reused = this.uses > 0;
    this.uses++;
    this.written = true;
    const head = p.head(h);
    h.onSocket(this.remote, this.localPort, reused, p.headerBytes(head));
    this.state = HEAD;
    this.head = '';
    this.keepAlive = p.o.keepalive;
    s.write(head, 'latin1');
    if (p.o.body) s.write(p.o.body);
    if (this.cur === h) h.onRequestSent();
  }

  /** The socket ended (FIN, error or close): the request on it fails unless its response ends with the close. */
  private closed(s: Socket, err: Error | undefined): void {
    if (this.socket !== s) return;
    clearTimeout(this.connectTimer);
    const h = this.cur;
    if (h && this.state === BODY_TO_CLOSE && err === undefined) return this.complete();
    const wasConnected = this.connected;
    this.socket = undefined;
    this.connected = false;
    this.state = IDLE;
    s.destroy();
    if (!h) return; // an idle socket the server closed: the next request on this connection opens a new one
    // closed while idle, seen before the request went out: it goes on a new socket (see start)
    if (wasConnected && !this.written) return this.open();
    const code = (err as { code?: unknown } | undefined)?.code;
    const e = err === undefined ? new WireError('UND_ERR_SOCKET', 'other side closed') : typeof code === 'string' ? err : new WireError('UND_ERR_SOCKET', err.message);
    this.fail(e);
  }

  private fail(e: Error): void {
    const h = this.cur;
    this.cur = undefined;
    this.kill();
    this.pool.release(this);
    h?.onResponseError(this, e);
  }

  private kill(): void {
    clearTimeout(this.connectTimer);
    const s = this.socket;
    this.socket = undefined;
    this.connected = false;
    this.state = IDLE;
    s?.destroy();
  }

  private read(n: number, buf: Buffer): boolean {
    let i = 0;
    while (i < n) {
      const h = this.cur;
      if (!h || this.state === IDLE) {
        // bytes nobody asked for: the socket's framing is lost; undici closes it too
        this.kill();
        return false;
      }
      switch (this.state) {
        case HEAD: {
          // the head ends at the first empty line, usually within this one read (found in the bytes, so
          // the body is never turned into text); a head split across reads is kept as text until its end
          const before = this.head.length;
          if (before === 0) {
            const end = buf.indexOf(HEAD_END, i);
            if (end !== -1 && end + 4 <= n) {
              const text = buf.toString('latin1', i, end + 4);
              i = end + 4;
              if (!this.onHead(text, i < n)) return false;
              break;
            }
          }
          const text = before === 0 ? buf.toString('latin1', i, n) : this.head + buf.toString('latin1', i, n);
          const end = text.indexOf('\r\n\r\n');
          if (end === -1) {
            if (text.length > MAX_HEAD) return this.parseError('HPE_HEADER_OVERFLOW');
            this.head = text;
            i = n;
            break;
          }
          this.head = '';
          i += end + 4 - before;
          if (!this.onHead(text.slice(0, end + 4), i < n)) return false;
          break;
        }
        case BODY_LENGTH: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          h.onBodyBytes(take);
          if (this.remaining === 0) return this.completeRead(i < n);
          break;
        }
        case BODY_TO_CLOSE:
          h.onBodyBytes(n - i);
          i = n;
          break;
        case CHUNK_SIZE:
        case CHUNK_DATA_END:
        case TRAILERS: {
          // line-based states: a line may span reads
          let nl = -1;
          for (let j = i; j < n; j++) if (buf[j] === 10) { nl = j; break; }
          if (nl === -1) {
            this.head += buf.toString('latin1', i, n);
            if (this.head.length > MAX_HEAD) return this.parseError('HPE_INVALID_CHUNK_SIZE');
            i = n;
            break;
          }
          const line = (this.head + buf.toString('latin1', i, nl)).replace(/\r$/, '');
          this.head = '';
          i = nl + 1;
          if (this.state === CHUNK_DATA_END) {
            if (line !== '') return this.parseError('HPE_STRICT');
            this.state = CHUNK_SIZE;
          } else if (this.state === CHUNK_SIZE) {
            const size = parseInt(line, 16);
            if (!(size >= 0)) return this.parseError('HPE_INVALID_CHUNK_SIZE');
            if (size === 0) this.state = TRAILERS;
            else {
              this.remaining = size;
              this.state = CHUNK_DATA;
            }
          } else if (line === '') return this.completeRead(i < n); // end of trailers
          break;
        }
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          h.onBodyBytes(take);
          if (this.remaining === 0) this.state = CHUNK_DATA_END;
          break;
        }
      }
    }
    return true;
  }

  /** A whole response head (status line and headers, ending with the empty line). False when the connection failed. */
  private onHead(text: string, more: boolean): boolean {
    const h = this.cur!;
    const eol = text.indexOf('\r\n');
    const line = text.slice(0, eol);
    if (!line.startsWith('HTTP/1.') || line.length < 12) return this.parseError('HPE_INVALID_CONSTANT');
    const status = +line.slice(9, 12);
    if (!(status >= 100 && status <= 999)) return this.parseError('HPE_INVALID_STATUS');
    if (line.charCodeAt(7) === 48) this.keepAlive = false; // HTTP/1.0: no keep-alive unless it says so (rare: treated as close)
    let length = -1;
    let chunked = false;
    let pod: string | undefined;
    let at = eol + 2;
    while (at < text.length - 2) {
      const next = text.indexOf('\r\n', at);
      const colon = text.indexOf(':', at);
      if (colon === -1 || colon > next) return this.parseError('HPE_INVALID_HEADER_TOKEN');
      const nameLen = colon - at;
      // only the headers that frame the response or name the pod are read
      if (nameLen === 14 || nameLen === 17 || nameLen === 10 || nameLen === POD.length) {
        const name = text.slice(at, colon).toLowerCase();
        const value = text.slice(colon + 1, next).trim();
        if (name === 'content-length') {
          length = +value;
          if (!(length >= 0) || !Number.isInteger(length)) return this.parseError('HPE_INVALID_CONTENT_LENGTH');
        } else if (name === 'transfer-encoding') chunked = value.toLowerCase().endsWith('chunked');
        else if (name === 'connection') {
          const v = value.toLowerCase();
          if (v.includes('close')) this.keepAlive = false;
        } else if (name === POD && pod === undefined) pod = value;
      }
      at = next + 2;
    }
    if (status < 200) {
      // 1xx: an interim response; the final one follows on the same socket
      this.state = HEAD;
      return true;
    }
    this.status = status;
    h.onResponseStart(this, status, pod === undefined ? NO_HEADERS : { [POD]: pod });
    if (this.cur !== h) return false;
    if (this.pool.o.method === 'HEAD' || status === 204 || status === 304) return this.completeRead(more);
    else if (chunked) this.state = CHUNK_SIZE;
    else if (length >= 0) {
      this.remaining = length;
      this.state = BODY_LENGTH;
      if (length === 0) return this.completeRead(more);
    } else {
      this.state = BODY_TO_CLOSE;
      this.keepAlive = false;
    }
    return true;
  }

  /** A response that is not HTTP/1.x: the codes undici's parser gives (HTTPParserError, UND_ERR_HEADERS_OVERFLOW), so ledgers read the same whichever client wrote them. */
  private parseError(what: string): false {
    this.fail(new WireError(what === 'HPE_HEADER_OVERFLOW' ? 'UND_ERR_HEADERS_OVERFLOW' : 'HTTPParserError', `response parse error: ${what}`));
    return false;
  }

  /**
   * complete() from within a read: the read stops there (the connection may already carry the next
   * request). False when bytes were left over (the socket is gone).
   */
  private completeRead(extra: boolean): boolean {
    this.complete(extra);
    return !extra;
  }

  /**
   * The response is whole: the connection is free before the handler runs, so its record can start the
   * next request on it. `extra`: bytes followed that no request asked for; the socket's framing is lost
   * (undici closes such a socket too).
   */
  private complete(extra = false): void {
    const h = this.cur!;
    this.cur = undefined;
    this.state = IDLE;
    if (extra || !this.keepAlive || !this.pool.o.keepalive) this.kill();
    this.pool.release(this);
    h.onResponseEnd();
  }
}

/** The connections to one origin: at most `connections`, requests beyond them wait in order. */
export class WirePool {
  readonly host: string;
  readonly port: number;
  private readonly conns: Conn[] = [];
  private readonly free: Conn[] = [];
  private waiting: WireHandler[] = [];
  private waitHead = 0;
  private readonly headPrefix: string;
  private readonly headSuffix: string;
  /** bytes of the head after what undici counts as its header bytes (content-length line, final CRLF) */
  private readonly notHeaderBytes: number;
  private destroyed = false;
  /** connections whose request waits for a poll phase to pass (start): queued, and past one check phase */
  private queued: Conn[] = [];
  private pastCheck: Conn[] = [];
  private validating: NodeJS.Immediate | undefined;
  private readonly onCheck = (): void => {
    this.validating = undefined;
    const ready = this.pastCheck;
    this.pastCheck = this.queued;
    this.queued = [];
    for (const c of ready) c.validated();
    if (this.pastCheck.length > 0 || this.queued.length > 0) this.validating = setImmediate(this.onCheck);
  };

  constructor(readonly o: WireOptions) {
    const u = new URL(o.origin);
    this.host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.port = u.port === '' ? 80 : Number(u.port);
    // undici's layout: request line, host (a Host header given replaces the URL's), connection, then the
    // headers in order; a body gets content-length
    let host = u.host;
    let headers = '\r\n';
    for (let i = 0; i < o.headers.length; i += 2) {
      if (o.headers[i]!.toLowerCase() === 'host') host = o.headers[i + 1]!;
      else headers += `${o.headers[i]}: ${o.headers[i + 1]}\r\n`;
    }
    this.headPrefix = `${o.method} ${o.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: ${o.keepalive ? 'keep-alive' : 'close'}\r\nx-lossless-seq: `;
    const length = o.body && o.body.length > 0 ? `content-length: ${o.body.length}\r\n` : '';
    this.headSuffix = `${headers}${length}\r\n`;
    // bytesSent counts the head as undici reports it (its sendHeaders message: before content-length)
    this.notHeaderBytes = length.length + 2;
  }

  /** The request head for this attempt (its seq in x-lossless-seq). */
  head(h: WireHandler): string {
    return this.headPrefix + String(h.seq) + this.headSuffix;
  }

  headerBytes(head: string): number {
    return head.length - this.notHeaderBytes;
  }

  /**
   * Writes c's request once a poll phase has passed: a check phase moves the queue on, the next one
   * (after the poll between them) writes. One immediate per turn for every connection waiting.
   */
  afterPending(c: Conn): void {
    this.queued.push(c);
    this.validating ??= setImmediate(this.onCheck);
  }

  dispatch(h: WireHandler): void {
    if (this.destroyed) return h.onResponseError(undefined, new WireError('UND_ERR_DESTROYED', 'the client is closed'));
    const c = this.take();
    if (c) c.start(h);
    else this.waiting.push(h);
  }

  private take(): Conn | undefined {
    // a connection with a live socket first (no connect), else a new one while under the bound
    const c = this.free.pop();
    if (c) return c;
    if (this.conns.length < this.o.connections) {
      const n = new Conn(this);
      this.conns.push(n);
      return n;
    }
    return undefined;
  }

  /** A connection is free again (its socket kept alive or closed). */
  release(c: Conn): void {
    if (this.destroyed) return;
    while (this.waitHead < this.waiting.length) {
      const h = this.waiting[this.waitHead]!;
      this.waiting[this.waitHead++] = undefined as unknown as WireHandler;
      if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.waitHead);
        this.waitHead = 0;
      }
      if (h.done) continue; // ended while it waited: nothing to send
      c.start(h);
      return;
    }
    // sockets that are alive go on top, so the busiest ones stay warm (like undici's pool, which takes the first free client)
    if (c.socket) this.free.push(c);
    else this.free.unshift(c);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    if (this.validating) clearImmediate(this.validating);
    for (const c of this.conns) c.abort(new WireError('UND_ERR_DESTROYED', 'the client is closed'));
    for (const c of this.conns) c.socket?.destroy();
  }
}

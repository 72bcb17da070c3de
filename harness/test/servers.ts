// Test servers that fail in the exact ways the outcome classes name. Real sockets on loopback,
// port 0; used by the engine's tests only.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket, type AddressInfo } from 'node:net';

export interface Fixture {
  url: string;
  port: number;
  /** requests seen, by x-lossless-seq (a retried request would show up twice) */
  seen: Map<number, number>;
  close(): Promise<void>;
}

function listen(server: NetServer | HttpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function tracked(server: NetServer | HttpServer): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function seqOf(head: string): number | undefined {
  const m = /x-lossless-seq: (\d+)/i.exec(head);
  return m ? Number(m[1]) : undefined;
}

function count(seen: Map<number, number>, seq: number | undefined): void {
  if (seq !== undefined) seen.set(seq, (seen.get(seq) ?? 0) + 1);
}

/** A raw TCP server: `onRequest(socket, nth request on this socket, head)` decides what happens. */
export async function rawServer(onRequest: (socket: Socket, nth: number, head: string) => void): Promise<Fixture> {
  const seen = new Map<number, number>();
  const server = createNetServer((socket) => {
    let buf = '';
    let nth = 0;
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        count(seen, seqOf(head));
        onRequest(socket, nth++, head);
      }
    });
  });
  const close = tracked(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, port, seen, close };
}

export const OK_RESPONSE = 'HTTP/1.1 200 OK\r\nx-lossless-pod: raw\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';

/** Resets every connection (RST) as soon as a request arrives: no response byte. */
export const resetServer = () => rawServer((s) => s.resetAndDestroy());

/** Accepts and reads, never answers. */
export const hangServer = () => rawServer(() => undefined);

/** Sends the head and part of the body, then resets. */
export const midBodyServer = () =>
  rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\nx-lossless-pod: raw\r\ncontent-length: 1000\r\n\r\npartial-body');
    setTimeout(() => s.resetAndDestroy(), 20);
  });

/**
 * Answers the first request on each connection and keeps it alive, then closes the connection
 * when the next request arrives on it, without a byte of response: what a server that dropped
 * an idle keep-alive socket does to a client that reuses it at the same moment.
 */
export const staleKeepAliveServer = () => rawServer((s, nth) => (nth === 0 ? s.write(OK_RESPONSE) : s.destroy()));

/**
 * Answers the first request on each connection, then holds the next one `holdMs` and closes the
 * connection without answering: a server that had the request and cut it (not the idle-socket race).
 */
export const inFlightCutServer = (holdMs: number) => rawServer((s, nth) => (nth === 0 ? s.write(OK_RESPONSE) : setTimeout(() => s.destroy(), holdMs)));

/** A node:http server answering `status` with x-lossless-pod. */
export async function httpServer(status = 200, pod = 'fixture'): Promise<Fixture> {
  const seen = new Map<number, number>();
  const server = createHttpServer((req, res) => {
    const seq = req.headers['x-lossless-seq'];
    count(seen, typeof seq === 'string' ? Number(seq) : undefined);
    res.statusCode = status;
    res.setHeader('x-lossless-pod', pod);
    res.end('ok');
  });
  const close = tracked(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, port, seen, close };
}

/** A port that refuses connections: bound once, then closed. */
export async function refusedUrl(): Promise<string> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/`;
}

/**
 * Answers `status` (default 503) the first time it sees a seq and 200 after that: an upstream that fails a
 * request once, so a retrying client or proxy gets through on its re-send.
 */
export async function failOnceServer(status = 503): Promise<Fixture> {
  const seen = new Map<number, number>();
  const server = createHttpServer((req, res) => {
    const raw = req.headers['x-lossless-seq'];
    const seq = typeof raw === 'string' ? Number(raw) : undefined;
    count(seen, seq);
    res.statusCode = seq !== undefined && seen.get(seq) === 1 ? status : 200;
    res.setHeader('x-lossless-pod', 'fail-once');
    res.end('ok');
  });
  const close = tracked(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, port, seen, close };
}

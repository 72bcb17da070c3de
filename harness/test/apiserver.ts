// A FAKE Kubernetes API server for tests: a real HTTP server on 127.0.0.1 port 0 that speaks the list and
// watch protocol (JSON lists with a resourceVersion; `?watch=true` streams {"type","object"} lines from
// a resourceVersion) and can misbehave on demand the way a real one does: end watches (server timeout),
// drop connections, compact history so an old resourceVersion gets 410 Gone (as an ERROR event in the
// stream, or as the HTTP status). The real API server is exercised by the lab tests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

interface OpenWatch {
  path: string;
  res: ServerResponse;
}

export class FakeApiServer {
  private server: Server | undefined;
  private rv = 100;
  private readonly objects = new Map<string, Map<string, Obj>>(); // collection path -> name -> object
  private readonly history = new Map<string, Change[]>();
  private compactedBelow = 0;
  private watches: OpenWatch[] = [];
  /** When set, the next watch request is answered with HTTP 410 instead of a stream. */
  answerNextWatchWith410 = false;
  readonly requests = { list: 0, watch: 0, gone: 0 };

  async start(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  kubeConfig(): KubeConfig {
    const port = (this.server!.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kc;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Creates or replaces an object in a collection; open watches see the change at once. */
  put(path: string, object: Obj): void {
    const coll = this.objects.get(path) ?? new Map<string, Obj>();
    this.objects.set(path, coll);
    const type = coll.has(object.metadata.name) ? 'MODIFIED' : 'ADDED';
    const stored: Obj = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    coll.set(object.metadata.name, stored);
    this.record(path, { rv: this.rv, type, object: stored });
  }

  delete(path: string, name: string): void {
    const coll = this.objects.get(path);
    const had = coll?.get(name);
    if (!coll || !had) return;
    coll.delete(name);
    const gone: Obj = structuredClone(had);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record(path, { rv: this.rv, type: 'DELETED', object: gone });
  }

  /** Forgets history: a watch from any resourceVersion before now gets 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    for (const h of this.history.values()) h.length = 0;
  }

  /** Ends every open watch cleanly, as the API server does when timeoutSeconds runs out. */
  endWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches = [];
  }

  /** Destroys every open watch connection mid-stream. */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches = [];
  }

  openWatches(): number {
    return this.watches.length;
  }

  private record(path: string, change: Change): void {
    const h = this.history.get(path) ?? [];
    this.history.set(path, h);
    h.push(change);
    for (const w of this.watches) if (w.path === path) w.res.write(JSON.stringify({ type: change.type, object: change.object }) + '\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (url.searchParams.get('watch') !== 'true') {
      this.requests.list++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: String(this.rv) }, items: [...(this.objects.get(path)?.values() ?? [])] }));
      return;
    }
    this.requests.watch++;
    const from = Number(url.searchParams.get('resourceVersion') || '0');
    if (this.answerNextWatchWith410) {
      this.answerNextWatchWith410 = false;
      this.requests.gone++;
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Gone', code: 410 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from < this.compactedBelow) {
      // What a real API server does for a compacted resourceVersion: a 200 stream with one ERROR event.
      this.requests.gone++;
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from}` } }) + '\n');
      return;
    }
    for (const c of this.history.get(path) ?? []) {
      if (c.rv > from) res.write(JSON.stringify({ type: c.type, object: c.object }) + '\n');
    }
    const w: OpenWatch = { path, res };
    this.watches.push(w);
    res.on('close', () => {
      this.watches = this.watches.filter((x) => x !== w);
    });
  }
}

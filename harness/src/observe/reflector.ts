// List, then watch from the list's resourceVersion, forever: the client-go reflector loop, kept small.
//
// - A watch that ends (server timeout, dropped connection, client inactivity timeout) resumes from the
//   last resourceVersion seen, so nothing between the two watches is lost.
// - 410 Gone (as the HTTP status of the watch request, or as an ERROR event inside the stream) means
//   that resourceVersion was compacted away: relist, and diff the list against the known state. Every
//   object that changed, appeared or vanished in the gap reaches onChange as (known, listed).
// - Any other failure backs off (doubling, capped) and retries; the known state is kept throughout.
//
// The watch itself is @kubernetes/client-node's Watch (kubeconfig auth, TLS, streaming JSON lines);
// the list is a plain GET with the same authentication.

import { HttpMethod, type KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetch } from 'undici';
import type { ObjectMeta } from './transitions.ts';

export interface KubeObject {
  metadata: ObjectMeta;
}

/** Why onChange was called: the first list, a watch event, or a relist after a gap. */
export type ChangeCause = 'initial' | 'watch' | 'relist';

export interface ReflectorStatus {
  kind: 'listed' | 'watching' | 'watch-ended' | 'gone' | 'error';
  /** The collection, e.g. pods, endpointslices (the path's last segment). */
  resource: string;
  path: string;
  resourceVersion: string;
  detail?: string;
  /** Set with kind `error`: what failed (the loop retries with backoff). */
  lastError?: string;
}

export interface ReflectorOptions<T extends KubeObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/namespaces/demo/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  onChange: (prev: T | undefined, next: T | undefined, cause: ChangeCause) => void;
  onStatus?: (s: ReflectorStatus) => void;
  /** Server-side watch timeout; the API server ends the watch after it and we resume. */
  watchTimeoutSeconds?: number;
  /** Client-side inactivity timeout of one watch request (client-node's default is 30 s). */
  inactivityTimeoutMs?: number;
  backoffMs?: { min: number; max: number };
}

interface ListResponse<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string };
}

interface WatchStatusObject {
  code?: number;
  reason?: string;
  metadata?: { resourceVersion?: string };
}

type WatchEnd = { gone: boolean; error?: unknown };

export class Reflector<T extends KubeObject> {
  private readonly known = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly watch: Watch;
  /** Counters, for logs and tests. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0, events: 0 };

  constructor(private readonly opts: ReflectorOptions<T>) {
    this.watch = new Watch(opts.kubeConfig);
    // client-node 2.0 keeps this field private in its types but reads it per request; a silent watch
    // (no bytes for that long) is aborted and resumed.
    if (opts.inactivityTimeoutMs !== undefined) (this.watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = opts.inactivityTimeoutMs;
  }

  /** Lists once (resolves when the initial state is known), then keeps watching in the background. */
  async start(): Promise<void> {
    await this.listAndDiff('initial');
    this.loop = this.run();
  }

  /** Stops watching; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.abort?.abort();
    await this.loop;
  }

  /** The objects known now, keyed namespace/name. */
  snapshot(): ReadonlyMap<string, T> {
    return this.known;
  }

  private key(o: KubeObject): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private status(kind: ReflectorStatus['kind'], detail?: string): void {
    const s: ReflectorStatus = { kind, resource: this.opts.path.split('/').at(-1) ?? '', path: this.opts.path, resourceVersion: this.resourceVersion };
    if (detail !== undefined) s.detail = detail;
    if (kind === 'error' && detail !== undefined) s.lastError = detail;
    this.opts.onStatus?.(s);
  }

  private async listAndDiff(cause: 'initial' | 'relist'): Promise<void> {
    const url = new URL(this.opts.kubeConfig.getCurrentCluster()?.server + this.opts.path);
    if (this.opts.labelSelector) url.searchParams.set('labelSelector', this.opts.labelSelector);
    if (this.opts.fieldSelector) url.searchParams.set('fieldSelector', this.opts.fieldSelector);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.opts.kubeConfig.applySecurityAuthentication(ctx);
    const res = await fetch(url, { headers: ctx.getHeaders(), dispatcher: ctx.getDispatcher(), signal: AbortSignal.any([AbortSignal.timeout(30_000), this.stopping.signal]) });
    if (res.status !== 200) {
      const text = await res.text().catch(() => '');
      throw Object.assign(new Error(`list ${this.opts.path}: HTTP ${res.status} ${text.slice(0, 200)}`), { statusCode: res.status });
    }
    const list = (await res.json()) as ListResponse<T>;
    this.stats.lists++;
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      const k = this.key(item);
      seen.add(k);
      const prev = this.known.get(k);
      if (prev && prev.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.known.set(k, item);
      this.opts.onChange(prev, item, cause);
    }
    for (const [k, prev] of [...this.known]) {
      if (seen.has(k)) continue;
      this.known.delete(k);
      this.opts.onChange(prev, undefined, cause);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.status('listed', `${seen.size} objects`);
  }

  private apply(type: string, obj: T | WatchStatusObject): 'gone' | undefined {
    if (type === 'ERROR') {
      const st = obj as WatchStatusObject;
      return st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone' ? 'gone' : undefined;
    }
    const o = obj as T;
    if (type === 'BOOKMARK') {
      this.resourceVersion = o.metadata?.resourceVersion ?? this.resourceVersion;
      return undefined;
    }
    this.stats.events++;
    const k = this.key(o);
    const prev = this.known.get(k);
    if (type === 'DELETED') {
      this.known.delete(k);
      this.opts.onChange(prev, undefined, 'watch');
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      this.known.set(k, o);
      this.opts.onChange(prev, o, 'watch');
    }
    this.resourceVersion = o.metadata?.resourceVersion ?? this.resourceVersion;
    return undefined;
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let gone = false;
      let settled = false;
      let abortWanted = false;
      let controller: AbortController | undefined;
      this.abort = undefined;
      const finish = (end: WatchEnd) => {
        if (settled) return;
        settled = true;
        resolve(end);
      };
      const params: Record<string, string | number | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
      if (this.opts.watchTimeoutSeconds !== undefined) params.timeoutSeconds = this.opts.watchTimeoutSeconds;
      if (this.opts.labelSelector) params.labelSelector = this.opts.labelSelector;
      if (this.opts.fieldSelector) params.fieldSelector = this.opts.fieldSelector;
      this.stats.watches++;
      this.watch
        .watch(
          this.opts.path,
          params,
          (type: string, obj: T | WatchStatusObject) => {
            if (gone || settled) return;
            if (this.apply(type, obj) === 'gone') {
              gone = true;
              abortWanted = true; // do not wait for the server to close the stream
              controller?.abort();
            }
          },
          (err: unknown) => {
            const code = (err as { statusCode?: number } | null)?.statusCode;
            if (code === 410) gone = true;
            const quiet = err === null || err === undefined || gone || this.stopped || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
            finish(quiet ? { gone } : { gone, error: err });
          },
        )
        .then((c) => {
          controller = c;
          this.abort = c;
          if (this.stopped || settled || abortWanted) c.abort();
        })
        .catch((err: unknown) => finish({ gone: false, error: err }));
    });
  }

  /** Sleeps, but wakes at once when stopped. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { min, max } = this.opts.backoffMs ?? { min: 200, max: 5000 };
    let backoff = 0;
    let needList = false;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.listAndDiff('relist');
          needList = false;
          backoff = 0;
        } catch (err) {
          this.stats.errors++;
          this.status('error', String((err as Error).message ?? err));
          backoff = Math.min(max, Math.max(min, backoff * 2));
          await this.pause(backoff);
          continue;
        }
      }
      this.status('watching');
      const began = performance.now();
      const end = await this.watchOnce();
      if (this.stopped) break;
      if (end.gone) {
        this.stats.gone++;
        this.status('gone', `resourceVersion ${this.resourceVersion} expired: relisting`);
        needList = true;
      } else if (end.error !== undefined) {
        this.stats.errors++;
        this.status('error', String((end.error as Error).message ?? end.error));
        backoff = Math.min(max, Math.max(min, backoff * 2));
        await this.pause(backoff);
      } else {
        backoff = 0;
        this.status('watch-ended');
        // A server that ends every watch at once must not make us spin.
        if (performance.now() - began < min) await this.pause(min);
      }
    }
  }
}

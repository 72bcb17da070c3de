// The ClusterIP path: the load engine runs as a pod inside the cluster (the harness image) and streams
// every record back as NDJSON on its stdout, which the runner follows through the pod's log. The stream
// opens with the loader's clock origin and closes with its record count, so the runner can check that
// no record was lost on the way (`complete`) and put every record on its own clock.

import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { OUTCOMES, PHASES, type RequestRecord, type RunClock } from '../record.ts';
import { formatClientPolicy, type ClientPolicy } from '../send/policy.ts';
import { followPodLog, type LogFollow } from '../observe/podlog.ts';
import { apply, poll, type Kube } from './kube.ts';

/** The first line a streaming loader prints. */
export interface StreamHeader {
  stream: 'header';
  runId: string;
  t0EpochNs: string;
}
/** The last line: how many records the loader wrote. */
export interface StreamEnd {
  stream: 'end';
  records: number;
  partial: boolean;
}

export const LOADER_NAME = 'lossless-loader';
/** Loader seqs start here so they never collide with the host's. */
export const IN_CLUSTER_SEQ_BASE = 1_000_000_000;

export interface LoaderSpec {
  namespace: string;
  image: string;
  url: string;
  runId: string;
  qps: number;
  connections: number;
  keepalive: boolean;
  timeoutMs: number;
  arrivals: 'uniform' | 'poisson';
  maxInFlight?: number;
  /** Upper bound on the load's length; the runner stops it earlier by deleting the pod. */
  maxDurationMs: number;
  /** The client policy (send/policy.ts); none when absent. */
  client?: ClientPolicy;
}

export function loaderArgs(s: LoaderSpec): string[] {
  const args = [
    'load', s.url, '--qps', String(s.qps), '--duration', `${Math.ceil(s.maxDurationMs / 1000)}s`, '--connections', String(s.connections),
    s.keepalive ? '--keepalive' : '--no-keepalive', '--timeout', `${s.timeoutMs}ms`, '--arrivals', s.arrivals, '--run-id', s.runId,
    '--seq-base', String(IN_CLUSTER_SEQ_BASE), '--stream', '--quiet', '--out', '/tmp/lossless',
  ];
  if (s.maxInFlight !== undefined) args.push('--max-in-flight', String(s.maxInFlight));
  // only when set: an image built before client policies knows no --client, and none is its behaviour
  if (s.client !== undefined && s.client.kind !== 'none') args.push('--client', formatClientPolicy(s.client));
  return args;
}

export function loaderPod(s: LoaderSpec): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: LOADER_NAME, namespace: s.namespace, labels: { 'app.kubernetes.io/name': LOADER_NAME } },
    spec: {
      restartPolicy: 'Never',
      // SIGTERM stops sending; in-flight requests get up to the timeout to finish before the count line.
      terminationGracePeriodSeconds: Math.ceil(s.timeoutMs / 1000) + 15,
      containers: [{ name: 'loader', image: s.image, imagePullPolicy: 'IfNotPresent', args: loaderArgs(s) }],
    },
  };
}

/** Parses one streamed record line (times on the loader's clock). Throws on a malformed record. */
export function parseStreamedRecord(o: Record<string, unknown>): RequestRecord {
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`streamed record: ${k} is not a number`);
    return v;
  };
  const outcome = o.outcome;
  const phase = o.phase;
  if (!OUTCOMES.includes(outcome as never)) throw new Error(`streamed record: unknown outcome ${String(outcome)}`);
  if (!PHASES.includes(phase as never)) throw new Error(`streamed record: unknown phase ${String(phase)}`);
  const r: RequestRecord = {
    seq: num('seq'), target: String(o.target), scheduledAt: num('scheduledAt'), sentAt: num('sentAt'), endAt: num('endAt'),
    outcome: outcome as RequestRecord['outcome'], phase: phase as RequestRecord['phase'], reusedConnection: o.reusedConnection === true,
    bytesSent: num('bytesSent'), bytesReceived: num('bytesReceived'),
  };
  if (typeof o.status === 'number') r.status = o.status;
  if (typeof o.errorCode === 'string') r.errorCode = o.errorCode;
  if (typeof o.remoteAddr === 'string') r.remoteAddr = o.remoteAddr;
  if (typeof o.localPort === 'number') r.localPort = o.localPort;
  if (typeof o.servedBy === 'string') r.servedBy = o.servedBy;
  if (o.attempt !== undefined) {
    const a = num('attempt');
    if (!Number.isInteger(a) || a < 1) throw new Error(`streamed record: attempt ${a} is not a whole number >= 1`);
    if (a > 1) r.attempt = a;
  }
  if (o.retried === true) r.retried = true;
  return r;
}

export interface LoaderResult {
  received: number;
  /** The loader's own count, from its end line; undefined when the line never arrived. */
  reported?: number;
  complete: boolean;
  partial: boolean;
  malformed: number;
  /** Lines received again after the log was followed anew, skipped by seq. */
  replayed: number;
  /** How often the log follow broke and was followed again from its start. */
  resumed?: number;
}

/**
 * Reads a `lossless load --stream` output line by line: records arrive shifted onto the runner's clock.
 * Separate from the pod so it is tested against the real CLI process.
 */
export class LoaderStream {
  private shiftNs: number | undefined;
  private received = 0;
  /** seqs already handed on: a log followed again from its start replays them (resume after a broken follow) */
  private readonly seen = new Set<number>();
  private replayed = 0;
  private malformed = 0;
  private end: StreamEnd | undefined;

  constructor(
    private readonly clock: RunClock,
    private readonly onRecord: (r: RequestRecord) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  get opened(): boolean {
    return this.shiftNs !== undefined;
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  get count(): number {
    return this.received;
  }

  line(text: string): void {
    if (!text.startsWith('{')) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.malformed++;
      return;
    }
    if (o.stream === 'header') {
      this.shiftNs = Number(BigInt(String(o.t0EpochNs)) - this.clock.t0EpochNs);
      return;
    }
    if (o.stream === 'end') {
      this.end = { stream: 'end', records: Number(o.records), partial: o.partial === true };
      return;
    }
    if (this.shiftNs === undefined) return;
    try {
      const r = parseStreamedRecord(o);
      // a client policy's re-sends share the seq: one key per (seq, attempt); attempts stay far below 256
      const key = r.seq * 256 + (r.attempt ?? 1);
      if (this.seen.has(key)) {
        this.replayed++;
        return;
      }
      this.seen.add(key);
      r.scheduledAt += this.shiftNs;
      r.sentAt += this.shiftNs;
      r.endAt += this.shiftNs;
      this.received++;
      this.onRecord(r);
    } catch (err) {
      this.malformed++;
      this.log(`in-cluster loader: ${(err as Error).message}`);
    }
  }

  result(): LoaderResult {
    const result: LoaderResult = {
      received: this.received,
      complete: this.end !== undefined && this.end.records === this.received && this.malformed === 0,
      partial: this.end?.partial ?? true,
      malformed: this.malformed,
      replayed: this.replayed,
    };
    if (this.end) result.reported = this.end.records;
    return result;
  }
}

/** Runs the loader pod and reads its stream through the pod's log. */
/**
 * Runs the loader pod and reads its stream through the pod's log. The log follow is an HTTP stream through
 * the API server and can break mid-run (API server restart, network); the records are then not lost: the
 * log is followed again from its start (the kubelet keeps the container log, 10 MiB by default: ~30,000
 * records) and the records already received are skipped by seq, until the stream's end line arrives.
 */
export class InClusterLoader {
  private follow: LogFollow | undefined;
  private readonly stream: LoaderStream;
  private closing = false;
  private resumed = 0;

  constructor(
    private readonly k: Kube,
    private readonly kc: KubeConfig,
    private readonly spec: LoaderSpec,
    clock: RunClock,
    onRecord: (r: RequestRecord) => void,
    private readonly log: (line: string) => void,
  ) {
    this.stream = new LoaderStream(clock, onRecord, log);
  }

  /** Creates the pod and waits until it runs and its stream has opened (bounded). */
  async start(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const { namespace } = this.spec;
    await apply(this.k, loaderPod(this.spec) as Parameters<typeof apply>[1]);
    const running = await poll(timeoutMs, 250, async () => {
      const p = await this.k.core.readNamespacedPod({ name: LOADER_NAME, namespace });
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') throw new Error(`loader pod ended early (${phase})`);
      return phase === 'Running';
    }, signal);
    if (!running) throw new Error(`the in-cluster loader pod did not start in ${Math.round(timeoutMs / 1000)} s (image ${this.spec.image} loaded into the nodes?)`);
    await this.followLog();
    const opened = await poll(timeoutMs, 100, async () => this.stream.opened, signal);
    if (!opened) throw new Error('the in-cluster loader started but printed no stream header');
  }

  /** Follows the log from its start; when the follow breaks before the end line, follows it again (bounded). */
  private async followLog(): Promise<void> {
    const f = await followPodLog(this.kc, this.spec.namespace, LOADER_NAME, 'loader', (line) => this.stream.line(line));
    this.follow = f;
    void f.done.then(() => {
      if (this.closing || this.stream.ended || this.follow !== f || this.resumed >= 30) return;
      this.resumed++;
      this.log(`in-cluster loader: its log stream broke after ${this.stream.count} records; following it again from the start (records already received are skipped by seq)`);
      setTimeout(() => {
        if (this.closing || this.stream.ended) return;
        this.followLog().catch((err: unknown) => this.log(`in-cluster loader: cannot follow its log again: ${(err as Error).message}`));
      }, 500).unref();
    });
  }

  /** Breaks the current log follow, as a lost API server connection would (the lab test's fault). */
  breakFollow(): void {
    this.follow?.stop();
  }

  /** Deletes the pod (SIGTERM: the loader drains and prints its count) and waits for the stream to end. */
  async stop(): Promise<LoaderResult> {
    const grace = Math.ceil(this.spec.timeoutMs / 1000) + 15;
    await this.k.core.deleteNamespacedPod({ name: LOADER_NAME, namespace: this.spec.namespace, gracePeriodSeconds: grace }).catch(() => undefined);
    // the end line, through whichever follow is current (a broken one is followed again meanwhile)
    await poll((grace + 10) * 1000, 100, async () => this.stream.ended).catch(() => false);
    this.closing = true;
    this.follow?.stop();
    return { ...this.stream.result(), resumed: this.resumed };
  }
}

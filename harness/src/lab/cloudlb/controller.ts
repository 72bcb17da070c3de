// The `cloud` LoadBalancer provider: for every Service of class lossless.dev/cloud, one HAProxy container on
// the kind docker network (cloud-provider-kind's shape, with Debian's HAProxy instead of Envoy), its backends
// every node's InternalIP at the Service's NodePorts, its health checks on healthCheckNodePort (Local) or
// kube-proxy's 10256 (Cluster); the container's address goes to the Service's status.loadBalancer.
// It runs on the host, beside docker, like cloud-provider-kind: a controller inside the cluster could not
// start containers on the kind network. Each run starts one for its namespace and removes its containers.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Service } from '@kubernetes/client-node';
import { execa, type ResultPromise } from 'execa';
import { Reflector } from '../../observe/reflector.ts';
import type { ObjectMeta } from '../../observe/transitions.ts';
import { EnvError } from '../../errors.ts';
import { healthPortOf, parseStateChange, renderConfig, type LbSpec } from './haproxy.ts';
import { CLOUD_LB_CLASS, fromAnnotations, type HealthCheckSettings } from './settings.ts';

/** Nodes carrying this label are left out of external load balancers (kubeadm sets it on control planes). */
const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
const CONTAINER_LABEL = 'lossless.dev/cloud-lb';
const CONFIG_DIR_IN_CONTAINER = '/etc/lossless-lb';

/** Objects as the reflector lists them (plain JSON: timestamps are strings). */
type Meta = ObjectMeta & { annotations?: Record<string, string> };
export type Svc = Omit<V1Service, 'metadata'> & { metadata: Meta };
export type Node = Omit<V1Node, 'metadata'> & { metadata: Meta };

export interface CloudLbEvent {
  /** Epoch ms: docker's receive time of the log line, or when the controller acted. */
  atMs: number;
  kind: 'lb-backend-up' | 'lb-backend-down' | 'lb-config';
  /** namespace/name */
  service: string;
  node?: string;
  detail: Record<string, string | number | boolean>;
}

export interface CloudLbOptions {
  kubeConfig: KubeConfig;
  /** HAProxy image (the lab's haproxy rootfs, built by lab:up). */
  image: string;
  /** Host folder for the configurations (bind-mounted into each container). */
  stateDir: string;
  /** Serve only this namespace's Services (a run's); all namespaces when undefined. */
  namespace?: string;
  /** docker network the containers join. */
  network?: string;
  onEvent?: (e: CloudLbEvent) => void;
  log?: (line: string) => void;
}

interface Running {
  container: string;
  config: string;
  ip: string;
  logs: ResultPromise | undefined;
  published: boolean;
}

export function containerName(service: string): string {
  return `lossless-lb-${service.replace('/', '-')}`.slice(0, 120);
}

/** What the LB for a Service looks like now, or why it cannot be built. */
export function specOf(svc: Svc, nodes: readonly Node[]): { spec?: LbSpec; problem?: string } {
  const service = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
  const { settings, problems } = fromAnnotations(svc.metadata?.annotations);
  if (problems.length > 0) return { problem: problems.map((p) => `${p.annotation}=${JSON.stringify(p.value)} (allowed: ${p.allowed})`).join('; ') };
  const ports = (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP' && p.nodePort).map((p) => ({ port: p.port, nodePort: p.nodePort! }));
  if (ports.length === 0) return { problem: 'no TCP port with a nodePort yet' };
  const backends = nodes
    .filter((n) => n.metadata?.labels?.[EXCLUDE_LABEL] === undefined && !n.metadata?.deletionTimestamp)
    .flatMap((n) => {
      const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP' && !a.address.includes(':'))?.address;
      return ip ? [{ node: n.metadata!.name!, ip }] : [];
    });
  const healthPort = healthPortOf(svc.spec?.externalTrafficPolicy, svc.spec?.healthCheckNodePort);
  return { spec: { service, ports, backends, healthPort, settings } };
}

export function isCloudLb(svc: Svc | undefined): svc is Svc {
  return svc?.spec?.type === 'LoadBalancer' && svc.spec.loadBalancerClass === CLOUD_LB_CLASS && !svc.metadata?.deletionTimestamp;
}

export class CloudLbController {
  private readonly services: Reflector<Svc>;
  private readonly nodes: Reflector<Node>;
  private readonly core: CoreV1Api;
  private readonly running = new Map<string, Running>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: CloudLbOptions) {
    this.core = o.kubeConfig.makeApiClient(CoreV1Api);
    const svcPath = o.namespace ? `/api/v1/namespaces/${o.namespace}/services` : '/api/v1/services';
    this.services = new Reflector<Svc>({
      kubeConfig: o.kubeConfig, path: svcPath,
      onChange: (prev, next) => this.enqueue(`${(next ?? prev)!.metadata!.namespace}/${(next ?? prev)!.metadata!.name}`),
    });
    this.nodes = new Reflector<Node>({ kubeConfig: o.kubeConfig, path: '/api/v1/nodes', onChange: () => this.enqueueAll() });
  }

  private log(line: string): void {
    this.o.log?.(`cloud-lb: ${line}`);
  }

  async start(): Promise<void> {
    const img = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', this.o.image], { reject: false });
    if (img.exitCode !== 0) {
      throw new EnvError(`the cloud LB image ${this.o.image} is missing: run \`npm run lab:up\` (it builds the haproxy rootfs)`);
    }
    mkdirSync(this.o.stateDir, { recursive: true });
    await this.nodes.start();
    await this.services.start();
    this.enqueueAll();
    await this.queue;
  }

  /** Stops watching and removes every container this controller started. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await this.services.stop();
    await this.nodes.stop();
    await this.queue;
    for (const key of [...this.running.keys()]) await this.remove(key);
  }

  /** The Services it serves and their LB addresses. */
  addresses(): ReadonlyMap<string, string> {
    return new Map([...this.running].map(([k, r]) => [k, r.ip]));
  }

  private enqueueAll(): void {
    for (const s of this.services.snapshot().values()) this.enqueue(`${s.metadata!.namespace}/${s.metadata!.name}`);
    for (const key of this.running.keys()) this.enqueue(key);
  }

  private enqueue(key: string): void {
    if (this.stopped) return;
    this.queue = this.queue.then(() => this.reconcile(key)).catch((err: unknown) => this.log(`${key}: ${(err as Error).message}`));
  }

  private serviceOf(key: string): Svc | undefined {
    for (const s of this.services.snapshot().values()) if (`${s.metadata!.namespace}/${s.metadata!.name}` === key) return s;
    return undefined;
  }

  private async reconcile(key: string): Promise<void> {
    if (this.stopped) return;
    const svc = this.serviceOf(key);
    if (!isCloudLb(svc)) {
      if (this.running.has(key)) await this.remove(key);
      return;
    }
    const { spec, problem } = specOf(svc, [...this.nodes.snapshot().values()]);
    if (!spec) {
      this.log(`${key}: not served: ${problem}`);
      return;
    }
    const config = renderConfig(spec);
    const cur = this.running.get(key);
    if (cur?.config === config) return;
    const dir = join(this.o.stateDir, containerName(key));
    mkdirSync(dir, { recursive: true });
    // a new file renamed over the old one: HAProxy never reads a half-written configuration
    writeFileSync(join(dir, 'haproxy.cfg.new'), config);
    renameSync(join(dir, 'haproxy.cfg.new'), join(dir, 'haproxy.cfg'));
    this.emit({
      atMs: Date.now(), kind: 'lb-config', service: key,
      detail: {
        backends: spec.backends.map((b) => b.node).join(','), healthPort: spec.healthPort, ports: spec.ports.map((p) => `${p.port}->${p.nodePort}`).join(','),
        intervalMs: spec.settings.intervalMs, unhealthyThreshold: spec.settings.unhealthyThreshold, healthyThreshold: spec.settings.healthyThreshold,
        drainMs: spec.settings.drainMs, change: cur ? 'reload' : 'create',
      },
    });
    if (cur) {
      cur.config = config;
      // master-worker mode: SIGUSR2 starts new workers on the new file; old ones finish their connections
      // until hard-stop-after (the drain)
      await execa('docker', ['kill', '--signal', 'USR2', cur.container]);
      this.log(`${key}: reloaded (${spec.backends.length} backends, health port ${spec.healthPort})`);
      return;
    }
    const container = containerName(key);
    await execa('docker', ['rm', '-f', container], { reject: false });
    await execa('docker', [
      'run', '-d', '--name', container, '--network', this.o.network ?? 'kind', '--label', `${CONTAINER_LABEL}=${key}`,
      '-v', `${dir}:${CONFIG_DIR_IN_CONTAINER}:ro`,
      this.o.image, 'haproxy', '-W', '-db', '-f', `${CONFIG_DIR_IN_CONTAINER}/haproxy.cfg`,
    ]);
    const inspect = await execa('docker', ['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.o.network ?? 'kind'}").IPAddress}}`, container]);
    const ip = String(inspect.stdout).trim();
    const run: Running = { container, config, ip, logs: undefined, published: false };
    this.running.set(key, run);
    run.logs = this.follow(key, container);
    this.log(`${key}: ${container} at ${ip} (${spec.backends.length} backends, health port ${spec.healthPort})`);
    // HAProxy starts every server up but one failed check from down (its health starts at rise): publish
    // the address after the first check had time to answer, so no first connection goes to a node it rules out.
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.publish(key, svc, ip).catch((err: unknown) => this.log(`${key}: status: ${(err as Error).message}`));
    }, spec.settings.intervalMs + spec.settings.timeoutMs + 500);
    this.timers.add(t);
  }

  private async publish(key: string, svc: Svc, ip: string): Promise<void> {
    if (this.stopped || !this.running.has(key)) return;
    await this.core.patchNamespacedServiceStatus(
      { name: svc.metadata!.name!, namespace: svc.metadata!.namespace!, body: { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    this.running.get(key)!.published = true;
    this.log(`${key}: status.loadBalancer ${ip}`);
  }

  /** docker logs -f --timestamps: each state change line becomes an event at docker's receive time. */
  private follow(key: string, container: string): ResultPromise {
    const p = execa('docker', ['logs', '-f', '--timestamps', container], { reject: false, buffer: false, all: true });
    const rl = createInterface({ input: p.all! });
    rl.on('line', (line) => {
      const sp = line.indexOf(' ');
      const atMs = Date.parse(line.slice(0, sp));
      const ch = parseStateChange(line.slice(sp + 1));
      if (!ch || Number.isNaN(atMs)) return;
      // docker's stamp has ns digits; Date.parse keeps ms, enough against a check interval of seconds
      this.emit({ atMs, kind: ch.state === 'up' ? 'lb-backend-up' : 'lb-backend-down', service: key, node: ch.node, detail: { listener: ch.listener, reason: ch.reason, worker: ch.worker } });
    });
    return p;
  }

  private emit(e: CloudLbEvent): void {
    this.o.onEvent?.(e);
  }

  private async remove(key: string): Promise<void> {
    const r = this.running.get(key);
    this.running.delete(key);
    const container = r?.container ?? containerName(key);
    await execa('docker', ['rm', '-f', container], { reject: false });
    r?.logs?.kill();
    await r?.logs?.catch(() => undefined);
    rmSync(join(this.o.stateDir, container), { recursive: true, force: true });
    this.log(`${key}: ${container} removed`);
  }
}

export type { HealthCheckSettings };

// The scenario run: deploy a variant, drive load through every path while the Deployment rolls, watch
// everything, then collect, attribute and write the run folder. Whatever happens (Ctrl-C, a lost watch,
// a rollout that never finishes) the records measured so far are written and the namespace is removed.

import type { Timing } from '../schedule/alarm.ts';
import type { HttpClient } from '../send/sender.ts';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { type LifecycleEvent, lifecycleEvent, type LifecycleKind, type RequestRecord, type Scalar } from '../record.ts';
import { RunFolder } from '../folder/folder.ts';
import { createRunTimer } from '../load/clock.ts';
import { defaultMaxInFlight, drive } from '../load/run.ts';
import { LoadSession } from '../load/session.ts';
import { formatClientPolicy, parseClientPolicy, type ClientPolicy } from '../send/policy.ts';
import type { Summary } from '../load/summary.ts';
import { watchCluster, type ClusterWatch } from '../observe/cluster.ts';
import { parseEchoLine, derivePreStop } from '../observe/podlog.ts';
import { sampleHostCpu, type HostCpu } from '../observe/hostcpu.ts';
import { measureNodeClocks, type NodeClock } from '../observe/clock.ts';
import { loadScenario, type Scenario } from './schema.ts';
import { buildManifests, deploymentFor, LABEL_APP } from './manifest.ts';
import { apply, connect, deleteNamespace, ensureNamespace, waitLoadBalancerIP, waitRollout, type Kube } from './kube.ts';
import { resolveTargets, type PathTargets } from './paths.ts';
import { PodLogs } from './podlogs.ts';
import { InClusterLoader, type LoaderResult } from './incluster.ts';
import { probeTargets } from './probe.ts';
import { IngressLogs } from './ingresslogs.ts';
import type { IngressController } from '../observe/ingresslog.ts';
import { ECHO_NAMESPACE, IMAGES_CONFIGMAP, labUp } from '../lab/up.ts';
import { createLab } from '../lab/context.ts';
import { nodeAddress } from '../lab/addons.ts';
import { attachProgress } from '../lab/progress.ts';
import { LiveCounter } from './live.ts';
import { ConsumerLogs } from './consumerlogs.ts';
import { diagnose } from './diagnose.ts';
import { startCloudLb, usesCloudLb } from './cloudlb.ts';
import type { CloudLbController } from '../lab/cloudlb/controller.ts';
import { CONSUMER_NAME, REGISTRY_NAME } from './registry.ts';
import { need } from '../lab/versions.ts';
import { EnvError } from '../errors.ts';

export interface ScenarioRunOptions {
  file: string;
  variant?: string;
  /** Parent of the run folder; default results/. */
  resultsDir?: string;
  signal?: AbortSignal;
  /** Keep the namespace after the run (for debugging). */
  keep?: boolean;
  /** Do not run `lab:up` first (the caller knows the lab is up: the e2e tests); pass its image refs then. */
  skipLabUp?: boolean;
  /** Image refs lab:up loaded into the nodes, by app name (echo, harness). */
  labImages?: Record<string, string>;
  /** The in-cluster loader's image (the lab loads lossless/harness:dev). */
  harnessImage?: string;
  log?: (line: string) => void;
  /** Overrides the file's load.client (`lossless scenario --client go`): which failed requests are sent again. */
  client?: ClientPolicy;
  /** The live per-path counter on stderr during load: false for none; everyMs off a TTY (default 10 s). */
  live?: false | { everyMs?: number };
  /** The host load's --timing and --http (the engine's defaults when unset): to measure what the engine takes from the host. */
  timing?: Timing;
  http?: HttpClient;
}

export interface ScenarioRun {
  dir: string;
  folder: RunFolder;
  runId: string;
  scenario: Scenario;
  summary: Summary;
  events: LifecycleEvent[];
  targets: PathTargets;
  hostCpu: HostCpu;
  inCluster?: LoaderResult;
  interrupted: boolean;
  /** What stopped the run before its end (the folder still holds what was measured). */
  error?: Error;
  /** Problems met along the way that did not stop the run (a lost log stream, an incomplete loader stream). */
  warnings: string[];
  /** Each node's clock against the host's, measured before the load started. */
  nodeClocks?: NodeClock[];
}

/** results/ at the repository's top, whatever the working directory. */
export const DEFAULT_RESULTS = fileURLToPath(new URL('../../../results', import.meta.url));

export function runFolderName(date: Date, name: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
  return `${stamp}-${name}`;
}

/** Sleeps `ms` unless aborted first; resolves false when aborted. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The environment failed (output folder, cluster): exit 3. */
export class RunEnvironmentError extends EnvError {
  override name = 'RunEnvironmentError';
}

const ROLLOUT_TIMEOUT_MS = 300_000;

/** The image refs a past lab:up recorded in the cluster (a run that skips lab:up, e.g. from compose). */
async function labImagesOf(k: Kube): Promise<Record<string, string>> {
  try {
    const cm = await k.core.readNamespacedConfigMap({ name: IMAGES_CONFIGMAP, namespace: ECHO_NAMESPACE });
    return cm.data ?? {};
  } catch {
    return {};
  }
}

export async function runScenario(o: ScenarioRunOptions): Promise<ScenarioRun> {
  const print = o.log ?? ((l: string) => console.error(l));
  // the per-path sent/lost line during load; the run's log lines go around it
  const live = new LiveCounter(o.live === false ? { write: () => true } : process.stderr, print, undefined, o.live ? (o.live.everyMs ?? undefined) : undefined);
  if (o.live === false) live.silence();
  const log = (l: string) => live.line(l);
  const s = await loadScenario(o.file, o.variant);
  if (o.client) s.load.client = formatClientPolicy(o.client); // scenario.json records the policy the run used
  const client = parseClientPolicy('load.client', s.load.client);
  let images = o.labImages ?? {};
  if (s.cluster === 'lab' && !o.skipLabUp) {
    // Idempotent: reuses a running cluster, rebuilds and reloads the echo/harness images when their code changed.
    const t = Date.now();
    try {
      const lab = createLab((l) => log(`lab: ${l}`));
      attachProgress(lab);
      images = (await labUp(lab)).images;
    } catch (e) {
      throw new RunEnvironmentError(`the lab is not up: ${(e as Error).message}`);
    }
    log(`lab ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const k = connect(s.cluster);
  if (s.cluster === 'lab' && Object.keys(images).length === 0) images = await labImagesOf(k);
  // The lab's images are loaded under their content tag; the scenario's default names the :dev tag.
  if (s.workload.image === 'lossless/echo:dev' && images.echo) s.workload.image = images.echo;
  const harnessImage = o.harnessImage ?? images.harness ?? 'lossless/harness:dev';
  const runId = runFolderName(new Date(), s.name);
  const dir = join(o.resultsDir ?? DEFAULT_RESULTS, runId);
  const folder = RunFolder.create(dir, '--results');
  folder.write('scenario', s);
  log(`run ${runId}: scenario ${s.name}, variant ${s.variant}, namespace ${s.namespace}, context ${k.context}`);

  const clock = createRunTimer();
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log(`warning: ${w}`);
  };
  const events: LifecycleEvent[] = [];
  const timeline = folder.createTimeline({ t0EpochNs: clock.t0EpochNs, runId });
  let podLogs: PodLogs | undefined;
  const emit = (e: LifecycleEvent) => {
    events.push(e);
    timeline.write(e);
    podLogs?.observe(e);
  };
  const mark = (kind: LifecycleKind, detail?: Record<string, Scalar>) => emit(lifecycleEvent({ at: clock.now(), source: 'runner', kind, ...(detail ? { detail } : {}) }));

  const stopLoad = new AbortController();
  // One session for the host load and the in-cluster loader: one ledger, one summary, the live counter.
  const session = new LoadSession({ folder, runId, clock, timeoutMs: s.load.timeout, sinks: [live], onFailure: (e) => { warn(e.message); stopLoad.abort(); } });
  const onRecord = (r: RequestRecord) => session.add(r);

  const cpu = sampleHostCpu(clock.now, cpus().length);
  const interrupted = () => o.signal?.aborted === true;
  let watch: ClusterWatch | undefined;
  let ingressLogs: IngressLogs | undefined;
  let consumerLogs: ConsumerLogs | undefined;
  let cloudLb: CloudLbController | undefined;
  let loader: InClusterLoader | undefined;
  let loaderResult: LoaderResult | undefined;
  let hostLoad: ReturnType<typeof drive> | undefined;
  let targets: PathTargets = { host: [] };
  const labels = { 'app.kubernetes.io/managed-by': 'lossless', 'lossless.dev/run': runId };
  let error: Error | undefined;
  let nodeClocks: NodeClock[] = [];

  try {
    await ensureNamespace(k, s.namespace, labels);
    // the cloud LB provider runs on this host for the run's namespace (one HAProxy container per Service)
    if (usesCloudLb(s)) cloudLb = await startCloudLb(k, s.namespace, clock, emit, log);
    // On the lab the registry is the etcd image its nodes already hold (scripts/lab/versions.env).
    const m = buildManifests(s, 0, s.cluster === 'lab' ? { registry: need(createLab(() => {}).versions, 'ETCD_IMAGE') } : {});
    if (m.support.length > 0) {
      // The registry must answer before a provider registers or the consumer lists.
      for (const obj of m.support) await apply(k, obj as KubernetesObject);
      await waitRollout(k, s.namespace, REGISTRY_NAME, ROLLOUT_TIMEOUT_MS, o.signal);
      log(`registry ready`);
    }
    const objects: KubernetesObject[] = [...m.services, ...m.ingresses, ...m.gateways, m.deployment] as KubernetesObject[];
    for (const obj of objects) await apply(k, obj);
    log(`applied ${objects.length + m.support.length} objects; waiting for ${s.workload.replicas} replica(s)`);

    watch = await watchCluster({
      kubeConfig: k.kc, namespace: s.namespace, clock, now: clock.now, onEvent: emit, labelSelector: `${LABEL_APP}=${s.workload.name}`,
      onStatus: (st) => { if (st.lastError) warn(`watch ${st.resource}: ${st.lastError}`); },
    });
    podLogs = new PodLogs({
      kc: k.kc, namespace: s.namespace, container: s.workload.name,
      onLine: (pod, line) => {
        const e = parseEchoLine(line, clock, pod);
        if (e) emit(e);
      },
      onError: (pod, err) => warn(`log of ${pod}: ${(err as Error).message}`),
    });
    // pods that started before the log manager existed
    for (const e of events) podLogs.observe(e);
    const controllers = [...new Set(s.paths.flatMap((p): IngressController[] => (p.type === 'ingress' ? [p.controller] : p.type === 'gateway' ? ['traefik-gateway'] : [])))];
    if (controllers.length > 0) {
      ingressLogs = new IngressLogs(k, clock, emit, warn);
      await ingressLogs.start(controllers);
    }

    await waitRollout(k, s.namespace, s.workload.name, ROLLOUT_TIMEOUT_MS, o.signal);
    if (s.consumer) {
      await waitRollout(k, s.namespace, CONSUMER_NAME, ROLLOUT_TIMEOUT_MS, o.signal);
      // The consumer is not rolled and not watched: its lines (list changes, registry changes) are followed directly.
      consumerLogs = new ConsumerLogs(k, s.namespace, clock, emit, warn);
      await consumerLogs.start();
    }
    targets = await resolveTargets(m.routes, s.namespace, (svc) => waitLoadBalancerIP(k, s.namespace, svc, 120_000, o.signal), s.cluster === 'lab' ? nodeAddress : undefined);
    // Routing must answer before the measurement starts: a path that never answers is an environment problem.
    await probeTargets(targets.host, 90_000, o.signal);
    // Pod-log times are the nodes' clocks: measure each against ours now (attribution applies only this).
    const nodes = (await k.core.listNode()).items.map((n) => n.metadata?.name ?? '').filter((n) => n !== '');
    nodeClocks = await measureNodeClocks(nodes);
    log(`node clocks: ${nodeClocks.map((c) => (c.offsetMs === null ? `${c.node} not measured (${c.error})` : `${c.node} ${c.offsetMs} ms ±${(c.rttMs ?? 0) / 2}`)).join('; ')}`);
    for (const c of nodeClocks) if (c.offsetMs === null) warn(`the clock of node ${c.node} was not measured (${c.method}: ${c.error}): its pod-log times are taken as they are`);
    log(`paths: ${[...targets.host.map((t) => `${t.path} ${t.url}`), ...(targets.inCluster ? [`${targets.inCluster.path} ${targets.inCluster.url} (in cluster)`] : [])].join('; ')}`);

    if (s.load.startAfter > 0) {
      log(`waiting ${s.load.startAfter / 1000} s before the load (load.startAfter)`);
      await pause(s.load.startAfter, o.signal);
    }
    const maxDurationMs = 3_600_000;
    if (targets.inCluster && !interrupted()) {
      loader = new InClusterLoader(k, k.kc, {
        namespace: s.namespace, image: harnessImage, url: targets.inCluster.url, runId, qps: s.load.qps,
        connections: s.load.connections, keepalive: s.load.keepalive, timeoutMs: s.load.timeout, arrivals: s.load.arrivals, maxDurationMs,
        ...(s.load.maxInFlight !== undefined ? { maxInFlight: s.load.maxInFlight } : {}), client,
      }, clock, onRecord, log);
      await loader.start(120_000, o.signal);
    }
    if (targets.host.length > 0 && !interrupted()) {
      hostLoad = drive({
        targets: targets.host.map((t) => t.url), targetHeaders: targets.host.map((t) => t.headers), qps: s.load.qps, durationMs: maxDurationMs,
        connections: s.load.connections, keepalive: s.load.keepalive, timeoutMs: s.load.timeout, method: 'GET', headers: [],
        maxInFlight: s.load.maxInFlight ?? defaultMaxInFlight(s.load.qps, s.load.timeout), arrivals: s.load.arrivals, runId, client,
        ...(o.timing !== undefined ? { timing: o.timing } : {}), ...(o.http !== undefined ? { http: o.http } : {}),
      }, session, clock, { signal: stopLoad.signal });
    }
    mark('load-start', { qps: s.load.qps, paths: s.paths.length });
    live.paths([...targets.host, ...(targets.inCluster ? [targets.inCluster] : [])]);
    live.start();
    log(`load: ${s.load.qps} requests/s on each of ${s.paths.length} path(s); rollout in ${s.rollout.after / 1000} s`);

    if (await pause(s.rollout.after, o.signal)) {
      for (let i = 1; i <= s.rollout.count; i++) {
        mark('rollout-start', { n: i, trigger: s.rollout.trigger });
        live.setPhase(`rollout ${i}/${s.rollout.count}`);
        log(`rollout ${i}/${s.rollout.count} started (${s.rollout.trigger})`);
        await apply(k, deploymentFor(s, i) as KubernetesObject);
        await waitRollout(k, s.namespace, s.workload.name, ROLLOUT_TIMEOUT_MS, o.signal);
        if (interrupted()) break;
        mark('rollout-end', { n: i });
        log(`rollout ${i}/${s.rollout.count} complete`);
        if (i < s.rollout.count && !(await pause(s.rollout.interval, o.signal))) break;
      }
      if (!interrupted()) {
        live.setPhase('cool-down');
        log(`cool-down ${s.rollout.coolDown / 1000} s`);
        await pause(s.rollout.coolDown, o.signal);
      }
    }
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
    log(`run stopped: ${error.message}`);
    if (!interrupted()) {
      // the namespace is about to go: keep what its pods said
      const text = await diagnose(k, s.namespace);
      folder.writeText('diagnostics', text);
      log(`pods at the stop (log tails in ${folder.path('diagnostics')}):\n${(text.split('\n\n')[0] ?? '').split('\n').map((l) => `  ${l}`).join('\n')}`);
    }
  }
  // Collect whatever was measured, in order: stop sending, drain, stop watching, write.
  const final = live.status();
  live.stop();
  if (events.some((e) => e.kind === 'load-start')) log(`load stopped at ${final}; collecting`);
  stopLoad.abort();
  let summaryPartial = interrupted() || error !== undefined;
  if (hostLoad) {
    const r = await hostLoad.catch((e: unknown) => {
      warn(`host load: ${(e as Error).message}`);
      return undefined;
    });
    if (r?.interrupted && interrupted()) summaryPartial = true;
  }
  if (loader) {
    loaderResult = await loader.stop().catch((e: unknown) => {
      warn(`in-cluster loader: ${(e as Error).message}`);
      return undefined;
    });
    if (loaderResult && !loaderResult.complete) {
      warn(`in-cluster loader stream incomplete: received ${loaderResult.received} of ${loaderResult.reported ?? 'unknown'} records (${loaderResult.malformed} malformed)`);
    }
  }
  if (events.some((e) => e.kind === 'load-start')) mark('load-end');
  // Give terminating pods' last log lines (exit) a moment to arrive before the streams close.
  await podLogs?.stop(3000);
  await ingressLogs?.stop();
  await consumerLogs?.stop();
  await watch?.stop();
  await cloudLb?.stop().catch((e: unknown) => warn(`cloud LB: ${(e as Error).message}`));
  for (const e of derivePreStop(events)) emit(e);
  timeline.close();
  const hostCpu = cpu.stop();
  // The ledger's trailer and summary.json (with the host CPU: on 2 cores a starved node loses requests of its own), once.
  const summary = session.close({ partial: summaryPartial, config: { scenario: s.name, variant: s.variant, load: s.load, paths: s.paths, client: s.load.client }, hostCpu });
  if (session.failure && !error) error = session.failure;
  if (!o.keep) {
    log(`deleting namespace ${s.namespace}`);
    const gone = await deleteNamespace(k, s.namespace).catch(() => false);
    if (!gone) warn(`namespace ${s.namespace} was not deleted in time; delete it with kubectl`);
  }
  const run: ScenarioRun = { dir, folder, runId, scenario: s, summary, events, targets, hostCpu, interrupted: interrupted(), warnings, nodeClocks };
  if (loaderResult) run.inCluster = loaderResult;
  if (error) run.error = error;
  return run;
}

// The scenario file: one mechanism from the seeds, its workload, the traffic paths driven at once, the
// load, the rollout, the loss budgets and a naive and a fixed variant. YAML on disk, validated by zod.
//
// Variants are blocks inside the file that override only manifest fields (the workload and each path's
// routing mode) plus their own budgets and expectation: load, rollout and cluster are shared, so two
// variants are always measured the same way. A variant that touches them is an error, not a merge.

import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { budgetsSchema, expectationSchema, type Budgets, type Expectation } from '../budgets.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_PRESET, LIMITS, PRESET_NAMES, PRESETS, type HealthCheckSettings, type PresetName } from '../lab/cloudlb/settings.ts';
import { DURATION_HELP, parseDurationMs as parseGoDurationMs } from '../duration.ts';
import { CLIENT_HELP, parseClientPolicy } from '../send/policy.ts';

/** Limits for hostile files: the catalogue's files are under 5 KiB and use no aliases. */
export const MAX_SCENARIO_BYTES = 256 * 1024;
export const MAX_ALIAS_COUNT = 100;

// ---- small value types ----

/** Scenario durations: Go-style (`500ms`, `2s`, `1m30s`, duration.ts), in whole milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const ms = parseGoDurationMs(text);
  return ms === undefined ? undefined : Math.round(ms);
}

const duration = z
  .string({ error: DURATION_HELP })
  .refine((s) => parseDurationMs(s) !== undefined, { error: DURATION_HELP })
  .transform((s) => parseDurationMs(s) as number);

/** A client policy (send/policy.ts): `none`, `go`, `browser` or `retries:N`. */
const clientPolicy = z.string({ error: CLIENT_HELP }).refine((v) => isClientPolicy(v), { error: CLIENT_HELP });

function isClientPolicy(v: string): boolean {
  try {
    parseClientPolicy('load.client', v);
    return true;
  } catch {
    return false;
  }
}

const seconds = z.number({ error: 'a whole number of seconds >= 0' }).int().min(0);

/** Kubernetes IntOrString for maxSurge / maxUnavailable: an integer >= 0 or a percentage like 25%. */
const INT_OR_PERCENT = 'an integer >= 0 or a percentage such as 25%';
const intOrPercent = z.union(
  [z.number({ error: INT_OR_PERCENT }).int({ error: INT_OR_PERCENT }).min(0, { error: INT_OR_PERCENT }), z.string().regex(/^\d{1,3}%$/, { error: INT_OR_PERCENT })],
  { error: INT_OR_PERCENT },
);

const ON_SIGTERM_RE = /^(exit|graceful|drain:\d+(?:\.\d+)?)$/;

// ---- workload ----

const readinessProbe = z.union(
  [
    z.literal('none'),
    z.strictObject({
      path: z.string().startsWith('/').default('/readyz'),
      initialDelaySeconds: seconds.default(0),
      periodSeconds: z.number().int().min(1).default(1),
      timeoutSeconds: z.number().int().min(1).default(1),
      successThreshold: z.number().int().min(1).default(1),
      failureThreshold: z.number().int().min(1).default(1),
    }),
  ],
  { error: 'none, or {path, initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold}' },
);

const preStop = z.union(
  [
    z.literal('none'),
    z.strictObject({ sleep: seconds }), // native lifecycle.preStop.sleep.seconds
    z.strictObject({ exec: seconds }), // exec ["sleep", N]: the image needs a sleep binary
    // httpGet /offline?wait=Ns: a registry provider deregisters, then holds the hook N s while consumers refresh
    z.strictObject({ offline: seconds }),
  ],
  { error: 'none, {sleep: <seconds>} (native sleep action), {exec: <seconds>} (exec sleep) or {offline: <seconds>} (registry provider: deregister, then wait)' },
);

const echoKnobs = z.strictObject({
  startupDelay: duration.optional(), // STARTUP_DELAY: before listening
  readyDelay: duration.optional(), // READY_DELAY: /readyz answers 503 until then
  warmup: duration.optional(), // WARMUP + WARMUP_DELAY: extra latency falling to 0
  warmupDelay: duration.optional(),
  // WARMUP_RPS: a cold app's capacity, growing linearly over WARMUP to this many requests/s; the excess queues
  warmupRps: z.number({ error: 'requests per second > 0' }).positive({ error: 'requests per second > 0' }).optional(),
  onSigterm: z
    .string()
    .regex(ON_SIGTERM_RE, { error: 'exit, graceful or drain:<seconds>' })
    .optional(),
  // FAIL / DELAY, fortio style: `503:5,500:1` = 503 for 5 %, 500 for 1 %; `300ms:100` = 300 ms for all.
  fail: z.string().regex(/^\d{3}:\d+(\.\d+)?(,\d{3}:\d+(\.\d+)?)*$/, { error: 'status:percent pairs such as 503:5,500:1' }).optional(),
  delay: z.string().regex(/^\d+(\.\d+)?(ms|s|m):\d+(\.\d+)?(,\d+(\.\d+)?(ms|s|m):\d+(\.\d+)?)*$/, { error: 'duration:percent pairs such as 50ms:10,1s:1' }).optional(),
});

const placement = z.strictObject({
  // Pins pods to nodes by kubernetes.io/hostname: the seed's in-place upgrade keeps a pod on the node
  // the load balancer already sends to.
  nodes: z.array(z.string().min(1)).min(1),
  mode: z.enum(['required', 'preferred']).default('preferred'),
});

/** A registry provider (workloads/registry): how the echo registers itself in the scenario's registry. */
const providerRegistration = z.strictObject({
  registerAfter: z.enum(['start', 'listening', 'ready']).default('ready'), // REGISTER_AFTER
  registerDelay: duration.prefault('0ms'), // REGISTER_DELAY, Dubbo's `delay`
  leaseTTL: z.number({ error: 'whole seconds >= 2' }).int().min(2).default(10), // LEASE_TTL
  weight: z.number().int().min(1).max(10_000).default(100), // WEIGHT
  warmup: duration.prefault('0ms'), // WEIGHT_WARMUP: advertised to consumers, Dubbo's `warmup`
  deregisterOnSigterm: z.boolean().default(false), // DEREGISTER_ON_SIGTERM
});

const workload = z.strictObject({
  name: z.string().regex(/^[a-z]([-a-z0-9]{0,40}[a-z0-9])?$/, { error: 'a DNS label (lower case, digits, -)' }).default('echo'),
  image: z.string().min(1).default('lossless/echo:dev'),
  port: z.number().int().min(1).max(65535).default(8080),
  replicas: z.number({ error: 'an integer >= 1' }).int().min(1),
  readinessProbe,
  preStop,
  terminationGracePeriodSeconds: seconds.default(30),
  strategy: z.strictObject({ maxSurge: intOrPercent, maxUnavailable: intOrPercent }),
  echo: echoKnobs.default({}),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  placement: placement.optional(),
  // Required pod anti-affinity by hostname: no two of its pods on one node, so a surge pod lands on another
  // node than the pod it replaces (the seed's "new Pod is scheduled to other nodes").
  spreadNodes: z.boolean().default(false),
  /** Present: the pods are registry providers (the `registry` path reaches them through a consumer). */
  registry: providerRegistration.optional(),
});

/** The consumer the `registry` path drives (workloads/registry/consumer.ts). */
const consumer = z.strictObject({
  refresh: z.enum(['watch', 'poll']).default('watch'), // REFRESH
  pollInterval: duration.prefault('5s'), // POLL_INTERVAL
  upstreamTimeout: duration.prefault('3s'), // UPSTREAM_TIMEOUT
  emptyProtection: z.boolean().default(true), // EMPTY_PROTECTION
  retries: z.number().int().min(0).max(5).default(0), // RETRIES: failover to another provider
});

// ---- traffic paths ----

// The cloud provider's health check (harness/src/lab/cloudlb/settings.ts): a preset named after a public
// default, each field overriding it. Ranges as settings.ts LIMITS.
const msIn = (min: number, max: number) =>
  duration.refine((ms) => ms >= min && ms <= max, { error: `a duration from ${min}ms to ${max / 1000}s` });
const healthCheck = z.strictObject({
  preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]).default(DEFAULT_PRESET),
  interval: msIn(LIMITS.intervalMs.min, LIMITS.intervalMs.max).optional(),
  unhealthyThreshold: z.number().int().min(LIMITS.unhealthyThreshold.min).max(LIMITS.unhealthyThreshold.max).optional(),
  healthyThreshold: z.number().int().min(LIMITS.healthyThreshold.min).max(LIMITS.healthyThreshold.max).optional(),
  timeout: msIn(LIMITS.timeoutMs.min, LIMITS.timeoutMs.max).optional(),
  drain: duration.refine((ms) => ms <= LIMITS.drainMs.max, { error: `a duration up to ${LIMITS.drainMs.max / 1000}s` }).optional(),
});
const lbPath = z
  .strictObject({
    type: z.literal('lb'),
    externalTrafficPolicy: z.enum(['Local', 'Cluster']),
    // metallb: the lab's L2 announcement (default); cloud: a health-checking proxy per Service with node backends
    provider: z.enum(['metallb', 'cloud']).default('metallb'),
    healthCheck: healthCheck.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.healthCheck !== undefined && p.provider !== 'cloud') {
      ctx.addIssue({ code: 'custom', path: ['healthCheck'], input: p.healthCheck, message: 'nothing unless provider is cloud (MetalLB has no health check)' });
    }
  });
// controller: nginx = NGINX Inc's kubernetes-ingress (reloads nginx on endpoint changes), ingress-nginx = the
// community controller (endpoints updated in nginx's Lua, no reload), traefik.
const ingressPath = z.strictObject({
  type: z.literal('ingress'),
  controller: z.enum(['nginx', 'ingress-nginx', 'traefik']),
  upstream: z.enum(['pod-ip', 'cluster-ip']),
});
// Gateway API: the runner creates a Gateway (the controller's GatewayClass, the lab's `traefik`) and an HTTPRoute
// to the path's Service; upstream as on an ingress path (cluster-ip: Traefik's traefik.io/service.nativelb).
const gatewayPath = z.strictObject({
  type: z.literal('gateway'),
  controller: z.enum(['traefik']),
  upstream: z.enum(['pod-ip', 'cluster-ip']),
});
const clusterIpPath = z.strictObject({ type: z.literal('clusterip') });
// The microservice path: host -> the consumer's LoadBalancer Service -> a provider picked from the registry.
const registryPath = z.strictObject({ type: z.literal('registry') });
const path = z.discriminatedUnion('type', [lbPath, ingressPath, gatewayPath, clusterIpPath, registryPath], {
  error: 'a path with type lb, ingress, gateway, clusterip or registry',
});

const pathName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'a short lower-case name (a-z, 0-9, -)' });

// ---- load, rollout, budgets ----

const load = z.strictObject({
  qps: z.number().positive(), // per path, as `lossless load --qps`
  connections: z.number().int().min(1).default(64),
  keepalive: z.boolean().default(true),
  timeout: duration.prefault('5s'),
  arrivals: z.enum(['uniform', 'poisson']).default('uniform'),
  maxInFlight: z.number().int().min(1).optional(),
  // Wait this long after the workload is ready before sending (pods with a cold period warm up first).
  startAfter: duration.prefault('0ms'),
  // Which failed requests are sent again, as the client modelled would (send/policy.ts): none (the wire
  // truth), go, browser, retries:N. Every attempt is in the ledger; the verdict shows both loss figures.
  client: clientPolicy.default('none'),
});

const rollout = z.strictObject({
  trigger: z.enum(['restart', 'image', 'env', 'scale']),
  count: z.number().int().min(1).default(1),
  after: duration.prefault('10s'), // from load start to the first rollout
  interval: duration.prefault('5s'), // from one rollout's end to the next one's start
  coolDown: duration.prefault('10s'), // load keeps running after the last rollout ends
  image: z.string().min(1).optional(), // trigger image: alternates between workload.image and this
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name' }), z.string()).optional(), // trigger env: applied on top of a counter variable
  replicas: z.number().int().min(0).optional(), // trigger scale: the replica count each rollout sets (a scale-out shows warm-up)
});

const budgets = budgetsSchema;
const expectation = expectationSchema;

// ---- variants: only manifest fields, budgets and expectation ----

const workloadOverride = workload.partial().extend({
  echo: echoKnobs.optional(),
  registry: providerRegistration.partial().optional(),
  strategy: z.strictObject({ maxSurge: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() }).optional(),
});
const pathOverride = z.strictObject({
  externalTrafficPolicy: z.enum(['Local', 'Cluster']).optional(),
  provider: z.enum(['metallb', 'cloud']).optional(),
  healthCheck: z.record(z.string(), z.unknown()).optional(), // checked on the merged path
  upstream: z.enum(['pod-ip', 'cluster-ip']).optional(),
});
const variant = z.strictObject({
  description: z.string().optional(),
  workload: workloadOverride.optional(),
  paths: z.record(pathName, pathOverride).optional(),
  consumer: consumer.partial().optional(),
  budgets: budgets.optional(),
  expect: expectation.optional(),
});

/** Keys a variant may not touch, and why (a variant compares manifests under identical load). */
const SHARED_KEYS = ['load', 'rollout', 'cluster', 'namespace', 'name', 'seed'] as const;

const seed = z.strictObject({
  file: z.string().min(1),
  quote: z.string().min(1),
});

export const scenarioFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,50}$/, { error: 'a lower-case name (a-z, 0-9, -)' }),
  description: z.string().min(1),
  seed,
  cluster: z.string().min(1).default('lab'), // `lab` or an existing kube context name
  namespace: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/).optional(),
  workload,
  paths: z.record(pathName, path).refine((p) => Object.keys(p).length > 0, { error: 'at least one path' }),
  consumer: consumer.optional(),
  load,
  rollout,
  budgets: budgets.default({}),
  expect: expectation.optional(),
  variants: z
    .looseObject({ default: z.string({ error: 'the name of the variant run when none is given' }) })
    .refine((v) => Object.keys(v).length > 1, { error: 'at least one variant block besides default' }),
}).superRefine((f, ctx) => {
  // The API server rejects a native sleep that is not shorter than the grace period (seen on the lab:
  // 422 "must be non-negative and less than terminationGracePeriodSeconds"); say so before deploying.
  const ps = f.workload.preStop;
  if (ps !== 'none' && 'sleep' in ps && ps.sleep >= f.workload.terminationGracePeriodSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['workload', 'preStop', 'sleep'],
      input: ps.sleep,
      message: `less than terminationGracePeriodSeconds (${f.workload.terminationGracePeriodSeconds}): Kubernetes rejects a longer native sleep; to model a grace period shorter than preStop use {exec: ${ps.sleep}}`,
    });
  }
  const registryPaths = Object.entries(f.paths).filter(([, p]) => p.type === 'registry');
  if (registryPaths.length > 0 && f.workload.registry === undefined) {
    ctx.addIssue({ code: 'custom', path: ['workload', 'registry'], input: undefined, message: `a registry block ({registerAfter, registerDelay, leaseTTL, weight, warmup}): path ${registryPaths[0]![0]} is type registry, so the pods must register` });
  }
  if (registryPaths.length > 1) {
    ctx.addIssue({ code: 'custom', path: ['paths', registryPaths[1]![0]], input: registryPaths[1]![1], message: 'one registry path per scenario (one consumer)' });
  }
  if (f.workload.registry !== undefined && Object.values(f.paths).some((p) => p.type !== 'registry')) {
    ctx.addIssue({ code: 'custom', path: ['paths'], input: Object.keys(f.paths), message: 'only registry paths: registry providers are reached through the consumer, not through Services' });
  }
  if (ps !== 'none' && 'offline' in ps && f.workload.registry === undefined) {
    ctx.addIssue({ code: 'custom', path: ['workload', 'preStop', 'offline'], input: ps.offline, message: 'a workload with a registry block: /offline is the provider\'s deregistration endpoint' });
  }
  if (ps !== 'none' && 'offline' in ps && ps.offline >= f.workload.terminationGracePeriodSeconds) {
    ctx.addIssue({ code: 'custom', path: ['workload', 'preStop', 'offline'], input: ps.offline, message: `less than terminationGracePeriodSeconds (${f.workload.terminationGracePeriodSeconds}): the kubelet kills the pod at the grace deadline` });
  }
  if (f.consumer !== undefined && registryPaths.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['consumer'], input: f.consumer, message: 'nothing: consumer configures the registry path, and no path has type registry' });
  }
  if (f.rollout.trigger === 'scale' && f.rollout.replicas === undefined) {
    ctx.addIssue({ code: 'custom', path: ['rollout', 'replicas'], input: undefined, message: 'the replica count each rollout sets (trigger: scale needs one)' });
  }
});

export type ScenarioFile = z.output<typeof scenarioFileSchema>;
export type Workload = z.output<typeof workload>;
export type PathSpec = z.output<typeof path>;
export type LoadSpec = z.output<typeof load>;
export type RolloutSpec = z.output<typeof rollout>;
export type PreStop = Workload['preStop'];
export type ConsumerSpec = z.output<typeof consumer>;
export type ProviderRegistration = z.output<typeof providerRegistration>;
export type ReadinessProbe = Workload['readinessProbe'];

/** A scenario with one variant applied: what the runner deploys and measures. */
export interface Scenario {
  file: string;
  name: string;
  description: string;
  seed: { file: string; quote: string };
  cluster: string;
  namespace: string;
  variant: string;
  variants: string[];
  variantDescription?: string;
  workload: Workload;
  paths: Array<PathSpec & { name: string }>;
  /** The registry path's consumer (defaults filled in) when a path has type registry. */
  consumer?: ConsumerSpec;
  load: LoadSpec;
  rollout: RolloutSpec;
  budgets: Budgets;
  expect?: Expectation;
}

// ---- errors ----

export interface ScenarioIssue {
  path: string; // e.g. variants.naive.workload.preStop
  value: unknown;
  allowed: string;
}

/** Bad scenario input: the CLI prints `message` and exits with `exitCode` (2). */
export class ScenarioError extends UsageError {
  constructor(
    readonly file: string,
    readonly issues: ScenarioIssue[],
  ) {
    super(
      issues
        .map((i) => `${file}: ${i.path || '(top level)'}: got ${show(i.value)}; allowed: ${i.allowed}`)
        .join('\n'),
    );
    this.name = 'ScenarioError';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  // JSON has no Infinity or NaN (YAML's .inf, .nan, 1e400): JSON.stringify would print them as null
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function toIssues(error: z.ZodError, input: unknown, prefix: string[]): ScenarioIssue[] {
  return error.issues.map((issue) => {
    const keys = issue.path.map(String);
    const full = [...prefix, ...keys];
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      return { path: [...full, key].join('.'), value: valueAt(input, [...issue.path, key]), allowed: 'no such field here (check spelling and nesting)' };
    }
    let allowed = issue.message;
    if (issue.code === 'invalid_value') allowed = `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    // `positive()` is an exclusive minimum: 0 itself is refused, so say "> 0", not ">= 0"
    else if (issue.code === 'too_small') allowed = `${issue.origin === 'array' ? 'at least' : issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    else if (issue.code === 'too_big') allowed = `<= ${String(issue.maximum)}`;
    else if (issue.code === 'invalid_type') allowed = allowed.startsWith('Invalid input') ? (issue.expected === 'number' ? 'a finite number' : `a ${issue.expected}`) : allowed;
    else if (issue.code === 'invalid_format' && allowed.startsWith('Invalid')) allowed = `a string matching ${issue.format === 'regex' ? String((issue as { pattern?: string }).pattern) : issue.format}`;
    return { path: full.join('.'), value: valueAt(input, issue.path), allowed };
  });
}

// ---- resolution ----

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Fields whose value is one of several shapes: a variant's value replaces the base's, never merges into it. */
const REPLACED = new Set(['preStop', 'readinessProbe']);
const CONSUMER_DEFAULTS = {};

/** Deep merge of plain objects; arrays, scalars and REPLACED fields in `over` replace. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = REPLACED.has(k) ? v : merge(base[k], v);
  return out;
}

/** The manifest fields of a variant block, as the merge takes them (absent keys stay absent). */
function overrideOf(block: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['workload', 'paths', 'consumer']) if (block[k] !== undefined) out[k] = block[k];
  return out;
}

/**
 * Validates a parsed scenario document and applies one variant (the file's default when none is
 * given). Throws ScenarioError naming every bad field.
 */
export function resolveScenario(doc: unknown, file: string, variantName?: string): Scenario {
  const parsed = scenarioFileSchema.safeParse(doc);
  if (!parsed.success) throw new ScenarioError(file, toIssues(parsed.error, doc, []));
  const base = parsed.data;
  const raw = doc as Record<string, unknown>;
  const rawVariants = raw.variants as Record<string, unknown>;
  const names = Object.keys(rawVariants).filter((k) => k !== 'default');

  const issues: ScenarioIssue[] = [];
  if (!names.includes(base.variants.default)) {
    issues.push({ path: 'variants.default', value: base.variants.default, allowed: `one of the variant blocks: ${names.join(', ')}` });
  }
  const rawBase = { workload: raw.workload, paths: raw.paths, consumer: raw.consumer };
  const applied = new Map<string, z.output<typeof variant>>();
  for (const name of names) {
    const block = rawVariants[name];
    const at = ['variants', name];
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) issues.push({ path: at.join('.'), value: name, allowed: 'a variant name in lower case (a-z, 0-9, -)' });
    if (!isPlainObject(block)) {
      issues.push({ path: at.join('.'), value: block, allowed: 'a block with workload, paths, budgets, expect or description' });
      continue;
    }
    for (const key of SHARED_KEYS) {
      if (key in block) {
        issues.push({
          path: [...at, key].join('.'),
          value: block[key],
          allowed: `nothing: ${key} is shared by every variant (variants may change only workload, paths' externalTrafficPolicy/upstream, consumer, budgets and expect)`,
        });
      }
    }
    const stripped = Object.fromEntries(Object.entries(block).filter(([k]) => !(SHARED_KEYS as readonly string[]).includes(k)));
    const v = variant.safeParse(stripped);
    if (!v.success) {
      issues.push(...toIssues(v.error, stripped, at));
      continue;
    }
    for (const p of Object.keys(v.data.paths ?? {})) {
      const basePath = base.paths[p];
      const over = v.data.paths?.[p];
      if (!basePath) {
        issues.push({ path: [...at, 'paths', p].join('.'), value: over, allowed: `one of the scenario's paths: ${Object.keys(base.paths).join(', ')}` });
        continue;
      }
      if (over?.externalTrafficPolicy !== undefined && basePath.type !== 'lb') {
        issues.push({ path: [...at, 'paths', p, 'externalTrafficPolicy'].join('.'), value: over.externalTrafficPolicy, allowed: `nothing: path ${p} is ${basePath.type}, not lb` });
      }
      for (const key of ['provider', 'healthCheck'] as const) {
        if (over?.[key] !== undefined && basePath.type !== 'lb') {
          issues.push({ path: [...at, 'paths', p, key].join('.'), value: over[key], allowed: `nothing: path ${p} is ${basePath.type}, not lb` });
        }
      }
      if (over?.upstream !== undefined && basePath.type !== 'ingress' && basePath.type !== 'gateway') {
        issues.push({ path: [...at, 'paths', p, 'upstream'].join('.'), value: over.upstream, allowed: `nothing: path ${p} is ${basePath.type}, not ingress or gateway` });
      }
    }
    applied.set(name, v.data);
    // The merged result must be a valid scenario too (e.g. an override that empties a required field).
    const mergedDoc = { ...raw, ...(merge(rawBase, overrideOf(block)) as object) };
    const mergedCheck = scenarioFileSchema.safeParse(mergedDoc);
    if (!mergedCheck.success) issues.push(...toIssues(mergedCheck.error, mergedDoc, at.concat('(merged)')));
  }
  if (issues.length > 0) throw new ScenarioError(file, issues);

  const chosen = variantName ?? base.variants.default;
  const block = applied.get(chosen);
  if (!block) {
    throw new ScenarioError(file, [{ path: '--variant', value: chosen, allowed: `one of ${names.join(', ')}` }]);
  }
  const rawBlock = rawVariants[chosen] as Record<string, unknown>;
  const merged = scenarioFileSchema.parse({
    ...raw,
    ...(merge(rawBase, overrideOf(rawBlock)) as object),
  });
  const scenario: Scenario = {
    file,
    name: merged.name,
    description: merged.description,
    seed: merged.seed,
    cluster: merged.cluster,
    namespace: merged.namespace ?? `lossless-${merged.name}`.slice(0, 63),
    variant: chosen,
    variants: names,
    workload: merged.workload,
    paths: Object.entries(merged.paths).map(([name, spec]) => ({ name, ...spec })),
    load: merged.load,
    rollout: merged.rollout,
    budgets: { ...merged.budgets, ...(block.budgets ?? {}) },
  };
  if (block.description !== undefined) scenario.variantDescription = block.description;
  if (scenario.paths.some((p) => p.type === 'registry')) scenario.consumer = merged.consumer ?? consumer.parse(CONSUMER_DEFAULTS);
  const expect = block.expect ?? merged.expect;
  if (expect !== undefined) scenario.expect = expect;
  if (merged.rollout.trigger === 'image' && merged.rollout.image === undefined) {
    throw new ScenarioError(file, [{ path: 'rollout.image', value: undefined, allowed: 'an image to alternate with workload.image (trigger: image needs one)' }]);
  }
  return scenario;
}

/** Reads, parses and resolves a scenario file. YAML syntax errors are ScenarioErrors too (exit 2). */
export async function loadScenario(path: string, variantName?: string): Promise<Scenario> {
  let text: string;
  try {
    // refused before reading: a 50 MB file took 12 s and 2 GB to parse before the schema said no
    const size = (await stat(path)).size;
    if (size > MAX_SCENARIO_BYTES) {
      throw new ScenarioError(path, [{ path: '(file)', value: `${size} bytes`, allowed: `a scenario file of at most ${MAX_SCENARIO_BYTES / 1024} KiB` }]);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ScenarioError(path, [{ path: '(file)', value: path, allowed: `a readable scenario file (${code})` }]);
  }
  return parseScenario(text, path, variantName);
}

/** Parses YAML text and resolves it; `file` names the source in messages. */
export function parseScenario(text: string, file: string, variantName?: string): Scenario {
  if (text.length > MAX_SCENARIO_BYTES) {
    throw new ScenarioError(file, [{ path: '(file)', value: `${text.length} characters`, allowed: `a scenario file of at most ${MAX_SCENARIO_BYTES / 1024} KiB` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => ({ path: `(yaml line ${e.linePos?.[0]?.line ?? '?'})`, value: e.code, allowed: e.message.split('\n')[0] ?? 'valid YAML' })),
    );
  }
  let js: unknown;
  try {
    // a few aliases are fine; an alias of aliases ("billion laughs") expands exponentially
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ScenarioError(file, [{ path: '(yaml aliases)', value: err instanceof Error ? err.message : String(err), allowed: `at most ${MAX_ALIAS_COUNT} alias expansions (*name)` }]);
  }
  const scenario = resolveScenario(js, file, variantName);
  const stem = basename(file).replace(/\.ya?ml$/, '');
  if (stem !== scenario.name && /\.ya?ml$/.test(file)) {
    throw new ScenarioError(file, [{ path: 'name', value: scenario.name, allowed: `the file's name without extension (${stem})` }]);
  }
  return scenario;
}

/** A cloud LB path's health-check settings: its preset, each given field overriding it. */
export function healthCheckSettings(hc: z.output<typeof healthCheck> | undefined): HealthCheckSettings {
  const base = PRESETS[hc?.preset ?? DEFAULT_PRESET];
  return {
    intervalMs: hc?.interval ?? base.intervalMs,
    unhealthyThreshold: hc?.unhealthyThreshold ?? base.unhealthyThreshold,
    healthyThreshold: hc?.healthyThreshold ?? base.healthyThreshold,
    timeoutMs: hc?.timeout ?? base.timeoutMs,
    drainMs: hc?.drain ?? base.drainMs,
  };
}

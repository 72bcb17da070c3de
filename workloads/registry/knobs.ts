// The registry workloads' knobs from environment variables, validated like echo's: a bad value throws a
// KnobError naming the variable, the value and what is allowed (the entries exit 2 on it).
import { networkInterfaces } from 'node:os';
import { KnobError, parseDurationMs } from '../echo/knobs.ts';

export type RegisterAfter = 'start' | 'listening' | 'ready';

export interface RegistryKnobs {
  registryUrl: string;
  prefix: string;
  service: string;
}

export interface ProviderKnobs extends RegistryKnobs {
  podIp: string;
  registerAfter: RegisterAfter;
  registerDelayMs: number;
  leaseTtl: number;
  weight: number;
  /** WEIGHT_WARMUP: the warm-up advertised to consumers (Dubbo's `warmup`); unset = echo's WARMUP. */
  advertisedWarmupMs?: number;
  deregisterOnSigterm: boolean;
}

export interface ConsumerKnobs extends RegistryKnobs {
  port: number;
  pod: string;
  refresh: 'watch' | 'poll';
  pollIntervalMs: number;
  upstreamTimeoutMs: number;
  emptyProtection: boolean;
  retries: number;
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], dflt: T): T {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new KnobError(`${name}='${v}': expected ${allowed.join(' or ')}`);
  return v as T;
}

function int(env: Env, name: string, min: number, max: number, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new KnobError(`${name}='${v}': expected an integer ${min}-${max}`);
  return n;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  return oneOf(env, name, ['true', 'false'], dflt ? 'true' : 'false') === 'true';
}

function duration(env: Env, name: string, dflt: number): number {
  const v = env[name];
  return v === undefined || v === '' ? dflt : parseDurationMs(name, v);
}

function registry(env: Env): RegistryKnobs {
  const url = env.REGISTRY_URL;
  if (!url) throw new KnobError(`REGISTRY_URL is required: the etcd client URL, e.g. http://registry:2379`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KnobError(`REGISTRY_URL='${url}': expected an http:// URL such as http://registry:2379`);
  }
  if (u.protocol !== 'http:') throw new KnobError(`REGISTRY_URL='${url}': expected an http:// URL such as http://registry:2379`);
  const prefix = env.REGISTRY_PREFIX || '/lossless/providers/';
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new KnobError(`REGISTRY_PREFIX='${prefix}': expected a path starting and ending with '/'`);
  const service = env.SERVICE || 'echo';
  if (!/^[A-Za-z0-9._-]+$/.test(service)) throw new KnobError(`SERVICE='${service}': expected letters, digits, '.', '_' or '-'`);
  return { registryUrl: url, prefix, service };
}

/** First non-internal IPv4 address: POD_IP's fallback outside Kubernetes. */
export function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function providerKnobsFromEnv(env: Env): ProviderKnobs {
  const podIp = env.POD_IP || firstIPv4();
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(podIp) && !podIp.includes(':')) throw new KnobError(`POD_IP='${podIp}': expected an IP address`);
  return {
    ...registry(env),
    podIp,
    registerAfter: oneOf(env, 'REGISTER_AFTER', ['start', 'listening', 'ready'] as const, 'ready'),
    registerDelayMs: duration(env, 'REGISTER_DELAY', 0),
    leaseTtl: int(env, 'LEASE_TTL', 2, 9_000_000_000, 10),
    weight: int(env, 'WEIGHT', 1, 10_000, 100),
    // the app's cold period (WARMUP) and what it tells consumers may differ: the naive case advertises none
    ...(env.WEIGHT_WARMUP !== undefined && env.WEIGHT_WARMUP !== '' ? { advertisedWarmupMs: duration(env, 'WEIGHT_WARMUP', 0) } : {}),
    deregisterOnSigterm: bool(env, 'DEREGISTER_ON_SIGTERM', false),
  };
}

export function consumerKnobsFromEnv(env: Env, hostname: string): ConsumerKnobs {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KnobError(`PORT='${env.PORT}': expected 0-65535 (0 = any free port)`);
  const pollIntervalMs = duration(env, 'POLL_INTERVAL', 5000);
  if (pollIntervalMs <= 0) throw new KnobError(`POLL_INTERVAL='${env.POLL_INTERVAL}': expected a duration above 0, e.g. 5s`);
  const upstreamTimeoutMs = duration(env, 'UPSTREAM_TIMEOUT', 3000);
  if (upstreamTimeoutMs <= 0) throw new KnobError(`UPSTREAM_TIMEOUT='${env.UPSTREAM_TIMEOUT}': expected a duration above 0, e.g. 3s`);
  return {
    ...registry(env),
    port,
    pod: env.POD_NAME || hostname,
    refresh: oneOf(env, 'REFRESH', ['watch', 'poll'] as const, 'watch'),
    pollIntervalMs,
    upstreamTimeoutMs,
    emptyProtection: bool(env, 'EMPTY_PROTECTION', true),
    retries: int(env, 'RETRIES', 0, 5, 0),
  };
}

export { KnobError };

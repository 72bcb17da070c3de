// The registry consumer's JSON log lines -> timeline events (workloads/registry/README.md). Two views:
// what the registry did (`registry-change`, seen on the consumer's own watch: ms after etcd acted) and
// what the consumer's routing list held (`consumer-list`, after its watch or poll caught up). The gap
// between the two is the consumer's cache lag; the gap from a provider's SIGTERM to the first is the
// registry's.

import { epochMsToRunNs, type LifecycleEvent, lifecycleEvent, type LifecycleKind, type RunClock } from '../record.ts';

function scalarDetail(o: Record<string, unknown>, skip: readonly string[]): Record<string, string | number | boolean> {
  const d: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(o)) {
    if (skip.includes(k)) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') d[k] = v;
  }
  return d;
}

/** Splits a comma-joined provider list (`"a,b"`, `""`). */
export function providerList(v: string | number | boolean | undefined): string[] {
  return typeof v === 'string' && v !== '' ? v.split(',') : [];
}

/**
 * One consumer log line -> one LifecycleEvent, or undefined for other lines. `registry-change` events name
 * the provider as their pod (source `registry`), with the consumer that saw it in detail.consumer; list
 * events name the consumer (source `consumer`).
 */
export function parseConsumerLine(line: string, clock: RunClock, podFallback?: string): LifecycleEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let o: Record<string, unknown>;
  try {
    const raw: unknown = JSON.parse(text);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    o = raw as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o.event !== 'string' || typeof o.at !== 'number' || !Number.isFinite(o.at)) return undefined;
  const consumer = typeof o.pod === 'string' && o.pod ? o.pod : podFallback;
  const at = epochMsToRunNs(clock, o.at);
  if (o.event === 'registry-change') {
    if (typeof o.provider !== 'string' || o.provider === '') return undefined;
    const kind: LifecycleKind = o.op === 'put' ? 'registry-register' : o.reason === 'expired' ? 'registry-expire' : 'registry-deregister';
    const detail = scalarDetail(o, ['event', 'at', 'pod', 'provider']);
    if (consumer) detail.consumer = consumer;
    return lifecycleEvent({ at, source: 'registry', kind, pod: o.provider, detail });
  }
  const kinds: Record<string, LifecycleKind> = {
    'consumer-list': 'consumer-list',
    'empty-protection': 'consumer-list',
    'registry-disconnected': 'registry-disconnected',
    'registry-resubscribed': 'registry-resubscribed',
  };
  const kind = kinds[o.event];
  if (!kind) return undefined;
  const detail = scalarDetail(o, ['event', 'at', 'pod']);
  if (o.event === 'empty-protection') {
    // the list did not change: the registry came back empty and the consumer kept what it had
    detail.reason = 'empty-protection';
    detail.providers = typeof o.kept === 'string' ? o.kept : '';
    detail.added = '';
    detail.removed = '';
  }
  return lifecycleEvent({ at, source: 'consumer', kind, detail, ...(consumer ? { pod: consumer } : {}) });
}

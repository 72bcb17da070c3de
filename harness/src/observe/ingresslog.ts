// Routing-layer changes from the ingress controllers' own logs, so the lag from an endpoint change to the
// proxy acting on it is measured rather than guessed.
//
// NGINX kubernetes-ingress (NIC) rewrites the config and reloads nginx on every endpoint change. Two
// lines mark a reload:
//   - the controller, at debug level (-v=3 / -log-level=debug), glog format:
//       I1123 01:02:03.123456   1 manager.go:292] Reloading nginx with configVersion: 7   (NIC 1.x; 5.x: I20261123 ...)
//     or with -log-format=json: {"time":"2026-11-23T01:02:03.123456Z","level":"DEBUG","msg":"Reloading nginx with configVersion: 7"}
//   - nginx's master process, at the default notice level, when it gets the reload signal:
//       2026/11/23 01:02:03 [notice] 14#14: signal 1 (SIGHUP) received from 31, reconfiguring
// Traefik does not reload: it swaps its dynamic configuration, logged at debug level as
//   2026-11-23T01:02:03Z DBG github.com/traefik/traefik/v3/pkg/server/configurationwatcher.go:227 > Configuration received config=... providerName=kubernetes
//   or JSON {"level":"debug","providerName":"kubernetes","message":"Configuration received","time":"..."}
// -> `ingress-upstreams`. One Traefik runs both the Ingress provider (providerName=kubernetes) and the Gateway
// API one (providerName=kubernetesgateway): controller `traefik` takes the first's swaps, `traefik-gateway` the
// second's, so an ingress path and a gateway path each see only the changes of their own routes.
//
// ingress-nginx (the community controller) changes upstream endpoints inside nginx: it POSTs the backends to
// its Lua (no reload) and reloads only for what Lua cannot take (a new host, path, annotation). Its controller
// logs, glog format (klog, -v=2):
//   I1203 08:10:11.123456       7 controller.go:239] Dynamic reconfiguration succeeded.     -> `ingress-upstreams`
//   I1203 08:10:11.123456       7 controller.go:213] "Backend successfully reloaded"        -> `ingress-reload`
// (nginx's own SIGHUP notice is in the same pod log; the controller's line is taken alone, to the microsecond.)
//
// `at` is the line's own time when it has sub-second precision (NIC's glog/JSON), else the time the
// harness received the line: nginx and Traefik log whole seconds.

import { epochMsToRunNs, type LifecycleEvent, type RunClock, runNsToEpochMs } from '../record.ts';

export type IngressController = 'nginx' | 'ingress-nginx' | 'traefik' | 'traefik-gateway';

/** Whether a Traefik provider's swap belongs to this controller's routes. */
function traefikProvider(controller: IngressController, provider: string): boolean {
  if (controller === 'traefik-gateway') return provider === 'kubernetesgateway';
  return provider.startsWith('kubernetes') && provider !== 'kubernetesgateway';
}

// glog: NIC 1.x prints `I1123 02:10:11.123456` (month and day, no year); NIC 5.x `I20261123 ...`.
const NIC_GLOG = /^[IWEF](\d{4})?(\d{2})(\d{2}) (\d{2}:\d{2}:\d{2}\.\d+)\s+\d+\s+\S+\]\s.*Reloading nginx with configVersion: (\d+)/;
const NIC_MSG = /Reloading nginx with configVersion: (\d+)/;
const NGINX_HUP = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2}) \[notice\] \d+#\d+: signal 1 \(SIGHUP\) received/;
const KLOG = /^[IWEF](\d{4})?(\d{2})(\d{2}) (\d{2}:\d{2}:\d{2}\.\d+)\s+\d+\s+\S+\]\s+(.*)$/;
const TRAEFIK_TEXT = /Configuration received.*providerName=(\S+)/;

/** A glog stamp in UTC; without a year, the year that puts it nearest the time the line was received. */
function glogEpochMs(year: string | undefined, month: string, day: string, time: string, receivedMs: number): number {
  if (year) return Date.parse(`${year}-${month}-${day}T${time}Z`);
  const y = new Date(receivedMs).getUTCFullYear();
  const candidates = [y - 1, y, y + 1].map((yy) => Date.parse(`${yy}-${month}-${day}T${time}Z`)).filter((t) => !Number.isNaN(t));
  let best = Number.NaN;
  for (const t of candidates) if (Number.isNaN(best) || Math.abs(t - receivedMs) < Math.abs(best - receivedMs)) best = t;
  return best;
}

function jsonOf(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One controller log line -> an ingress-reload / ingress-upstreams event, or undefined.
 * `receivedAt` is the run-clock time the harness read the line; `pod` names the controller pod.
 */
export function parseIngressLine(line: string, controller: IngressController, receivedAt: number, clock: RunClock, pod?: string): LifecycleEvent | undefined {
  const text = line.trim();
  const ev = (kind: 'ingress-reload' | 'ingress-upstreams', at: number, detail: Record<string, string | number | boolean>): LifecycleEvent => {
    const e: LifecycleEvent = { at, source: 'ingress', kind, detail: { controller, ...detail } };
    if (pod) e.pod = pod;
    return e;
  };
  if (controller === 'ingress-nginx') {
    const k = KLOG.exec(text);
    if (!k) return undefined;
    const msg = k[5] as string;
    const kind = msg.includes('Dynamic reconfiguration succeeded') ? 'ingress-upstreams' : msg.includes('Backend successfully reloaded') ? 'ingress-reload' : undefined;
    if (!kind) return undefined;
    const epoch = glogEpochMs(k[1], k[2] as string, k[3] as string, k[4] as string, runNsToEpochMs(clock, receivedAt));
    return ev(kind, Number.isNaN(epoch) ? receivedAt : epochMsToRunNs(clock, epoch), { line: kind === 'ingress-reload' ? 'reload' : 'dynamic' });
  }
  if (controller === 'nginx') {
    const g = NIC_GLOG.exec(text);
    if (g) {
      const epoch = glogEpochMs(g[1], g[2] as string, g[3] as string, g[4] as string, runNsToEpochMs(clock, receivedAt));
      return ev('ingress-reload', Number.isNaN(epoch) ? receivedAt : epochMsToRunNs(clock, epoch), { configVersion: Number(g[5]), line: 'controller' });
    }
    const j = jsonOf(text);
    const msg = typeof j?.msg === 'string' ? NIC_MSG.exec(j.msg) : null;
    if (j && msg) {
      const epoch = typeof j.time === 'string' ? Date.parse(j.time) : Number.NaN;
      return ev('ingress-reload', Number.isNaN(epoch) ? receivedAt : epochMsToRunNs(clock, epoch), { configVersion: Number(msg[1]), line: 'controller' });
    }
    if (NGINX_HUP.test(text)) return ev('ingress-reload', receivedAt, { line: 'nginx-master' });
    return undefined;
  }
  const j = jsonOf(text);
  if (j) {
    if (j.message === 'Configuration received' && (j.providerName === undefined ? controller === 'traefik' : traefikProvider(controller, String(j.providerName)))) {
      return ev('ingress-upstreams', receivedAt, { provider: String(j.providerName ?? '') });
    }
    return undefined;
  }
  const t = TRAEFIK_TEXT.exec(text);
  if (t?.[1] !== undefined && traefikProvider(controller, t[1])) return ev('ingress-upstreams', receivedAt, { provider: t[1] });
  return undefined;
}

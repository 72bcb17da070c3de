// One HAProxy configuration per LoadBalancer Service, and the HAProxy log lines that say a backend changed
// state. Pure: the controller (controller.ts) feeds it what the API says and writes what it returns.
import type { HealthCheckSettings } from './settings.ts';

export interface LbBackend {
  /** Node name: the server's name in HAProxy, so its log lines name the node. */
  node: string;
  /** The node's InternalIP. */
  ip: string;
}

export interface LbPort {
  /** Service port (the listener). */
  port: number;
  nodePort: number;
}

export interface LbSpec {
  /** namespace/name of the Service. */
  service: string;
  ports: readonly LbPort[];
  backends: readonly LbBackend[];
  /** healthCheckNodePort under externalTrafficPolicy Local, kube-proxy's 10256 under Cluster. */
  healthPort: number;
  settings: HealthCheckSettings;
}

/** kube-proxy's own health endpoint (--healthz-bind-address default 0.0.0.0:10256). */
export const KUBE_PROXY_HEALTH_PORT = 10256;

/** The health port a cloud LB checks, as cloud-provider-kind and the cloud providers choose it. */
export function healthPortOf(externalTrafficPolicy: string | undefined, healthCheckNodePort: number | undefined): number {
  return externalTrafficPolicy === 'Local' && healthCheckNodePort ? healthCheckNodePort : KUBE_PROXY_HEALTH_PORT;
}

export function renderConfig(lb: LbSpec): string {
  const s = lb.settings;
  const lines = [
    `# ${lb.service}: written by the lossless cloud LB controller`,
    'global',
    // no log target: the state changes reach stderr as warnings ("[WARNING]  (8) : Server p80/node is
    // DOWN, ...", 2.6 in foreground mode), and traffic is not logged
    // an old process still serving connections after a reload stops this long after it (the drain)
    `  hard-stop-after ${Math.max(1, s.drainMs)}ms`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
    `  timeout check ${s.timeoutMs}ms`,
  ];
  for (const p of lb.ports) {
    lines.push(
      `listen p${p.port}`,
      `  bind :${p.port}`,
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  http-check expect status 200',
      `  default-server check port ${lb.healthPort} inter ${s.intervalMs}ms fall ${s.unhealthyThreshold} rise ${s.healthyThreshold}` +
        (s.drainMs === 0 ? ' on-marked-down shutdown-sessions' : ''),
    );
    for (const b of [...lb.backends].sort((a, c) => a.node.localeCompare(c.node))) lines.push(`  server ${b.node} ${b.ip}:${p.nodePort}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface StateChange {
  /** The worker's pid: after a reload the new worker checks afresh. */
  worker: number;
  listener: string;
  node: string;
  state: 'up' | 'down';
  /** HAProxy's reason, e.g. "Layer7 wrong status, code: 503". */
  reason: string;
}

const STATE_LINE = /^\[WARNING\]\s+\((\d+)\) : Server (\S+)\/(\S+) is (UP|DOWN)(?:, reason: ([^,]+(?:, code: \d+)?))?/;

/** A backend state change from one HAProxy log line, or undefined for any other line. */
export function parseStateChange(line: string): StateChange | undefined {
  const m = STATE_LINE.exec(line);
  if (!m) return undefined;
  return { worker: Number(m[1]), listener: m[2]!, node: m[3]!, state: m[4] === 'UP' ? 'up' : 'down', reason: m[5]?.trim() ?? '' };
}

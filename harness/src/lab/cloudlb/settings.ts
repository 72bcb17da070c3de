// The `cloud` LoadBalancer provider's knobs: health-check interval, thresholds, timeout and drain, carried on
// the Service as annotations (the way cloud providers take per-Service LB settings, e.g. AWS's
// service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval), with presets named after public defaults.

/** Services of this class are the cloud provider's; MetalLB only serves Services without a class. */
export const CLOUD_LB_CLASS = 'lossless.dev/cloud';

export interface HealthCheckSettings {
  /** Time between two checks of one backend. */
  intervalMs: number;
  /** Consecutive failed checks before a backend is marked down. */
  unhealthyThreshold: number;
  /** Consecutive passed checks before a down backend is marked up. */
  healthyThreshold: number;
  /** A check without an answer in this time failed. */
  timeoutMs: number;
  /** How long connections to a dropped backend may go on: 0 cuts them when the backend is marked down or
   * removed (HAProxy's on-marked-down shutdown-sessions); > 0 lets them run, and an old process serving them
   * after a reconfiguration is stopped after this long (hard-stop-after). */
  drainMs: number;
}

export const PRESETS = {
  // kubernetes-sigs/cloud-provider-kind, pkg/loadbalancer/proxy.go: its Envoy's health_checks
  // (timeout 5s, interval 3s, unhealthy_threshold 3, healthy_threshold 1, http /healthz); Envoy keeps
  // established TCP connections to an unhealthy host unless close_connections_on_host_health_failure.
  'cloud-provider-kind': { intervalMs: 3000, unhealthyThreshold: 3, healthyThreshold: 1, timeoutMs: 5000, drainMs: 300_000 },
  // AWS Network Load Balancer target group defaults as documented in aws/aws-cdk
  // packages/aws-cdk-lib/aws-elasticloadbalancingv2/lib/shared/base-target-group.ts (HealthCheck: interval
  // 30 s, unhealthyThresholdCount 2, healthyThresholdCount 3 for NLBs, timeout 6 s for HTTP checks;
  // deregistrationDelay 300 s).
  'aws-nlb': { intervalMs: 30_000, unhealthyThreshold: 2, healthyThreshold: 3, timeoutMs: 6000, drainMs: 300_000 },
} as const satisfies Record<string, HealthCheckSettings>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
export const DEFAULT_PRESET: PresetName = 'cloud-provider-kind';

const PREFIX = 'lb.lossless.dev/';
export const ANNOTATIONS: Readonly<Record<keyof HealthCheckSettings, string>> = {
  intervalMs: `${PREFIX}health-check-interval-ms`,
  unhealthyThreshold: `${PREFIX}unhealthy-threshold`,
  healthyThreshold: `${PREFIX}healthy-threshold`,
  timeoutMs: `${PREFIX}health-check-timeout-ms`,
  drainMs: `${PREFIX}drain-ms`,
};

/** Allowed ranges: HAProxy takes any positive time, these keep a run sane (a check at least every 100 ms,
 * thresholds as cloud LBs allow them). */
export const LIMITS: Readonly<Record<keyof HealthCheckSettings, { min: number; max: number }>> = {
  intervalMs: { min: 100, max: 300_000 },
  unhealthyThreshold: { min: 1, max: 10 },
  healthyThreshold: { min: 1, max: 10 },
  timeoutMs: { min: 100, max: 120_000 },
  drainMs: { min: 0, max: 3_600_000 },
};

export function toAnnotations(s: HealthCheckSettings): Record<string, string> {
  return Object.fromEntries((Object.keys(ANNOTATIONS) as Array<keyof HealthCheckSettings>).map((k) => [ANNOTATIONS[k], String(s[k])]));
}

export interface SettingsProblem {
  annotation: string;
  value: string;
  allowed: string;
}

/** The Service's settings: the default preset, each annotation overriding one field; bad values are named. */
export function fromAnnotations(annotations: Readonly<Record<string, string>> | undefined): { settings: HealthCheckSettings; problems: SettingsProblem[] } {
  const settings: HealthCheckSettings = { ...PRESETS[DEFAULT_PRESET] };
  const problems: SettingsProblem[] = [];
  for (const k of Object.keys(ANNOTATIONS) as Array<keyof HealthCheckSettings>) {
    const raw = annotations?.[ANNOTATIONS[k]];
    if (raw === undefined) continue;
    const n = Number(raw);
    const { min, max } = LIMITS[k];
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
      problems.push({ annotation: ANNOTATIONS[k], value: raw, allowed: `an integer from ${min} to ${max}` });
      continue;
    }
    settings[k] = n;
  }
  return { settings, problems };
}

/** The longest a node whose checks started failing keeps getting new connections: interval × threshold
 * (+ one timeout when the check hangs rather than being refused). */
export function detectionBoundMs(s: HealthCheckSettings): number {
  return s.intervalMs * s.unhealthyThreshold;
}

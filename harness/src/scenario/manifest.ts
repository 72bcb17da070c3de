// Scenario (one variant applied) -> the Kubernetes objects the runner applies with server-side apply.
// Pure: the same scenario and rollout number always give the same objects, so a rollout is "apply the
// objects for rollout n" and a test can pin every field a seed names.

import type { V1Container, V1Deployment, V1EnvVar, V1Ingress, V1Service } from '@kubernetes/client-node';
import { healthCheckSettings, type PathSpec, type Scenario } from './schema.ts';
import { CLOUD_LB_CLASS, toAnnotations } from '../lab/cloudlb/settings.ts';
import { GATEWAY_CLASSES, gatewayObjects, type Gateway, type HttpRoute } from './gateway.ts';
import { CONSUMER_NAME, consumerDeployment, consumerService, DEFAULT_REGISTRY_IMAGE, PROVIDER_ENTRY, providerEnv, registryDeployment, registryService } from './registry.ts';

export const LABEL_APP = 'app.kubernetes.io/name';
export const LABEL_SCENARIO = 'lossless.dev/scenario';
export const LABEL_VARIANT = 'lossless.dev/variant';
export const LABEL_PATH = 'lossless.dev/path';
/** The env variable a rollout with trigger `env` (and `restart`, through an annotation) bumps. */
export const ROLLOUT_ENV = 'LOSSLESS_ROLLOUT';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface Manifests {
  deployment: V1Deployment;
  /** What the workload needs running first (the registry path: the registry, then the consumer), in order. */
  support: Array<V1Deployment | V1Service>;
  services: V1Service[];
  ingresses: V1Ingress[];
  /** The `gateway` paths' Gateway API objects (each Gateway before its HTTPRoute). */
  gateways: Array<Gateway | HttpRoute>;
  /** One entry per traffic path: the Service (and Ingress) it goes through and the Host to send. */
  routes: Route[];
}

export interface Route {
  path: string; // the scenario's path name: use it as the load target's name
  type: PathSpec['type'];
  service: string;
  ingress?: string;
  ingressClass?: string;
  /** A gateway route's Gateway (and HTTPRoute) name and its controller. */
  gateway?: string;
  gatewayController?: 'traefik';
  /** Host header an ingress or gateway route matches (send it with every request on that path). */
  host?: string;
  port: number; // Service port
}

function labels(s: Scenario): Record<string, string> {
  return { [LABEL_APP]: s.workload.name, [LABEL_SCENARIO]: s.name, [LABEL_VARIANT]: s.variant };
}

function ms(n: number): string {
  return `${n}ms`;
}

/** The echo's knobs as environment variables (workloads/echo/README.md). */
export function echoEnv(s: Scenario): V1EnvVar[] {
  const e = s.workload.echo;
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'PORT', value: String(s.workload.port) },
  ];
  if (e.startupDelay !== undefined) env.push({ name: 'STARTUP_DELAY', value: ms(e.startupDelay) });
  if (e.readyDelay !== undefined) env.push({ name: 'READY_DELAY', value: ms(e.readyDelay) });
  if (e.warmup !== undefined) env.push({ name: 'WARMUP', value: ms(e.warmup) });
  if (e.warmupDelay !== undefined) env.push({ name: 'WARMUP_DELAY', value: ms(e.warmupDelay) });
  if (e.onSigterm !== undefined) env.push({ name: 'ON_SIGTERM', value: e.onSigterm });
  if (e.fail !== undefined) env.push({ name: 'FAIL', value: e.fail });
  if (e.delay !== undefined) env.push({ name: 'DELAY', value: e.delay });
  if (e.warmupRps !== undefined) env.push({ name: 'WARMUP_RPS', value: String(e.warmupRps) });
  env.push(...providerEnv(s));
  for (const [name, value] of Object.entries(s.workload.env)) env.push({ name, value });
  return env;
}

function container(s: Scenario, rollout: number): V1Container {
  const w = s.workload;
  const env = echoEnv(s);
  if (s.rollout.trigger === 'env' && rollout > 0) {
    env.push({ name: ROLLOUT_ENV, value: String(rollout) });
    for (const [name, value] of Object.entries(s.rollout.env ?? {})) env.push({ name, value });
  }
  const c: V1Container = {
    name: w.name,
    // Odd rollouts of an image trigger switch to rollout.image, even ones back: every rollout changes it.
    image: s.rollout.trigger === 'image' && rollout % 2 === 1 ? (s.rollout.image as string) : w.image,
    // Images are loaded into the kind nodes; there is no registry to pull from.
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: w.port, protocol: 'TCP' }],
    env,
  };
  // A registry provider is the echo plus its registration (same image, another entry).
  if (w.registry) c.command = ['node', PROVIDER_ENTRY];
  if (w.readinessProbe !== 'none') {
    const p = w.readinessProbe;
    c.readinessProbe = {
      httpGet: { path: p.path, port: w.port },
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      timeoutSeconds: p.timeoutSeconds,
      successThreshold: p.successThreshold,
      failureThreshold: p.failureThreshold,
    };
  }
  if (w.preStop !== 'none') {
    c.lifecycle = {
      preStop: 'sleep' in w.preStop
        ? { sleep: { seconds: w.preStop.sleep } }
        : 'offline' in w.preStop
          ? { httpGet: { path: `/offline?wait=${w.preStop.offline}s`, port: w.port } }
          : { exec: { command: ['sleep', String(w.preStop.exec)] } },
    };
  }
  return c;
}

/** The Deployment as it must be after `rollout` rollouts (0 = the initial deploy). */
export function deploymentFor(s: Scenario, rollout = 0): V1Deployment {
  const w = s.workload;
  const podAnnotations: Record<string, string> = {};
  if (s.rollout.trigger === 'restart' && rollout > 0) {
    // Same mechanism as `kubectl rollout restart`, but deterministic: the value is the rollout number.
    podAnnotations[RESTARTED_AT] = `lossless-rollout-${rollout}`;
  }
  const d: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: s.namespace, labels: labels(s) },
    spec: {
      replicas: s.rollout.trigger === 'scale' && rollout > 0 ? (s.rollout.replicas as number) : w.replicas,
      selector: { matchLabels: { [LABEL_APP]: w.name } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: w.strategy.maxSurge, maxUnavailable: w.strategy.maxUnavailable },
      },
      template: {
        metadata: { labels: labels(s), annotations: podAnnotations },
        spec: {
          terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
          containers: [container(s, rollout)],
        },
      },
    },
  };
  if (w.placement) {
    const term = { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: w.placement.nodes }] };
    d.spec!.template.spec!.affinity = {
      nodeAffinity:
        w.placement.mode === 'required'
          ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } }
          : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: term }] },
    };
  }
  if (w.spreadNodes) {
    const affinity = (d.spec!.template.spec!.affinity ??= {});
    affinity.podAntiAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { [LABEL_APP]: w.name } }, topologyKey: 'kubernetes.io/hostname' }],
    };
  }
  return d;
}

const SERVICE_PORT = 80;

function service(s: Scenario, name: string, path: string, extra: Partial<NonNullable<V1Service['spec']>>, annotations?: Record<string, string>): V1Service {
  const metadata: NonNullable<V1Service['metadata']> = { name, namespace: s.namespace, labels: { ...labels(s), [LABEL_PATH]: path } };
  if (annotations) metadata.annotations = annotations;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      selector: { [LABEL_APP]: s.workload.name },
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: s.workload.port, protocol: 'TCP' }],
      ...extra,
    },
  };
}

export interface ManifestImages {
  /** The registry's image (etcd); the lab's is ETCD_IMAGE of scripts/lab/versions.env. */
  registry?: string;
}

/** Every object of a scenario variant after `rollout` rollouts. Each path gets its own Service. */
export function buildManifests(s: Scenario, rollout = 0, images: ManifestImages = {}): Manifests {
  const support: Array<V1Deployment | V1Service> = [];
  const services: V1Service[] = [];
  const ingresses: V1Ingress[] = [];
  const gateways: Array<Gateway | HttpRoute> = [];
  const routes: Route[] = [];
  for (const p of s.paths) {
    const svcName = `${s.workload.name}-${p.name}`.slice(0, 63);
    if (p.type === 'clusterip') {
      services.push(service(s, svcName, p.name, { type: 'ClusterIP' }));
      routes.push({ path: p.name, type: p.type, service: svcName, port: SERVICE_PORT });
    } else if (p.type === 'lb') {
      // the cloud provider serves Services of its class (MetalLB leaves them alone), settings as annotations
      const cloud = p.provider === 'cloud';
      services.push(service(
        s, svcName, p.name,
        { type: 'LoadBalancer', externalTrafficPolicy: p.externalTrafficPolicy, ...(cloud ? { loadBalancerClass: CLOUD_LB_CLASS } : {}) },
        cloud ? toAnnotations(healthCheckSettings(p.healthCheck)) : undefined,
      ));
      routes.push({ path: p.name, type: p.type, service: svcName, port: SERVICE_PORT });
    } else if (p.type === 'registry') {
      // The consumer keeps the image the scenario started with: only the providers roll.
      const name = `${CONSUMER_NAME}-${p.name}`.slice(0, 63);
      support.push(registryService(s), registryDeployment(s, images.registry ?? DEFAULT_REGISTRY_IMAGE), consumerDeployment(s, s.workload.image));
      services.push(consumerService(s, name, p.name));
      routes.push({ path: p.name, type: p.type, service: name, port: SERVICE_PORT });
    } else if (p.type === 'gateway') {
      // The switch to the ClusterIP lives on the Service (Traefik's Gateway provider: traefik.io/service.nativelb).
      const svcAnnotations = p.upstream === 'cluster-ip' ? { [GATEWAY_CLASSES[p.controller].clusterIpAnnotation]: 'true' } : undefined;
      services.push(service(s, svcName, p.name, { type: 'ClusterIP' }, svcAnnotations));
      const host = `${p.name}.${s.namespace}.lossless.test`;
      gateways.push(...gatewayObjects({ controller: p.controller, name: svcName, namespace: s.namespace, host, service: svcName, servicePort: SERVICE_PORT, labels: { ...labels(s), [LABEL_PATH]: p.name } }));
      routes.push({ path: p.name, type: p.type, service: svcName, gateway: svcName, gatewayController: p.controller, host, port: SERVICE_PORT });
    } else {
      // Traefik's switch to the ClusterIP lives on the Service; NGINX's and ingress-nginx's on the Ingress. Each
      // controller's IngressClass has the controller's name.
      const svcAnnotations = p.controller === 'traefik' && p.upstream === 'cluster-ip'
        ? { 'traefik.ingress.kubernetes.io/service.nativelb': 'true' }
        : undefined;
      services.push(service(s, svcName, p.name, { type: 'ClusterIP' }, svcAnnotations));
      const host = `${p.name}.${s.namespace}.lossless.test`;
      const ingAnnotations: Record<string, string> = {};
      if (p.controller === 'nginx' && p.upstream === 'cluster-ip') ingAnnotations['nginx.org/use-cluster-ip'] = 'true';
      if (p.controller === 'ingress-nginx' && p.upstream === 'cluster-ip') ingAnnotations['nginx.ingress.kubernetes.io/service-upstream'] = 'true';
      ingresses.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: svcName, namespace: s.namespace, labels: { ...labels(s), [LABEL_PATH]: p.name }, annotations: ingAnnotations },
        spec: {
          ingressClassName: p.controller,
          rules: [
            {
              host,
              http: {
                paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svcName, port: { number: SERVICE_PORT } } } }],
              },
            },
          ],
        },
      });
      routes.push({ path: p.name, type: p.type, service: svcName, ingress: svcName, ingressClass: p.controller, host, port: SERVICE_PORT });
    }
  }
  return { deployment: deploymentFor(s, rollout), support, services, ingresses, gateways, routes };
}

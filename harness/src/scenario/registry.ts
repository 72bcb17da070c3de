// The microservice path's objects: the registry (etcd with leases, the image the lab builds for the control
// plane anyway), the providers' registration env, and the consumer the load engine drives through a
// LoadBalancer Service. Pure, like manifest.ts: the same scenario always gives the same objects.

import type { V1Deployment, V1EnvVar, V1Service } from '@kubernetes/client-node';
import type { Scenario } from './schema.ts';

export const REGISTRY_NAME = 'registry';
export const CONSUMER_NAME = 'consumer';
export const REGISTRY_PORT = 2379;
/** etcd as kubeadm runs it on the lab's nodes (scripts/lab/versions.env ETCD_IMAGE); online clusters pull it. */
export const DEFAULT_REGISTRY_IMAGE = 'registry.k8s.io/etcd:3.5.24-0';
export const PROVIDER_ENTRY = 'workloads/registry/provider.main.ts';
export const CONSUMER_ENTRY = 'workloads/registry/consumer.main.ts';
const LABEL_APP = 'app.kubernetes.io/name';
const LABEL_SCENARIO = 'lossless.dev/scenario';
const PREFIX = '/lossless/providers/';

function ms(n: number): string {
  return `${n}ms`;
}

export function registryUrl(s: Scenario): string {
  return `http://${REGISTRY_NAME}.${s.namespace}.svc.cluster.local:${REGISTRY_PORT}`;
}

function meta(s: Scenario, name: string): { name: string; namespace: string; labels: Record<string, string> } {
  return { name, namespace: s.namespace, labels: { [LABEL_APP]: name, [LABEL_SCENARIO]: s.name } };
}

/** Where every registry workload finds the registry and its keys. */
function common(s: Scenario): V1EnvVar[] {
  return [
    { name: 'REGISTRY_URL', value: registryUrl(s) },
    { name: 'REGISTRY_PREFIX', value: PREFIX },
    { name: 'SERVICE', value: s.workload.name },
  ];
}

/** The provider's registration knobs (workloads/registry/README.md), added to the echo's env. */
export function providerEnv(s: Scenario): V1EnvVar[] {
  const r = s.workload.registry;
  if (!r) return [];
  return [
    ...common(s),
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'REGISTER_AFTER', value: r.registerAfter },
    { name: 'REGISTER_DELAY', value: ms(r.registerDelay) },
    { name: 'LEASE_TTL', value: String(r.leaseTTL) },
    { name: 'WEIGHT', value: String(r.weight) },
    { name: 'WEIGHT_WARMUP', value: ms(r.warmup) },
    { name: 'DEREGISTER_ON_SIGTERM', value: String(r.deregisterOnSigterm) },
  ];
}

/** etcd, one member, in memory (emptyDir): deleting its pod loses every registration, as a registry outage does. */
export function registryDeployment(s: Scenario, image: string): V1Deployment {
  const url = `http://0.0.0.0:${REGISTRY_PORT}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(s, REGISTRY_NAME),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [LABEL_APP]: REGISTRY_NAME } },
      template: {
        metadata: { labels: meta(s, REGISTRY_NAME).labels },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'etcd',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: [
                'etcd', '--name=registry', '--data-dir=/var/lib/etcd', `--listen-client-urls=${url}`,
                `--advertise-client-urls=${registryUrl(s)}`, '--listen-peer-urls=http://127.0.0.1:2380',
                '--initial-advertise-peer-urls=http://127.0.0.1:2380', '--initial-cluster=registry=http://127.0.0.1:2380',
                // a registry, not a control plane: small and quick to answer
                '--auto-compaction-retention=1h', '--quota-backend-bytes=268435456',
              ],
              ports: [{ name: 'client', containerPort: REGISTRY_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/health', port: REGISTRY_PORT }, periodSeconds: 1, failureThreshold: 3 },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

export function registryService(s: Scenario): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(s, REGISTRY_NAME),
    spec: { type: 'ClusterIP', selector: { [LABEL_APP]: REGISTRY_NAME }, ports: [{ name: 'client', port: REGISTRY_PORT, targetPort: REGISTRY_PORT, protocol: 'TCP' }] },
  };
}

/** The consumer: one pod, never rolled, so every loss on the path is the providers' or the registry's. */
export function consumerDeployment(s: Scenario, image: string): V1Deployment {
  const c = s.consumer;
  if (!c) throw new Error(`scenario ${s.name} has no registry path: no consumer to deploy`);
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'PORT', value: '8080' },
    ...common(s),
    { name: 'REFRESH', value: c.refresh },
    { name: 'POLL_INTERVAL', value: ms(c.pollInterval) },
    { name: 'UPSTREAM_TIMEOUT', value: ms(c.upstreamTimeout) },
    { name: 'EMPTY_PROTECTION', value: String(c.emptyProtection) },
    { name: 'RETRIES', value: String(c.retries) },
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(s, CONSUMER_NAME),
    spec: {
      replicas: 1,
      selector: { matchLabels: { [LABEL_APP]: CONSUMER_NAME } },
      template: {
        metadata: { labels: meta(s, CONSUMER_NAME).labels },
        spec: {
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: CONSUMER_NAME,
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', CONSUMER_ENTRY],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env,
              readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  };
}

/** The registry path's entry: a LoadBalancer Service in front of the consumer (the host reaches MetalLB's address). */
export function consumerService(s: Scenario, name: string, pathName: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta(s, name), labels: { ...meta(s, name).labels, 'lossless.dev/path': pathName } },
    spec: {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Cluster',
      selector: { [LABEL_APP]: CONSUMER_NAME },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  };
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { buildManifests, deploymentFor, RESTARTED_AT, ROLLOUT_ENV } from './manifest.ts';
import { parseScenario, type Scenario } from './schema.ts';

function scenario(over: Record<string, unknown> = {}, variant?: string): Scenario {
  const d = {
    name: 'demo',
    description: 'demo',
    seed: { file: 'slb-rolling-update-downtime.txt', quote: 'preStop' },
    workload: {
      replicas: 3,
      readinessProbe: 'none',
      preStop: 'none',
      terminationGracePeriodSeconds: 5,
      strategy: { maxSurge: 1, maxUnavailable: 0 },
      echo: { startupDelay: '2s', readyDelay: '1500ms', onSigterm: 'drain:3', delay: '300ms:100' },
      env: { EXTRA: 'x' },
    },
    paths: {
      lb: { type: 'lb', externalTrafficPolicy: 'Local' },
      ing: { type: 'ingress', controller: 'nginx', upstream: 'pod-ip' },
      tr: { type: 'ingress', controller: 'traefik', upstream: 'pod-ip' },
      cip: { type: 'clusterip' },
      gw: { type: 'gateway', controller: 'traefik', upstream: 'pod-ip' },
      inx: { type: 'ingress', controller: 'ingress-nginx', upstream: 'pod-ip' },
    },
    load: { qps: 10 },
    rollout: { trigger: 'restart' },
    variants: {
      default: 'naive',
      naive: { expect: { loses: true, causes: ['routed-after-sigterm'] } },
      fixed: {
        workload: { readinessProbe: { path: '/readyz', periodSeconds: 2 }, preStop: { sleep: 7 }, terminationGracePeriodSeconds: 40, placement: { nodes: ['lossless-worker'], mode: 'required' } },
        paths: { lb: { externalTrafficPolicy: 'Cluster' }, ing: { upstream: 'cluster-ip' }, tr: { upstream: 'cluster-ip' }, gw: { upstream: 'cluster-ip' }, inx: { upstream: 'cluster-ip' } },
      },
      exec: { workload: { preStop: { exec: 4 } } },
    },
    ...over,
  };
  return parseScenario(stringify(d), 'demo.yaml', variant);
}

test('naive variant: no probe, no preStop, the seed fields as written', () => {
  const m = buildManifests(scenario());
  const d = m.deployment;
  assert.equal(d.metadata?.namespace, 'lossless-demo');
  assert.equal(d.spec?.replicas, 3);
  assert.deepEqual(d.spec?.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  const pod = d.spec?.template.spec;
  assert.equal(pod?.terminationGracePeriodSeconds, 5);
  const c = pod?.containers[0];
  assert.equal(c?.readinessProbe, undefined);
  assert.equal(c?.lifecycle, undefined);
  assert.equal(c?.imagePullPolicy, 'IfNotPresent');
  const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
  assert.deepEqual(env, { POD_NAME: 'metadata.name', PORT: '8080', STARTUP_DELAY: '2000ms', READY_DELAY: '1500ms', ON_SIGTERM: 'drain:3', DELAY: '300ms:100', EXTRA: 'x' });
  assert.equal(pod?.affinity, undefined);
});

test('fixed variant: readiness probe, native preStop sleep, grace period, node affinity', () => {
  const d = deploymentFor(scenario({}, 'fixed'));
  const pod = d.spec?.template.spec;
  const c = pod?.containers[0];
  assert.deepEqual(c?.readinessProbe, { httpGet: { path: '/readyz', port: 8080 }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 });
  assert.deepEqual(c?.lifecycle, { preStop: { sleep: { seconds: 7 } } });
  assert.equal(pod?.terminationGracePeriodSeconds, 40);
  assert.deepEqual(pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['lossless-worker'] }] },
  ]);
});

test('exec preStop runs sleep with the seconds as its argument', () => {
  const c = deploymentFor(scenario({}, 'exec')).spec?.template.spec?.containers[0];
  assert.deepEqual(c?.lifecycle, { preStop: { exec: { command: ['sleep', '4'] } } });
});

test('each path gets its own Service; LB policy, NGINX and Traefik ClusterIP switches land where each reads them', () => {
  const naive = buildManifests(scenario());
  const fixed = buildManifests(scenario({}, 'fixed'));
  const svc = (m: typeof naive, name: string) => m.services.find((s) => s.metadata?.name === name);
  assert.equal(svc(naive, 'echo-lb')?.spec?.type, 'LoadBalancer');
  assert.equal(svc(naive, 'echo-lb')?.spec?.externalTrafficPolicy, 'Local');
  assert.equal(svc(fixed, 'echo-lb')?.spec?.externalTrafficPolicy, 'Cluster');
  assert.equal(svc(naive, 'echo-cip')?.spec?.type, 'ClusterIP');
  assert.deepEqual(svc(naive, 'echo-cip')?.spec?.selector, { 'app.kubernetes.io/name': 'echo' });
  const ing = (m: typeof naive, name: string) => m.ingresses.find((i) => i.metadata?.name === name);
  assert.deepEqual(ing(naive, 'echo-ing')?.metadata?.annotations, {});
  assert.deepEqual(ing(fixed, 'echo-ing')?.metadata?.annotations, { 'nginx.org/use-cluster-ip': 'true' });
  assert.equal(ing(fixed, 'echo-ing')?.spec?.ingressClassName, 'nginx');
  assert.equal(ing(fixed, 'echo-tr')?.spec?.ingressClassName, 'traefik');
  assert.equal(svc(naive, 'echo-tr')?.metadata?.annotations, undefined);
  assert.deepEqual(svc(fixed, 'echo-tr')?.metadata?.annotations, { 'traefik.ingress.kubernetes.io/service.nativelb': 'true' });
  assert.equal(ing(naive, 'echo-ing')?.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name, 'echo-ing');
  assert.deepEqual(naive.routes.map((r) => [r.path, r.type, r.service, r.host]), [
    ['lb', 'lb', 'echo-lb', undefined],
    ['ing', 'ingress', 'echo-ing', 'ing.lossless-demo.lossless.test'],
    ['tr', 'ingress', 'echo-tr', 'tr.lossless-demo.lossless.test'],
    ['cip', 'clusterip', 'echo-cip', undefined],
    ['gw', 'gateway', 'echo-gw', 'gw.lossless-demo.lossless.test'],
    ['inx', 'ingress', 'echo-inx', 'inx.lossless-demo.lossless.test'],
  ]);
  // ingress-nginx: its own IngressClass; the ClusterIP switch is its service-upstream annotation on the Ingress
  assert.equal(ing(naive, 'echo-inx')?.spec?.ingressClassName, 'ingress-nginx');
  assert.deepEqual(ing(naive, 'echo-inx')?.metadata?.annotations, {});
  assert.deepEqual(ing(fixed, 'echo-inx')?.metadata?.annotations, { 'nginx.ingress.kubernetes.io/service-upstream': 'true' });
  assert.equal(svc(fixed, 'echo-inx')?.metadata?.annotations, undefined);
});

test('a gateway path: a Gateway of class traefik listening for its host on the web entryPoint, an HTTPRoute to its Service', () => {
  const naive = buildManifests(scenario());
  const fixed = buildManifests(scenario({}, 'fixed'));
  assert.deepEqual(naive.gateways.map((o) => [o.kind, o.metadata?.name, o.metadata?.namespace]), [
    ['Gateway', 'echo-gw', 'lossless-demo'],
    ['HTTPRoute', 'echo-gw', 'lossless-demo'],
  ]);
  const [gw, route] = naive.gateways;
  assert.deepEqual(gw?.spec, { gatewayClassName: 'traefik', listeners: [{ name: 'http', protocol: 'HTTP', port: 8000, hostname: 'gw.lossless-demo.lossless.test' }] });
  assert.deepEqual(route?.spec, {
    parentRefs: [{ name: 'echo-gw', sectionName: 'http' }],
    hostnames: ['gw.lossless-demo.lossless.test'],
    rules: [{ backendRefs: [{ name: 'echo-gw', port: 80 }] }],
  });
  assert.equal(gw?.metadata?.labels?.['lossless.dev/path'], 'gw');
  const svc = (m: typeof naive) => m.services.find((s) => s.metadata?.name === 'echo-gw');
  assert.equal(svc(naive)?.metadata?.annotations, undefined);
  assert.deepEqual(svc(fixed)?.metadata?.annotations, { 'traefik.io/service.nativelb': 'true' });
  assert.equal(naive.ingresses.length, 3, 'no Ingress for a gateway path');
});

test('rollout n changes the pod template deterministically for each trigger', () => {
  const s = scenario();
  assert.equal(deploymentFor(s, 0).spec?.template.metadata?.annotations?.[RESTARTED_AT], undefined);
  assert.equal(deploymentFor(s, 2).spec?.template.metadata?.annotations?.[RESTARTED_AT], 'lossless-rollout-2');
  assert.deepEqual(deploymentFor(s, 2), deploymentFor(s, 2));

  const img = scenario({ rollout: { trigger: 'image', image: 'lossless/echo:b' } });
  const image = (n: number) => deploymentFor(img, n).spec?.template.spec?.containers[0]?.image;
  assert.deepEqual([image(0), image(1), image(2)], ['lossless/echo:dev', 'lossless/echo:b', 'lossless/echo:dev']);

  const envS = scenario({ rollout: { trigger: 'env', env: { COLOR: 'blue' } } });
  const envOf = (n: number) => Object.fromEntries((deploymentFor(envS, n).spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(envOf(0)[ROLLOUT_ENV], undefined);
  assert.equal(envOf(3)[ROLLOUT_ENV], '3');
  assert.equal(envOf(3).COLOR, 'blue');
});

test('every catalogue variant builds, and naive and fixed manifests really differ', async () => {
  const { readdir } = await import('node:fs/promises');
  const { loadScenario } = await import('./schema.ts');
  const dir = new URL('../../../scenarios/', import.meta.url).pathname;
  for (const f of (await readdir(dir)).filter((x) => x.endsWith('.yaml'))) {
    const built = new Map<string, string>();
    const base = await loadScenario(dir + f);
    for (const v of base.variants) {
      const m = buildManifests(await loadScenario(dir + f, v), 1);
      assert.equal(m.routes.length, base.paths.length, `${f} ${v}: a route per path`);
      built.set(v, JSON.stringify({ ...m, deployment: { ...m.deployment, metadata: {}, spec: { ...m.deployment.spec, template: { ...m.deployment.spec?.template, metadata: {} } } }, services: m.services.map((s) => s.spec), ingresses: m.ingresses.map((i) => [i.spec, i.metadata?.annotations]), gateways: m.gateways.map((g) => g.spec) }));
    }
    assert.notEqual(built.get('naive'), built.get('fixed'), `${f}: naive and fixed manifests differ`);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hopsOfTargets, ingressAddress, ingressNginxAddress, pathOfTarget, resolveTargets } from './paths.ts';
import type { Route } from './manifest.ts';

const routes: Route[] = [
  { path: 'lb', type: 'lb', service: 'echo-lb', port: 80 },
  { path: 'ing', type: 'ingress', service: 'echo-ing', ingress: 'echo-ing', ingressClass: 'nginx', host: 'ing.ns.lossless.test', port: 80 },
  { path: 'tr', type: 'ingress', service: 'echo-tr', ingress: 'echo-tr', ingressClass: 'traefik', host: 'tr.ns.lossless.test', port: 80 },
  { path: 'cip', type: 'clusterip', service: 'echo-cip', port: 80 },
  { path: 'gw', type: 'gateway', service: 'echo-gw', gateway: 'echo-gw', gatewayController: 'traefik', host: 'gw.ns.lossless.test', port: 80 },
];

test('each path resolves to its own URL; ingress paths carry their Host; the ClusterIP path is driven in the cluster', async () => {
  const t = await resolveTargets(routes, 'ns', async (svc) => (svc === 'echo-lb' ? '172.18.255.200' : 'x'));
  assert.deepEqual(t.host.map((h) => [h.path, h.url, h.headers]), [
    ['lb', 'http://172.18.255.200:80/lb', []],
    ['ing', 'http://127.0.0.1:18080/ing', [['host', 'ing.ns.lossless.test']]],
    ['tr', 'http://127.0.0.1:18081/tr', [['host', 'tr.ns.lossless.test']]],
    // Traefik's Gateway listener is its web entryPoint: the same address, the route's Host
    ['gw', 'http://127.0.0.1:18081/gw', [['host', 'gw.ns.lossless.test']]],
  ]);
  assert.deepEqual(t.inCluster, { path: 'cip', url: 'http://echo-cip.ns.svc.cluster.local:80/cip', service: 'echo-cip' });
  // what attribution judges each path by: its own Service and controller
  assert.deepEqual(hopsOfTargets(t), {
    'http://echo-cip.ns.svc.cluster.local:80/cip': { via: 'clusterip', service: 'echo-cip' },
    'http://172.18.255.200:80/lb': { via: 'lb', service: 'echo-lb' },
    'http://127.0.0.1:18080/ing': { via: 'ingress', service: 'echo-ing', controller: 'nginx' },
    'http://127.0.0.1:18081/tr': { via: 'ingress', service: 'echo-tr', controller: 'traefik' },
    // its routing changes are the Gateway provider's, not the Ingress provider's of the same Traefik
    'http://127.0.0.1:18081/gw': { via: 'ingress', service: 'echo-gw', controller: 'traefik-gateway' },
  });
  assert.equal(pathOfTarget(t, 'http://127.0.0.1:18081/tr'), 'tr');
  assert.equal(pathOfTarget(t, 'http://echo-cip.ns.svc.cluster.local:80/cip'), 'cip');
});

test('ingress addresses can point at the NodePorts from a container on the kind network; bad values name the variable', () => {
  assert.equal(ingressAddress('nginx', {}), '127.0.0.1:18080');
  assert.equal(ingressAddress('traefik', { LOSSLESS_INGRESS_TRAEFIK: 'lossless-control-plane:30081' }), 'lossless-control-plane:30081');
  assert.throws(() => ingressAddress('nginx', { LOSSLESS_INGRESS_NGINX: 'http://x' }), /LOSSLESS_INGRESS_NGINX 'http:\/\/x': expected host:port/);
});

test('ingress-nginx is reached on its NodePort at the node address the lab gives, or where LOSSLESS_INGRESS_INGRESS_NGINX says', async () => {
  const routes: Route[] = [{ path: 'inx', type: 'ingress', service: 'echo-inx', ingress: 'echo-inx', ingressClass: 'ingress-nginx', host: 'inx.ns.lossless.test', port: 80 }];
  const t = await resolveTargets(routes, 'ns', async () => 'x', async () => '172.18.0.3');
  assert.deepEqual(t.host.map((h) => [h.url, h.headers, h.controller]), [['http://172.18.0.3:30082/inx', [['host', 'inx.ns.lossless.test']], 'ingress-nginx']]);
  assert.deepEqual(hopsOfTargets(t), { 'http://172.18.0.3:30082/inx': { via: 'ingress', service: 'echo-inx', controller: 'ingress-nginx' } });
  assert.equal(await ingressNginxAddress(undefined, { LOSSLESS_INGRESS_INGRESS_NGINX: 'lossless-control-plane:30082' }), 'lossless-control-plane:30082');
  await assert.rejects(ingressNginxAddress(undefined, {}), /ingress-nginx has no host port: set LOSSLESS_INGRESS_INGRESS_NGINX/);
  await assert.rejects(ingressNginxAddress(async () => 'x', { LOSSLESS_INGRESS_INGRESS_NGINX: 'x:y' }), /LOSSLESS_INGRESS_INGRESS_NGINX 'x:y': expected host:port/);
});

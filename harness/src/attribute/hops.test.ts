// Item 3 of issue 10: a path is judged only by the hops it crosses — its own ingress controller's reloads,
// its own Service's endpoints, its own LB — given as `paths` (the route of each target: topology, not the
// scenario's name or expectation).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttributeOptions } from './attribute.ts';
import { attribute } from './attribute.ts';
import { burst, endpoint, ev, GONE, only, readyPod, rec } from '../../test/attribution.ts';

const paths: AttributeOptions['paths'] = {
  clusterip: { via: 'clusterip', service: 'echo-clusterip' },
  nginx: { via: 'ingress', service: 'echo-ingress', controller: 'nginx' },
  traefik: { via: 'ingress', service: 'echo-ingress', controller: 'traefik' },
};

test('a keep-alive cut on the ClusterIP path is not blamed on an nginx reload for another path', () => {
  const events = [...readyPod('k1', '10.244.1.8', 'w1', 0), ev(45_000, 'ingress-reload', undefined, { detail: { controller: 'nginx' } })];
  const cut = rec('clusterip', 45_200, 'stale-keepalive', { remoteAddr: '10.96.0.10:80', localPort: 5000, reusedConnection: true });
  // without the routes every reload is everyone's (the old reading, kept for a run with no route list)
  assert.equal(only(attribute([cut], events), 'persistent-connection-cut').evidence.lagsMs.reloadToCutMs, 200);
  const attrs = attribute([cut], events, { paths });
  assert.deepEqual(attrs.map((a) => a.cause), ['unexplained']);
  // the same cut on the nginx path is nginx's reload
  const onNginx = rec('nginx', 45_200, 'stale-keepalive', { remoteAddr: '127.0.0.1:18080', localPort: 5000, reusedConnection: true });
  assert.equal(only(attribute([onNginx], events, { paths }), 'persistent-connection-cut').evidence.lagsMs.reloadToCutMs, 200);
});

test('nginx 502s take their lag from nginx\'s reload, not from a Traefik event that came first', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0, 'echo-ingress'),
    ...readyPod('new-1', '10.244.2.9', 'w2', 5_000, 'echo-ingress'),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_010, 'sigterm', 'old-1'),
    endpoint(10_300, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE, 'echo-ingress'),
    ev(10_350, 'ingress-upstreams', undefined, { detail: { controller: 'traefik', provider: 'kubernetes' } }),
    ev(10_900, 'ingress-reload', undefined, { detail: { controller: 'nginx' } }),
  ];
  const records = [...burst('nginx', 10_320, 10_880, 'http-5xx'), ...burst('nginx', 10_950, 11_200, 'ok', { servedBy: 'new-1' })];
  const a = only(attribute(records, events, { paths }), 'ingress-upstream-stale');
  assert.equal(a.evidence.lagsMs.endpointRemovedToIngressReloadMs, 600);
  assert.ok(a.evidence.events.every((e) => e.detail?.controller !== 'traefik'), 'no Traefik event in the nginx path\'s evidence');
});

test('a path\'s own Service with no ready endpoint is no-ready-endpoints even while another Service has some', () => {
  const events = [
    ...readyPod('a1', '10.244.1.9', 'w1', 0, 'echo-clusterip'),
    ...readyPod('b1', '10.244.2.9', 'w2', 0, 'echo-other'),
    ev(49_990, 'pod-deleting', 'a1', { node: 'w1' }),
    ev(49_995, 'sigterm', 'a1'),
    endpoint(50_000, 'endpoint-not-ready', 'a1', '10.244.1.9', 'w1', GONE, 'echo-clusterip'),
    endpoint(50_400, 'endpoint-removed', 'a1', '10.244.1.9', 'w1', GONE, 'echo-clusterip'),
    ...readyPod('a2', '10.244.3.9', 'w3', 54_000, 'echo-clusterip'),
  ];
  const records = burst('clusterip', 52_500, 53_500, 'connect-refused', { remoteAddr: '10.96.0.10:80' });
  const a = only(attribute(records, events, { paths }), 'no-ready-endpoints');
  assert.equal(a.lost, records.length);
  assert.equal(a.evidence.lagsMs.noReadyEndpointMs, 4000);
});

test('timeouts on an ingress path to a stopped pod are routed through the ingress, not kube-proxy, and routing stopped with the ingress\'s change (lab: results/20261203-091338-ingress-upstream, traefik: "31 lost ... through the data plane (kube-proxy)")', () => {
  const events = [
    ...readyPod('old-1', '10.244.1.5', 'w1', 0, 'echo-ingress'),
    ...readyPod('new-1', '10.244.2.9', 'w2', 5_000, 'echo-ingress'),
    ev(10_000, 'pod-deleting', 'old-1', { node: 'w1', detail: { gracePeriodSeconds: 30 } }),
    ev(10_010, 'sigterm', 'old-1'),
    endpoint(10_300, 'endpoint-not-ready', 'old-1', '10.244.1.5', 'w1', GONE, 'echo-ingress'),
    ev(11_800, 'ingress-upstreams', undefined, { detail: { controller: 'traefik', provider: 'kubernetes' } }),
  ];
  // traefik held requests to the stopped pod until the client's 5 s timeout (no 5xx came back)
  const records = burst('traefik', 10_050, 10_250, 'timeout', { remoteAddr: '127.0.0.1:18081' }, 50).map((r) => ({ ...r, endAt: r.sentAt + 5_000 * 1e6 }));
  const a = only(attribute(records, events, { paths }), 'routed-after-sigterm');
  assert.match(a.fix, /through the ingress$/);
  assert.match(a.evidence.text, /the ingress reloaded 1500 ms after that/);
  // routing stopped when traefik changed its upstreams, 1.8 s after the deletion: preStop from that
  assert.equal(a.evidence.lagsMs.deletionToRoutingStoppedMs, 1800);
  // the same timeouts with no route list keep the old reading (kube-proxy)
  assert.match(only(attribute(records, events), 'routed-after-sigterm').fix, /kube-proxy/);
});

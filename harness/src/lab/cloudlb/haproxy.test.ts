import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthPortOf, parseStateChange, renderConfig, KUBE_PROXY_HEALTH_PORT } from './haproxy.ts';
import { PRESETS } from './settings.ts';

test('health port: healthCheckNodePort under Local, kube-proxy 10256 under Cluster', () => {
  assert.equal(healthPortOf('Local', 31234), 31234);
  assert.equal(healthPortOf('Cluster', 31234), KUBE_PROXY_HEALTH_PORT);
  assert.equal(healthPortOf(undefined, undefined), 10256);
});

test('config: a listener per port, node backends at the NodePort, checks with the settings', () => {
  const cfg = renderConfig({
    service: 'ns/echo', ports: [{ port: 80, nodePort: 30080 }],
    backends: [{ node: 'w2', ip: '172.18.0.4' }, { node: 'w1', ip: '172.18.0.3' }],
    healthPort: 31234, settings: { ...PRESETS['cloud-provider-kind'], drainMs: 0 },
  });
  assert.match(cfg, /listen p80\n  bind :80\n/);
  assert.match(cfg, /default-server check port 31234 inter 3000ms fall 3 rise 1 on-marked-down shutdown-sessions\n/);
  assert.match(cfg, /server w1 172\.18\.0\.3:30080\n  server w2 172\.18\.0\.4:30080\n/);
  assert.match(cfg, /timeout check 5000ms/);
  assert.match(cfg, /hard-stop-after 1ms/);
  const draining = renderConfig({ service: 'ns/echo', ports: [{ port: 80, nodePort: 30080 }], backends: [], healthPort: 10256, settings: PRESETS['cloud-provider-kind'] });
  assert.doesNotMatch(draining, /shutdown-sessions/);
  assert.match(draining, /hard-stop-after 300000ms/);
});

test('state changes from HAProxy 2.6 warnings; the raw echo and other lines are not', () => {
  // the Layer4 line as HAProxy 2.6.12 (Debian bookworm) wrote it here; the Layer7 ones in its format
  const down = '[WARNING]  (8) : Server p80/lossless-worker is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 1ms. 1 active and 0 backup servers left.';
  assert.deepEqual(parseStateChange(down), { worker: 8, listener: 'p80', node: 'lossless-worker', state: 'down', reason: 'Layer7 wrong status, code: 503' });
  const l4 = '[WARNING]  (12) : Server p80/n1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.';
  assert.equal(parseStateChange(l4)?.reason, 'Layer4 connection problem');
  const up = '[WARNING]  (8) : Server p80/lossless-worker2 is UP, reason: Layer7 check passed, code: 200, check duration: 2ms. 2 active and 0 backup servers online.';
  assert.equal(parseStateChange(up)?.state, 'up');
  assert.equal(parseStateChange('Server p80/n1 is DOWN, reason: Layer4 connection problem'), undefined);
  assert.equal(parseStateChange('[WARNING]  (8) : Proxy p80 stopped (cumulated conns: FE: 0, BE: 0).'), undefined);
});

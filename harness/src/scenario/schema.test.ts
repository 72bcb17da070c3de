import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadScenario, parseDurationMs, parseScenario, ScenarioError } from './schema.ts';

const CATALOGUE = new URL('../../../scenarios/', import.meta.url).pathname;

/** A minimal valid scenario document; tests change one field at a time. */
function doc(): Record<string, any> {
  return {
    name: 'demo',
    description: 'demo',
    seed: { file: 'graceful-traffic-switching.txt', quote: 'preStop' },
    workload: {
      replicas: 2,
      readinessProbe: 'none',
      preStop: 'none',
      strategy: { maxSurge: 1, maxUnavailable: 0 },
    },
    paths: { lb: { type: 'lb', externalTrafficPolicy: 'Local' }, ing: { type: 'ingress', controller: 'nginx', upstream: 'pod-ip' } },
    load: { qps: 100, connections: 10 },
    rollout: { trigger: 'restart' },
    variants: {
      default: 'fixed',
      naive: { expect: { loses: true, causes: ['routed-after-sigterm'] } },
      fixed: { workload: { preStop: { sleep: 5 }, readinessProbe: { path: '/readyz' } }, paths: { lb: { externalTrafficPolicy: 'Cluster' } } },
    },
  };
}

function parse(d: unknown, variant?: string) {
  return parseScenario(stringify(d), 'demo.yaml', variant);
}

function issuesOf(d: unknown, variant?: string): string {
  try {
    parse(d, variant);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('expected a ScenarioError');
}

test('durations parse Go-style to whole milliseconds and reject other units', () => {
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('5h'), 18_000_000);
  assert.equal(parseDurationMs('250us'), 0);
  assert.equal(parseDurationMs('5'), undefined);
  assert.equal(parseDurationMs('5d'), undefined);
});

test('the default variant applies its manifest overrides over the base', () => {
  const s = parse(doc());
  assert.equal(s.variant, 'fixed');
  assert.deepEqual(s.variants, ['naive', 'fixed']);
  assert.deepEqual(s.workload.preStop, { sleep: 5 });
  assert.equal(s.workload.readinessProbe !== 'none' && s.workload.readinessProbe.periodSeconds, 1);
  assert.equal(s.workload.replicas, 2); // untouched base field survives the merge
  assert.deepEqual(s.paths.find((p) => p.name === 'lb'), { name: 'lb', type: 'lb', externalTrafficPolicy: 'Cluster', provider: 'metallb' });
  assert.equal(s.load.timeout, 5000);
  assert.equal(s.load.keepalive, true);
  assert.equal(s.rollout.after, 10_000);
  assert.equal(s.namespace, 'lossless-demo');
  assert.equal(s.cluster, 'lab');
});

test('a named variant keeps the base where it says nothing, and carries its expectation', () => {
  const s = parse(doc(), 'naive');
  assert.equal(s.workload.preStop, 'none');
  assert.equal(s.paths.find((p) => p.name === 'lb')?.type === 'lb' && s.paths.find((p) => p.name === 'lb'), s.paths[0]);
  assert.deepEqual(s.expect, { loses: true, causes: ['routed-after-sigterm'] });
});

test('naive and fixed variants share load and rollout exactly', () => {
  const a = parse(doc(), 'naive');
  const b = parse(doc(), 'fixed');
  assert.deepEqual(a.load, b.load);
  assert.deepEqual(a.rollout, b.rollout);
});

test('a variant overriding load settings is an error naming the field', () => {
  const d = doc();
  d.variants.fixed.load = { qps: 1000 };
  const msg = issuesOf(d);
  assert.match(msg, /variants\.fixed\.load: got \{"qps":1000\}; allowed: nothing: load is shared by every variant/);
});

test('a variant overriding the rollout or cluster is an error too', () => {
  const d = doc();
  d.variants.naive.rollout = { trigger: 'image' };
  d.variants.naive.cluster = 'other';
  const msg = issuesOf(d);
  assert.match(msg, /variants\.naive\.rollout/);
  assert.match(msg, /variants\.naive\.cluster/);
});

test('a variant may not change a path it does not have or a field of another path type', () => {
  const d = doc();
  d.variants.fixed.paths = { nope: { upstream: 'cluster-ip' }, lb: { upstream: 'cluster-ip' } };
  const msg = issuesOf(d);
  assert.match(msg, /variants\.fixed\.paths\.nope: .*allowed: one of the scenario's paths: lb, ing/);
  assert.match(msg, /variants\.fixed\.paths\.lb\.upstream: got "cluster-ip"; allowed: nothing: path lb is lb, not ingress or gateway/);
});

test('bad values name the field path, the value and what is allowed', () => {
  const cases: Array<[(d: Record<string, any>) => void, RegExp]> = [
    [(d) => (d.workload.replicas = 0), /workload\.replicas: got 0; allowed: >= 1/],
    [(d) => (d.workload.preStop = { sleep: 'x' }), /workload\.preStop: got \{"sleep":"x"\}; allowed: none, \{sleep: <seconds>\}/],
    [(d) => (d.workload.preStop = 'sleep 5'), /workload\.preStop: got "sleep 5"/],
    [(d) => (d.paths.lb.externalTrafficPolicy = 'local'), /paths\.lb\.externalTrafficPolicy: got "local"; allowed: one of "Local", "Cluster"/],
    [(d) => (d.paths.lb.provider = 'aws'), /paths\.lb\.provider: got "aws"; allowed: one of "metallb", "cloud"/],
    [(d) => (d.paths.lb.healthCheck = { interval: '1s' }), /paths\.lb\.healthCheck: .*allowed: nothing unless provider is cloud/],
    [(d) => (d.paths.lb = { type: 'lb', externalTrafficPolicy: 'Local', provider: 'cloud', healthCheck: { interval: '10ms' } }), /paths\.lb\.healthCheck\.interval: got "10ms"; allowed: a duration from 100ms to 300s/],
    [(d) => (d.paths.lb = { type: 'lb', externalTrafficPolicy: 'Local', provider: 'cloud', healthCheck: { unhealthyThreshold: 0 } }), /paths\.lb\.healthCheck\.unhealthyThreshold: got 0; allowed: >= 1/],
    [(d) => (d.paths.lb = { type: 'lb', externalTrafficPolicy: 'Local', provider: 'cloud', healthCheck: { preset: 'gcp' } }), /paths\.lb\.healthCheck\.preset: got "gcp"; allowed: one of "cloud-provider-kind", "aws-nlb"/],
    [(d) => (d.paths.ing.controller = 'haproxy'), /paths\.ing\.controller: got "haproxy"; allowed: one of "nginx", "ingress-nginx", "traefik"/],
    [(d) => (d.paths.gw = { type: 'gateway', controller: 'envoy', upstream: 'pod-ip' }), /paths\.gw\.controller: got "envoy"; allowed: one of "traefik"/],
    [(d) => (d.paths.gw = { type: 'gateway', controller: 'traefik' }), /paths\.gw\.upstream: got nothing \(missing\)/],
    [(d) => (d.paths.gw = { type: 'gw' }), /paths\.gw\.type: got "gw"; allowed: a path with type lb, ingress, gateway, clusterip or registry/],
    [(d) => (d.load.timeout = '5'), /load\.timeout: got "5"; allowed: a duration such as 500ms, 2s, 1m30s or 1h/],
    [(d) => (d.load.qps = -1), /load\.qps: got -1; allowed: > 0/],
    [(d) => (d.workload.echo = { onSigterm: 'drain' }), /workload\.echo\.onSigterm: got "drain"; allowed: exit, graceful or drain:<seconds>/],
    [(d) => (d.workload.echo = { delay: '300:100' }), /workload\.echo\.delay: got "300:100"; allowed: duration:percent pairs/],
    [(d) => (d.rollout = { trigger: 'env', env: { 'bad-name': 'x' } }), /rollout\.env\.bad-name/],
    [(d) => (d.workload.strategy.maxSurge = '1.5'), /workload\.strategy\.maxSurge: got "1\.5"; allowed: an integer >= 0 or a percentage/],
    [(d) => (d.workload.replica = 3), /workload\.replica: got 3; allowed: no such field here/],
    [(d) => (d.variants.default = 'other'), /variants\.default: got "other"; allowed: one of the variant blocks: naive, fixed/],
    [(d) => (d.variants.naive.expect = { loses: true, causes: ['gremlins'] }), /variants\.naive\.expect\.causes\.0: got "gremlins"; allowed: one of "routed-before-ready"/],
    [(d) => delete d.workload.strategy, /workload\.strategy: got nothing \(missing\)/],
    [(d) => (d.load.client = 'chrome'), /load\.client: got "chrome"; allowed: none, go, browser or retries:N \(N 1-9\)/],
    [(d) => (d.load.client = 'retries:12'), /load\.client: got "retries:12"; allowed: none, go, browser or retries:N/],
    [(d) => (d.load.client = 3), /load\.client: got 3; allowed: none, go, browser or retries:N/],
    [(d) => (d.variants.fixed.expect = { loses: false, figure: 'user' }), /variants\.fixed\.expect\.figure: got "user"; allowed: one of "wire", "client"/],
    [(d) => (d.variants.fixed.load = { client: 'go' }), /variants\.fixed\.load/],
  ];
  for (const [mutate, re] of cases) {
    const d = doc();
    mutate(d);
    assert.match(issuesOf(d), re);
  }
});

test('load.client: none by default, a policy kept as written (scenario.json shows it), shared by the variants', () => {
  assert.equal(parse(doc()).load.client, 'none');
  const d = doc();
  d.load.client = 'retries:2';
  d.variants.fixed.expect = { loses: false, figure: 'client' };
  assert.equal(parse(d, 'naive').load.client, 'retries:2');
  assert.equal(parse(d, 'fixed').load.client, 'retries:2');
  assert.deepEqual(parse(d, 'fixed').expect, { loses: false, figure: 'client' });
});

test('an unknown --variant is an error listing the variants', () => {
  assert.match(issuesOf(doc(), 'both'), /--variant: got "both"; allowed: one of naive, fixed/);
});

test('trigger image needs rollout.image', () => {
  const d = doc();
  d.rollout = { trigger: 'image' };
  assert.match(issuesOf(d), /rollout\.image/);
});

test('YAML syntax errors and a name that differs from the file are input errors', () => {
  assert.throws(() => parseScenario('name: [unclosed', 'demo.yaml'), (e: unknown) => e instanceof ScenarioError && /yaml line/.test(e.message));
  const d = doc();
  d.name = 'other';
  assert.match(issuesOf(d), /name: got "other"; allowed: the file's name without extension \(demo\)/);
});

test('loadScenario reads a file and reports a missing one as bad input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lossless-scenario-'));
  const file = join(dir, 'demo.yaml');
  await writeFile(file, stringify(doc()));
  assert.equal((await loadScenario(file, 'naive')).variant, 'naive');
  await assert.rejects(loadScenario(join(dir, 'missing.yaml')), (e: unknown) => e instanceof ScenarioError && /ENOENT/.test(e.message));
});

test('every catalogue file resolves in every variant, cites a seed and has a naive and a fixed variant', async () => {
  const files = (await readdir(CATALOGUE)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 1);
  for (const f of files) {
    const s = await loadScenario(join(CATALOGUE, f));
    assert.ok(s.variants.includes('naive') && s.variants.includes('fixed'), `${f}: naive and fixed variants`);
    for (const v of s.variants) {
      const r = await loadScenario(join(CATALOGUE, f), v);
      assert.deepEqual(r.load, s.load, `${f}: ${v} shares the load`);
    }
    const naive = await loadScenario(join(CATALOGUE, f), 'naive');
    assert.equal(naive.expect?.loses, true, `${f}: the naive variant expects loss`);
    assert.ok(naive.expect?.causes?.length, `${f}: the naive variant names its cause`);
  }
});

test('a native preStop sleep not shorter than the grace period is refused before deploying (the API server would 422)', () => {
  const d = doc();
  d.workload.preStop = { sleep: 8 };
  d.workload.terminationGracePeriodSeconds = 4;
  assert.match(issuesOf(d), /workload\.preStop\.sleep: got 8; allowed: less than terminationGracePeriodSeconds \(4\).*\{exec: 8\}/);
  d.workload.preStop = { exec: 8 };
  delete d.variants.fixed; // its native sleep 5 would now be refused too (grace 4)
  d.variants.default = 'naive';
  assert.equal(parse(d).workload.terminationGracePeriodSeconds, 4, 'exec sleep may outlast the grace period: that is the mechanism');
  const v = doc();
  v.variants.fixed.workload.terminationGracePeriodSeconds = 5; // the fixed variant's sleep 5 is not below it
  assert.match(issuesOf(v, 'fixed'), /variants\.fixed\.\(merged\)\.workload\.preStop\.sleep: got 5/);
  const x = doc();
  x.workload.preStop = { exec: 3 }; // a variant switching exec -> sleep replaces the value, never merges both keys
  assert.deepEqual(parse(x, 'fixed').workload.preStop, { sleep: 5 });
});

/** The registry path's minimal document: providers with a registry block, one registry path. */
function registryDoc(): Record<string, any> {
  const d = doc();
  d.workload.registry = { registerAfter: 'start' };
  d.paths = { registry: { type: 'registry' } };
  d.consumer = { refresh: 'poll', pollInterval: '3s' };
  d.variants.fixed = { workload: { registry: { registerAfter: 'ready', registerDelay: '1s' }, preStop: { offline: 5 } }, consumer: { refresh: 'watch' } };
  return d;
}

test('the registry path: defaults filled in, a variant overrides the registration and the consumer', () => {
  const naive = parse(registryDoc(), 'naive');
  assert.deepEqual(naive.workload.registry, { registerAfter: 'start', registerDelay: 0, leaseTTL: 10, weight: 100, warmup: 0, deregisterOnSigterm: false });
  assert.deepEqual(naive.consumer, { refresh: 'poll', pollInterval: 3000, upstreamTimeout: 3000, emptyProtection: true, retries: 0 });
  const fixed = parse(registryDoc(), 'fixed');
  assert.equal(fixed.workload.registry?.registerAfter, 'ready');
  assert.equal(fixed.workload.registry?.registerDelay, 1000);
  assert.deepEqual(fixed.workload.preStop, { offline: 5 });
  assert.equal(fixed.consumer?.refresh, 'watch');
  assert.equal(fixed.consumer?.pollInterval, 3000, 'the base consumer stays where the variant says nothing');
});

test('registry fields: bad values and combinations name the field and what is allowed', () => {
  const cases: Array<[(d: Record<string, any>) => void, RegExp]> = [
    [(d) => (d.workload.registry.registerAfter = 'boot'), /workload\.registry\.registerAfter: got "boot"; allowed: one of "start", "listening", "ready"/],
    [(d) => (d.workload.registry.leaseTTL = 1), /workload\.registry\.leaseTTL: got 1; allowed: >= 2/],
    [(d) => (d.consumer.refresh = 'push'), /consumer\.refresh: got "push"; allowed: one of "watch", "poll"/],
    [(d) => (d.consumer.pollInterval = 3), /consumer\.pollInterval: got 3; allowed: a duration/],
    [(d) => delete d.workload.registry, /workload\.registry: got nothing \(missing\); allowed: a registry block .*path registry is type registry/],
    [(d) => (d.paths.lb = { type: 'lb', externalTrafficPolicy: 'Local' }), /paths: .*allowed: only registry paths/],
    [(d) => (d.workload.preStop = { offline: 30 }), /workload\.preStop\.offline: got 30; allowed: less than terminationGracePeriodSeconds \(30\)/],
    [(d) => (d.workload.echo = { warmupRps: 0 }), /workload\.echo\.warmupRps: got 0; allowed: > 0/],
    [(d) => (d.load.startAfter = 'soon'), /load\.startAfter: got "soon"; allowed: a duration/],
    [(d) => (d.rollout = { trigger: 'scale' }), /rollout\.replicas: got nothing \(missing\); allowed: the replica count each rollout sets/],
  ];
  for (const [mutate, want] of cases) {
    const d = registryDoc();
    mutate(d);
    assert.match(issuesOf(d), want);
  }
  // consumer and /offline belong to the registry path only
  const d = doc();
  d.consumer = { refresh: 'watch' };
  d.workload.preStop = { offline: 3 };
  const msg = issuesOf(d);
  assert.match(msg, /consumer: .*allowed: nothing: consumer configures the registry path/);
  assert.match(msg, /workload\.preStop\.offline: got 3; allowed: a workload with a registry block/);
});

test('a cloud lb path: preset, overrides per field and per variant, annotations on the Service', async () => {
  const { buildManifests } = await import('./manifest.ts');
  const { healthCheckSettings } = await import('./schema.ts');
  const d = doc();
  d.paths.lb = { type: 'lb', externalTrafficPolicy: 'Local', provider: 'cloud', healthCheck: { interval: '1s' } };
  d.variants.fixed.paths.lb = { externalTrafficPolicy: 'Cluster', healthCheck: { unhealthyThreshold: 2 } };
  const naive = parse(d, 'naive');
  const lb = naive.paths.find((p) => p.name === 'lb');
  assert.ok(lb?.type === 'lb');
  assert.deepEqual(healthCheckSettings(lb.healthCheck), { intervalMs: 1000, unhealthyThreshold: 3, healthyThreshold: 1, timeoutMs: 5000, drainMs: 300_000 });
  const fixed = parse(d, 'fixed').paths.find((p) => p.name === 'lb');
  assert.ok(fixed?.type === 'lb');
  assert.deepEqual(healthCheckSettings(fixed.healthCheck), { intervalMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, timeoutMs: 5000, drainMs: 300_000 });
  const svc = buildManifests(naive).services.find((x) => x.metadata?.labels?.['lossless.dev/path'] === 'lb' || x.spec?.type === 'LoadBalancer');
  assert.equal(svc?.spec?.loadBalancerClass, 'lossless.dev/cloud');
  assert.equal(svc?.metadata?.annotations?.['lb.lossless.dev/health-check-interval-ms'], '1000');
  const aws = parse({ ...d, paths: { ...d.paths, lb: { ...d.paths.lb, healthCheck: { preset: 'aws-nlb' } } } }, 'naive').paths.find((p) => p.name === 'lb');
  assert.ok(aws?.type === 'lb');
  assert.equal(healthCheckSettings(aws.healthCheck).intervalMs, 30_000);
  d.variants.fixed.paths.ing = { provider: 'cloud' };
  assert.match(issuesOf(d), /variants\.fixed\.paths\.ing\.provider: got "cloud"; allowed: nothing: path ing is ingress, not lb/);
});

test('hostile YAML: billion laughs, .inf/.nan/1e400 and a 50 MB file are refused at once, naming what is wrong', async () => {
  const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n');
  assert.throws(() => parseScenario(laughs, 'laughs.yaml'), (e: unknown) => e instanceof ScenarioError && /\(yaml aliases\): got "Excessive alias count.*allowed: at most 100 alias expansions/.test(e.message));
  const base = readFileSync(new URL('../../../scenarios/fortio-rolling-update.yaml', import.meta.url), 'utf8');
  for (const [v, shown] of [['.inf', 'Infinity'], ['-.inf', '-Infinity'], ['.nan', 'NaN'], ['1e400', 'Infinity']] as const) {
    assert.throws(
      () => parseScenario(base.replace(/qps: \d+/, `qps: ${v}`), 'fortio-rolling-update.yaml'),
      (e: unknown) => e instanceof ScenarioError && e.message.includes(`load.qps: got ${shown}; allowed: a finite number`),
      v,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'lossless-schema-'));
  try {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `name: big\ndescription: "${'x'.repeat(50 * 2 ** 20)}"\n`);
    const t = Date.now();
    await assert.rejects(loadScenario(big), (e: unknown) => e instanceof ScenarioError && /\(file\): got "5242\d{4} bytes"; allowed: a scenario file of at most 256 KiB/.test(e.message));
    assert.ok(Date.now() - t < 1000, `refused in ${Date.now() - t} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

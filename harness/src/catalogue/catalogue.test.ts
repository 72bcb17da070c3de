// The catalogue generator on real run folders: a rolling update in miniature on loopback (the real load
// engine against real echo servers, one of them SIGTERMed; attribution.json from the real attribute()) as
// a naive run, and a clean run of the engine against an echo (its host CPU sampled from /proc/stat while it
// ran) as a fixed one. Every figure a row carries is checked against the folder's own files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeLoadRun, makeRolloutRun } from '../../test/runs.ts';
import { staleKeepAliveServer } from '../../test/servers.ts';
import { runLoad } from '../load/run.ts';
import { attribute } from '../attribute/attribute.ts';
import { RunFolder } from '../folder/folder.ts';
import { attributionSchema } from '../folder/artifacts.ts';
import { readLedger } from '../ledger/reader.ts';
import { sampleHostCpu } from '../observe/hostcpu.ts';
import type { RequestRecord } from '../record.ts';
import { UsageError } from '../errors.ts';
import { addToCatalogue, readCatalogue, renderMarkdown, tally } from './catalogue.ts';
import { catalogueEntry, judge } from './entry.ts';

let root: string;
let naiveDir: string;
let fixedDir: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lossless-catalogue-'));
  naiveDir = join(root, '20261203-080000-mini-rollout');
  const made = await makeRolloutRun(naiveDir, {
    scenario: { name: 'mini-rollout', variant: 'naive', expect: { loses: true, causes: ['routed-before-ready'] } },
  });
  // the runner names its paths in env.json (name -> URL)
  const env = JSON.parse(readFileSync(join(naiveDir, 'env.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(naiveDir, 'env.json'), JSON.stringify({ ...env, paths: { old: made.targets[0], new: made.targets[1] } }));

  fixedDir = join(root, '20261203-080100-mini-rollout');
  const cpu = sampleHostCpu(() => performance.now() * 1e6, cpus().length);
  await makeLoadRun(fixedDir, '', 600, 300); // 2 s: two host CPU samples at least
  const hostCpu = cpu.stop();
  const records: RequestRecord[] = [];
  for await (const r of readLedger(join(fixedDir, 'ledger.bin'))) records.push(r);
  const f = RunFolder.open(fixedDir);
  f.write('attribution', attribute(records, []));
  f.write('scenario', { name: 'mini-rollout', variant: 'fixed', expect: { loses: false } });
  f.write('env', { hostCpu: { meanPct: hostCpu.meanPct, maxPct: hostCpu.maxPct, saturatedSeconds: hostCpu.saturatedSeconds } });
});

after(() => rmSync(root, { recursive: true, force: true }));

test('a naive run: lost / sent per named path, outages and causes from its own files, judged by the largest share', () => {
  const row = catalogueEntry(naiveDir);
  const summary = RunFolder.open(naiveDir).readSummary()!;
  const atts = RunFolder.open(naiveDir).read('attribution', attributionSchema)!;
  assert.equal(row.id, '20261203-080000-mini-rollout');
  assert.equal(row.scenario, 'mini-rollout');
  assert.equal(row.variant, 'naive');
  assert.equal(row.date, summary.startedAt);
  assert.equal(row.lost, summary.totals.lost);
  assert.ok(row.lost >= 21, `the 21 seeded 503s at least (${row.lost})`);
  assert.deepEqual(row.paths.map((p) => p.path), ['new', 'old'], 'paths named from env.json, by name');
  for (const p of row.paths) {
    const t = summary.targets.find((x) => x.target === p.target)!;
    assert.equal(p.lost, t.lost);
    assert.equal(p.sent, t.scheduled - t.cancelled);
  }
  assert.equal(row.paths.reduce((n, p) => n + p.sent, 0), row.sent);
  // causes: the attribution's lost per cause, adding up to what attribution explained
  const want: Record<string, number> = {};
  for (const a of atts) want[a.cause] = (want[a.cause] ?? 0) + a.lost;
  assert.deepEqual(row.causes, want);
  assert.ok((row.causes['routed-before-ready'] ?? 0) >= 21);
  // the new pod's path lost its 21 (0.35-0.55 s) in one outage of about 200 ms
  const newPath = row.paths.find((p) => p.path === 'new')!;
  assert.ok(newPath.longestOutageMs > 100 && newPath.longestOutageMs < 1000, `outage ${newPath.longestOutageMs} ms`);
  assert.equal(row.hostCpu, null, 'this folder recorded no host CPU');
  assert.equal(row.client, null, 'no client policy: the wire figure is the client\'s');
  // the old pod is gone from 0.98 s of the 2 s run: its path's routed-after-sigterm loss (about 100) outweighs
  // the 21 routed-before-ready this file names, so the run is seen to lose for another reason: not met
  assert.ok(row.paths[1]!.lost > 21, `old path lost ${row.paths[1]!.lost}`);
  assert.equal(row.status, 'not met');
  assert.match(row.verdict, /^expected routed-before-ready as the largest share; routed-after-sigterm lost most: \d+ of \d+ \(\d+%\)$/);
  assert.equal(judge(row.lost, row.causes, { loses: true, causes: ['routed-after-sigterm'] }).status, 'met');
});

test('a fixed run: 0 lost is met; host CPU from env.json, marked busy only above 85%', () => {
  const row = catalogueEntry(fixedDir);
  assert.equal(row.lost, 0);
  assert.equal(row.sent, 600);
  assert.equal(row.status, 'met');
  assert.deepEqual(row.causes, {});
  assert.equal(row.paths.length, 1);
  assert.equal(row.paths[0]!.path, row.paths[0]!.target, 'an unnamed path keeps its URL');
  assert.equal(row.paths[0]!.longestOutageMs, 0);
  assert.ok(row.hostCpu, 'host CPU sampled while the run went');
  assert.equal(row.hostCpu.busy, row.hostCpu.meanPct > 85);
});

test('the expectation: naive needs a named cause as the largest share; fixed needs 0 lost', () => {
  const naive = { loses: true, causes: ['routed-after-sigterm' as const] };
  assert.equal(judge(72, { 'persistent-connection-cut': 54, 'routed-after-sigterm': 18 }, naive).status, 'not met');
  assert.match(judge(72, { 'persistent-connection-cut': 54, 'routed-after-sigterm': 18 }, naive).verdict, /persistent-connection-cut lost most: 54 of 72 \(75%\)/);
  assert.equal(judge(72, { 'persistent-connection-cut': 18, 'routed-after-sigterm': 54 }, naive).status, 'met');
  assert.equal(judge(0, {}, naive).status, 'not met');
  assert.equal(judge(0, {}, { loses: false }).status, 'met');
  assert.equal(judge(1, { 'persistent-connection-cut': 1 }, { loses: false }).status, 'not met');
  assert.equal(judge(0, {}, null).status, 'not met');
  // a file that declares its expectation on the client-seen figure is judged on it, the wire figure beside it
  const onClient = judge(26, { 'persistent-connection-cut': 26 }, { loses: false }, { policy: 'go', lost: 0 }, 'client');
  assert.deepEqual(onClient, { status: 'met', verdict: 'expected no client-seen (--client go) loss: lost 0; 26 lost on the wire' });
  assert.equal(judge(26, {}, { loses: false }, { policy: 'go', lost: 2 }, 'client').status, 'not met');
  assert.equal(judge(26, { 'persistent-connection-cut': 26 }, { loses: false }, { policy: 'go', lost: 0 }).status, 'not met', 'without figure: client, the wire figure');
});

test('under a client policy: the wire figure and what the client saw, judged on the one the file names', async () => {
  // a server that answers the first request of each connection and closes on the second: on the wire those
  // seconds fail (stale keep-alive); Go's client sends them again on a new connection, so it sees none fail
  const server = await staleKeepAliveServer();
  const dir = join(root, '20261203-080200-mini-client');
  try {
    await runLoad({
      targets: [server.url], qps: 200, requests: 200, connections: 4, keepalive: true, timeoutMs: 3000, method: 'GET', headers: [],
      maxInFlight: 1000, arrivals: 'uniform', runId: 'mini-client', client: { kind: 'go' },
    }, { folder: RunFolder.create(dir) });
  } finally {
    await server.close();
  }
  const records: RequestRecord[] = [];
  for await (const r of readLedger(join(dir, 'ledger.bin'))) records.push(r);
  const f = RunFolder.open(dir);
  f.write('attribution', attribute(records, []));
  f.write('scenario', { name: 'mini-client', variant: 'fixed', expect: { loses: false, figure: 'client' } });
  const row = catalogueEntry(dir);
  const summary = f.readSummary()!;
  assert.ok(row.lost > 0, `the wire lost ${row.lost}`);
  assert.equal(row.lost, summary.totals.lost);
  assert.deepEqual(row.client, { policy: 'go', requests: summary.totals.client!.requests, lost: summary.totals.client!.lost });
  assert.equal(row.client.lost, 0, 'Go re-sent every one');
  assert.equal(row.paths[0]!.clientLost, 0);
  assert.deepEqual(row.expect, { loses: false, figure: 'client' });
  assert.equal(row.status, 'met');
  assert.match(row.verdict, new RegExp(`^expected no client-seen \\(--client go\\) loss: lost 0; ${row.lost} lost on the wire$`));
  assert.match(renderMarkdown({ version: 1, runs: [row] }), new RegExp(`\\| ${row.lost} / ${row.sent} \\([\\d.]+%\\); client-seen \\(go\\) 0 / ${row.client.requests} \\|`));
});

test('runs accumulate across invocations, merged by run id; both files are written from the JSON', () => {
  const json = join(root, 'catalogue.json');
  const md = join(root, 'CATALOGUE.md');
  addToCatalogue(json, md, [catalogueEntry(naiveDir)]);
  const second = addToCatalogue(json, md, [catalogueEntry(fixedDir), catalogueEntry(naiveDir)]);
  assert.deepEqual(second.runs.map((r) => `${r.variant} ${r.id}`), ['fixed 20261203-080100-mini-rollout', 'naive 20261203-080000-mini-rollout'], 'the naive run once');
  assert.deepEqual(readCatalogue(json), second, 'the file holds what was merged');
  const t = tally(second);
  assert.deepEqual(t.map((x) => [x.variant, x.runs, x.met + x.notMet + x.stopped]), [['fixed', 1, 1], ['naive', 1, 1]]);
  const text = readFileSync(md, 'utf8');
  assert.equal(text, renderMarkdown(second));
  assert.match(text, /\| mini-rollout \| fixed \| no loss \| 1 \| 1 \| 0 \| 0 \| `LOSSLESS_E2E_SCENARIOS=mini-rollout LOSSLESS_E2E_VARIANTS=fixed LOSSLESS_E2E_REPEAT=5 npm run test:e2e` \|/);
  const naiveRow = second.runs.find((r) => r.variant === 'naive')!;
  assert.ok(text.includes(`| ${naiveRow.lost} / ${naiveRow.sent} (`), 'the run row carries lost / sent');
  assert.ok(text.includes(`new: ${naiveRow.paths[0]!.lost} / ${naiveRow.paths[0]!.sent}, ${naiveRow.paths[0]!.longestOutageMs} ms; old: ${naiveRow.paths[1]!.lost}`));
});

test('a folder that is no scenario run, or a damaged catalogue, is refused naming the file', () => {
  const bare = join(root, 'bare');
  RunFolder.create(bare);
  assert.throws(() => catalogueEntry(bare), (e: unknown) => e instanceof UsageError && /not a finished scenario run/.test(e.message));
  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ version: 1, runs: [{ id: 'x' }] }));
  assert.throws(() => readCatalogue(bad), (e: unknown) => e instanceof UsageError && /catalogue '.*bad\.json': runs\.0\.\w+/.test(e.message));
});

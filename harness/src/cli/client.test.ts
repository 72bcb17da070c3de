// `--client` and `--max-client-loss` through the real CLI: both figures printed side by side, each budget
// judging its own figure, bad values refused with exit 2 naming the option, the value and what is allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../test/cli.ts';
import { staleKeepAliveServer } from '../../test/servers.ts';
import type { Summary } from '../load/summary.ts';

test('load --client go against an idle-closing server: 2 lost on the wire, 0 client-seen; each budget judges its figure', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-client-'));
  const f = await staleKeepAliveServer();
  try {
    const base = [f.url, '--requests', '3', '--qps', '8', '--connections', '1', '--client', 'go'];
    const a = await runCli(['load', ...base, '--out', join(dir, 'a'), '--max-client-loss', '0']);
    assert.equal(a.code, 0, a.err + a.out);
    assert.match(a.out, /client-seen \(--client go\): lost 0 of 3 \(0%\); 2 lost on the wire; 0 would reach a Go net\/http client \(2 re-sent, 2 re-sends\)/);
    const s = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.config.client, 'go');
    assert.equal(s.totals.scheduled, 5);
    assert.equal(s.totals.lost, 2);
    assert.equal(s.totals.client?.lost, 0);
    const report = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')) as { gate: { checks: Array<{ kind: string; pass: boolean; message: string }> } };
    const check = report.gate.checks.find((c) => c.kind === 'maxClientLost');
    assert.ok(check?.pass);
    assert.match(check.message, /client-seen \(--client go\) lost 0 \(2 on the wire\) <= budget 0/);
    const html = readFileSync(join(dir, 'a', 'report.html'), 'utf8');
    assert.match(html, /2 of 5 \(40%\) on the wire; 0 would reach a Go net\/http client/);
    assert.match(html, /<th title="requests whose last attempt failed under --client go">client-seen lost<\/th>/);
    // the wire budget on the same run fails: the rollout's truth is still 2 failed attempts
    const b = await runCli(['report', join(dir, 'a'), '--max-loss', '0']);
    assert.equal(b.code, 1, b.out + b.err);
    // decode shows the attempts
    const csv = await runCli(['decode', join(dir, 'a'), '--format', 'csv']);
    const rows = csv.out.trim().split('\n').slice(1).map((l) => l.split(',').slice(-2).join(','));
    assert.deepEqual(rows.sort(), ['1,false', '1,true', '1,true', '2,false', '2,false']);
  } finally {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad --client and --max-client-loss values exit 2 naming option, value and what is allowed', async () => {
  for (const [args, re] of [
    [['--client', 'chrome'], /--client 'chrome': expected none, go, browser or retries:N \(N 1-9\)/],
    [['--client', 'retries:0'], /--client 'retries:0': retries:N takes N from 1 to 9/],
    [['--max-client-loss', '120%'], /--max-client-loss '120%': a percentage is at most 100%/],
    [['--max-client-loss', 'some'], /--max-client-loss 'some': expected a percentage such as 0.1% or a whole count/],
  ] as const) {
    const r = await runCli(['load', 'http://127.0.0.1:9/', '--requests', '1', ...args]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
  }
  const s = await runCli(['scenario', 'fortio-rolling-update', '--client', 'curl']);
  assert.equal(s.code, 2);
  assert.match(s.err, /--client 'curl': expected none, go, browser or retries:N/);
});

// The node-clock measurement against real processes: the host's own `date` (offset ~0, within the
// round trip) and a `date` shifted 3 s ahead (the offset is found to within the round trip).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { lineSession, measureNodeClock, type NodeClockReader } from './clock.ts';

const shell = (script: string): NodeClockReader => () =>
  new Promise((resolve, reject) => execFile('sh', ['-c', script], (err, out) => (err ? reject(err) : resolve(out))));

test('the same clock measures ~0, within the min round trip', async () => {
  const c = await measureNodeClock('host', shell('date +%s%N'), { method: 'sh date' });
  assert.equal(c.samples, 5);
  assert.ok(c.rttMs !== null && c.rttMs > 0);
  assert.ok(Math.abs(c.offsetMs as number) <= (c.rttMs as number) / 2 + 1, `offset ${c.offsetMs} ms within ±${c.rttMs}/2`);
});

test('a clock 3 s ahead measures +3000 ms to within the round trip', async () => {
  const c = await measureNodeClock('ahead', shell('echo $(( $(date +%s%N) + 3000000000 ))'), { method: 'sh date+3s' });
  assert.ok(Math.abs((c.offsetMs as number) - 3000) <= (c.rttMs as number) / 2 + 1, `offset ${c.offsetMs} ms, rtt ${c.rttMs}`);
});

test('a node that cannot be read is not measured, with the reader\'s code', async () => {
  const c = await measureNodeClock('nope', shell('exit 7'));
  assert.equal(c.offsetMs, null);
  assert.equal(c.error, '7');
  const junk = await measureNodeClock('junk', shell('echo soon'));
  assert.equal(junk.error, 'not-epoch-ns');
});

test('over one session the round trip is a pipe\'s: the same clock measures ~0 within a few ms', async () => {
  const s = lineSession('sh', ['-c', 'while read -r _; do date +%s%N; done']);
  try {
    const c = await measureNodeClock('host', s.read, { samples: 9, method: 'sh session' });
    assert.equal(c.samples, 9);
    assert.ok((c.rttMs as number) < 250, `rtt ${c.rttMs} ms (a pipe round trip; loose for a busy box)`);
    assert.ok(Math.abs(c.offsetMs as number) <= (c.rttMs as number) / 2 + 1, `offset ${c.offsetMs} ms within ±${c.rttMs}/2`);
  } finally {
    s.close();
  }
  const dead = lineSession('sh', ['-c', 'exit 3']);
  const c = await measureNodeClock('dead', dead.read);
  assert.equal(c.offsetMs, null);
  dead.close();
});

test('a session whose child closed its stdin fails the read with EPIPE instead of crashing the process', async () => {
  // the child stays alive (exitCode null) but nobody reads the pipe: the write fails asynchronously with EPIPE
  const s = lineSession('sh', ['-c', 'exec 0<&-; sleep 5']);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const c = await measureNodeClock('closed', s.read);
    assert.equal(c.offsetMs, null);
    assert.equal(c.error, 'EPIPE');
  } finally {
    s.close();
  }
});

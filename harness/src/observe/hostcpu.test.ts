import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { busyPercent, parseProcStat, sampleHostCpu, summarizeCpu } from './hostcpu.ts';

test('parseProcStat reads the aggregate line; iowait counts as idle', () => {
  const t = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
  assert.deepEqual(t, { busy: 150, total: 1000 });
  assert.equal(parseProcStat('intr 1 2 3\n'), undefined);
  assert.equal(parseProcStat('cpu  a b c d\n'), undefined);
});

test('busyPercent is the busy share of the elapsed jiffies', () => {
  assert.equal(busyPercent({ busy: 100, total: 1000 }, { busy: 175, total: 1100 }), 75);
  assert.equal(busyPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 }), undefined);
});

test('summarizeCpu counts saturated seconds', () => {
  const s = summarizeCpu(2, [{ t: 0, busyPct: 95 }, { t: 1, busyPct: 45 }, { t: 2, busyPct: 90 }]);
  assert.equal(s.saturatedSeconds, 2);
  assert.equal(s.maxPct, 95);
  assert.equal(s.meanPct, 76.7);
});

test('sampleHostCpu reads the real /proc/stat of this machine', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  assert.ok(parseProcStat(readFileSync('/proc/stat', 'utf8')));
  const s = sampleHostCpu(() => Number(process.hrtime.bigint()), 2);
  await new Promise((r) => setTimeout(r, 2200));
  const cpu = s.stop();
  assert.ok(cpu.samples.length >= 1, 'at least one sample after 2 s');
  for (const x of cpu.samples) assert.ok(x.busyPct >= 0 && x.busyPct <= 100);
});

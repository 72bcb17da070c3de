// Self-time ranking on a real profile: a child node burns CPU in one named function under --cpu-prof.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { byArea, hotFunctions, readProfileDir } from './profile.ts';

test('the function that burns the CPU ranks first by self time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-prof-'));
  const script = join(dir, 'burn.mjs');
  await writeFile(
    script,
    `function burnHot(){let x=0;for(let i=0;i<4e6;i++)x+=Math.sqrt(i)*Math.sin(i);return x}
     function idleish(){let x=0;for(let i=0;i<2e5;i++)x+=i;return x}
     const end=Date.now()+600;let s=0;while(Date.now()<end){s+=burnHot();s+=idleish()}console.log(s>0)`,
  );
  execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, script]);
  const prof = await readProfileDir(dir);
  const hot = hotFunctions(prof, dir, 5);
  assert.equal(hot[0]?.name, 'burnHot');
  assert.equal(hot[0]?.where, 'burn.mjs:1');
  assert.ok((hot[0]?.selfPct ?? 0) > 50, `burnHot self ${hot[0]?.selfPct}%`);
  assert.ok(hot.every((h, i) => i === 0 || h.selfMs <= (hot[i - 1]?.selfMs ?? Infinity)), 'sorted by self time');
  const areas = byArea(prof, dir);
  const total = Object.values(areas).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 100) < 1, `areas add up to ${total}%`);
});

test('something that is not a profile is refused', () => {
  assert.throws(() => hotFunctions({ nodes: [] }, '/'), /not a V8 CPU profile/);
});

test('with a start marker, samples before the first one under that file are left out', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-prof-'));
  // warmUp burns first, then the "run" (in run.mjs) burns: only run-time functions should remain
  await writeFile(join(dir, 'run.mjs'), `export function runPhase(){let x=0;const e=Date.now()+400;while(Date.now()<e)x+=Math.sqrt(x+1);return x}`);
  await writeFile(
    join(dir, 'main.mjs'),
    `function warmUp(){let x=0;const e=Date.now()+400;while(Date.now()<e)x+=Math.sin(x+1);return x}
     warmUp(); const { runPhase } = await import('./run.mjs'); runPhase();`,
  );
  execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(dir, 'main.mjs')]);
  const prof = await readProfileDir(dir);
  const all = hotFunctions(prof, dir, 50).map((h) => h.name);
  assert.ok(all.includes('warmUp') && all.includes('runPhase'));
  const windowed = hotFunctions(prof, dir, 50, { from: 'run.mjs#runPhase' }).map((h) => h.name);
  assert.ok(windowed.includes('runPhase'));
  assert.ok(!windowed.includes('warmUp'), `warmUp left out: ${windowed.join(',')}`);
  const until = hotFunctions(prof, dir, 50, { until: 'run.mjs#runPhase' }).map((h) => h.name);
  assert.ok(until.includes('warmUp') && !until.includes('runPhase'), `runPhase cut: ${until.join(',')}`);
});

test('a process with a worker thread writes a profile per thread: the main thread\'s is read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-prof-'));
  const script = join(dir, 'threads.mjs');
  // the worker outlives the main thread's work, so its profile is written last (the newest file)
  await writeFile(
    script,
    `import { Worker } from 'node:worker_threads';
     function mainBurn(){let x=0;for(let i=0;i<3e6;i++)x+=Math.sqrt(i);return x}
     const w = new Worker('function workerBurn(){let x=0;for(let i=0;i<3e6;i++)x+=Math.sqrt(i);return x} const end=Date.now()+400;while(Date.now()<end)workerBurn()', { eval: true });
     const end=Date.now()+200;while(Date.now()<end)mainBurn();
     w.on('exit', () => undefined);`,
  );
  execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, script]);
  const names = hotFunctions(await readProfileDir(dir), dir, 10).map((h) => h.name);
  assert.ok(names.includes('mainBurn') && !names.includes('workerBurn'), names.join(', '));
});

// scripts/deps on a real project in a temp folder: a dependency packed into a local tarball, so that the
// real `npm ci` runs without reaching any registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drift } from './deps.mjs';

const here = import.meta.dirname;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lossless-deps-'));
  mkdirSync(join(dir, 'scripts'));
  for (const f of ['deps', 'deps.mjs', 'node24']) cpSync(join(here, f), join(dir, 'scripts', f));
  mkdirSync(join(dir, 'tiny'));
  writeFileSync(join(dir, 'tiny', 'package.json'), JSON.stringify({ name: 'tiny', version: '1.0.0' }));
  execFileSync('npm', ['pack', '--silent'], { cwd: join(dir, 'tiny') });
  cpSync(join(dir, 'tiny', 'tiny-1.0.0.tgz'), join(dir, 'tiny-1.0.0.tgz'));
  rmSync(join(dir, 'tiny'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 't', version: '0.0.0', dependencies: { tiny: 'file:./tiny-1.0.0.tgz' } }));
  execFileSync('npm', ['install', '--package-lock-only', '--silent', '--no-audit', '--no-fund'], { cwd: dir });
  return dir;
}

function deps(dir: string): { status: number | null; stderr: string } {
  const r = spawnSync(join(dir, 'scripts', 'deps'), [], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('a clone with no node_modules is installed once, with a line saying so; the next run says nothing', () => {
  const dir = project();
  try {
    assert.deepEqual(drift(dir), ['node_modules is missing']);
    const first = deps(dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /lossless: node_modules is missing: installing them with npm ci \(once/);
    assert.deepEqual(drift(dir), []);
    const second = deps(dir);
    assert.equal(second.status, 0);
    assert.equal(second.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a package whose version differs from the lock is stale and reinstalled', () => {
  const dir = project();
  try {
    assert.equal(deps(dir).status, 0);
    const manifest = join(dir, 'node_modules', 'tiny', 'package.json');
    writeFileSync(manifest, JSON.stringify({ name: 'tiny', version: '0.9.0' }));
    // as after a `git pull` that changed the lock: newer than npm's record, another content than the stamp's
    const lock = join(dir, 'package-lock.json');
    writeFileSync(lock, `${readFileSync(lock, 'utf8')}\n`);
    assert.deepEqual(drift(dir), ['tiny is 0.9.0, the lock says 1.0.0']);
    const r = deps(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /tiny is 0\.9\.0, the lock says 1\.0\.0: installing them with npm ci/);
    assert.equal(JSON.parse(readFileSync(manifest, 'utf8')).version, '1.0.0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock newer than node_modules but matching it installs nothing (a fresh worktree sharing node_modules)', () => {
  const dir = project();
  try {
    assert.equal(deps(dir).status, 0);
    const lock = join(dir, 'package-lock.json');
    writeFileSync(lock, `${readFileSync(lock, 'utf8')}\n`);
    let r = deps(dir);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.ok(existsSync(join(dir, 'node_modules', `.lossless-deps-${createHash('sha256').update(readFileSync(lock)).digest('hex').slice(0, 16)}`)), 'the full check left its stamp for the fast path');
    r = deps(dir);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing install is the environment: exit 3 with what to do', () => {
  const dir = project();
  try {
    // a tarball that does not match the lock's integrity (npm's cache cannot answer for it either)
    writeFileSync(join(dir, 'tiny-1.0.0.tgz'), 'not a tarball');
    const lock = join(dir, 'package-lock.json');
    writeFileSync(lock, readFileSync(lock, 'utf8').replace(/"integrity": "[^"]*"/, '"integrity": "sha512-AAAA"'));
    const r = deps(dir);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /npm ci failed \(exit \d+\): install Node\.js and npm, check that the npm registry answers/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

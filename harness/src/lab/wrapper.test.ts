// The runc wrapper (scripts/lab/runc-wrapper.sh) against a stand-in for the real runc: a fake, named so, since
// the test must not create containers; it records its argv. The JSON edits are the wrapper's real work.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { repoRoot } from "./context.ts";

const WRAPPER = join(repoRoot(), "scripts/lab/runc-wrapper.sh");
const hasJq = (await execa("jq", ["--version"], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const ALL = ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE", "CAP_NET_ADMIN"];

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "lossless-wrapper-"));
  const fakeRunc = join(dir, "fake-runc");
  writeFileSync(fakeRunc, `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, "argv")}\n`);
  chmodSync(fakeRunc, 0o755);
  const env = { LOSSLESS_REAL_RUNC: fakeRunc };
  return { dir, env };
}

test("create --bundle: CAP_SYS_RESOURCE leaves every capability set, a negative oomScoreAdj becomes 0", { skip: !hasJq && "jq not installed" }, async () => {
  const { dir, env } = setup();
  const bundle = join(dir, "bundle");
  mkdirSync(bundle);
  const caps = { bounding: ALL, effective: ALL, permitted: ALL, inheritable: ALL, ambient: ALL };
  writeFileSync(join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", process: { capabilities: caps, oomScoreAdj: -500, args: ["sh"] } }));
  const args = ["--root", "/run/x", "--log", "/tmp/log.json", "create", "--bundle", bundle, "--pid-file", "/tmp/p", "c1"];
  await execa("sh", [WRAPPER, ...args], { env });
  const cfg = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  for (const set of Object.keys(caps)) {
    assert.deepEqual(cfg.process.capabilities[set], ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"], set);
  }
  assert.equal(cfg.process.oomScoreAdj, 0);
  assert.deepEqual(cfg.process.args, ["sh"], "the rest of the spec is kept");
  assert.deepEqual(readFileSync(join(dir, "argv"), "utf8").trim().split("\n"), args, "the real runc gets the same argv");
});

test("exec --process: the process JSON loses CAP_SYS_RESOURCE; --bundle=<dir> form too", { skip: !hasJq && "jq not installed" }, async () => {
  const { dir, env } = setup();
  const proc = join(dir, "process.json");
  writeFileSync(proc, JSON.stringify({ args: ["true"], capabilities: { bounding: ALL, effective: ALL } }));
  await execa("sh", [WRAPPER, "exec", "--process", proc, "--detach", "c1"], { env });
  assert.deepEqual(JSON.parse(readFileSync(proc, "utf8")).capabilities.effective, ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"]);

  const bundle = join(dir, "b2");
  mkdirSync(bundle);
  writeFileSync(join(bundle, "config.json"), JSON.stringify({ process: { capabilities: { bounding: ALL } } }));
  await execa("sh", [WRAPPER, "run", `--bundle=${bundle}`, "c2"], { env });
  assert.ok(!JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")).process.capabilities.bounding.includes("CAP_SYS_RESOURCE"));
});

test("other commands pass through untouched, and the real runc's exit code is kept", { skip: !hasJq && "jq not installed" }, async () => {
  const { dir } = setup();
  const failing = join(dir, "failing-runc");
  writeFileSync(failing, "#!/bin/sh\nexit 7\n");
  chmodSync(failing, 0o755);
  const r = await execa("sh", [WRAPPER, "state", "c1"], { env: { LOSSLESS_REAL_RUNC: failing }, reject: false });
  assert.equal(r.exitCode, 7);
});

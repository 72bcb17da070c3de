import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCgroups, checkDisk, checkPorts, portFree } from "./preflight.ts";
import { LabError } from "./step.ts";

test("a taken host port is an exit-3 error naming the port and how to find its owner", async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await portFree(port), false);
    const err = await checkPorts([port]).catch((e: unknown) => e);
    assert.ok(err instanceof LabError);
    assert.equal(err.exitCode, 3);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} already taken.*ss -ltnp`));
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(await portFree(port), true);
  await checkPorts([port]);
});

test("too little disk names the path, the free and needed space", () => {
  const dir = mkdtempSync(join(tmpdir(), "lossless-disk-"));
  checkDisk(dir, 0.001, "a test");
  assert.throws(() => checkDisk(dir, 1e9, "a test"), (e: unknown) => e instanceof LabError && /not enough disk for a test: .* GiB free at .*need 1000000000 GiB/.test(e.message));
});

test("no cgroup filesystem is an exit-3 error", () => {
  assert.throws(() => checkCgroups(join(tmpdir(), "lossless-no-such-cgroup-root")), (e: unknown) => e instanceof LabError && e.exitCode === 3 && /no cgroup filesystem/.test(e.message));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cached, LabError, step, type Lab } from "./step.ts";

function lab(): Lab & { lines: string[] } {
  const lines: string[] = [];
  return { cache: mkdtempSync(join(tmpdir(), "lossless-step-")), repo: "/", versions: {}, out: (l) => lines.push(l), timings: [], lines };
}

test("a cached artefact builds once, skips while inputs match and outputs exist, rebuilds otherwise", async () => {
  const l = lab();
  let builds = 0;
  let present = true;
  const spec = (inputs: unknown) => ({ inputs, present: () => present, build: async () => { builds++; } });
  assert.equal(await cached(l, "thing", spec({ v: 1 })), "built");
  assert.equal(await cached(l, "thing", spec({ v: 1 })), "cached");
  assert.equal(builds, 1);
  assert.equal(await cached(l, "thing", spec({ v: 2 })), "built", "changed inputs rebuild");
  present = false;
  assert.equal(await cached(l, "thing", spec({ v: 2 })), "built", "missing outputs rebuild");
  assert.equal(builds, 3);
  assert.deepEqual(l.timings.map((t) => t.result), ["built", "cached", "built", "built"]);
});

test("a failed build leaves no stamp, so the next run builds again", async () => {
  const l = lab();
  await assert.rejects(cached(l, "broken", { inputs: 1, present: () => true, build: async (r) => { await r.run("false", []); } }), LabError);
  let built = false;
  await cached(l, "broken", { inputs: 1, present: () => true, build: async () => { built = true; } });
  assert.ok(built);
});

test("a failing command becomes a LabError naming the step, with its output in the step's log", async () => {
  const l = lab();
  const err = await step(l, "say and fail", (r) => r.run("sh", ["-c", "echo to-the-log; echo oops >&2; exit 4"])).catch((e: unknown) => e);
  assert.ok(err instanceof LabError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /say and fail: 'sh -c .*exit 4.*oops/);
  const log = readFileSync(err.logFile!, "utf8");
  assert.match(log, /to-the-log/);
  assert.match(log, /oops/);
  assert.equal(l.timings[0]?.result, "failed");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appFiles, HARNESS, importClosure } from "./app-image.ts";

test("the import closure follows relative imports (static, dynamic, side-effect) and ignores packages", () => {
  const repo = mkdtempSync(join(tmpdir(), "lossless-closure-"));
  mkdirSync(join(repo, "workloads/echo"), { recursive: true });
  mkdirSync(join(repo, "harness/src"), { recursive: true });
  writeFileSync(join(repo, "workloads/echo/main.ts"), 'import { a } from "./server.ts";\nimport "node:http";\nimport x from "undici";\n');
  writeFileSync(join(repo, "workloads/echo/server.ts"), 'import type { R } from "../../harness/src/record.ts";\nconst m = await import("./knobs.ts");\n');
  writeFileSync(join(repo, "workloads/echo/knobs.ts"), 'import "./server.ts";\n');
  writeFileSync(join(repo, "harness/src/record.ts"), "export type R = 1;\n");
  writeFileSync(join(repo, "workloads/echo/unused.ts"), "");
  assert.deepEqual(importClosure(repo, "workloads/echo/main.ts"), [
    "harness/src/record.ts",
    "workloads/echo/knobs.ts",
    "workloads/echo/main.ts",
    "workloads/echo/server.ts",
  ]);
});

test("a relative import of a missing file is an error naming it", () => {
  const repo = mkdtempSync(join(tmpdir(), "lossless-closure-"));
  writeFileSync(join(repo, "main.ts"), 'import "./gone.ts";\n');
  assert.throws(() => importClosure(repo, "main.ts"), /gone\.ts is imported but does not exist/);
});

test("an app image with several entries carries the union of their closures, each file once", () => {
  const repo = mkdtempSync(join(tmpdir(), "lossless-closure-"));
  mkdirSync(join(repo, "workloads/echo"), { recursive: true });
  mkdirSync(join(repo, "workloads/registry"), { recursive: true });
  writeFileSync(join(repo, "workloads/echo/main.ts"), 'import "./echo.ts";\n');
  writeFileSync(join(repo, "workloads/echo/echo.ts"), "");
  writeFileSync(join(repo, "workloads/registry/provider.main.ts"), 'import "../echo/echo.ts";\nimport "./etcd.ts";\n');
  writeFileSync(join(repo, "workloads/registry/etcd.ts"), "");
  const files = appFiles(repo, { name: "echo", entry: "workloads/echo/main.ts", alsoEntries: ["workloads/registry/provider.main.ts"], packages: false });
  assert.deepEqual(files, ["workloads/echo/echo.ts", "workloads/echo/main.ts", "workloads/registry/etcd.ts", "workloads/registry/provider.main.ts"]);
});

test("the harness image carries the pinned versions that run and scenario read (compose runs it as the CLI)", () => {
  const repo = join(import.meta.dirname, "../../..");
  const files = appFiles(repo, HARNESS);
  assert.ok(files.includes("scripts/lab/versions.env"));
  assert.ok(files.includes("harness/src/cli.ts") && files.includes("harness/src/scenario/run.ts"));
  assert.ok(!files.some((f) => f.endsWith(".test.ts")));
});

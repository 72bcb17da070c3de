import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { need, parseVersions, readVersions } from "./versions.ts";
import { repoRoot } from "./context.ts";

test("parses KEY=value lines, unquotes, skips comments and blanks", () => {
  const v = parseVersions('# c\n\nA=1\nB_2="x y"\nC=\'z\'\n  D=v1.2 \nlower=no\n');
  assert.deepEqual({ ...v }, { A: "1", B_2: "x y", C: "z", D: "v1.2" });
});

test("need() names the missing key", () => {
  assert.throws(() => need(parseVersions("A=1"), "KIND_VERSION"), /versions\.env has no KIND_VERSION/);
});

test("the committed versions.env names every image the node image needs", () => {
  const v = readVersions(join(repoRoot(), "scripts/lab/versions.env"));
  for (const key of ["KUBERNETES_VERSION", "KIND_VERSION", "KUBE_APISERVER_IMAGE", "ETCD_IMAGE", "COREDNS_IMAGE", "PAUSE_IMAGE", "KINDNETD_IMAGE", "LOCAL_PATH_PROVISIONER_IMAGE", "LOCAL_PATH_HELPER_IMAGE"]) {
    assert.ok(need(v, key));
  }
  assert.ok(need(v, "KUBE_APISERVER_IMAGE").endsWith(`:${need(v, "KUBERNETES_VERSION")}`));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { fullRef, goManifest } from "./node-image.ts";
import { LabError } from "./step.ts";

// The shape of kind's pkg/build/nodeimage/const_*.go: a raw string with `+ constName +` splices.
const SOURCE = [
  "package nodeimage",
  'const kindnetdImage = "docker.io/kindest/kindnetd:v1"',
  "const defaultCNIManifest = `",
  "kind: DaemonSet",
  "        image: ` + kindnetdImage + `",
  "`",
  "const other = `x`",
  "",
].join("\n");

test("extracts a manifest constant with the lab's image refs spliced in", () => {
  const m = goManifest(SOURCE, "defaultCNIManifest", { kindnetdImage: "docker.io/kindest/kindnetd:v1" });
  assert.equal(m, "\nkind: DaemonSet\n        image: docker.io/kindest/kindnetd:v1\n");
});

test("an unknown splice or a missing constant is an error naming it", () => {
  assert.throws(() => goManifest(SOURCE, "defaultCNIManifest", {}), (e: unknown) => e instanceof LabError && /kindnetdImage/.test(e.message));
  assert.throws(() => goManifest(SOURCE, "defaultStorageManifest", { kindnetdImage: "x" }), /no constant defaultStorageManifest/);
});

test("refs are named as containerd names them", () => {
  assert.equal(fullRef("lossless/metallb-controller:v0.15.2"), "docker.io/lossless/metallb-controller:v0.15.2");
  assert.equal(fullRef("busybox:1"), "docker.io/library/busybox:1");
  assert.equal(fullRef("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
  assert.equal(fullRef("docker.io/kindest/kindnetd:v1"), "docker.io/kindest/kindnetd:v1");
  assert.equal(fullRef("localhost/x:1"), "localhost/x:1");
});

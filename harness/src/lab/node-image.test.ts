import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fullRef, goManifest, kindSource } from "./node-image.ts";
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

test("kind's source is found again after the cache folder moved (the pointer in bin/ is absolute)", async () => {
  const cache = mkdtempSync(join(tmpdir(), "lossless-moved-"));
  const mod = join(cache, "go/mod/sigs.k8s.io/kind@v0.30.0");
  mkdirSync(join(mod, "images/base/files"), { recursive: true });
  mkdirSync(join(cache, "bin"), { recursive: true });
  writeFileSync(join(cache, "bin/kind-src.dir"), "/old/place/go/mod/sigs.k8s.io/kind@v0.30.0\n");
  const lab = { repo: "/nonexistent", cache, versions: { KIND_VERSION: "v0.30.0" }, out: () => {}, timings: [] };
  assert.equal(await kindSource(lab), mod);
  rmSync(join(mod, "images"), { recursive: true });
  await assert.rejects(kindSource(lab), /has no images\/base\/files/);
});

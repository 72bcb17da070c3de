import { test } from "node:test";
import assert from "node:assert/strict";
import { IMAGE_ID_ANNOTATION, parseManifest, rewriteManifest } from "./manifest.ts";

const TEXT = `# a comment
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: x}
spec:
  template:
    metadata:
      labels: {app: c}
    spec:
      containers:
        - name: controller
          image: quay.io/metallb/controller:v0.15.2
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: speaker, namespace: x}
spec:
  template:
    spec:
      containers:
        - name: speaker
          image: quay.io/metallb/speaker:v0.15.2
---
`;

test("images are replaced and pod templates get the image id", () => {
  const out = parseManifest(
    rewriteManifest(TEXT, {
      images: { "quay.io/metallb/controller:v0.15.2": "lossless/c:1", "quay.io/metallb/speaker:v0.15.2": "lossless/s:1" },
      imageIds: { "lossless/c:1": "sha256:aaa", "lossless/s:1": "sha256:bbb" },
    }),
  );
  assert.equal(out.length, 3);
  const dep = out[1] as any;
  assert.equal(dep.spec.template.spec.containers[0].image, "lossless/c:1");
  assert.equal(dep.spec.template.metadata.annotations[IMAGE_ID_ANNOTATION], "sha256:aaa");
  assert.deepEqual(dep.spec.template.metadata.labels, { app: "c" });
  const ds = out[2] as any;
  assert.equal(ds.spec.template.spec.containers[0].image, "lossless/s:1");
  assert.equal(ds.spec.template.metadata.annotations[IMAGE_ID_ANNOTATION], "sha256:bbb");
});

test("an image the manifest does not name is an error, not a silent no-op", () => {
  assert.throws(() => rewriteManifest(TEXT, { images: { "quay.io/metallb/controller:v0.16.0": "x" } }), /v0\.16\.0/);
});

test("the ${IMAGE} placeholder of the lab's own manifests is an image like any other", () => {
  const text = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: ${IMAGE}\n";
  const out = parseManifest(rewriteManifest(text, { images: { "${IMAGE}": "lossless/t:1" } })) as any[];
  assert.equal(out[0].spec.template.spec.containers[0].image, "lossless/t:1");
  assert.equal(out[0].spec.template.metadata, undefined);
});

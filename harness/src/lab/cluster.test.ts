import { test } from "node:test";
import assert from "node:assert/strict";
import { healthy, type NodeContainer } from "./cluster.ts";

const node = (name: string, state = "running", image = "lossless/node:v1-a"): NodeContainer => ({ name, state, image, role: "worker" });
const three = [node("lossless-control-plane"), node("lossless-worker"), node("lossless-worker2")];

test("a cluster is reused only with all three nodes running the wanted image", () => {
  assert.deepEqual(healthy(three, "lossless/node:v1-a"), { ok: true, why: "" });
  assert.equal(healthy([]).why, "no cluster");
  assert.match(healthy(three.slice(0, 2)).why, /2 of 3 nodes/);
  assert.match(healthy([three[0]!, three[1]!, node("lossless-worker2", "exited")]).why, /lossless-worker2 is exited/);
  assert.match(healthy(three, "lossless/node:v1-b").why, /the lab now builds lossless\/node:v1-b/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { inPool, poolForNetwork, poolForSubnet, poolManifest, PoolError } from "./pool.ts";

test("a /16 gives the top of its last /24", () => {
  const p = poolForSubnet("172.18.0.0/16");
  assert.equal(p.range, "172.18.255.200-172.18.255.250");
  assert.equal(p.subnet, "172.18.0.0/16");
});

test("a /24 and a /20 keep the pool inside the subnet", () => {
  assert.equal(poolForSubnet("192.168.49.0/24").range, "192.168.49.200-192.168.49.250");
  // 10.89.16.0/20 ends at 10.89.31.255
  assert.equal(poolForSubnet("10.89.16.0/20").range, "10.89.31.200-10.89.31.250");
  // a host address in the CIDR is normalised to its network
  assert.equal(poolForSubnet("172.19.3.7/16").subnet, "172.19.0.0/16");
});

test("subnets too small or malformed are refused with the value named", () => {
  assert.throws(() => poolForSubnet("172.18.0.0/25"), (e: unknown) => e instanceof PoolError && /\/25/.test(e.message));
  assert.throws(() => poolForSubnet("fc00:f853:ccd:e793::/64"), PoolError);
  assert.throws(() => poolForSubnet("300.1.1.0/16"), PoolError);
});

test("the kind network's IPv4 entry is chosen over its IPv6 one", () => {
  const p = poolForNetwork([{ Subnet: "fc00:f853:ccd:e793::/64" }, { Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }]);
  assert.equal(p.first, "172.18.255.200");
  assert.throws(() => poolForNetwork([{ Subnet: "fc00::/64" }]), PoolError);
});

test("inPool bounds are inclusive", () => {
  const p = poolForSubnet("172.18.0.0/16");
  assert.ok(inPool(p, "172.18.255.200"));
  assert.ok(inPool(p, "172.18.255.250"));
  assert.ok(!inPool(p, "172.18.255.251"));
  assert.ok(!inPool(p, "172.18.0.2"));
});

test("the manifest is an IPAddressPool plus an L2Advertisement naming it", () => {
  const docs = poolManifest(poolForSubnet("172.18.0.0/16"), "metallb-system", "lossless").split(/^---$/m).map((d) => parse(d));
  assert.equal(docs[0].kind, "IPAddressPool");
  assert.deepEqual(docs[0].spec.addresses, ["172.18.255.200-172.18.255.250"]);
  assert.equal(docs[1].kind, "L2Advertisement");
  assert.deepEqual(docs[1].spec.ipAddressPools, ["lossless"]);
  assert.equal(docs[1].metadata.namespace, "metallb-system");
});

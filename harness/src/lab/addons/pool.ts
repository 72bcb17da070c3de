// MetalLB's address pool: the top of the `kind` docker network's IPv4 subnet (e.g. 172.18.255.200-250 of a /16),
// far from the low addresses Docker hands to the kind nodes and other containers.

/** One IPAM entry of `docker network inspect kind` (`.IPAM.Config[]`). */
export interface IpamConfig {
  Subnet?: string;
  Gateway?: string;
}

export interface Pool {
  subnet: string;
  first: string;
  last: string;
  /** `first-last`, as MetalLB's IPAddressPool spec.addresses takes it. */
  range: string;
}

export class PoolError extends Error {}

function toInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new PoolError(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new PoolError(`not an IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/**
 * The pool for an IPv4 CIDR: addresses broadcast-55 .. broadcast-5 (51 addresses), so a /16 gives
 * x.y.255.200-x.y.255.250 and a /24 x.y.z.200-x.y.z.250. Subnets smaller than a /24 are refused: the pool
 * would collide with the addresses Docker assigns from the bottom.
 */
export function poolForSubnet(cidr: string): Pool {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new PoolError(`not an IPv4 CIDR: ${cidr}`);
  const bits = Number(m[2]);
  if (bits > 24) throw new PoolError(`subnet ${cidr} is smaller than a /24: no room for a MetalLB pool at its top`);
  const size = 2 ** (32 - bits);
  const base = toInt(m[1]!) - (toInt(m[1]!) % size);
  const broadcast = base + size - 1;
  const first = toIp(broadcast - 55);
  const last = toIp(broadcast - 5);
  return { subnet: `${toIp(base)}/${bits}`, first, last, range: `${first}-${last}` };
}

/** The pool from the `kind` network's IPAM entries: its IPv4 subnet (kind also adds an IPv6 one). */
export function poolForNetwork(ipam: readonly IpamConfig[]): Pool {
  const v4 = ipam.map((c) => c.Subnet ?? "").find((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
  if (!v4) throw new PoolError(`the kind network has no IPv4 subnet (IPAM: ${JSON.stringify(ipam)})`);
  return poolForSubnet(v4);
}

/** Whether an IPv4 address lies in the pool (for checks on a Service's assigned IP). */
export function inPool(pool: Pool, ip: string): boolean {
  const n = toInt(ip);
  return n >= toInt(pool.first) && n <= toInt(pool.last);
}

/** MetalLB's IPAddressPool and L2Advertisement for the pool (applied by installAddons). */
export function poolManifest(pool: Pool, namespace: string, name: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  addresses:
    - ${pool.range}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  ipAddressPools:
    - ${name}
`;
}

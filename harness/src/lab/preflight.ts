// Checks that fail early with what to do: cgroups, free disk, the host ports the ingress mappings need.
import { existsSync, mkdirSync, readdirSync, statfsSync } from "node:fs";
import { createServer } from "node:net";
import { LabError } from "./step.ts";

export const HOST_PORTS = [18080, 18081] as const;

export function checkCgroups(root = "/sys/fs/cgroup"): void {
  if (!existsSync(root) || readdirSync(root).length === 0) {
    throw new LabError(`no cgroup filesystem at ${root}: containers (and kind) cannot run on this host; use a Linux host or VM with cgroups mounted`);
  }
}

export function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p)) p = p.slice(0, Math.max(1, p.lastIndexOf("/")));
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/** Fails when less than `needGiB` is free where `path` lives. */
export function checkDisk(path: string, needGiB: number, what: string): void {
  mkdirSync(path, { recursive: true });
  const gib = freeBytes(path) / 2 ** 30;
  if (gib < needGiB) {
    throw new LabError(
      `not enough disk for ${what}: ${gib.toFixed(1)} GiB free at ${path}, need ${needGiB} GiB (df -h ${path}); free space or set LOSSLESS_CACHE elsewhere`,
    );
  }
}

/** Whether 127.0.0.1:port can be bound now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export async function checkPorts(ports: readonly number[] = HOST_PORTS): Promise<void> {
  const taken: number[] = [];
  for (const p of ports) if (!(await portFree(p))) taken.push(p);
  if (taken.length > 0) {
    throw new LabError(
      `host port ${taken.map((p) => `127.0.0.1:${p}`).join(", ")} already taken (the ingress mappings need it): ` +
        `find the owner with 'ss -ltnp | grep -E ":(${taken.join("|")})"' and stop it, or 'npm run lab:down' if it is an old lab`,
    );
  }
}

// Where the lab lives: the repository, the cache folder, the pinned versions, the kind/kubectl binaries.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readVersions } from "./versions.ts";
import { LabError, type Lab } from "./step.ts";

export const CLUSTER_NAME = "lossless";
export const KUBE_CONTEXT = `kind-${CLUSTER_NAME}`;

export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
}

export function cacheRoot(): string {
  return process.env.LOSSLESS_CACHE ?? join(homedir(), ".cache/lossless/lab");
}

export function createLab(out: (line: string) => void = (l) => console.log(l)): Lab {
  const repo = repoRoot();
  const versionsFile = join(repo, "scripts/lab/versions.env");
  if (!existsSync(versionsFile)) throw new LabError(`${versionsFile} is missing: the checkout is incomplete`);
  return { repo, cache: cacheRoot(), versions: readVersions(versionsFile), out, timings: [] };
}

export function binPath(lab: Lab, name: string): string {
  return join(lab.cache, "bin", name);
}

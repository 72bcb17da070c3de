// The kind cluster `lossless`: what exists (node containers, their state and image), create, delete, wait.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { binPath, CLUSTER_NAME, KUBE_CONTEXT } from "./context.ts";
import { docker } from "./docker.ts";
import { LabError, type Lab, type Runner } from "./step.ts";

export const EXPECTED_NODES = 3;

export interface NodeContainer {
  name: string;
  state: string;
  image: string;
  role: string;
}

/** The built kind in the cache, else one on PATH (online users). */
export function kindBinary(lab: Lab): string {
  const built = binPath(lab, "kind");
  return existsSync(built) ? built : "kind";
}

/** The built kubectl (the machine's /usr/bin/kubectl may be a cloud SDK wrapper), else one on PATH. */
export function kubectlBinary(lab: Lab): string {
  const built = binPath(lab, "kubectl");
  return existsSync(built) ? built : "kubectl";
}

export async function nodeContainers(): Promise<NodeContainer[]> {
  const r = await docker([
    "ps", "-a", "--filter", `label=io.x-k8s.kind.cluster=${CLUSTER_NAME}`,
    "--format", '{{.Names}}\t{{.State}}\t{{.Image}}\t{{.Label "io.x-k8s.kind.role"}}',
  ]);
  if (!r.ok) return [];
  return r.out.split("\n").filter(Boolean).map((line) => {
    const [name = "", state = "", image = "", role = ""] = line.split("\t");
    return { name, state, image, role };
  });
}

/** Whether the cluster's nodes are all there and running; the reason when not. */
export function healthy(nodes: readonly NodeContainer[], wantImage?: string): { ok: boolean; why: string } {
  if (nodes.length === 0) return { ok: false, why: "no cluster" };
  if (nodes.length !== EXPECTED_NODES) return { ok: false, why: `${nodes.length} of ${EXPECTED_NODES} nodes exist` };
  const stopped = nodes.filter((n) => n.state !== "running");
  if (stopped.length > 0) return { ok: false, why: `node ${stopped.map((n) => `${n.name} is ${n.state}`).join(", ")}` };
  if (wantImage && nodes.some((n) => n.image !== wantImage)) {
    return { ok: false, why: `nodes run ${nodes[0]?.image}, the lab now builds ${wantImage}` };
  }
  return { ok: true, why: "" };
}

export async function deleteCluster(lab: Lab, r: Runner): Promise<void> {
  await r.run(kindBinary(lab), ["delete", "cluster", "--name", CLUSTER_NAME]);
}

export async function createCluster(lab: Lab, r: Runner, image?: string): Promise<void> {
  const args = ["create", "cluster", "--name", CLUSTER_NAME, "--config", join(lab.repo, "scripts/lab/kind.yaml"), "--wait", "0s"];
  if (image) args.push("--image", image);
  await r.run(kindBinary(lab), args, { timeoutMs: 15 * 60_000 });
}

/** kubectl against the lab's context; throws LabError with kubectl's message on failure. */
export async function kubectl(lab: Lab, args: readonly string[], input?: string): Promise<string> {
  const r = await execa(kubectlBinary(lab), ["--context", KUBE_CONTEXT, ...args], {
    reject: false,
    ...(input !== undefined ? { input } : {}),
    stripFinalNewline: true,
  });
  if (r.exitCode !== 0) {
    throw new LabError(`kubectl ${args.slice(0, 4).join(" ")}: ${String(r.stderr).trim().split("\n").slice(-2).join(" | ")}`);
  }
  return String(r.stdout);
}

/**
 * Waits for every node to be Ready. A control plane that has just restarted (its containers came back
 * with the Docker engine) refuses connections or answers Forbidden until its bootstrap RBAC is loaded
 * (seen after a reboot of the engine): those answers are retried until the deadline, not taken as final.
 */
export async function waitNodesReady(lab: Lab, r: Runner, timeoutSeconds = 300): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const left = Math.max(1, Math.round((deadline - Date.now()) / 1000));
    try {
      r.note(await kubectl(lab, ["wait", "--for=condition=Ready", "nodes", "--all", `--timeout=${left}s`]));
      return;
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      r.note(`not yet: ${(e as Error).message.split("\n")[0]}`);
      await new Promise((res) => setTimeout(res, 2000));
    }
  }
}

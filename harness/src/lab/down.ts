// `npm run lab:down`: deletes the cluster and what kind leaves behind (the `kind` network), then checks that
// no container, network, volume or mount of the lab is left.
import { readFileSync } from "node:fs";
import { CLUSTER_NAME } from "./context.ts";
import { deleteCluster, nodeContainers } from "./cluster.ts";
import { docker, engineRunning } from "./docker.ts";
import { LabError, step, type Lab } from "./step.ts";

export interface Leftovers {
  containers: string[];
  networks: string[];
  mounts: string[];
}

export async function leftovers(): Promise<Leftovers> {
  const containers = (await nodeContainers()).map((n) => n.name);
  const build = await docker(["ps", "-a", "--filter", "name=lossless-node-build-", "--format", "{{.Names}}"]);
  containers.push(...build.out.split("\n").filter(Boolean));
  const nets = await docker(["network", "ls", "--filter", "name=^kind$", "--format", "{{.Name}}"]);
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .filter((l) => l.includes(`/${CLUSTER_NAME}-control-plane`) || l.includes(`/${CLUSTER_NAME}-worker`));
  return { containers, networks: nets.out.split("\n").filter(Boolean), mounts };
}

export async function labDown(lab: Lab): Promise<void> {
  if (!(await engineRunning())) {
    lab.out("docker: no engine running, so no lab containers exist");
    return;
  }
  await step(lab, "delete cluster", async (r) => {
    if ((await nodeContainers()).length > 0) await deleteCluster(lab, r);
    const left = await leftovers();
    for (const c of left.containers) await r.run("docker", ["rm", "-f", "-v", c]);
    // kind keeps its network for the next cluster; the lab owns it on this machine
    for (const n of left.networks) {
      const users = await docker(["network", "inspect", "--format", "{{len .Containers}}", n]);
      if (users.out.trim() === "0") await r.run("docker", ["network", "rm", n]);
      else lab.out(`    network ${n} kept: other containers use it`);
    }
  });
  const left = await leftovers();
  const any = [...left.containers, ...left.mounts];
  if (any.length > 0) throw new LabError(`lab:down left behind: ${any.join(", ")}`);
  lab.out(`lab:down: no lab containers, mounts${left.networks.length ? "" : " or kind network"} left`);
}

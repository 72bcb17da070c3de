// `npm run lab:status`: what exists — engine, cached artefacts, cluster nodes, add-ons, the echo.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { CLUSTER_NAME } from "./context.ts";
import { healthy, kubectl, nodeContainers } from "./cluster.ts";
import { docker, engineRunning } from "./docker.ts";
import { portFree, HOST_PORTS } from "./preflight.ts";
import type { Lab } from "./step.ts";

export async function labStatus(lab: Lab): Promise<{ up: boolean }> {
  const out = lab.out;
  if (!(await engineRunning())) {
    out("docker:  no engine running (npm run lab:up starts one)");
    return { up: false };
  }
  const info = await docker(["info", "--format", "{{.ServerVersion}} runtime={{.DefaultRuntime}} cgroup={{.CgroupVersion}}"]);
  out(`docker:  ${info.out}`);
  const stamps = join(lab.cache, "stamps");
  const built = existsSync(stamps) ? readdirSync(stamps).map((f) => f.replace(/\.stamp$/, "")) : [];
  const bins = existsSync(join(lab.cache, "bin")) ? readdirSync(join(lab.cache, "bin")).filter((f) => f.endsWith(".stamp")) : [];
  const du = await execa("du", ["-sh", lab.cache], { reject: false });
  out(`cache:   ${lab.cache} (${String(du.stdout).split("\t")[0] || "absent"}); binaries: ${bins.length}; artefacts: ${built.sort().join(" ") || "none"}`);
  const nodes = await nodeContainers();
  const h = healthy(nodes);
  out(`cluster: ${CLUSTER_NAME}: ${h.ok ? "running" : h.why}`);
  for (const n of nodes) out(`  ${n.name.padEnd(28)} ${n.state.padEnd(8)} ${n.image}`);
  for (const p of HOST_PORTS) out(`port:    127.0.0.1:${p} ${(await portFree(p)) ? "free" : "in use"}`);
  if (!h.ok) return { up: false };
  try {
    out(await kubectl(lab, ["get", "nodes", "-o", "wide"]));
    out(await kubectl(lab, ["get", "pods", "-A", "-o", "wide"]));
    out(await kubectl(lab, ["get", "svc,ingress", "-A"]));
  } catch (err) {
    out(`kubectl: ${err instanceof Error ? err.message : String(err)}`);
    return { up: false };
  }
  return { up: true };
}

// Docker Engine: start it when none runs (scripts/lab/dockerd.sh), and the few image queries the lab needs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { LabError, step, type Lab, type Runner } from "./step.ts";

/** Exit code and output of a docker command that may fail (queries); never throws on a non-zero exit. */
export async function docker(args: readonly string[]): Promise<{ ok: boolean; out: string }> {
  const r = await execa("docker", args, { reject: false, stripFinalNewline: true });
  return { ok: r.exitCode === 0, out: String(r.stdout) };
}

export async function engineRunning(): Promise<boolean> {
  try {
    return (await docker(["info", "--format", "{{.ServerVersion}}"])).ok;
  } catch {
    return false; // no docker client at all
  }
}

export async function imageExists(ref: string): Promise<boolean> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", ref])).ok;
}

/** CAP_SYS_RESOURCE (bit 24) in this process's bounding set: without it privileged containers need the wrapper. */
export function hostHasSysResource(): boolean {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n : true;
}

/** Starts (and if need be installs) Docker Engine, then checks it can run kind's privileged nodes. */
export async function ensureEngine(lab: Lab): Promise<void> {
  await step(lab, "docker engine", async (r) => {
    await r.run(join(lab.repo, "scripts/lab/dockerd.sh"), ["start"]).catch((err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      throw new LabError(`no Docker Engine: ${msg}. Install Docker (Debian: apt-get install docker.io) and rerun`, 3, r.log);
    });
    if (!hostHasSysResource()) {
      const rt = await docker(["info", "--format", "{{.DefaultRuntime}}"]);
      if (rt.out.trim() !== "lossless-runc") {
        throw new LabError(
          `this host lacks CAP_SYS_RESOURCE, so privileged kind nodes need the runc wrapper, but dockerd runs with ` +
            `default runtime '${rt.out.trim()}'. Stop that dockerd and rerun (scripts/lab/dockerd.sh starts one with ` +
            `--default-runtime lossless-runc)`,
        );
      }
    }
  });
}

/** `docker build` with the classic builder: Debian's Docker 20.10 has no buildx, and images here never pull. */
export async function build(r: Runner, tag: string, contextDir: string, dockerfile = "Dockerfile"): Promise<void> {
  await r.run("docker", ["build", "-q", "-t", tag, "-f", join(contextDir, dockerfile), contextDir], {
    env: { DOCKER_BUILDKIT: "0" },
  });
}

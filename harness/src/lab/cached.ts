// `npm run lab:cached`: whether a warm `lab:up` needs no build (no compile, no mmdebstrap, no image build from
// binaries): exit 0, else one line saying what is missing. CI runs the lab tests only then.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { binPath } from "./context.ts";
import { COMPONENTS, componentInputs, componentTar } from "./image.ts";
import { NODE_ROOTFS, rootfsImage, rootfsInputs, rootfsTar, USERLAND_ROOTFS } from "./rootfs.ts";
import { stampMatches, type Lab } from "./step.ts";

/** The artefacts of scripts/lab/build.sh the offline lab needs (no crictl: not buildable here, and nothing in
 * the cluster path needs it — see the builds section of scripts/lab/README.md). */
export const BUILD_ARTEFACTS = ["kubernetes", "pause", "etcd", "coredns", "kindnetd", "local-path-provisioner", "kind", "kind-src"];

export async function labCached(lab: Lab): Promise<{ ok: boolean; why: string }> {
  const buildSh = join(lab.repo, "scripts/lab/build.sh");
  for (const a of BUILD_ARTEFACTS) {
    if (!existsSync(binPath(lab, `${a}.stamp`))) return { ok: false, why: `build artefact ${a} not built (no ${binPath(lab, `${a}.stamp`)})` };
    const outs = await execa(buildSh, ["outputs", a], { reject: false });
    if (outs.exitCode !== 0) return { ok: false, why: `scripts/lab/build.sh outputs ${a} failed: ${String(outs.stderr).trim()}` };
    const missing = String(outs.stdout).split("\n").filter((p) => p && !existsSync(p));
    if (missing.length > 0) return { ok: false, why: `build artefact ${a} incomplete: ${missing.join(", ")} missing` };
  }
  for (const spec of [USERLAND_ROOTFS, NODE_ROOTFS]) {
    if (!stampMatches(lab, `rootfs-${spec.name}`, rootfsInputs(spec)) || !existsSync(rootfsTar(lab, spec))) {
      return { ok: false, why: `root filesystem ${spec.name} not built for the current package list` };
    }
  }
  const userland = rootfsImage(USERLAND_ROOTFS);
  for (const spec of COMPONENTS) {
    if (!stampMatches(lab, `image-${spec.name}`, componentInputs(lab, spec, userland)) || !existsSync(componentTar(lab, spec))) {
      return { ok: false, why: `component image ${spec.name} not built from the current binaries` };
    }
  }
  // the add-ons engineer's artefacts (their binaries, rootfs and images), when that module is there
  const addons = join(lab.repo, "harness/src/lab/addons.ts");
  if (existsSync(addons)) {
    const mod = (await import(addons)) as { addonsCached?: (lab: Lab) => Promise<{ ok: boolean; why: string }> };
    if (mod.addonsCached) {
      const a = await mod.addonsCached(lab);
      if (!a.ok) return { ok: false, why: `add-ons: ${a.why}` };
    }
  }
  return { ok: true, why: "lab artefacts cached: a warm lab:up compiles nothing" };
}

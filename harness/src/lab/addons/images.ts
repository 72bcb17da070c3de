// The add-ons' images: small Dockerfiles (scripts/lab/addons/) over a Debian rootfs imported into Docker and
// binaries from $CACHE/bin (scripts/lab/build.sh metallb nginx-ingress traefik), built with the classic builder
// (it never pulls) and cached by the hash of what goes in.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { docker, imageExists } from "../docker.ts";
import { USERLAND_ROOTFS, ensureRootfs, type RootfsSpec } from "../rootfs.ts";
import { cached, fileHash, fileStamp, type Lab } from "../step.ts";
import { need } from "../versions.ts";

/** The artefacts of scripts/lab/build.sh the add-ons need (a warm lab has a matching stamp for each). */
export const ADDON_ARTEFACTS = ["metallb", "nginx-ingress", "traefik"] as const;

export interface AddonImage {
  name: string;
  /** versions.env key holding the ref. */
  refKey: string;
  /** Dockerfile, relative to the repo. */
  dockerfile: string;
  /** files from $CACHE/bin copied into the build context. */
  files: readonly string[];
  base: "userland" | "nginx";
}

export const ADDON_IMAGES: readonly AddonImage[] = [
  { name: "metallb-controller", refKey: "METALLB_CONTROLLER_IMAGE", dockerfile: "scripts/lab/addons/metallb/controller.Dockerfile", files: ["metallb-controller"], base: "userland" },
  { name: "metallb-speaker", refKey: "METALLB_SPEAKER_IMAGE", dockerfile: "scripts/lab/addons/metallb/speaker.Dockerfile", files: ["metallb-speaker"], base: "userland" },
  { name: "nginx-ingress", refKey: "NIC_IMAGE", dockerfile: "scripts/lab/addons/nginx-ingress/Dockerfile", files: ["nginx-ingress", "nginx-ingress-templates.tar"], base: "nginx" },
  { name: "traefik", refKey: "TRAEFIK_IMAGE", dockerfile: "scripts/lab/addons/traefik/Dockerfile", files: ["traefik"], base: "userland" },
];

/** Debian's nginx for NGINX kubernetes-ingress. Debian builds the stream module as a separate package. */
export function nginxRootfs(lab: Lab): RootfsSpec {
  return {
    name: "nginx",
    suite: lab.versions.NIC_DEBIAN_SUITE ?? "bookworm",
    packages: ["nginx", "libnginx-mod-stream", "ca-certificates"],
  };
}

export interface BuiltImage {
  name: string;
  ref: string;
  /** Docker's content id of the image (`sha256:...`). */
  id: string;
}

async function imageId(ref: string): Promise<string> {
  const r = await docker(["image", "inspect", "--format", "{{.Id}}", ref]);
  if (!r.ok) throw new Error(`image ${ref} is missing after its build`);
  return r.out.trim();
}

/** Builds (or reuses) every add-on image; returns refs and content ids. */
export async function ensureAddonImages(lab: Lab): Promise<BuiltImage[]> {
  const bases = {
    userland: await ensureRootfs(lab, USERLAND_ROOTFS),
    nginx: await ensureRootfs(lab, nginxRootfs(lab)),
  };
  const out: BuiltImage[] = [];
  for (const img of ADDON_IMAGES) {
    const ref = need(lab.versions, img.refKey);
    const base = bases[img.base];
    const dockerfile = join(lab.repo, img.dockerfile);
    const inputs = {
      ref,
      base,
      dockerfile: fileHash(dockerfile),
      files: img.files.map((f) => fileStamp(join(lab.cache, "bin", f))),
    };
    await cached(lab, `image-${img.name}`, {
      inputs,
      present: () => imageExists(ref),
      build: async (r) => {
        const ctx = join(lab.cache, "work", `image-${img.name}`);
        rmSync(ctx, { recursive: true, force: true });
        mkdirSync(ctx, { recursive: true });
        for (const f of img.files) copyFileSync(join(lab.cache, "bin", f), join(ctx, f));
        copyFileSync(dockerfile, join(ctx, "Dockerfile"));
        await r.run("docker", ["build", "-q", "--build-arg", `BASE=${base}`, "-t", ref, ctx], { env: { DOCKER_BUILDKIT: "0" } });
        rmSync(ctx, { recursive: true, force: true });
      },
    });
    out.push({ name: img.name, ref, id: await imageId(ref) });
  }
  return out;
}

// The add-ons' images: small Dockerfiles (scripts/lab/addons/) over a Debian rootfs imported into Docker and
// binaries from $CACHE/bin (scripts/lab/build.sh metallb nginx-ingress traefik), built with the classic builder
// (it never pulls) and cached by the hash of what goes in.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { docker, imageExists } from "../docker.ts";
import { HAPROXY_ROOTFS, USERLAND_ROOTFS, ensureRootfs, rootfsImage, rootfsInputs, rootfsTar, type RootfsSpec } from "../rootfs.ts";
import { cached, fileHash, fileStamp, stampMatches, step, type Lab } from "../step.ts";
import { need } from "../versions.ts";

/** The artefacts of scripts/lab/build.sh the add-ons need (a warm lab has a matching stamp for each).
 * gateway-api is the CRD manifest only: no image, so the node image (which holds the add-on images) is the
 * same with or without it. */
export const ADDON_ARTEFACTS = ["metallb", "nginx-ingress", "traefik", "gateway-api", "ingress-nginx"] as const;

export interface AddonImage {
  name: string;
  /** versions.env key holding the ref. */
  refKey: string;
  /** Dockerfile, relative to the repo. */
  dockerfile: string;
  /** files from $CACHE/bin copied into the build context. */
  files: readonly string[];
  base: "userland" | "nginx" | "ingress-nginx";
}

export const ADDON_IMAGES: readonly AddonImage[] = [
  { name: "metallb-controller", refKey: "METALLB_CONTROLLER_IMAGE", dockerfile: "scripts/lab/addons/metallb/controller.Dockerfile", files: ["metallb-controller"], base: "userland" },
  { name: "metallb-speaker", refKey: "METALLB_SPEAKER_IMAGE", dockerfile: "scripts/lab/addons/metallb/speaker.Dockerfile", files: ["metallb-speaker"], base: "userland" },
  { name: "nginx-ingress", refKey: "NIC_IMAGE", dockerfile: "scripts/lab/addons/nginx-ingress/Dockerfile", files: ["nginx-ingress", "nginx-ingress-templates.tar"], base: "nginx" },
  { name: "traefik", refKey: "TRAEFIK_IMAGE", dockerfile: "scripts/lab/addons/traefik/Dockerfile", files: ["traefik"], base: "userland" },
];

/** Add-on images only ever `kind load`ed, never baked into the node image (ADDON_IMAGES are): adding one
 * leaves the node image, and so a running cluster, as it is. */
export const LOADED_ADDON_IMAGES: readonly AddonImage[] = [
  { name: "ingress-nginx", refKey: "INGRESS_NGINX_IMAGE", dockerfile: "scripts/lab/addons/ingress-nginx/Dockerfile", files: ["ingress-nginx-controller", "ingress-nginx-etc.tar"], base: "ingress-nginx" },
];

/** Debian's nginx with the Lua module and the libraries it packages, for ingress-nginx (in place of OpenResty;
 * what Debian lacks is scripts/lab/addons/ingress-nginx/lua/resty/). diffutils: the controller diffs configs. */
export const INGRESS_NGINX_ROOTFS: RootfsSpec = {
  name: "ingress-nginx",
  suite: "bookworm",
  packages: [
    "nginx", "libnginx-mod-http-ndk", "libnginx-mod-http-lua", "lua-resty-core", "lua-resty-lrucache", "lua-cjson",
    "libnginx-mod-http-headers-more-filter", "ca-certificates", "diffutils",
  ],
};

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

function baseRefs(lab: Lab): Record<AddonImage["base"], string> {
  return { userland: rootfsImage(USERLAND_ROOTFS), nginx: rootfsImage(nginxRootfs(lab)), "ingress-nginx": rootfsImage(INGRESS_NGINX_ROOTFS) };
}

/** Everything an add-on image depends on (the base is the rootfs's hashed tag). */
function imageInputs(lab: Lab, img: AddonImage, base: string): unknown {
  return {
    ref: need(lab.versions, img.refKey),
    base,
    dockerfile: fileHash(join(lab.repo, img.dockerfile)),
    files: img.files.map((f) => fileStamp(join(lab.cache, "bin", f))),
  };
}

/** The image saved under $CACHE/images, so a Docker without it (pruned, new engine) loads instead of rebuilding. */
export function addonImageTar(lab: Lab, img: AddonImage): string {
  return join(lab.cache, "images", `addon-${img.name}.tar`);
}

/** Builds (or reuses) every add-on image the node image holds; returns refs and content ids. */
export async function ensureAddonImages(lab: Lab): Promise<BuiltImage[]> {
  const refs = baseRefs(lab);
  // ensureRootfs builds the tar when missing and imports it into Docker when the tag is missing
  if ((await ensureRootfs(lab, USERLAND_ROOTFS)) !== refs.userland) throw new Error("userland rootfs tag changed under us");
  if ((await ensureRootfs(lab, nginxRootfs(lab))) !== refs.nginx) throw new Error("nginx rootfs tag changed under us");
  return buildImages(lab, ADDON_IMAGES, refs);
}

/** Builds (or reuses) the add-on images that are only loaded (LOADED_ADDON_IMAGES). */
export async function ensureLoadedAddonImages(lab: Lab): Promise<BuiltImage[]> {
  const refs = baseRefs(lab);
  if ((await ensureRootfs(lab, INGRESS_NGINX_ROOTFS)) !== refs["ingress-nginx"]) throw new Error("ingress-nginx rootfs tag changed under us");
  return buildImages(lab, LOADED_ADDON_IMAGES, refs);
}

async function buildImages(lab: Lab, list: readonly AddonImage[], refs: Record<AddonImage["base"], string>): Promise<BuiltImage[]> {
  const out: BuiltImage[] = [];
  for (const img of list) {
    const ref = need(lab.versions, img.refKey);
    const base = refs[img.base];
    const tar = addonImageTar(lab, img);
    await cached(lab, `image-${img.name}`, {
      inputs: imageInputs(lab, img, base),
      present: () => existsSync(tar),
      build: async (r) => {
        const ctx = join(lab.cache, "work", `image-${img.name}`);
        rmSync(ctx, { recursive: true, force: true });
        mkdirSync(ctx, { recursive: true });
        for (const f of img.files) copyFileSync(join(lab.cache, "bin", f), join(ctx, f));
        copyFileSync(join(lab.repo, img.dockerfile), join(ctx, "Dockerfile"));
        await r.run("docker", ["build", "-q", "--build-arg", `BASE=${base}`, "-t", ref, ctx], { env: { DOCKER_BUILDKIT: "0" } });
        mkdirSync(join(lab.cache, "images"), { recursive: true });
        await r.run("docker", ["save", "-o", `${tar}.partial`, ref]);
        renameSync(`${tar}.partial`, tar);
        rmSync(ctx, { recursive: true, force: true });
      },
    });
    if (!(await imageExists(ref))) {
      await step(lab, `docker load ${img.name}`, async (r) => {
        await r.run("docker", ["load", "-i", tar]);
      });
    }
    out.push({ name: img.name, ref, id: await imageId(ref) });
  }
  return out;
}

/** Whether a warm lab:up builds nothing for the add-ons (for `npm run lab:cached`); else what is missing. */
export async function addonsCached(lab: Lab): Promise<{ ok: boolean; why: string }> {
  const buildSh = join(lab.repo, "scripts/lab/build.sh");
  for (const a of ADDON_ARTEFACTS) {
    if (!existsSync(join(lab.cache, "bin", `${a}.stamp`))) return { ok: false, why: `add-on artefact ${a} not built` };
    const outs = await execa("bash", [buildSh, "outputs", a], { reject: false });
    const missing = String(outs.stdout).split("\n").filter((p) => p && !existsSync(p));
    if (outs.exitCode !== 0 || missing.length > 0) return { ok: false, why: `add-on artefact ${a} incomplete` };
  }
  for (const spec of [nginxRootfs(lab), HAPROXY_ROOTFS, INGRESS_NGINX_ROOTFS]) {
    if (!stampMatches(lab, `rootfs-${spec.name}`, rootfsInputs(spec)) || !existsSync(rootfsTar(lab, spec))) {
      return { ok: false, why: `root filesystem ${spec.name} not built for the current package list` };
    }
  }
  const refs = baseRefs(lab);
  for (const img of [...ADDON_IMAGES, ...LOADED_ADDON_IMAGES]) {
    if (!stampMatches(lab, `image-${img.name}`, imageInputs(lab, img, refs[img.base])) || !existsSync(addonImageTar(lab, img))) {
      return { ok: false, why: `add-on image ${img.name} not built from the current binaries` };
    }
  }
  return { ok: true, why: "add-on artefacts cached" };
}

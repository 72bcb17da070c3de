// `npm run lab:up`: the kind cluster `lossless` with its add-ons and the test echo, idempotently. Offline (built
// here, cached) or online (kind's published images; untested here). Reuses a healthy cluster, recreates a
// half-made one, prints each step and its time.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { execa } from "execa";
import { ensureEngine, docker } from "./docker.ts";
import { checkCgroups, checkDisk, checkPorts } from "./preflight.ts";
import { ensureRootfs, NODE_ROOTFS, USERLAND_ROOTFS } from "./rootfs.ts";
import { componentBinaries, ensureComponents, type ComponentImage } from "./image.ts";
import { ensureBaseImage, ensureNodeImage, kindSource } from "./node-image.ts";
import { ECHO, ensureAppImage, HARNESS, type AppImage } from "./app-image.ts";
import { createCluster, deleteCluster, healthy, kindBinary, kubectl, nodeContainers, waitNodesReady } from "./cluster.ts";
import { binPath, CLUSTER_NAME } from "./context.ts";
import { LabError, step, type Lab } from "./step.ts";
import { BUILD_ARTEFACTS, labCached } from "./cached.ts";

export type Source = "online" | "offline";

export interface UpOptions {
  source?: Source;
}


/** Online when a registry answers on 443 within 3 s; LOSSLESS_LAB_SOURCE or --source override. */
export async function chooseSource(explicit?: string): Promise<Source> {
  const want = explicit ?? process.env.LOSSLESS_LAB_SOURCE;
  if (want !== undefined && want !== "") {
    if (want !== "online" && want !== "offline") {
      throw new LabError(`--source/LOSSLESS_LAB_SOURCE: '${want}' is not a source (allowed: online, offline)`, 2);
    }
    return want;
  }
  const reachable = await new Promise<boolean>((resolve) => {
    const s = connect({ host: "registry-1.docker.io", port: 443, timeout: 3000 });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.once("connect", () => done(true));
    s.once("timeout", () => done(false));
    s.once("error", () => done(false));
  });
  return reachable ? "online" : "offline";
}

/** The add-ons engineer's image module (harness/src/lab/addons/images.ts), when it is there. */
interface AddonImagesModule {
  ADDON_ARTEFACTS: readonly string[];
  ADDON_IMAGES: ReadonlyArray<{ name: string }>;
  ensureAddonImages: (lab: Lab) => Promise<Array<{ name: string; ref: string; id: string }>>;
  addonImageTar: (lab: Lab, img: { name: string }) => string;
}

async function addonImagesModule(lab: Lab): Promise<AddonImagesModule | undefined> {
  const file = join(lab.repo, "harness/src/lab/addons/images.ts");
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as Partial<AddonImagesModule>;
  return mod.ADDON_ARTEFACTS && mod.ADDON_IMAGES && mod.ensureAddonImages && mod.addonImageTar ? (mod as AddonImagesModule) : undefined;
}

/** The add-on images, baked into the node image: a fresh cluster then needs no `kind load` of them (the
 * crictl stand-in in the node image lets the add-ons' own `kind load` see they are there). */
async function addonImages(lab: Lab, mod: AddonImagesModule | undefined): Promise<ComponentImage[]> {
  if (!mod) return [];
  const built = await mod.ensureAddonImages(lab);
  return built.map((b) => {
    const spec = mod.ADDON_IMAGES.find((i) => i.name === b.name) ?? { name: b.name };
    return { name: b.name, ref: b.ref, tar: mod.addonImageTar(lab, spec), hash: b.id };
  });
}

/** build.sh's lines as they come: the artefact being built becomes the progress line's sub-step. */
function buildLine(lab: Lab, line: string): void {
  const start = /^building ([\w.-]+): log ([^,\s]+)(?:, last built in (\d+)s)?$/.exec(line);
  if (start) return lab.progress?.sub(start[1]!, start[2]!, start[3] === undefined ? undefined : Number(start[3]));
  const built = /^built ([\w.-]+) in (\d+)s$/.exec(line);
  if (built) lab.progress?.subDone(built[1]!, Number(built[2]));
}

/** Builds (or reuses) everything the offline node image needs; returns the node image ref. */
async function offlineNodeImage(lab: Lab): Promise<string> {
  const addonMod = await addonImagesModule(lab);
  await step(lab, "build binaries (scripts/lab/build.sh)", async (r) => {
    try {
      const artefacts = [...BUILD_ARTEFACTS, ...(addonMod?.ADDON_ARTEFACTS ?? [])];
      const out = await r.run(join(lab.repo, "scripts/lab/build.sh"), artefacts, { timeoutMs: 120 * 60_000, onLine: (line) => buildLine(lab, line) });
      for (const line of out.split("\n").filter((l) => l && !l.startsWith("building "))) lab.out(`    ${line}`);
    } catch (err) {
      const failed = /FAILED ([\w-]+): see (\S+)/.exec(err instanceof Error ? err.message : "");
      throw failed ? new LabError(`build of ${failed[1]} failed: see ${failed[2]}`, 3, failed[2]) : err;
    }
    for (const b of [...componentBinaries(), "kubeadm", "kubelet", "kubectl", "kind"]) {
      if (!existsSync(binPath(lab, b))) throw new LabError(`scripts/lab/build.sh ran but ${binPath(lab, b)} is missing`);
    }
  });
  const userland = await ensureRootfs(lab, USERLAND_ROOTFS);
  const nodeRootfs = await ensureRootfs(lab, NODE_ROOTFS);
  const images = [...(await ensureComponents(lab, userland)), ...(await addonImages(lab, addonMod))];
  const src = await kindSource(lab);
  const base = await ensureBaseImage(lab, nodeRootfs, src);
  return ensureNodeImage(lab, base, images, src);
}

async function ensureCluster(lab: Lab, image: string | undefined): Promise<void> {
  const nodes = await nodeContainers();
  const state = healthy(nodes, image);
  if (state.ok) {
    lab.out(`✓ cluster ${CLUSTER_NAME} running (${nodes.length} nodes): reused`);
  } else {
    await step(lab, "create cluster", async (r) => {
      if (nodes.length > 0) {
        lab.out(`    ${state.why}: deleting the cluster and creating it again`);
        await deleteCluster(lab, r);
      }
      await checkPorts();
      await createCluster(lab, r, image);
    });
  }
  await step(lab, "nodes Ready", (r) => waitNodesReady(lab, r, 300));
}

async function loadImages(lab: Lab, images: readonly AppImage[]): Promise<void> {
  await step(lab, "load echo and harness images", async (r) => {
    // workers only: the control-plane's taint keeps these pods off it, and each node costs a full import
    const workers = (await nodeContainers()).filter((n) => n.role === "worker").map((n) => n.name);
    const nodes = workers.length > 0 ? ["--nodes", workers.join(",")] : [];
    await r.run(kindBinary(lab), ["load", "docker-image", "--name", CLUSTER_NAME, ...nodes, ...images.map((i) => i.ref)]);
  });
}

/** Context handed to the add-ons engineer's installAddons (harness/src/lab/addons.ts). */
export interface AddonsContext {
  kubectl: (args: string[], input?: string) => Promise<string>;
  cache: string;
  repo: string;
  log: (line: string) => void;
  source: Source;
  versions: Lab["versions"];
  /** The kind binary and cluster name, for `kind load image-archive|docker-image`. */
  kind: string;
  cluster: string;
}

async function installAddons(lab: Lab, source: Source): Promise<boolean> {
  const file = join(lab.repo, "harness/src/lab/addons.ts");
  if (!existsSync(file)) {
    lab.out("✗ add-ons: harness/src/lab/addons.ts does not exist yet (MetalLB, ingress controllers not installed)");
    return false;
  }
  const mod = (await import(file)) as { installAddons?: (ctx: AddonsContext) => Promise<void> };
  if (typeof mod.installAddons !== "function") throw new LabError(`${file} does not export installAddons(ctx)`);
  const install = mod.installAddons;
  await step(lab, "add-ons", () =>
    install({
      kubectl: (args, input) => kubectl(lab, args, input),
      cache: lab.cache,
      repo: lab.repo,
      log: (line) => lab.out(`    ${line}`),
      source,
      versions: lab.versions,
      kind: kindBinary(lab),
      cluster: CLUSTER_NAME,
    }),
  );
  return true;
}

export const ECHO_NAMESPACE = "lossless-lab";

/** Where lab:up records the image refs it loaded, for runs that reuse the lab without lab:up (compose). */
export const IMAGES_CONFIGMAP = "lossless-images";

async function deployEcho(lab: Lab, echo: AppImage, apps: readonly AppImage[]): Promise<void> {
  await step(lab, "echo deployment", async (r) => {
    const yaml = readFileSync(join(lab.repo, "scripts/lab/manifests/echo.yaml"), "utf8").replaceAll("${IMAGE}", echo.ref);
    // the Ingress objects need the controllers' IngressClass only at routing time: apply everything
    r.note(await kubectl(lab, ["apply", "-f", "-"], yaml));
    const images = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: IMAGES_CONFIGMAP, namespace: ECHO_NAMESPACE }, data: Object.fromEntries(apps.map((a) => [a.name, a.ref])) };
    r.note(await kubectl(lab, ["apply", "-f", "-"], JSON.stringify(images)));
    r.note(await kubectl(lab, ["-n", ECHO_NAMESPACE, "rollout", "status", "deployment/echo", "--timeout=180s"]));
  });
}

/** Online: kind's published node image and a Dockerfile build of the echo/harness (needs a registry). */
async function onlineApps(lab: Lab): Promise<AppImage[]> {
  const out: AppImage[] = [];
  await step(lab, "build echo and harness images (Dockerfiles)", async (r) => {
    for (const [name, file] of [["echo", "workloads/echo/Dockerfile"], ["harness", "scripts/lab/images/harness.Dockerfile"]] as const) {
      const ref = `lossless/${name}:dev`;
      await r.run("docker", ["build", "-t", ref, "-f", join(lab.repo, file), lab.repo]);
      out.push({ name, ref });
    }
  });
  return out;
}

/** What a scenario needs from lab:up: whether the add-ons are in, and the image refs the nodes hold. */
export interface LabUp {
  complete: boolean;
  /** echo and harness image refs as loaded into the nodes (kind skips a second tag of a loaded image). */
  images: Record<string, string>;
}

export async function labUp(lab: Lab, opts: UpOptions = {}): Promise<LabUp> {
  const t0 = performance.now();
  checkCgroups();
  await ensureEngine(lab);
  const source = await chooseSource(opts.source);
  lab.out(`· source: ${source}${opts.source || process.env.LOSSLESS_LAB_SOURCE ? "" : " (auto: set LOSSLESS_LAB_SOURCE or --source to override)"}`);
  const dockerRoot = (await docker(["info", "--format", "{{.DockerRootDir}}"])).out.trim() || "/var/lib/docker";
  checkDisk(dockerRoot, 6, "Docker's images and the kind nodes");
  let nodeImage: string | undefined;
  let apps: AppImage[];
  if (source === "offline") {
    // a cold cache grows to ~21 GiB (Go caches 17); a warm one only needs room for a rebuilt image or two
    const warm = (await labCached(lab)).ok;
    checkDisk(lab.cache, warm ? 4 : 25, warm ? "the lab cache" : "a cold lab build (Go module and build caches, root filesystems, images)");
    nodeImage = await offlineNodeImage(lab);
    await ensureCluster(lab, nodeImage);
    const userland = await ensureRootfs(lab, USERLAND_ROOTFS);
    apps = [await ensureAppImage(lab, ECHO, userland), await ensureAppImage(lab, HARNESS, userland)];
  } else {
    await ensureCluster(lab, undefined);
    apps = await onlineApps(lab);
  }
  await loadImages(lab, apps);
  // the echo first: it needs only the cluster, and stays usable (ClusterIP) when an add-on fails
  await deployEcho(lab, apps.find((a) => a.name === "echo")!, apps);
  const addons = await installAddons(lab, source);
  const total = (performance.now() - t0) / 1000;
  const du = await execa("du", ["-sh", lab.cache], { reject: false });
  lab.out(`lab:up done in ${total.toFixed(1)}s; cache ${String(du.stdout).split("\t")[0]} at ${lab.cache}`);
  return { complete: addons, images: Object.fromEntries(apps.map((a) => [a.name, a.ref])) };
}

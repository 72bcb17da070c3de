// Component images tagged exactly as kubeadm and kind name them, each a small Dockerfile over a static binary
// from $CACHE/bin (built by scripts/lab/build.sh) on the userland rootfs (or scratch for pause), saved to
// $CACHE/images/<name>.tar for the node image to import.
import { existsSync, mkdirSync, renameSync, rmSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageExists } from "./docker.ts";
import { binPath } from "./context.ts";
import { cached, fileStamp, hashOf, type Lab } from "./step.ts";
import { need } from "./versions.ts";

export interface ComponentSpec {
  name: string;
  /** versions.env key holding the full image ref. */
  refKey: string;
  /** binaries from $CACHE/bin and where they go in the image. */
  binaries: ReadonlyArray<readonly [string, string]>;
  base: "userland" | "scratch";
  entrypoint?: readonly string[];
}

export interface ComponentImage {
  name: string;
  ref: string;
  tar: string;
  hash: string;
}

export const COMPONENTS: readonly ComponentSpec[] = [
  { name: "kube-apiserver", refKey: "KUBE_APISERVER_IMAGE", binaries: [["kube-apiserver", "/usr/local/bin/kube-apiserver"]], base: "userland" },
  { name: "kube-controller-manager", refKey: "KUBE_CONTROLLER_MANAGER_IMAGE", binaries: [["kube-controller-manager", "/usr/local/bin/kube-controller-manager"]], base: "userland" },
  { name: "kube-scheduler", refKey: "KUBE_SCHEDULER_IMAGE", binaries: [["kube-scheduler", "/usr/local/bin/kube-scheduler"]], base: "userland" },
  // kube-proxy and kindnetd program iptables/nftables: they need those tools in the image
  { name: "kube-proxy", refKey: "KUBE_PROXY_IMAGE", binaries: [["kube-proxy", "/usr/local/bin/kube-proxy"]], base: "userland" },
  { name: "etcd", refKey: "ETCD_IMAGE", binaries: [["etcd", "/usr/local/bin/etcd"], ["etcdctl", "/usr/local/bin/etcdctl"]], base: "userland" },
  { name: "coredns", refKey: "COREDNS_IMAGE", binaries: [["coredns", "/coredns"]], base: "userland", entrypoint: ["/coredns"] },
  { name: "pause", refKey: "PAUSE_IMAGE", binaries: [["pause", "/pause"]], base: "scratch", entrypoint: ["/pause"] },
  { name: "kindnetd", refKey: "KINDNETD_IMAGE", binaries: [["kindnetd", "/bin/kindnetd"]], base: "userland", entrypoint: ["/bin/kindnetd"] },
  { name: "local-path-provisioner", refKey: "LOCAL_PATH_PROVISIONER_IMAGE", binaries: [["local-path-provisioner", "/usr/local/bin/local-path-provisioner"]], base: "userland", entrypoint: ["/usr/local/bin/local-path-provisioner"] },
  // the provisioner's helper pods run `sh -c 'mkdir ...'`: the userland alone is the image
  { name: "local-path-helper", refKey: "LOCAL_PATH_HELPER_IMAGE", binaries: [], base: "userland" },
];

/** Binaries the components need from $CACHE/bin. */
export function componentBinaries(): string[] {
  return [...new Set(COMPONENTS.flatMap((c) => c.binaries.map(([b]) => b)))];
}

export function dockerfile(spec: ComponentSpec, userland: string): string {
  const lines = [`FROM ${spec.base === "scratch" ? "scratch" : userland}`];
  for (const [bin, dest] of spec.binaries) lines.push(`COPY ${bin} ${dest}`);
  if (spec.entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(spec.entrypoint)}`);
  return `${lines.join("\n")}\n`;
}

/** What a component image depends on: its ref, Dockerfile (with the userland's hashed tag) and binaries. */
export function componentInputs(lab: Lab, spec: ComponentSpec, userland: string): unknown {
  const ref = need(lab.versions, spec.refKey);
  return { ref, text: dockerfile(spec, userland), binaries: spec.binaries.map(([b]) => fileStamp(binPath(lab, b))) };
}

export function componentTar(lab: Lab, spec: ComponentSpec): string {
  return join(lab.cache, "images", `${spec.name}.tar`);
}

export async function ensureComponent(lab: Lab, spec: ComponentSpec, userland: string): Promise<ComponentImage> {
  const ref = need(lab.versions, spec.refKey);
  const text = dockerfile(spec, userland);
  const inputs = componentInputs(lab, spec, userland);
  const hash = hashOf(inputs);
  const tar = componentTar(lab, spec);
  await cached(lab, `image-${spec.name}`, {
    inputs,
    present: () => existsSync(tar),
    build: async (r) => {
      const ctx = join(lab.cache, "work", `image-${spec.name}`);
      rmSync(ctx, { recursive: true, force: true });
      mkdirSync(ctx, { recursive: true });
      for (const [bin] of spec.binaries) copyFileSync(binPath(lab, bin), join(ctx, bin));
      writeFileSync(join(ctx, "Dockerfile"), text);
      await r.run("docker", ["build", "-q", "-t", ref, ctx], { env: { DOCKER_BUILDKIT: "0" } });
      mkdirSync(join(lab.cache, "images"), { recursive: true });
      await r.run("docker", ["save", "-o", `${tar}.partial`, ref]);
      renameSync(`${tar}.partial`, tar);
      rmSync(ctx, { recursive: true, force: true });
    },
  });
  return { name: spec.name, ref, tar, hash };
}

export async function ensureComponents(lab: Lab, userland: string): Promise<ComponentImage[]> {
  const out: ComponentImage[] = [];
  for (const spec of COMPONENTS) out.push(await ensureComponent(lab, spec, userland));
  return out;
}

/** Whether a Docker image with this tag exists (re-exported for status). */
export { imageExists };

// Debian root filesystems built with mmdebstrap from Debian's archive, cached as tars in $CACHE/rootfs and
// imported into Docker as lossless/rootfs-<name>:<hash> (Docker 20.10's classic builder cannot pull a base
// image, so every image here starts FROM one of these).
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cached, hashOf, LabError, step, type Lab } from "./step.ts";
import { imageExists } from "./docker.ts";
import { execa } from "execa";

export interface RootfsSpec {
  name: string;
  suite: string;
  packages: readonly string[];
}

/** kind's base image package list (images/base/Dockerfile) plus the runtime kind builds itself and we take
 * from Debian: containerd, runc, CNI plugins; systemd-sysv for /sbin/init. nfs-common/open-iscsi left out. */
export const NODE_ROOTFS: RootfsSpec = {
  name: "node",
  suite: "bookworm",
  packages: [
    "systemd", "systemd-sysv", "dbus",
    "conntrack", "iptables", "nftables", "iproute2", "ethtool", "util-linux", "mount", "kmod",
    "libseccomp2", "pigz", "fuse-overlayfs",
    "bash", "ca-certificates", "curl", "jq", "procps",
    "containerd", "runc", "containernetworking-plugins",
  ],
};

/** The userland under the images that need more than a static binary: kube-proxy and kindnetd (iptables,
 * nftables, conntrack), local-path's helper (sh, mkdir, rm), and the Node-based echo and harness images. */
export const USERLAND_ROOTFS: RootfsSpec = {
  name: "userland",
  suite: "bookworm",
  packages: ["iptables", "nftables", "conntrack", "iproute2", "ca-certificates", "procps"],
};

/** Debian's HAProxy for the `cloud` LoadBalancer provider (harness/src/lab/cloudlb/): one container per
 * Service on the kind network, run straight from this rootfs (haproxy is the only thing in it that runs). */
export const HAPROXY_ROOTFS: RootfsSpec = {
  name: "haproxy",
  suite: "bookworm",
  packages: ["haproxy"],
};

export function debianMirror(): string {
  return process.env.LOSSLESS_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
}

function mmdebstrapArgs(spec: RootfsSpec, out: string): string[] {
  const mirror = debianMirror();
  const security = process.env.LOSSLESS_DEBIAN_SECURITY_MIRROR ?? mirror.replace(/\/debian\/?$/, "/debian-security");
  return [
    "--variant=minbase",
    // the output name ends in .partial until done: say the format, never let it guess "directory"
    "--format=tar",
    `--include=${spec.packages.join(",")}`,
    "--aptopt=APT::Install-Recommends \"false\"",
    // docs, man pages and locales are dead weight in every image
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*.bin",
    spec.suite,
    out,
    `deb ${mirror} ${spec.suite} main`,
    `deb ${mirror} ${spec.suite}-updates main`,
    `deb ${security} ${spec.suite}-security main`,
  ];
}

export function rootfsInputs(spec: RootfsSpec): unknown {
  return { spec, mirror: debianMirror(), args: mmdebstrapArgs(spec, "OUT") };
}

export function rootfsTar(lab: Lab, spec: RootfsSpec): string {
  return join(lab.cache, "rootfs", `${spec.name}.tar`);
}

export function rootfsImage(spec: RootfsSpec): string {
  return `lossless/rootfs-${spec.name}:${hashOf(rootfsInputs(spec))}`;
}

async function ensureMmdebstrap(): Promise<void> {
  const have = await execa("mmdebstrap", ["--version"], { reject: false }).catch(() => undefined);
  if (have?.exitCode === 0) return;
  if (process.getuid?.() !== 0) {
    throw new LabError("mmdebstrap is missing: install it (sudo apt-get install mmdebstrap) and rerun");
  }
  const r = await execa("sh", ["-c", "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y mmdebstrap"], {
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) {
    throw new LabError(`apt-get install mmdebstrap failed: ${String(r.all).split("\n").slice(-3).join(" | ")}`);
  }
}

/** The rootfs tar (built when missing or its inputs changed) imported as a Docker image; returns the ref. */
export async function ensureRootfs(lab: Lab, spec: RootfsSpec): Promise<string> {
  const tar = rootfsTar(lab, spec);
  const image = rootfsImage(spec);
  await cached(lab, `rootfs-${spec.name}`, {
    inputs: rootfsInputs(spec),
    present: () => existsSync(tar),
    build: async (r) => {
      await ensureMmdebstrap();
      mkdirSync(join(lab.cache, "rootfs"), { recursive: true });
      const tmp = `${tar}.partial`;
      rmSync(tmp, { force: true }); // a file (--format=tar), never a tree with mounts in it
      await r.run("mmdebstrap", mmdebstrapArgs(spec, tmp), { timeoutMs: 20 * 60_000 });
      renameSync(tmp, tar); // an interrupted build leaves only .partial, rebuilt next time
    },
  });
  if (!(await imageExists(image))) {
    await step(lab, `import rootfs-${spec.name}`, async (r) => {
      await r.run("docker", ["import", tar, image]);
    });
  }
  return image;
}

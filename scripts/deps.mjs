// Makes node_modules match package-lock.json, so that a fresh clone needs no `npm install` of its own:
// every npm script and harness/bin/lossless pass through scripts/deps before importing tsx or typescript.
// Plain Node with no dependencies (it runs before node_modules exists). Checks each locked package's
// installed version; when one is missing or differs, runs `npm ci` once and says so on stderr.
// Exit 0 ready, 3 the install failed (the environment: registry unreachable, disk full).
// `--check` only reports (exit 0 in sync, 1 not).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What differs between package-lock.json and node_modules: [] when in sync. */
export function drift(dir) {
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  if (!existsSync(join(dir, "node_modules"))) return ["node_modules is missing"];
  const out = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === "" || entry.link) continue;
    const manifest = join(dir, path, "package.json");
    if (!existsSync(manifest)) {
      // optional packages for other platforms (esbuild's, for one) are never installed here
      if (!entry.optional) out.push(`${path.replace(/^.*node_modules\//, "")} ${entry.version} is missing`);
      continue;
    }
    const version = JSON.parse(readFileSync(manifest, "utf8")).version;
    if (version !== entry.version) out.push(`${path.replace(/^.*node_modules\//, "")} is ${version}, the lock says ${entry.version}`);
  }
  return out;
}

/** The fast path's stamp for this lock's content (scripts/deps looks for it before starting Node). */
function stamp() {
  const hash = createHash("sha256").update(readFileSync(join(root, "package-lock.json"))).digest("hex").slice(0, 16);
  try {
    writeFileSync(join(root, "node_modules", `.lossless-deps-${hash}`), "");
  } catch {
    // a read-only node_modules: the full check runs each time, which is only slower
  }
}

function main() {
  const check = process.argv.includes("--check");
  const found = drift(root);
  if (found.length === 0) {
    if (!check) stamp();
    return 0;
  }
  if (check) {
    for (const line of found) console.log(line);
    return 1;
  }
  const what = found.length === 1 ? found[0] : `${found.length} packages differ from package-lock.json (${found[0]}, ...)`;
  process.stderr.write(`lossless: ${what}: installing them with npm ci (once; later runs skip this)\n`);
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: root, stdio: ["ignore", 2, 2] });
  if (npm.error || npm.status !== 0) {
    const why = npm.error ? npm.error.message : `exit ${npm.status}`;
    process.stderr.write(`lossless: npm ci failed (${why}): install Node.js and npm, check that the npm registry answers, then run npm ci in ${root}\n`);
    return 3;
  }
  const left = drift(root);
  if (left.length > 0) {
    process.stderr.write(`lossless: after npm ci, ${left[0]}: run npm ci in ${root} and read its output\n`);
    return 3;
  }
  stamp();
  process.stderr.write("lossless: dependencies installed\n");
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();

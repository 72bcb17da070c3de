// Steps of the lab: each prints its name and time, logs its commands' output to $CACHE/logs/<step>.log, and
// turns a failed command into a LabError naming the step and its log. Cached steps skip when the hash of their
// inputs matches the stamp of the last successful build and the outputs are still there.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { join } from "node:path";
import { execa, ExecaError } from "execa";
import type { Versions } from "./versions.ts";
import type { Progress } from "./progress.ts";

/** A failure the user can act on: exit 2 for bad input, 3 for the environment (what to do is in the message). */
export class LabError extends Error {
  constructor(
    message: string,
    readonly exitCode: 2 | 3 = 3,
    readonly logFile?: string,
  ) {
    super(message);
  }
}

export interface StepTiming {
  name: string;
  seconds: number;
  result: "built" | "cached" | "done" | "failed";
}

export interface Lab {
  cache: string;
  repo: string;
  versions: Versions;
  /** User-facing output, one line at a time. */
  out: (line: string) => void;
  timings: StepTiming[];
  /** The live status line (lab:up and scenario runs attach one; tests do not). */
  progress?: Progress;
}

export interface RunOptions {
  input?: string;
  /** A file fed to the command's stdin (image tars). */
  inputFile?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Bound on the command's run time; default none. */
  timeoutMs?: number;
  /** Each line of stdout as it comes (for progress), besides the log. */
  onLine?: (line: string) => void;
}

/** Runs commands for one step, appending their output to the step's log. */
export interface Runner {
  readonly log: string;
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<string>;
  note(line: string): void;
}

export function logsDir(lab: Lab): string {
  return join(lab.cache, "logs");
}

function runner(lab: Lab, name: string): Runner {
  mkdirSync(logsDir(lab), { recursive: true });
  const log = join(logsDir(lab), `${name.replace(/[^A-Za-z0-9_.-]+/g, "-")}.log`);
  writeFileSync(log, `# ${new Date().toISOString()} ${name}\n`);
  const append = (text: string) => writeFileSync(log, text, { flag: "a" });
  return {
    log,
    note: (line) => append(`${line}\n`),
    async run(cmd, args, opts = {}) {
      append(`$ ${cmd} ${args.join(" ")}\n`);
      try {
        const sub = execa(cmd, args, {
          cwd: opts.cwd,
          env: opts.env,
          ...(opts.input !== undefined ? { input: opts.input } : {}),
          ...(opts.inputFile !== undefined ? { inputFile: opts.inputFile } : {}),
          timeout: opts.timeoutMs,
          stdout: ["pipe", { file: log, append: true }],
          stderr: ["pipe", { file: log, append: true }],
          stripFinalNewline: true,
        });
        if (opts.onLine) {
          const onLine = opts.onLine;
          let rest = "";
          sub.stdout?.on("data", (chunk: Buffer) => {
            const lines = (rest + chunk.toString("utf8")).split("\n");
            rest = lines.pop() ?? "";
            for (const l of lines) onLine(l);
          });
        }
        const r = await sub;
        return String(r.stdout);
      } catch (err) {
        if (err instanceof ExecaError) {
          const why = err.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exit ${err.exitCode ?? err.signal}`;
          const tail = String(err.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
          throw new LabError(`${name}: '${cmd} ${args.slice(0, 3).join(" ")} ...' failed (${why}): ${tail}`, 3, log);
        }
        throw err;
      }
    },
  };
}

/** Runs one step with its timing; failures become LabError carrying the step's log. */
export async function step<T>(lab: Lab, name: string, fn: (r: Runner) => Promise<T>): Promise<T> {
  const r = runner(lab, name);
  const t0 = performance.now();
  lab.out(`· ${name} ...`);
  lab.progress?.begin(name, r.log);
  try {
    const v = await fn(r);
    const seconds = (performance.now() - t0) / 1000;
    lab.progress?.end(seconds, true);
    lab.timings.push({ name, seconds, result: "done" });
    lab.out(`✓ ${name} ${seconds.toFixed(1)}s`);
    return v;
  } catch (err) {
    const seconds = (performance.now() - t0) / 1000;
    lab.progress?.end(seconds, false);
    lab.timings.push({ name, seconds, result: "failed" });
    if (err instanceof LabError) throw err.logFile ? err : new LabError(err.message, err.exitCode, r.log);
    throw new LabError(`${name}: ${err instanceof Error ? err.message : String(err)}`, 3, r.log);
  }
}

export interface CachedSpec {
  /** Everything the output depends on (versions, file fingerprints, package lists); JSON-serialisable. */
  inputs: unknown;
  /** Whether the outputs still exist (a stamp alone is not enough). */
  present: () => Promise<boolean> | boolean;
  build: (r: Runner) => Promise<void>;
}

export function hashOf(inputs: unknown): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 12);
}

export function stampFile(lab: Lab, name: string): string {
  return join(lab.cache, "stamps", `${name}.stamp`);
}

/** True when the artefact's stamp matches its inputs (without checking the outputs). */
export function stampMatches(lab: Lab, name: string, inputs: unknown): boolean {
  try {
    return readFileSync(stampFile(lab, name), "utf8").trim() === hashOf(inputs);
  } catch {
    return false;
  }
}

/** Builds an artefact unless its stamp matches and its outputs are present. */
export async function cached(lab: Lab, name: string, spec: CachedSpec): Promise<"cached" | "built"> {
  if (stampMatches(lab, name, spec.inputs) && (await spec.present())) {
    lab.timings.push({ name, seconds: 0, result: "cached" });
    lab.out(`✓ ${name} cached`);
    return "cached";
  }
  await step(lab, name, spec.build);
  lab.timings[lab.timings.length - 1]!.result = "built";
  const stamp = stampFile(lab, name);
  mkdirSync(join(lab.cache, "stamps"), { recursive: true });
  writeFileSync(`${stamp}.tmp`, `${hashOf(spec.inputs)}\n`);
  renameSync(`${stamp}.tmp`, stamp);
  return "built";
}

/** Content hash of a small file (scripts, Dockerfiles, manifests). */
export function fileHash(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
}

/** Size and mtime of a large file (binaries): a rebuild changes it without reading 100 MB. */
export function fileStamp(path: string): string {
  if (!existsSync(path)) return "missing";
  const s = statSync(path);
  return `${s.size}:${Math.round(s.mtimeMs)}`;
}

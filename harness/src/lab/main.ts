// Thin CLI for the lab: `up [--source online|offline]`, `down`, `status`, `cached`. Exit 2 bad input, 3 environment.
import { createLab } from "./context.ts";
import { labUp, type Source } from "./up.ts";
import { labDown } from "./down.ts";
import { labStatus } from "./status.ts";
import { labCached } from "./cached.ts";
import { LabError, type Lab } from "./step.ts";
import { attachProgress } from "./progress.ts";

const USAGE = "usage: lab up [--source online|offline] | down | status | cached";

function parseSource(args: string[]): Source | undefined {
  const i = args.findIndex((a) => a === "--source" || a.startsWith("--source="));
  if (i < 0) {
    if (args.length > 0) throw new LabError(`unknown option '${args[0]}' (allowed: --source online|offline)`, 2);
    return undefined;
  }
  const value = args[i]!.includes("=") ? args[i]!.split("=")[1] : args[i + 1];
  const rest = args.filter((_, j) => j !== i && !(j === i + 1 && !args[i]!.includes("=")));
  if (rest.length > 0) throw new LabError(`unknown option '${rest[0]}' (allowed: --source online|offline)`, 2);
  if (value !== "online" && value !== "offline") {
    throw new LabError(`--source: '${value ?? ""}' is not a source (allowed: online, offline)`, 2);
  }
  return value;
}

function timings(lab: Lab): void {
  const built = lab.timings.filter((t) => t.result !== "cached");
  if (built.length === 0) return;
  console.log("steps:");
  for (const t of lab.timings) console.log(`  ${t.name.padEnd(44)} ${t.result.padEnd(7)} ${t.seconds.toFixed(1).padStart(7)}s`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const lab = createLab();
  switch (cmd) {
    case "up": {
      const source = parseSource(rest);
      attachProgress(lab);
      try {
        const r = await labUp(lab, source ? { source } : {});
        timings(lab);
        return r.complete ? 0 : 3;
      } catch (err) {
        timings(lab);
        throw err;
      }
    }
    case "down":
      await labDown(lab);
      return 0;
    case "status":
      return (await labStatus(lab)).up ? 0 : 1;
    case "cached": {
      const r = await labCached(lab);
      console.log(r.ok ? r.why : `lab not cached: ${r.why}`);
      return r.ok ? 0 : 1;
    }
    default:
      throw new LabError(`${cmd === undefined ? "no command" : `unknown command '${cmd}'`}; ${USAGE}`, 2);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof LabError) {
      console.error(`lab: ${err.message}${err.logFile ? `\n  log: ${err.logFile}` : ""}`);
      process.exit(err.exitCode);
    }
    console.error(err);
    process.exit(3);
  },
);

// The lab's pinned versions and image refs, read from scripts/lab/versions.env (the single place that pins
// them; shell-sourcable KEY=value lines, owned by the builds engineer).
import { readFileSync } from "node:fs";

export type Versions = Readonly<Record<string, string>>;

/** Parses KEY=value lines (optionally "quoted"); comments and blank lines are skipped. */
export function parseVersions(text: string): Versions {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    out[m[1]!] = value;
  }
  return out;
}

export function readVersions(file: string): Versions {
  return parseVersions(readFileSync(file, "utf8"));
}

/** A required key; a missing one is a broken checkout or an old versions.env (exit 3 by the caller). */
export function need(v: Versions, key: string): string {
  const value = v[key];
  if (value === undefined || value === "") throw new Error(`scripts/lab/versions.env has no ${key}`);
  return value;
}

// The import graph of a source tree, read as text (static `import`/`export ... from` and `import('...')`
// with a literal path), and the two rules harness/src keeps: no import from a lower layer to a higher
// one, and no cycle. A small script rather than dependency-cruiser or madge: the rule is ~40 lines,
// TypeScript 7 (the project's compiler) has no JS API those tools could parse .ts with, and the project
// takes no dependency tree for a check this size.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** file (relative to the root) -> the files it imports (relative to the root), local ones only. */
export type Graph = Map<string, string[]>;

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function readGraph(root: string, keep: (file: string) => boolean = () => true): Graph {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && keep(relative(root, p))) files.push(relative(root, p));
    }
  };
  walk(root);
  const graph: Graph = new Map();
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const out = new Set<string>();
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(f), spec));
      if (!target.startsWith('..')) out.add(target);
    }
    graph.set(f, [...out].sort());
  }
  return graph;
}

/** The layer of a file: its first path segment (a folder or a top-level file) looked up in `layers` (lowest first). */
export function layerOf(file: string, layers: string[][]): number {
  const head = file.split('/')[0]!;
  const i = layers.findIndex((l) => l.includes(head));
  if (i < 0) throw new Error(`${file}: '${head}' is in no layer; add it to the layer list`);
  return i;
}

/** Imports from a lower layer to a higher one. */
export function upwardImports(graph: Graph, layers: string[][]): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      if (!graph.has(to)) continue; // outside the checked files (tests, fixtures)
      const a = layerOf(from, layers);
      const b = layerOf(to, layers);
      if (b > a) out.push(`${from} (layer ${a}: ${layers[a]!.join(' ')}) imports ${to} (layer ${b}: ${layers[b]!.join(' ')})`);
    }
  }
  return out;
}

/** Every cycle of files, as strongly connected components of two or more files (or a file importing itself). */
export function cycles(graph: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

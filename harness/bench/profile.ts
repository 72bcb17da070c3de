// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self time: where the
// load engine's CPU goes when it falls short of a peer's throughput.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string; // function name, or (program) / (garbage collector) / (idle)
  where: string; // file:line, relative to the repo when inside it
  selfMs: number;
  selfPct: number;
}

function isProfile(x: unknown): x is CpuProfile {
  if (!x || typeof x !== 'object') return false;
  const p = x as Record<string, unknown>;
  return Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

/**
 * Ids of the nodes whose stack (the node or an ancestor) has a frame matching `marker`: `file` (a part
 * of the frame's URL) or `file#function` (and that function name, so a module's top-level code at
 * load time does not count).
 */
function underMarker(profile: CpuProfile, marker: string): Set<number> {
  const [file = '', fn] = marker.split('#');
  const byId = new Map<number, ProfileNode>();
  const isChild = new Set<number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) isChild.add(c);
  }
  const out = new Set<number>();
  const walk = (id: number, inside: boolean) => {
    const n = byId.get(id);
    if (!n) return;
    const here = inside || (n.callFrame.url.includes(file) && (fn === undefined || n.callFrame.functionName === fn));
    if (here) out.add(id);
    for (const c of n.children ?? []) walk(c, here);
  };
  for (const n of profile.nodes) if (!isChild.has(n.id)) walk(n.id, false);
  return out;
}

/**
 * Self time per function (samples weighted by their time deltas), heaviest first. A window keeps the
 * samples from the first whose stack passes through `from` to the last before one passing through
 * `until`: the process start-up (module loading, the TypeScript loader) and post-run work are not what
 * the throughput is about.
 */
export interface ProfileWindow {
  /** Marker of the first sample kept. */
  from?: string;
  /** Marker of the first sample left out (and every one after it). */
  until?: string;
}

export function hotFunctions(profile: unknown, root: string, top = 15, window: ProfileWindow = {}): HotFunction[] {
  if (!isProfile(profile)) throw new Error('not a V8 CPU profile: nodes, samples or timeDeltas missing');
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const starts = window.from === undefined ? undefined : underMarker(profile, window.from);
  const stops = window.until === undefined ? undefined : underMarker(profile, window.until);
  let started = starts === undefined;
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let totalUs = 0;
  // timeDeltas[i] is the time since the previous sample; it is the cost of samples[i]
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    if (!started && starts?.has(id)) started = true;
    if (stops?.has(id)) break;
    if (!node || !started) continue;
    totalUs += dt;
    const f = node.callFrame;
    const file = f.url.startsWith('file://') ? f.url.slice(7) : f.url;
    const where = file ? `${file.startsWith(root) ? relative(root, file) : file}:${f.lineNumber + 1}` : '';
    const name = f.functionName || '(anonymous)';
    const key = `${name}\0${where}`;
    const e = selfUs.get(key) ?? { name, where, us: 0 };
    e.us += dt;
    selfUs.set(key, e);
  }
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: Math.round(e.us / 100) / 10,
      selfPct: totalUs > 0 ? Math.round((e.us / totalUs) * 1000) / 10 : 0,
    }));
}

/**
 * Loads the main thread's .cpuprofile node wrote into dir (the newest when there are several). Node
 * names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; a worker thread (the precise alarm's)
 * writes its own, with a thread id other than 0.
 */
export async function readProfileDir(dir: string): Promise<unknown> {
  const all = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = all.filter((f) => f.split('.').at(-3) === '0');
  const files = main.length > 0 ? main : all;
  const last = files.at(-1);
  if (!last) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(await readFile(join(dir, last), 'utf8')) as unknown;
}

/** Share of self time by area: node internals, undici, the engine's own code, GC, idle. */
export function byArea(profile: unknown, root: string, window: ProfileWindow = {}): Record<string, number> {
  const all = hotFunctions(profile, root, Number.MAX_SAFE_INTEGER, window);
  const out: Record<string, number> = {};
  for (const f of all) {
    const area =
      f.name === '(garbage collector)' ? 'gc'
      : f.name === '(idle)' ? 'idle'
      : f.name === '(program)' ? 'program (native, unattributed)'
      : f.where.includes('node_modules/undici/') ? 'undici'
      : f.where.includes('hdr-histogram') ? 'hdr-histogram'
      : f.where.startsWith('harness/') ? 'lossless (harness/)'
      : f.where.startsWith('node:') ? 'node core'
      : f.where === '' ? 'native'
      : 'other';
    out[area] = Math.round(((out[area] ?? 0) + f.selfPct) * 10) / 10;
  }
  return out;
}

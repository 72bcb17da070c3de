// What else is using the machine while we measure: the load average and any Go build running.
// Figures taken while another engineer's build runs are not comparable, so the report says so.
import { readFile, readdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';

export interface MachineLoad {
  at: string; // ISO time of the check
  cores: number;
  loadavg: [number, number, number];
  /** Command lines of running compilers / go builds (not ours). */
  builds: string[];
}

// Go's toolchain runs `go build|install|test` and then `compile`/`link` children; any of them means a build.
const BUILD = /(^|\/)go (build|install|test|vet|run)\b|(^|\/)(compile|link|cgo|gcc|cc1|cc1plus|ld|rustc|javac)( |$)/;

/** Scans /proc directly: pgrep would also match our own shell. */
export async function buildsRunning(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmd: string;
    try {
      cmd = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    } catch {
      continue; // exited meanwhile
    }
    if (BUILD.test(cmd)) found.push(`${name} ${cmd.slice(0, 120)}`);
  }
  return found;
}

export async function machineLoad(): Promise<MachineLoad> {
  const [a, b, c] = loadavg();
  return {
    at: new Date().toISOString(),
    cores: cpus().length,
    loadavg: [round(a ?? 0), round(b ?? 0), round(c ?? 0)],
    builds: await buildsRunning(),
  };
}

/** Busy when a build runs or the 1-minute load exceeds the cores (our own idle gaps keep it lower). */
export function isBusy(m: MachineLoad): boolean {
  return m.builds.length > 0 || m.loadavg[0] > m.cores;
}

export function describeLoad(m: MachineLoad): string {
  const base = `load ${m.loadavg.join(' ')} on ${m.cores} cores`;
  if (m.builds.length === 0) return `${base}; no build running`;
  // "go build x1, compile x2": the program names, counted
  const names = new Map<string, number>();
  for (const b of m.builds) {
    const argv = b.split(' ').slice(1);
    const prog = (argv[0] ?? '?').split('/').at(-1) ?? '?';
    const name = prog === 'go' ? `go ${argv[1] ?? ''}`.trim() : prog;
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const list = [...names].map(([n, c]) => `${n} x${c}`).join(', ');
  return `${base}; BUILD RUNNING (${list}): figures not comparable`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// Host CPU over a run: on 2 cores a starved node loses requests of its own, so every scenario summary
// says how busy the machine was. Reads /proc/stat once a second (Linux); elsewhere it reports nothing.

import { readFileSync } from 'node:fs';

export interface CpuTimes {
  busy: number;
  total: number;
}

/** Parses the aggregate `cpu` line of /proc/stat (jiffies). iowait counts as idle. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

/** Busy percentage between two readings; undefined when no time passed. */
export function busyPercent(a: CpuTimes, b: CpuTimes): number | undefined {
  const dt = b.total - a.total;
  if (dt <= 0) return undefined;
  return Math.round((1000 * (b.busy - a.busy)) / dt) / 10;
}

export interface HostCpu {
  cores: number;
  samples: Array<{ t: number; busyPct: number }>;
  meanPct: number;
  maxPct: number;
  /** Seconds at or above 90% busy: a run with many of these measured a starved machine. */
  saturatedSeconds: number;
}

export function summarizeCpu(cores: number, samples: Array<{ t: number; busyPct: number }>): HostCpu {
  const values = samples.map((s) => s.busyPct);
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  return {
    cores,
    samples,
    meanPct: Math.round(mean * 10) / 10,
    maxPct: values.length ? Math.max(...values) : 0,
    saturatedSeconds: values.filter((v) => v >= 90).length,
  };
}

/** Samples once a second until stopped; `now` gives the run clock (ns) for each sample's time. */
export function sampleHostCpu(now: () => number, cores: number, read: () => string = () => readFileSync('/proc/stat', 'utf8')): { stop: () => HostCpu } {
  const samples: Array<{ t: number; busyPct: number }> = [];
  let prev: CpuTimes | undefined;
  const tick = () => {
    let cur: CpuTimes | undefined;
    try {
      cur = parseProcStat(read());
    } catch {
      return; // not Linux: no samples
    }
    if (prev && cur) {
      const pct = busyPercent(prev, cur);
      if (pct !== undefined) samples.push({ t: Math.round(now() / 1e6), busyPct: pct });
    }
    prev = cur;
  };
  tick();
  const timer = setInterval(tick, 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return summarizeCpu(cores, samples);
    },
  };
}

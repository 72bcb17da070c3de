// The data the report's charts are drawn from, built once in Node and embedded as JSON: per-second
// aggregates per path (from summary.json's series), requests served per pod per second and the slowest
// request per second (from the report's reducer), pod lanes (from the timeline) and the failure marks.
// Arrays are dense and columnar so a 10-minute run on every path stays a few hundred KB.
import { OUTCOMES, type Attribution } from '../record.ts';
import type { LossWindow, ReportInput } from './model.ts';
import type { ReportReducer } from './reducer.ts';
import { buildLanes, type GlobalMark, type PodLane } from './lanes.ts';

export interface PathSeries {
  /** first second of the arrays (seconds since origin) */
  t0: number;
  /** outcome class -> requests per second (by intended send time) */
  counts: Record<string, number[]>;
  p50: number[];
  p99: number[];
  max: number[];
}

/** Colours for paths and pods, shared by the tables (Node) and the charts (browser). */
export const PALETTE = ['#1c7ed6', '#e8590c', '#2f9e44', '#9c36b5', '#f08c00', '#0c8599', '#c2255c', '#5c940d', '#3b5bdb', '#a61e4d', '#087f5b', '#e67700'];

export interface ViewData {
  runId: string;
  palette: string[];
  t0EpochMs: number;
  from: number; // seconds since origin
  to: number;
  outcomes: string[];
  targets: string[];
  series: PathSeries[]; // one per target, same order
  served: { t0: number; pods: string[]; counts: number[][] };
  lanes: PodLane[];
  global: GlobalMark[];
  /** Failure marks, columnar: time (s), target index, lane index (-1: pod unknown), outcome index, seq. */
  marks: { t: number[]; target: number[]; lane: number[]; outcome: number[]; seq: number[] };
  marksTotal: number;
  windows: Array<{ target: number; from: number; to: number; cause: string | null; lost: number }>;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function buildView(input: ReportInput, red: ReportReducer, windows: LossWindow[]): ViewData {
  const s = input.summary;
  const targets = s.targets.map((t) => t.target);
  const tIndex = new Map(targets.map((t, i) => [t, i]));
  const secs = s.series.map((b) => b.t);
  const firstRec = Number.isFinite(red.firstScheduled) ? red.firstScheduled / 1e9 : 0;
  const from = Math.floor(Math.min(secs.length ? Math.min(...secs) : firstRec, firstRec));
  const to = Math.ceil(Math.max(red.lastEnd / 1e9, secs.length ? Math.max(...secs) + 1 : from + 1, from + 1));

  const present = new Set<string>();
  for (const b of s.series) for (const o of Object.keys(b.byOutcome)) present.add(o);
  const outcomes = OUTCOMES.filter((o) => present.has(o));

  const series: PathSeries[] = targets.map((target) => {
    const rows = s.series.filter((b) => b.target === target);
    const t0 = rows.length ? rows[0]!.t : from;
    const n = rows.length ? rows[rows.length - 1]!.t - t0 + 1 : 0;
    const counts: Record<string, number[]> = {};
    for (const o of outcomes) counts[o] = new Array<number>(n).fill(0);
    const p50 = new Array<number>(n).fill(0);
    const p99 = new Array<number>(n).fill(0);
    const max = new Array<number>(n).fill(0);
    for (const b of rows) {
      const i = b.t - t0;
      for (const [o, c] of Object.entries(b.byOutcome)) counts[o]![i] = c ?? 0;
      p50[i] = b.p50Ms;
      p99[i] = b.p99Ms;
      max[i] = r3(red.maxLatencyMs.get(`${target}\n${b.t}`) ?? 0);
    }
    return { t0, counts, p50, p99, max };
  });

  const { lanes, global, ipToPod } = buildLanes(input.events, { from, to });
  // Pods seen only in responses (no timeline) still get a lane, so their marks have a home.
  const laneIndex = new Map(lanes.map((l, i) => [l.pod, i]));
  const addLane = (pod: string) => {
    if (laneIndex.has(pod)) return;
    laneIndex.set(pod, lanes.length);
    lanes.push({ pod, spans: [], points: [] });
  };
  for (const pod of [...red.servedByPod.keys()].sort()) addLane(pod);

  const servedPods = [...red.servedByPod.keys()].sort((a, b) => (laneIndex.get(a) ?? 0) - (laneIndex.get(b) ?? 0));
  const served = {
    t0: from,
    pods: servedPods,
    counts: servedPods.map((p) => {
      const m = red.servedByPod.get(p)!;
      const arr = new Array<number>(to - from).fill(0);
      for (const [sec, c] of m) if (sec >= from && sec < to) arr[sec - from] = c;
      return arr;
    }),
  };

  const podOfSeq = seqPods(input.attributions ?? []);
  const marks: ViewData['marks'] = { t: [], target: [], lane: [], outcome: [], seq: [] };
  for (const m of red.marks) {
    const ip = m.remoteAddr ? stripPort(m.remoteAddr) : undefined;
    const pod = m.servedBy ?? (ip ? ipToPod.get(ip) : undefined) ?? podOfSeq.get(m.seq);
    marks.t.push(r3(m.scheduledAt / 1e9));
    marks.target.push(tIndex.get(m.target) ?? -1);
    marks.lane.push(pod !== undefined && laneIndex.has(pod) ? laneIndex.get(pod)! : -1);
    marks.outcome.push(OUTCOMES.indexOf(m.outcome));
    marks.seq.push(m.seq);
  }

  return {
    runId: s.runId,
    palette: PALETTE,
    t0EpochMs: Number(BigInt(s.t0EpochNs) / 1_000_000n),
    from, to, outcomes, targets, series, served, lanes, global, marks,
    marksTotal: red.lost,
    windows: windows.map((w) => ({ target: tIndex.get(w.target) ?? -1, from: r3(w.start / 1e9), to: r3(w.end / 1e9), cause: w.cause, lost: w.lost })),
  };
}

/** A failed seq -> the pod its attribution window names, when the window names exactly one pod. */
function seqPods(atts: Attribution[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const a of atts) if (a.pods.length === 1) for (const q of a.seqs) out.set(q, a.pods[0]!);
  return out;
}

function stripPort(addr: string): string {
  const m = /^\[?([^\]]+?)\]?:\d+$/.exec(addr);
  return m ? m[1]! : addr;
}

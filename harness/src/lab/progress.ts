// What the lab is doing right now, for builds that take many minutes: the current step and sub-step, the time
// spent, the log being written and an estimate from the last time that step ran (kept in the cache). On a TTY it
// is one line redrawn every second; otherwise a line every 10 s, so CI logs show a build is alive.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Lab } from "./step.ts";

/** Seconds as the user reads them: 45s, 3m05s, 1h02m. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Past durations by step name (sub-steps as `step › sub`), in $CACHE/logs/durations.json. */
export class Durations {
  private readonly known: Record<string, number>;
  constructor(private readonly file: string) {
    let parsed: unknown = {};
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      // none yet (a cold cache) or a damaged file: estimates start again from the next build
    }
    this.known = {};
    if (parsed && typeof parsed === "object") {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === "number" && v >= 0) this.known[k] = v;
    }
  }
  get(name: string): number | undefined {
    return this.known[name];
  }
  set(name: string, seconds: number): void {
    this.known[name] = Math.round(seconds * 10) / 10;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(this.known, null, 1)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}

export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
}

interface Phase {
  name: string;
  log: string;
  started: number;
  estimate: number | undefined;
}

/** The status line of the lab's current step. `now` is injectable so tests can move time. */
export class Progress {
  /** Steps run inside steps (add-ons runs one per add-on): the innermost is last. */
  private readonly stack: Phase[] = [];
  private subPhase: Phase | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  readonly durations: Durations;

  constructor(
    cache: string,
    private readonly sink: Sink,
    private readonly print: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
    readonly everyMs: number = sink.isTTY ? 1000 : 10_000,
  ) {
    this.durations = new Durations(join(cache, "logs", "durations.json"));
  }

  /** A line of ordinary output: on a TTY the status line is cleared first and drawn again after it. */
  line(text: string): void {
    this.clear();
    this.print(text);
    if (this.sink.isTTY) this.draw();
  }

  begin(name: string, log: string): void {
    this.stack.push({ name, log, started: this.now(), estimate: this.durations.get(name) });
    this.subPhase = undefined;
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  sub(name: string, log: string, fallbackEstimate?: number): void {
    const top = this.stack.at(-1);
    if (!top) return;
    const key = `${top.name} › ${name}`;
    this.subPhase = { name, log, started: this.now(), estimate: this.durations.get(key) ?? fallbackEstimate };
    if (this.sink.isTTY) this.draw();
  }

  /** The sub-step finished after `seconds` (measured by whoever ran it). */
  subDone(name: string, seconds: number): void {
    const top = this.stack.at(-1);
    if (top) this.durations.set(`${top.name} › ${name}`, seconds);
    if (this.subPhase?.name === name) this.subPhase = undefined;
  }

  /** The step ended; a step that did real work (not cached, not failed) becomes the next estimate. */
  end(seconds: number, record: boolean): void {
    const top = this.stack.pop();
    if (top && record) this.durations.set(top.name, seconds);
    this.clear();
    this.subPhase = undefined;
    if (this.stack.length > 0) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The status as one line (no newline). */
  status(): string {
    const st = this.stack.at(-1);
    if (!st) return "";
    const t = this.now();
    const names = [...this.stack.map((p) => p.name), ...(this.subPhase ? [this.subPhase.name] : [])];
    const parts = [`… ${names.join(" › ")}`, `${clock((t - st.started) / 1000)}`];
    const est = (p: Phase, what: string): string | undefined => {
      if (p.estimate === undefined) return undefined;
      const left = p.estimate - (t - p.started) / 1000;
      return left >= 0 ? `~${clock(left)} left${what} (took ${clock(p.estimate)} last time)` : `over last time's ${clock(p.estimate)}${what}`;
    };
    const e = est(st, "") ?? "no past duration in the cache";
    parts.push(e);
    if (this.subPhase) {
      parts.push(`${this.subPhase.name} ${clock((t - this.subPhase.started) / 1000)}`);
      const se = est(this.subPhase, ` for ${this.subPhase.name}`);
      if (se) parts.push(se);
    }
    parts.push(`log ${(this.subPhase ?? st).log}`);
    return parts.join(", ");
  }

  private tick(): void {
    if (this.sink.isTTY) this.draw();
    else this.print(`  ${this.status()}`);
  }

  private draw(): void {
    const s = this.status();
    if (!s) return;
    const width = (this.sink as { columns?: number }).columns ?? 160;
    this.sink.write(`\r\x1b[2K${s.length > width - 1 ? `${s.slice(0, width - 2)}…` : s}`);
    this.shown = true;
  }

  private clear(): void {
    if (this.shown && this.sink.isTTY) this.sink.write("\r\x1b[2K");
    this.shown = false;
  }
}

/** Gives the lab a progress line on `sink` (stderr by default): its output lines then go around it. */
export function attachProgress(lab: Lab, sink: Sink = process.stderr): Progress {
  const print = lab.out;
  const p = new Progress(lab.cache, sink, print);
  lab.progress = p;
  lab.out = (line) => p.line(line);
  return p;
}

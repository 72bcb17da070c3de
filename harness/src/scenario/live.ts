// The scenario's live line during load: the phase (load, rollout i/n, cool-down), the time since the load
// started, and per path the requests sent and lost so far. On a TTY one line redrawn every second (the run's
// log lines go around it); otherwise a line every 10 s.
import type { RequestRecord } from '../record.ts';
import { clock } from '../lab/progress.ts';
import type { Sink } from '../lab/progress.ts';

interface Count {
  sent: number;
  lost: number;
}

export class LiveCounter {
  private readonly counts = new Map<string, Count>();
  private readonly pathOf = new Map<string, string>();
  private phase = 'load';
  private started = 0;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private silent = false;

  constructor(
    private readonly sink: Sink,
    private readonly print: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
    everyMs?: number,
  ) {
    this.everyMs = everyMs ?? (sink.isTTY ? 1000 : 10_000);
  }

  readonly everyMs: number;

  /** Names the paths by their target URL, in the order they are shown. */
  paths(byTarget: ReadonlyArray<{ path: string; url: string }>): void {
    for (const t of byTarget) {
      this.pathOf.set(t.url, t.path);
      // records name the URL as undici normalised it (`:80` dropped): both spellings map to the path
      try {
        this.pathOf.set(new URL(t.url).href, t.path);
      } catch {
        // not a URL: the name as given is the only spelling
      }
      if (!this.counts.has(t.path)) this.counts.set(t.path, { sent: 0, lost: 0 });
    }
  }

  /** Every record once it ended: cancelled ones are neither sent nor lost (as in the summary). */
  add(r: RequestRecord): void {
    if (r.outcome === 'cancelled') return;
    const path = this.pathOf.get(r.target) ?? r.target;
    let c = this.counts.get(path);
    if (!c) this.counts.set(path, (c = { sent: 0, lost: 0 }));
    c.sent++;
    if (r.outcome !== 'ok') c.lost++;
  }

  /** No periodic line at all (--quiet): the counts are still kept. */
  silence(): void {
    this.silent = true;
  }

  start(): void {
    if (this.silent) return;
    this.started = this.now();
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  setPhase(phase: string): void {
    this.phase = phase;
    if (this.timer && this.sink.isTTY) this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** A line of the run's log: around the live line on a TTY. */
  line(text: string): void {
    this.clear();
    this.print(text);
    if (this.timer && this.sink.isTTY) this.draw();
  }

  status(): string {
    const per = [...this.counts].map(([p, c]) => `${p} sent ${c.sent} lost ${c.lost}${c.sent > 0 && c.lost > 0 ? ` (${((100 * c.lost) / c.sent).toFixed(2)}%)` : ''}`);
    return `${this.phase} ${clock((this.now() - this.started) / 1000)}: ${per.join(' · ') || 'no request ended yet'}`;
  }

  private tick(): void {
    if (this.sink.isTTY) this.draw();
    else this.print(`live: ${this.status()}`);
  }

  private draw(): void {
    // one row: a line wider than the terminal wraps, and \r then redraws only its last row
    const width = (this.sink as { columns?: number }).columns ?? 160;
    const s = this.status();
    this.sink.write(`\r\x1b[2K${s.length > width - 1 ? `${s.slice(0, width - 2)}…` : s}`);
    this.shown = true;
  }

  private clear(): void {
    if (this.shown && this.sink.isTTY) this.sink.write('\r\x1b[2K');
    this.shown = false;
  }
}

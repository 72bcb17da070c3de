// Durations as Go writes them (time.ParseDuration, what k6, vegeta and kubectl accept): one or more
// number-unit parts, `500ms`, `2s`, `1.5s`, `1m30s`, `1h5m`, units ns us µs ms s m h. One parser for the CLI
// options, the scenario files and the budgets, so `1m30s` means the same everywhere.
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/;
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** What the parsers' messages say is allowed. */
export const DURATION_HELP = 'a duration such as 500ms, 2s, 1m30s or 1h (units ns, us, ms, s, m, h)';

/** Milliseconds (fractions kept below 1 ms), or undefined when `text` is not a Go-style duration. A bare
 * number is refused: `30` could mean seconds or milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The shortest Go-style spelling of a whole number of ms: 90000 -> `1m30s`, 1500 -> `1.5s`, 250 -> `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${Number(s.toFixed(3))}s` : ''}` || '0s';
}

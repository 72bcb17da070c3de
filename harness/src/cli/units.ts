// Parsers for option values; each throws UsageError naming the option, the value and what is allowed.
import { UsageError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1.5h` -> milliseconds (> 0). */
export function parseDuration(option: string, value: string, maxMs = Infinity): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`${option} '${value}': expected a number with a unit ms, s, m or h (e.g. 500ms, 30s, 5m)`);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!(ms > 0)) throw new UsageError(`${option} '${value}': must be greater than 0`);
  if (ms > maxMs) throw new UsageError(`${option} '${value}': at most ${maxMs / 1000}s`);
  return ms;
}

/** A positive number (decimals allowed). */
export function parsePositive(option: string, value: string, max = Infinity): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UsageError(`${option} '${value}': expected a positive number`);
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`${option} '${value}': must be greater than 0`);
  if (n > max) throw new UsageError(`${option} '${value}': at most ${max}`);
  return n;
}

/** A positive integer. */
export function parseCount(option: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${option} '${value}': expected a whole number >= 1`);
  const n = Number(value);
  if (n < 1) throw new UsageError(`${option} '${value}': must be at least 1`);
  if (n > max) throw new UsageError(`${option} '${value}': at most ${max}`);
  return n;
}

export function parseChoice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${option} '${value}': expected one of ${allowed.join(', ')}`);
  return value as T;
}

/** UTC yyyymmdd-hhmmss, the results/ folder stamp. */
export function utcStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

// Parsers for option values; each throws UsageError naming the option, the value and what is allowed.
import { UsageError } from '../errors.ts';
import { DURATION_HELP, parseDurationMs } from '../duration.ts';

/** Go-style `500ms`, `30s`, `1m30s`, `1.5h` (duration.ts) -> milliseconds (> 0). */
export function parseDuration(option: string, value: string, maxMs = Infinity): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new UsageError(`${option} '${value}': expected ${DURATION_HELP}`);
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

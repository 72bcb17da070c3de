// Plain-text tables for the terminal: left-aligned text, right-aligned numbers.

export type Cell = string | number | undefined;

export function fmt(x: Cell, digits = 0): string {
  if (x === undefined || (typeof x === 'number' && !Number.isFinite(x))) return '-';
  if (typeof x === 'string') return x;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => headers.map((_, i) => fmt(r[i])));
  const numeric = headers.map((_, i) => rows.every((r) => r[i] === undefined || typeof r[i] === 'number' || /^[-+]?[\d,.]+( ?%| ms| B| MB)?$/.test(String(r[i]))));
  const width = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(width[i] as number) : c.padEnd(width[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(width.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

export function pct(x: number, digits = 2): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)}%` : '-';
}

export function ms(x: number | undefined, digits = 2): string {
  return x !== undefined && Number.isFinite(x) ? `${x.toFixed(digits)} ms` : '-';
}

export function mb(kb: number | undefined): string {
  return kb !== undefined && Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '-';
}

// `lossless decode <ledger|run folder> [--format ndjson|csv]`: prints a binary ledger as text.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readLedger, LedgerFormatError } from '../ledger/reader.ts';
import type { RequestRecord } from '../record.ts';
import { EXIT_OK, EnvError, UsageError, errnoOf } from '../errors.ts';
import type { Command, Io } from './command.ts';
import { parseOptions } from './options.ts';
import { parseChoice } from './units.ts';

const usage = `usage: lossless decode <ledger.bin | run folder> [--format ndjson|csv]
  prints one line per request; times are ns since the run's origin (t0EpochNs in the ledger header)`;

export const CSV_COLUMNS = [
  'seq', 'target', 'scheduledAt', 'sentAt', 'endAt', 'outcome', 'status', 'errorCode', 'phase', 'remoteAddr', 'localPort',
  'reusedConnection', 'servedBy', 'bytesSent', 'bytesReceived', 'attempt', 'retried',
] as const satisfies ReadonlyArray<keyof RequestRecord>;

function csvCell(v: unknown): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsvLine(r: RequestRecord): string {
  // attempt and retried are spelled out on every row (1, false for a request sent once)
  const full = { ...r, attempt: r.attempt ?? 1, retried: r.retried === true };
  return CSV_COLUMNS.map((c) => csvCell(full[c])).join(',');
}

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'print a binary ledger as NDJSON or CSV',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(argv, { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(usage + '\n');
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(`<ledger>: expected exactly one ledger file or run folder, got ${positionals.length}`);
    const format = values.format === undefined ? 'ndjson' : parseChoice('--format', values.format, ['ndjson', 'csv'] as const);
    const arg = positionals[0]!;
    let path = arg;
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'ledger.bin');
    if (!existsSync(path)) throw new UsageError(`<ledger> '${arg}': no such file; expected a ledger.bin or a run folder holding one`);
    if (!statSync(path).isFile()) throw new UsageError(`<ledger> '${path}': not a regular file; expected a ledger.bin`);
    const reader = readLedger(path);
    const out = io.stdout;
    // The reader of stdout may go away (`| head -1`): stop decoding at once instead of dying of EPIPE.
    let closed: Error | undefined;
    const onError = (err: Error) => (closed ??= err);
    out.on('error', onError);
    let printed = 0;
    let chunk: string[] = format === 'csv' ? [CSV_COLUMNS.join(',')] : [];
    const flush = async () => {
      if (chunk.length === 0 || closed) return;
      const ok = out.write(chunk.join('\n') + '\n');
      chunk = [];
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done);
            out.off('close', done);
            out.off('error', done);
            resolve();
          };
          out.on('drain', done);
          out.on('close', done);
          out.on('error', done);
        });
      }
    };
    try {
      for await (const r of reader) {
        chunk.push(format === 'csv' ? toCsvLine(r) : JSON.stringify(r));
        printed++;
        if (chunk.length >= 1000) await flush();
        if (closed) break;
      }
      await flush();
    } catch (err) {
      if (err instanceof LedgerFormatError) throw new UsageError(`<ledger> '${path}': ${err.message}`);
      throw err;
    } finally {
      out.off('error', onError);
    }
    if (closed) throw new EnvError(`stdout was closed by its reader (${errnoOf(closed) ?? 'closed'}) after ${printed} records of ${path}; nothing is wrong with the ledger`);
    if (!reader.complete) io.stderr.write(`lossless decode: ${path} has no end trailer (the run was killed); printed the records up to the last whole one\n`);
    else if (reader.trailerCount !== printed) {
      throw new UsageError(`<ledger> '${path}': its trailer says ${reader.trailerCount} records, the file holds ${printed}: the file is damaged (records were lost or added)`);
    }
    return EXIT_OK;
  },
};

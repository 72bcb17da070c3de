// One run folder: the only module that knows its file names (artifacts.ts), creates it, and reads and
// writes its files. Reads are validated (zod) and name the file and field that is wrong; a stage writes
// each of its artifacts once (summary.json is never edited afterwards: the report stage writes its own
// report.json). File-system failures become UsageError when the path given is wrong (a file where a
// folder is expected) and EnvError when the machine is (full disk, no permission).
import { accessSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { EnvError, UsageError, errnoOf, fileError } from '../errors.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { LedgerReader } from '../ledger/reader.ts';
import { TimelineWriter, readTimeline } from '../ledger/timeline.ts';
import { ARTIFACTS, summarySchema, type Artifact, type Summary } from './artifacts.ts';

/** JSON artifacts larger than this are refused before parsing (a run's summary is well under 10 MB). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * mkdir -p, one level at a time: Node 24's `mkdirSync(..., { recursive: true })` spins forever on some
 * paths under /proc (seen: /proc/nope), and an unwritable output must end in exit 3, not a hang.
 */
export function ensureDir(dir: string, what: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  try {
    while (!existsSync(d)) {
      missing.push(d);
      const parent = dirname(d);
      if (parent === d) break;
      d = parent;
    }
    if (!statSync(d).isDirectory()) throw new UsageError(`${what} '${dir}': '${d}' is a file; expected a folder`);
    for (const m of missing.reverse()) mkdirSync(m);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new EnvError(`${what} '${dir}': cannot write there (${errnoOf(err) ?? String(err)}); choose a writable folder or fix its permissions`);
  }
}

/** Formats a zod error as `field: what is wrong` lines. */
function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
}

export class RunFolder {
  private constructor(readonly dir: string) {}

  /** A new run folder (created when missing). `what` names the option that chose it in messages. */
  static create(dir: string, what = '--out'): RunFolder {
    if (dir.trim() === '') throw new UsageError(`${what} '': empty; give a folder path`);
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`${what} '${dir}': is a file; expected a folder (new or empty)`);
    if (existsSync(join(abs, ARTIFACTS.ledger))) throw new UsageError(`${what} '${dir}': already holds a run (${ARTIFACTS.ledger}); choose a new folder`);
    ensureDir(abs, what);
    return new RunFolder(abs);
  }

  /** An existing run folder (report, compare, decode). */
  static open(dir: string, what = '<run dir>'): RunFolder {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${what} '${dir}': no such folder; expected a results/<run-id>/ folder`);
    return new RunFolder(dir);
  }

  path(a: Artifact): string {
    return join(this.dir, ARTIFACTS[a]);
  }

  /** The artifact exists (as anything: a folder where a file belongs is caught when it is read). */
  has(a: Artifact): boolean {
    try {
      lstatSync(this.path(a));
      return true;
    } catch {
      return false;
    }
  }

  private mustBeFile(a: Artifact): string {
    const p = this.path(a);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw fileError(err, ARTIFACTS[a], p, `the run folder '${this.dir}' has no readable ${ARTIFACTS[a]}`);
    }
    if (!st.isFile()) throw new UsageError(`${ARTIFACTS[a]} '${p}': not a regular file; expected the ${ARTIFACTS[a]} a run wrote`);
    return p;
  }

  // ---- the ledger and the timeline (binary / NDJSON, streamed) ----

  /** Creates ledger.bin; its header reaches the disk at once. */
  createLedger(header: { t0EpochNs: bigint; runId: string }): LedgerWriter {
    try {
      return new LedgerWriter(this.path('ledger'), header);
    } catch (err) {
      throw fileError(err, ARTIFACTS.ledger, this.path('ledger'), 'cannot create it; choose a writable folder with free space');
    }
  }

  ledger(): LedgerReader {
    return new LedgerReader(this.mustBeFile('ledger'));
  }

  createTimeline(header: { t0EpochNs: bigint; runId: string }): TimelineWriter {
    try {
      return new TimelineWriter(this.path('timeline'), header);
    } catch (err) {
      throw fileError(err, ARTIFACTS.timeline, this.path('timeline'), 'cannot create it; choose a writable folder with free space');
    }
  }

  timeline(): ReturnType<typeof readTimeline> {
    return readTimeline(this.mustBeFile('timeline'));
  }

  // ---- JSON artifacts ----

  /** Reads and validates a JSON artifact; undefined when the folder does not hold it. */
  read<S extends z.ZodType>(a: Artifact, schema: S): z.output<S> | undefined {
    if (!this.has(a)) return undefined;
    const p = this.mustBeFile(a);
    const name = ARTIFACTS[a];
    if (statSync(p).size > MAX_JSON_BYTES) throw new UsageError(`${name} '${p}': larger than ${MAX_JSON_BYTES / 2 ** 20} MiB; not one a run wrote`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(p, 'utf8'));
    } catch (err) {
      if (errnoOf(err)) throw fileError(err, name, p, 'cannot read it');
      throw new UsageError(`${name} '${p}': not JSON (${(err as Error).message})`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new UsageError(`${name} '${p}': not a lossless ${name}: ${issues(parsed.error)}`);
    return parsed.data;
  }

  readSummary(): Summary | undefined {
    return this.read('summary', summarySchema);
  }

  /**
   * Writes a JSON artifact. Each is written once by the stage that makes it (`replace` only for the report
   * stage's own files, which `lossless report` regenerates); a second write is a bug and throws.
   */
  write(a: Artifact, value: unknown, opts: { replace?: boolean } = {}): string {
    return this.writeText(a, JSON.stringify(value, null, 2) + '\n', opts);
  }

  writeText(a: Artifact, text: string, opts: { replace?: boolean } = {}): string {
    const p = this.path(a);
    let fd: number | undefined;
    try {
      fd = openSync(p, opts.replace ? 'w' : 'wx');
      const b = Buffer.from(text);
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') throw new Error(`${ARTIFACTS[a]} in '${this.dir}' was already written: each artifact is written once by the stage that makes it`);
      throw new EnvError(`cannot write ${ARTIFACTS[a]} into '${this.dir}' (${errnoOf(err) ?? String(err)}); make the folder writable or free space`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return p;
  }
}

/** Writes a file outside any run folder (compare.html), with the same mkdir and error rules. */
export function writeOutputFile(path: string, text: string, what: string): void {
  if (path.trim() === '') throw new UsageError(`${what} '': empty; give a file path`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${what} '${path}': is a folder; expected a file path`);
  ensureDir(dirname(resolve(path)), what);
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new EnvError(`${what} '${path}': cannot write it (${errnoOf(err) ?? String(err)}); choose a writable path`);
  }
}

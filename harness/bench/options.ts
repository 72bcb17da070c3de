// argv of `npm run bench -- ...`. Bad input exits 2 with the option, the value and what is allowed.
import { parseArgs } from 'node:util';
import { TIMINGS } from '../src/schedule/alarm.ts';
import { HTTP_CLIENTS } from '../src/send/sender.ts';

export const SECTIONS = ['rate', 'throughput', 'ledger', 'errors'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  long: boolean;
  sections: Section[];
  /** Seconds per rate-fidelity run (30, or 5 with --quick). */
  rateSeconds: number;
  rates: number[];
  throughputSeconds: number;
  /** Seconds of the 5k QPS ledger/memory run: 600 with --long, 60 by default, 15 with --quick. */
  ledgerSeconds: number;
  ledgerQps: number;
  errorRequests: number;
  connections: number;
  /** The engine's --timing values to run in the rate section, each its own row; 'default' passes none (default: default). */
  timings: string[];
  /** The engine's --http values, each its own set of rows in the rate and throughput sections; 'default' passes none (default: default). */
  https: string[];
  out?: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench -- [--quick | --long] [--only rate,throughput,ledger,errors] [--rates 1000,5000,10000]
  [--seconds N (per rate run)] [--connections N (default 32)] [--timings default,precise,timer,spin]
  [--http default,wire,undici] [--out DIR]
  --quick  short runs (5 s per rate, 5 s throughput, 15 s ledger, 3000 error requests): a smoke run, not the figures
  --long   the ledger/memory run lasts 10 minutes at 5k QPS instead of 60 s extrapolated
  --timings  the engine's --timing values for the rate section, one row each ('default' gives none: the engine
           picks by rate; spin is the engine before issue 11). Default: default
  --http   the engine's HTTP clients to run (rate and throughput sections), each its own rows ('default' gives none:
           wire; undici is the engine before its own client). Default: default`;

function positiveInt(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n <= 0 || n > max) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a whole number from 1 to ${max}`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean', default: false },
        long: { type: 'boolean', default: false },
        only: { type: 'string' },
        rates: { type: 'string' },
        seconds: { type: 'string' },
        connections: { type: 'string' },
        timings: { type: 'string' },
        http: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) throw new UsageError(USAGE);
  if (v.quick && v.long) throw new UsageError('--quick and --long: choose one (quick shortens every run; long lengthens the ledger run)');
  let sections: Section[] = [...SECTIONS];
  if (v.only !== undefined) {
    const names = v.only.split(',').map((s) => s.trim());
    for (const n of names) {
      if (!(SECTIONS as readonly string[]).includes(n)) throw new UsageError(`--only ${JSON.stringify(n)}: expected a comma list of ${SECTIONS.join(', ')}`);
    }
    sections = names as Section[];
  }
  const rates = v.rates === undefined ? [1000, 5000, 10000] : v.rates.split(',').map((r) => positiveInt('rates', r.trim(), 200_000));
  const timings = v.timings === undefined ? ['default'] : v.timings.split(',').map((t) => t.trim());
  for (const t of timings) {
    if (t !== 'default' && !(TIMINGS as readonly string[]).includes(t)) throw new UsageError(`--timings ${JSON.stringify(t)}: expected a comma list of default, ${TIMINGS.join(', ')}`);
  }
  const https = v.http === undefined ? ['default'] : v.http.split(',').map((t) => t.trim());
  for (const h of https) {
    if (h !== 'default' && !(HTTP_CLIENTS as readonly string[]).includes(h)) throw new UsageError(`--http ${JSON.stringify(h)}: expected a comma list of default, ${HTTP_CLIENTS.join(', ')}`);
  }
  const quick = Boolean(v.quick);
  const opts: BenchOptions = {
    quick,
    long: Boolean(v.long),
    sections,
    rates,
    rateSeconds: v.seconds === undefined ? (quick ? 5 : 30) : positiveInt('seconds', v.seconds, 3600),
    throughputSeconds: quick ? 5 : 15,
    ledgerSeconds: v.long ? 600 : quick ? 15 : 60,
    ledgerQps: 5000,
    errorRequests: quick ? 3000 : 10000,
    connections: v.connections === undefined ? 32 : positiveInt('connections', v.connections, 4096),
    timings,
    https,
  };
  if (v.out !== undefined) opts.out = v.out;
  return opts;
}

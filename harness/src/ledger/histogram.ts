// Every latency histogram of the project is built here, so summaries built live and summaries rebuilt
// from a ledger agree, and percentiles mean the same thing everywhere. Values are microseconds.
import { build, type Histogram } from 'hdr-histogram-js';

/** 1 µs .. 1 hour at 3 significant digits (0.1% value error). */
export const HISTOGRAM_CONFIG = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
  autoResize: false,
  bitBucketSize: 32,
  useWebAssembly: false,
} as const;

/** Per-second histograms are many: 2 digits (1% error) keeps them small. */
export const SERIES_HISTOGRAM_CONFIG = { ...HISTOGRAM_CONFIG, numberOfSignificantValueDigits: 2 } as const;

export function latencyHistogram(config: typeof HISTOGRAM_CONFIG | typeof SERIES_HISTOGRAM_CONFIG = HISTOGRAM_CONFIG): Histogram {
  return build({ ...config });
}

/** Records a duration given in ns, clamped into the histogram's range. */
export function recordNs(h: Histogram, ns: number): void {
  const us = Math.round(ns / 1000);
  h.recordValue(us < 1 ? 1 : us > HISTOGRAM_CONFIG.highestTrackableValue ? HISTOGRAM_CONFIG.highestTrackableValue : us);
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Percentiles in milliseconds (3 decimals). An empty histogram gives zeros with count 0. */
export function percentilesMs(h: Histogram): Percentiles {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
